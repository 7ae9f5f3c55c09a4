//! POP3 command lines (RFC 1939 §3): decode never panics; a decoded command re-encodes to a
//! line that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::pop3::command::decode;
use mailsim_proto::Decoded;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    // Each line is decoded once (it was twice: once to move on, once to check).
    loop {
        let (cmd, n) = match decode(rest) {
            Decoded::Complete(cmd, n) => (Some(cmd), n),
            Decoded::Invalid(_, n) => (None, n),
            _ => break,
        };
        if let Some(cmd) = cmd {
            let wire = cmd.encode();
            match decode(&wire) {
                Decoded::Complete(again, used) => {
                    assert_eq!(again, cmd);
                    assert_eq!(used, wire.len());
                }
                other => panic!("{cmd:?} encodes to {:?}, which reads as {other:?}", String::from_utf8_lossy(&wire)),
            }
        }
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
});
