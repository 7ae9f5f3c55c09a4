//! The IMAP client (with a SCRAM login and IDLE) fed an arbitrary server: no panic, nothing
//! after close.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{feed, split_input};
use mailsim_proto::imap::client::{ImapClient, ImapStep};
use mailsim_proto::Engine;

fuzz_target!(|data: &[u8]| {
    let Some((mode, chunks)) = split_input(data) else { return };
    let scram = mode & 1 != 0;
    let mut steps = vec![];
    if scram {
        let (user, password, nonce) = ("bob".into(), "pw".into(), "abc".into());
        steps.push(ImapStep::Scram { tag: "a1".into(), user, password, nonce });
    } else {
        steps.push(ImapStep::Line("a1 LOGIN bob pw".into()));
    }
    steps.push(ImapStep::Line("a2 SELECT INBOX".into()));
    steps.push(ImapStep::Line("a3 FETCH 1:* (FLAGS BODY.PEEK[])".into()));
    steps.push(ImapStep::IdleUntilNews("a4".into()));
    steps.push(ImapStep::Line("a5 LOGOUT".into()));
    let mut c = ImapClient::new(steps);
    feed(&mut c, &chunks, |_| {});
    while c.poll_event().is_some() {}
});
