//! HTTP/1.x requests and responses (RFC 9112): decode never panics; URL decoding neither.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::http::{decode, url_decode, url_encode};
use mailsim_proto::Decoded;

fuzz_target!(|data: &[u8]| {
    for request in [true, false] {
        if let Decoded::Complete(m, n) = decode(data, request) {
            assert!(n <= data.len());
            let _ = m.header("Content-Type");
            let _ = m.cookie("session");
            let wire = m.encode();
            assert!(matches!(decode(&wire, request), Decoded::Complete(..)), "{:?}", String::from_utf8_lossy(&wire));
        }
    }
    let s = String::from_utf8_lossy(data);
    assert_eq!(url_decode(&url_encode(&s)), s);
    let _ = url_decode(&s);
});
