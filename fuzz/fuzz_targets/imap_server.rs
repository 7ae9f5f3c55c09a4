//! The IMAP server inside the mail host, fed arbitrary bytes cut anywhere: no panic, nothing
//! after the session is closed. Inputs that start with a login get past authentication.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{split_input, HostDriver};

fuzz_target!(|data: &[u8]| {
    let Some((mode, mut chunks)) = split_input(data) else { return };
    let prefix: &[u8] = match mode % 3 {
        0 => b"",
        1 => b"a LOGIN bob bob-pw\r\n",
        _ => b"a LOGIN bob bob-pw\r\nb SELECT INBOX\r\n",
    };
    if !prefix.is_empty() {
        chunks.pieces.insert(0, (0, prefix.to_vec()));
    }
    let mut d = HostDriver::new();
    let _ = d.session(143, &chunks);
});
