//! The SMTP server inside the mail host, on port 25 (relay) or 587 (submission), fed
//! arbitrary bytes cut anywhere: no panic, nothing after the session is closed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{split_input, HostDriver};

fuzz_target!(|data: &[u8]| {
    let Some((mode, chunks)) = split_input(data) else { return };
    let submission = mode & 1 != 0;
    let mut d = HostDriver::new();
    let _ = d.session(if submission { 587 } else { 25 }, &chunks);
});
