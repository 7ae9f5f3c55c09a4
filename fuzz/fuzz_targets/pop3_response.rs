//! POP3 responses, single-line and multi-line with byte-stuffing (RFC 1939 §3): decode never
//! panics; a decoded response re-encodes to one that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::round_trips;
use mailsim_proto::pop3::response::{decode, Response};

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else { return };
    let multiline = first & 1 == 1;
    round_trips(data, |b| decode(b, multiline), Response::encode, |_| {});
});
