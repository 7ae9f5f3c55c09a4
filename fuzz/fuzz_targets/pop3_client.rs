//! The POP3 client fed an arbitrary server: no panic, nothing after close.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{feed, split_input};
use mailsim_proto::pop3::{Pop3Client, Pop3Job};
use mailsim_proto::Engine;

fuzz_target!(|data: &[u8]| {
    let Some((mode, chunks)) = split_input(data) else { return };
    let delete = mode & 1 != 0;
    let job = Pop3Job { user: "bob".into(), pass: "pw".into(), delete, known: vec!["1".into()] };
    let mut c = Pop3Client::new(job);
    feed(&mut c, &chunks, |_| {});
    while c.poll_event().is_some() {}
});
