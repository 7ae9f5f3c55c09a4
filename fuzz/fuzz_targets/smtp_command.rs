//! SMTP command lines (RFC 5321 §4.1): decode never panics; what decodes re-encodes to a
//! line that decodes to the same command, using exactly its length.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::round_trips;
use mailsim_proto::smtp::command::{decode, Command};
use mailsim_proto::Pdu;

fuzz_target!(|data: &[u8]| {
    round_trips(data, decode, Command::encode, |cmd| {
        let _ = Pdu::SmtpCommand(cmd).explain();
    });
});
