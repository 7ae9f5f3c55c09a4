//! ENVELOPE from one reading of the header gives, byte for byte, what it gave when each of
//! its ten fields read the header again (`message::header` per field).

use super::*;
use proptest::prelude::*;

/// ENVELOPE as it was built before: the header parsed once per field.
fn envelope_field_by_field(raw: &[u8]) -> String {
    let h = |n: &str| message::header(raw, n);
    let from = h("From");
    let sender = h("Sender").or_else(|| from.clone());
    let reply_to = h("Reply-To").or_else(|| from.clone());
    format!(
        "({} {} {} {} {} {} {} {} {} {})",
        nstring(h("Date").as_deref()),
        nstring(h("Subject").as_deref()),
        address_list(from),
        address_list(sender),
        address_list(reply_to),
        address_list(h("To")),
        address_list(h("Cc")),
        address_list(h("Bcc")),
        nstring(h("In-Reply-To").as_deref()),
        nstring(h("Message-ID").as_deref())
    )
}

const NAMES: &[&str] = &[
    "Date",
    "Subject",
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Bcc",
    "In-Reply-To",
    "Message-ID",
    "FROM",
    "to",
    "message-id",
    "X-Other",
    "Received",
];

const VALUES: &[&str] = &[
    "Alice <alice@alice.example>",
    "bob@bob.example, \"Carol C.\" <carol@bob.example>",
    "undisclosed-recipients:;",
    "Team: a@x.example, b@y.example;",
    "=?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>",
    "Mon, 7 Feb 1994 21:52:25 -0800 (PST)",
    "<B27397-0100000@cac.washington.edu>",
    "a \"quoted\\\" subject\" with {braces}",
    "",
    "no at sign",
    "<>",
    "Ünïcödé <u@example.org>",
];

fn field() -> impl Strategy<Value = Vec<u8>> {
    (0..NAMES.len(), 0..VALUES.len(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..3)).prop_map(
        |(n, v, fold, junk)| {
            let (name, value) = (NAMES[n], VALUES[v]);
            let value = if fold { value.replacen(' ', "\r\n\t", 1) } else { value.to_string() };
            [format!("{name}: {value}").into_bytes(), junk, b"\r\n".to_vec()].concat()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any header (repeated fields, names in any case, folded lines, stray bytes, non-UTF-8)
    /// and any body: the same ENVELOPE as field by field.
    #[test]
    fn envelope_is_what_it_was_field_by_field(
        fields in prop::collection::vec(field(), 0..14),
        body in prop::collection::vec(any::<u8>(), 0..40),
        blank in any::<bool>(),
    ) {
        let raw = [fields.concat(), if blank { b"\r\n".to_vec() } else { vec![] }, body].concat();
        prop_assert_eq!(envelope(&raw), envelope_field_by_field(&raw));
    }
}

#[test]
fn envelope_of_stored_kinds_of_mail_is_unchanged() {
    for raw in [
        &b""[..],
        b"\r\n\r\nFrom: after the header <a@b.example>\r\n",
        b"From: a@b.example\r\nFrom: second@b.example\r\nSender: s@b.example\r\n\r\nbody",
        b"Subject: x\r\n y\r\n\tz\r\nTo: Team: a@x.example, b@y.example;\r\n\r\n",
        b"from: lower@case.example\r\nREPLY-TO: up@case.example\r\nDate: d\r\n\r\nx",
        b"Subject: \xff\xfe bytes\r\nFrom: \xc3 <a@b.example>\r\n\r\n",
    ] {
        assert_eq!(envelope(raw), envelope_field_by_field(raw), "{:?}", String::from_utf8_lossy(raw));
    }
}
