//! POP3 command lines (RFC 1939 §3): decode never panics; a decoded command re-encodes to a
//! line that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::round_trips;
use mailsim_proto::pop3::command::{decode, Command};

fuzz_target!(|data: &[u8]| {
    round_trips(data, decode, Command::encode, |_| {});
});
