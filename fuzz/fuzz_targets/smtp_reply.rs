//! SMTP replies, single and multiline (RFC 5321 §4.2): decode never panics; a decoded reply
//! re-encodes to one that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::round_trips;
use mailsim_proto::smtp::reply::{decode, Reply};

fuzz_target!(|data: &[u8]| {
    round_trips(data, decode, Reply::encode, |reply| {
        let _ = (reply.text(), reply.to_string());
    });
});
