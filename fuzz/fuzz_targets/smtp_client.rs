//! The SMTP client (relay and submission) fed an arbitrary server: no panic, nothing after close.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{feed, split_input, PLAIN};
use mailsim_proto::smtp::{SmtpClient, SmtpJob};
use mailsim_proto::Engine;

fuzz_target!(|data: &[u8]| {
    let Some((mode, chunks)) = split_input(data) else { return };
    let auth = mode & 1 != 0;
    let starttls = mode & 2 != 0;
    let pipelining = mode & 4 != 0;
    let job = SmtpJob {
        helo: "mail.alice.example".into(),
        mail_from: "alice@alice.example".into(),
        rcpt_to: vec!["bob@bob.example".into(), "carol@bob.example".into()],
        message: PLAIN.to_vec(),
        auth: auth.then(|| ("alice".to_string(), "pw".to_string())),
        starttls,
        pipelining,
        ..Default::default()
    };
    let mut c = SmtpClient::new(job);
    feed(&mut c, &chunks, |_| {});
    while c.poll_event().is_some() {}
});
