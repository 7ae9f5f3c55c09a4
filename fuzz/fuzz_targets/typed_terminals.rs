//! The typed terminals (a person at an SMTP or POP3 prompt) fed an arbitrary server.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{feed, split_input, PLAIN};
use mailsim_proto::pop3::typed::Pop3Typed;
use mailsim_proto::smtp::typed::{Typed, TypedSession};

fuzz_target!(|data: &[u8]| {
    let Some((mode, chunks)) = split_input(data) else { return };
    let smtp = mode & 1 != 0;
    if smtp {
        let script = vec![
            Typed::Line("EHLO me".into()),
            Typed::Line("MAIL FROM:<a@b.example>".into()),
            Typed::Line("RCPT TO:<bob@bob.example>".into()),
            Typed::Line("DATA".into()),
            Typed::Message(PLAIN.to_vec()),
            Typed::Line("QUIT".into()),
        ];
        feed(&mut TypedSession::new(script), &chunks, |_| {});
    } else {
        let lines = ["USER bob", "PASS pw", "LIST", "RETR 1", "QUIT"].map(String::from).to_vec();
        feed(&mut Pop3Typed::new(lines), &chunks, |_| {});
    }
});
