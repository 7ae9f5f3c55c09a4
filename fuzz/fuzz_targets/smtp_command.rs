//! SMTP command lines (RFC 5321 §4.1): decode never panics; what decodes re-encodes to a
//! line that decodes to the same command, using exactly its length.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::smtp::command::decode;
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
                    assert_eq!(again, cmd, "{:?}", String::from_utf8_lossy(&wire));
                    assert_eq!(used, wire.len());
                }
                other => panic!("{cmd:?} encodes to {:?}, which reads as {other:?}", String::from_utf8_lossy(&wire)),
            }
            let _ = mailsim_proto::Pdu::SmtpCommand(cmd).explain();
        }
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
});
