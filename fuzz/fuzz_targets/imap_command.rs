//! IMAP command lines with literals (RFC 9051 §2.2, §4): decode never panics and always moves
//! forward.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::imap::command::decode;
use mailsim_proto::imap::token;
use mailsim_proto::Decoded;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    let _ = token::pending_literal(rest);
    let _ = token::literal_at_end(rest);
    while let Decoded::Complete(_, n) | Decoded::Invalid(_, n) = decode(rest) {
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
});
