//! SMTP replies, single and multiline (RFC 5321 §4.2): decode never panics; a decoded reply
//! re-encodes to one that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::smtp::reply::decode;
use mailsim_proto::Decoded;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Decoded::Complete(_, n) | Decoded::Invalid(_, n) = decode(rest) {
        if let Decoded::Complete(reply, _) = decode(rest) {
            let wire = reply.encode();
            match decode(&wire) {
                Decoded::Complete(again, used) => {
                    assert_eq!(again, reply);
                    assert_eq!(used, wire.len());
                }
                other => panic!("{reply:?} encodes to {:?}, which reads as {other:?}", String::from_utf8_lossy(&wire)),
            }
            let _ = (reply.text(), reply.to_string());
        }
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
});
