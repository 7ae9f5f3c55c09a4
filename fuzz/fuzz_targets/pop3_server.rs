//! The POP3 server inside the mail host (two messages in bob's maildrop), fed arbitrary
//! bytes cut anywhere: no panic, nothing after the session is closed; a second session
//! afterwards still logs in (the maildrop lock is released however the first one ended).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{split_input, Chunks, HostDriver};

fuzz_target!(|data: &[u8]| {
    let Some((_, chunks)) = split_input(data) else { return };
    let mut d = HostDriver::new();
    let _ = d.session(110, &chunks);
    let again = Chunks { pieces: vec![(1, b"USER bob\r\nPASS bob-pw\r\nQUIT\r\n".to_vec())] };
    let wire = d.session(110, &again);
    let text = String::from_utf8_lossy(&wire);
    assert!(text.contains("maildrop"), "{text}");
});
