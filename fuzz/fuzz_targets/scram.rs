//! SCRAM-SHA-256 (RFC 5802, RFC 7677) messages from both sides: never a panic, whatever the
//! peer says.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::imap::scram::{ScramClient, ScramServer};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let (a, b) = s.split_once('\n').unwrap_or((&s, ""));
    if let Ok((server, _first)) = ScramServer::start(a, "srvnonce", b"salt", 1) {
        let _ = server.finish(b, "pw");
    }
    let mut client = ScramClient::new("bob", "pw", "clientnonce");
    let _ = client.client_first();
    // The iteration count comes from the server: past MAX_SCRAM_ITERATIONS it is refused
    // (a hostile i=4294967295 once meant hours of PBKDF2).
    let _ = client.client_final(a);
    let _ = client.verify_server_final(b);
});
