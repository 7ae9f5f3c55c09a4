//! RFC 5322 header fields and MIME structure (RFC 2045-2049) as the servers read stored mail:
//! header fields, the IMAP ENVELOPE and BODYSTRUCTURE, body sections, the page's inspector.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::imap::fetch;
use mailsim_proto::message;

fuzz_target!(|data: &[u8]| {
    // The first line (up to 40 bytes) is a FETCH section, the rest the message.
    let cut = data.iter().take(40).position(|&b| b == b'\n').unwrap_or(0);
    let (spec, raw) = data.split_at(cut);
    let raw = raw.strip_prefix(b"\n").unwrap_or(raw);
    let spec = String::from_utf8_lossy(spec);
    let _ = message::header_fields(raw);
    let _ = message::header(raw, "Subject");
    let _ = message::inspect(raw);
    let _ = fetch::envelope(raw);
    let _ = fetch::body_structure(raw, true);
    let _ = fetch::body_structure(raw, false);
    if fetch::valid_section(&spec) {
        let _ = fetch::section_bytes(raw, &spec);
    }
    let _ = message::prepend_field("X-Fuzz: 1\r\n", raw);
});
