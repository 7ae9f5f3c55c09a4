//! POP3 responses, single-line and multi-line with byte-stuffing (RFC 1939 §3): decode never
//! panics; a decoded response re-encodes to one that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::pop3::response::decode;
use mailsim_proto::Decoded;

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else { return };
    let multiline = first & 1 == 1;
    let mut rest = data;
    while let Decoded::Complete(_, n) | Decoded::Invalid(_, n) = decode(rest, multiline) {
        if let Decoded::Complete(r, _) = decode(rest, multiline) {
            let wire = r.encode();
            match decode(&wire, multiline) {
                Decoded::Complete(again, used) => {
                    assert_eq!(again, r);
                    assert_eq!(used, wire.len());
                }
                other => panic!("{r:?} encodes to {:?}, which reads as {other:?}", String::from_utf8_lossy(&wire)),
            }
        }
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
});
