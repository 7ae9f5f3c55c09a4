//! RFC 5322 messages: building the plain-text messages the scenarios send, reading their
//! header fields, and the trace fields servers add (`Received:` per RFC 5321 §4.4,
//! `Return-Path:` at final delivery).

/// A name and an address, as in `From: Alice <alice@alice.example>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub address: String,
}

impl Person {
    pub fn new(name: &str, address: &str) -> Self {
        Person { name: name.into(), address: address.into() }
    }
    /// The `name-addr` form of RFC 5322 §3.4.
    pub fn to_header(&self) -> String {
        if self.name.is_empty() {
            self.address.clone()
        } else {
            format!("{} <{}>", self.name, self.address)
        }
    }
}

/// What a user agent writes: the parts of a simple text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub from: Person,
    pub to: Vec<Person>,
    pub cc: Vec<Person>,
    /// Blind copies: envelope recipients that appear in no header field (RFC 5322 §3.6.3).
    pub bcc: Vec<Person>,
    pub subject: String,
    /// Text with `\n` line ends; written with CRLF.
    pub body: String,
    /// Seconds since 1970-01-01 UTC.
    pub date: i64,
    /// Without angle brackets.
    pub message_id: String,
}

impl Draft {
    /// The message as sent: header fields, a blank line, the body; CRLF line ends.
    pub fn to_bytes(&self) -> Vec<u8> {
        let to: Vec<String> = self.to.iter().map(Person::to_header).collect();
        let mut m = String::new();
        m.push_str(&format!("Date: {}\r\n", format_date(self.date)));
        m.push_str(&format!("From: {}\r\n", self.from.to_header()));
        m.push_str(&format!("To: {}\r\n", to.join(", ")));
        if !self.cc.is_empty() {
            let cc: Vec<String> = self.cc.iter().map(Person::to_header).collect();
            m.push_str(&format!("Cc: {}\r\n", cc.join(", ")));
        }
        m.push_str(&format!("Subject: {}\r\n", self.subject));
        m.push_str(&format!("Message-ID: <{}>\r\n", self.message_id));
        m.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
        for line in self.body.lines() {
            m.push_str(line);
            m.push_str("\r\n");
        }
        m.into_bytes()
    }
}

impl Draft {
    /// Every envelope recipient: To, Cc and Bcc, each address once.
    pub fn envelope_recipients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self.to.iter().chain(&self.cc).chain(&self.bcc) {
            if !out.iter().any(|a| a.eq_ignore_ascii_case(&p.address)) {
                out.push(p.address.clone());
            }
        }
        out
    }
}

/// One recipient a delivery status notification reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    pub address: String,
    /// Enhanced status code, e.g. `5.1.1`.
    pub status: String,
    /// The remote server, if one answered.
    pub remote: Option<String>,
    /// What went wrong, e.g. the server's reply.
    pub diagnostic: String,
}

/// What a bounce needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce<'a> {
    /// The reporting server's host name.
    pub reporting_mta: &'a str,
    /// The original sender, who gets the report.
    pub to: &'a str,
    pub failed: &'a [FailedRecipient],
    /// The original message (its header block is returned).
    pub original: &'a [u8],
    pub arrival: i64,
    pub date: i64,
    pub message_id: &'a str,
    pub boundary: &'a str,
}

/// A delivery status notification (RFC 3464) in a multipart/report (RFC 6522): a text for
/// people, the machine-readable status, and the original header.
pub fn bounce(b: &Bounce) -> Vec<u8> {
    let mut m = String::new();
    m.push_str(&format!("Date: {}\r\n", format_date(b.date)));
    m.push_str(&format!("From: Mail Delivery System <MAILER-DAEMON@{}>\r\n", b.reporting_mta));
    m.push_str(&format!("To: {}\r\n", b.to));
    m.push_str("Subject: Undelivered Mail Returned to Sender\r\n");
    m.push_str(&format!("Message-ID: <{}>\r\n", b.message_id));
    m.push_str("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
    m.push_str(&format!(
        "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{}\"\r\n\r\n",
        b.boundary
    ));
    m.push_str("This is a MIME-encapsulated message.\r\n\r\n");
    m.push_str(&format!("--{}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", b.boundary));
    m.push_str(&format!("This is the mail system at host {}.\r\n\r\n", b.reporting_mta));
    m.push_str("I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n");
    for f in b.failed {
        m.push_str(&format!("<{}>: {}\r\n", f.address, f.diagnostic));
    }
    m.push_str(&format!("\r\n--{}\r\nContent-Type: message/delivery-status\r\n\r\n", b.boundary));
    m.push_str(&format!("Reporting-MTA: dns; {}\r\nArrival-Date: {}\r\n", b.reporting_mta, format_date(b.arrival)));
    for f in b.failed {
        m.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: failed\r\nStatus: {}\r\n",
            f.address, f.status
        ));
        if let Some(r) = &f.remote {
            m.push_str(&format!("Remote-MTA: dns; {r}\r\n"));
        }
        m.push_str(&format!("Diagnostic-Code: smtp; {}\r\n", f.diagnostic));
    }
    m.push_str(&format!("\r\n--{}\r\nContent-Type: text/rfc822-headers\r\n\r\n", b.boundary));
    let end = b.original.windows(4).position(|w| w == b"\r\n\r\n").map_or(b.original.len(), |i| i.saturating_add(2));
    // The original header as it came, byte for byte (8-bit included): mail is bytes.
    let mut out = m.into_bytes();
    out.extend_from_slice(b.original.get(..end).unwrap_or_default());
    out.extend_from_slice(format!("\r\n--{}--\r\n", b.boundary).as_bytes());
    out
}

/// The RFC 5322 §3.3 date-time for a UTC instant, e.g. `Mon, 14 Sep 2026 09:00:00 +0000`.
/// Instants outside the years 1..=9999 are shown as the nearest end of that range.
// The instant is clamped to years 1..=9999, so no step can overflow; `rem_euclid(7)` is in
// 0..7 and `civil_from_days` gives a month in 1..=12, so both indexes are in bounds.
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
pub fn format_date(unix: i64) -> String {
    let unix = unix.clamp(-62_135_596_800, 253_402_300_799);
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        WD[days.rem_euclid(7) as usize],
        MON[m as usize - 1],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's `civil_from_days`.
// Called only by `format_date`, with days of the years 1..=9999: nothing overflows.
#[allow(clippy::arithmetic_side_effects)]
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// What a receiving server records about one hop (RFC 5321 §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace<'a> {
    /// The name the client gave in EHLO/HELO.
    pub helo: &'a str,
    /// The client's address as the server saw it.
    pub peer_ip: &'a str,
    /// The receiving server's host name.
    pub by: &'a str,
    /// `ESMTP`, `SMTP`, `ESMTPA`... (RFC 3848).
    pub with: &'a str,
    pub id: &'a str,
    /// The recipient, when there is exactly one.
    pub for_rcpt: Option<&'a str>,
    pub date: i64,
}

/// The `Received:` field for a hop, folded, with its CRLF.
pub fn received_field(t: &Trace) -> String {
    let for_part = t.for_rcpt.map(|r| format!("\r\n\tfor <{r}>")).unwrap_or_default();
    format!(
        "Received: from {helo} ([{ip}])\r\n\tby {by} with {with} id {id}{for_part};\r\n\t{date}\r\n",
        helo = t.helo,
        ip = t.peer_ip,
        by = t.by,
        with = t.with,
        id = t.id,
        date = format_date(t.date)
    )
}

/// `field` (a whole header field with its CRLF) put in front of `message`.
pub fn prepend_field(field: &str, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len().saturating_add(message.len()));
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(message);
    out
}

/// The header fields of `message` as (name, unfolded value), in order.
pub fn header_fields(message: &[u8]) -> Vec<(String, String)> {
    let text = header_text(message);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split("\r\n") {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.to_string(), value.trim().to_string()));
        }
    }
    fields
}

/// The header of `message` as text: up to the blank line (not a pass over a whole large
/// message).
fn header_text(message: &[u8]) -> std::borrow::Cow<'_, str> {
    let end = message.windows(4).position(|w| w == b"\r\n\r\n").map_or(message.len(), |i| i.saturating_add(2));
    String::from_utf8_lossy(message.get(..end).unwrap_or(message))
}

/// The first field named `name` (case-insensitive), unfolded: what [`header_fields`] gives for
/// it, without making the others (the world asks for From and Subject of every message
/// stored: this was a tenth of its work besides SCRAM, docs/benchmarks.md "Branch ratio9").
pub fn header(message: &[u8], name: &str) -> Option<String> {
    let text = header_text(message);
    let mut found: Option<String> = None;
    for line in text.split("\r\n") {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // A folded line continues the last field: ours, if it was ours.
            if let Some(value) = found.as_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((field, value)) = line.split_once(':') {
            if found.is_some() {
                break;
            }
            if field.eq_ignore_ascii_case(name) {
                found = Some(value.trim().to_string());
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {

    /// `header` gives what `header_fields` gives for the first field of that name: folded
    /// lines, a line that is no field, repeated and differently cased names, a message with no
    /// blank line, one that is not UTF-8, folded lines before any field.
    #[test]
    fn header_is_the_first_field_of_header_fields() {
        let messages: [&[u8]; 7] = [
            b"From: a@x\r\nSubject: one\r\n two\r\n\tthree\r\nsubject: again\r\n\r\nSubject: body\r\n",
            b"Subject: s\r\nnot a field\r\n folded after it\r\nFrom: f\r\n\r\n",
            b" folded first\r\nFROM:   spaced   \r\nTo: t\r\n",
            b"Subject: \xff\xfe bytes\r\nFrom: \xc3\xa9\r\n\r\nbody",
            b"Subject:\r\n \r\n x\r\nFrom: y\r\n\r\n",
            b"",
            b"X: 1\r\nSubject: a: b: c\r\n\r\n",
        ];
        for m in messages {
            for name in ["From", "subject", "SUBJECT", "To", "X", "Missing", ""] {
                let expected = header_fields(m).into_iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
                assert_eq!(header(m, name), expected, "{name} in {:?}", String::from_utf8_lossy(m));
            }
        }
    }

    #[test]
    fn mime_cut_keeps_ordinary_mail_whole_and_cuts_a_thousand_parts() {
        let ordinary = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n";
        assert_eq!(mime_cut(ordinary), ordinary.len());
        let many = [&b"Subject: x\r\n\r\n"[..], &b"--b\r\nx\r\n".repeat(2000)].concat();
        let cut = mime_cut(&many);
        assert_eq!(cut, 14 + 1000 * 8, "at the line past the limit");
        assert!(parse_mime(&many).is_some());
    }
    use super::*;

    #[test]
    fn a_bounce_is_a_multipart_report() {
        let failed = [FailedRecipient {
            address: "nobody@bob.example".into(),
            status: "5.1.1".into(),
            remote: Some("mail.bob.example".into()),
            diagnostic: "host mail.bob.example said: 550 5.1.1 no such user".into(),
        }];
        let m = bounce(&Bounce {
            reporting_mta: "mail.alice.example",
            to: "alice@alice.example",
            failed: &failed,
            original: b"Subject: hi\r\nFrom: a\r\n\r\nbody\r\n",
            arrival: 0,
            date: 60,
            message_id: "x@y",
            boundary: "B1",
        });
        let text = String::from_utf8(m.clone()).unwrap();
        assert_eq!(
            header(&m, "Content-Type").as_deref(),
            Some("multipart/report; report-type=delivery-status; boundary=\"B1\"")
        );
        assert!(text.contains(
            "--B1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.alice.example\r\n"
        ));
        assert!(text.contains("Final-Recipient: rfc822; nobody@bob.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"));
        assert!(
            text.contains("Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\nFrom: a\r\n\r\n--B1--\r\n"),
            "{text}"
        );
    }

    #[test]
    fn a_bounce_returns_an_eight_bit_header_byte_for_byte() {
        let original = b"Subject: caf\xE9 \xC3\x28\r\nFrom: a\r\n\r\nbody \xFF\r\n";
        let b = Bounce { original, ..sample_bounce() };
        let m = bounce(&b);
        let header = &original[..original.len() - 9];
        assert!(m.windows(header.len()).any(|w| w == header), "{}", String::from_utf8_lossy(&m));
    }

    fn sample_bounce() -> Bounce<'static> {
        Bounce {
            reporting_mta: "mail.alice.example",
            to: "alice@alice.example",
            failed: &[],
            original: b"",
            arrival: 0,
            date: 60,
            message_id: "x@y",
            boundary: "B1",
        }
    }

    #[test]
    fn dates_are_rfc5322() {
        assert_eq!(format_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(format_date(1_789_376_400), "Mon, 14 Sep 2026 09:00:00 +0000");
        assert_eq!(format_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn builds_and_reads_a_message() {
        let d = Draft {
            from: Person::new("Alice", "alice@alice.example"),
            to: vec![Person::new("Bob", "bob@bob.example")],
            cc: vec![Person::new("Carol", "carol@bob.example")],
            bcc: vec![Person::new("", "dave@dave.example"), Person::new("", "bob@bob.example")],
            subject: "Catch up this week?".into(),
            body: "Hi Bob,\n.see you\n".into(),
            date: 1_789_376_400,
            message_id: "1@alice.example".into(),
        };
        let m = d.to_bytes();
        assert!(m.starts_with(b"Date: Mon, 14 Sep 2026 09:00:00 +0000\r\nFrom: Alice <alice@alice.example>\r\n"));
        assert!(m.ends_with(b"\r\n\r\nHi Bob,\r\n.see you\r\n"));
        assert_eq!(header(&m, "Cc").as_deref(), Some("Carol <carol@bob.example>"));
        assert!(!String::from_utf8_lossy(&m).contains("dave"), "Bcc appears in no header");
        assert_eq!(d.envelope_recipients(), ["bob@bob.example", "carol@bob.example", "dave@dave.example"]);
        let trace = Trace {
            helo: "alice.example",
            peer_ip: "192.0.2.10",
            by: "mail.alice.example",
            with: "ESMTP",
            id: "Q1",
            for_rcpt: Some("bob@bob.example"),
            date: 0,
        };
        let m = prepend_field(&received_field(&trace), &m);
        assert_eq!(header(&m, "subject").as_deref(), Some("Catch up this week?"));
        assert_eq!(
            header(&m, "Received").as_deref(),
            Some("from alice.example ([192.0.2.10]) by mail.alice.example with ESMTP id Q1 for <bob@bob.example>; Thu, 01 Jan 1970 00:00:00 +0000")
        );
    }
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A MIME message (RFC 2045-2049): a text body, optionally an HTML alternative
/// (multipart/alternative) and attachments (multipart/mixed, base64). Built with
/// `mail-builder`; `boundary` seeds the MIME boundaries so the result is deterministic.
pub fn build_mime(d: &Draft, html: Option<&str>, attachments: &[Attachment], boundary: &str) -> Vec<u8> {
    use mail_builder::headers::address::Address;
    use mail_builder::mime::MimePart;
    use mail_builder::MessageBuilder;
    let addr = |p: &Person| Address::new_address(Some(p.name.clone()).filter(|n| !n.is_empty()), p.address.clone());
    let list = |v: &[Person]| Address::new_list(v.iter().map(addr).collect());
    let crlf = |s: &str| s.lines().map(|l| format!("{l}\r\n")).collect::<String>();
    let text = MimePart::new("text/plain", crlf(&d.body));
    let mut body = match html {
        Some(h) => {
            let ct = mail_builder::headers::content_type::ContentType::new("multipart/alternative")
                .attribute("boundary", format!("alt-{boundary}"));
            MimePart::new(ct, vec![text, MimePart::new("text/html", crlf(h))])
        }
        None => text,
    };
    if !attachments.is_empty() {
        let mut parts = vec![body];
        for a in attachments {
            parts.push(MimePart::new(a.content_type.clone(), a.data.clone()).attachment(a.filename.clone()));
        }
        let ct = mail_builder::headers::content_type::ContentType::new("multipart/mixed")
            .attribute("boundary", format!("mix-{boundary}"));
        body = MimePart::new(ct, parts);
    }
    let mut b = MessageBuilder::new()
        .date(mail_builder::headers::date::Date::new(d.date))
        .from(addr(&d.from))
        .to(list(&d.to))
        .subject(d.subject.clone())
        .message_id(d.message_id.clone())
        .body(body);
    if !d.cc.is_empty() {
        b = b.cc(list(&d.cc));
    }
    b.write_to_vec().unwrap_or_default()
}

/// One node of a message's MIME tree, for the inspector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartView {
    pub depth: usize,
    pub content_type: String,
    pub filename: Option<String>,
    pub encoding: String,
    /// Size of the decoded content.
    pub size: usize,
    /// The decoded text of a text part (shown as text, never as HTML).
    pub text: Option<String>,
}

/// A message taken apart with `mail-parser`: its header fields and its MIME tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub header: Vec<(String, String)>,
    pub parts: Vec<PartView>,
}

/// A message parsed by `mail-parser`, taken apart without recursion when dropped:
/// mail-parser nests one `Message` per encapsulated `message/rfc822` part, and dropping
/// tens of thousands of them recursively would overflow the stack (issue 13 item 4).
pub struct Parsed<'x>(mail_parser::Message<'x>);

impl<'x> std::ops::Deref for Parsed<'x> {
    type Target = mail_parser::Message<'x>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for Parsed<'_> {
    fn drop(&mut self) {
        let mut stack = vec![std::mem::take(&mut self.0.parts)];
        while let Some(mut parts) = stack.pop() {
            for p in &mut parts {
                if let mail_parser::PartType::Message(m) = &mut p.body {
                    stack.push(std::mem::take(&mut m.parts));
                }
            }
        }
    }
}

/// Parses a message's MIME structure (see [`Parsed`]), at most
/// [`MIME_PARTS`](crate::limits::MIME_PARTS) parts of it: see [`mime_cut`].
pub fn parse_mime(raw: &[u8]) -> Option<Parsed<'_>> {
    mail_parser::MessageParser::default().parse(raw.get(..mime_cut(raw)).unwrap_or(raw)).map(Parsed)
}

/// How much of `raw` is taken apart as MIME: all of it, unless it has more than
/// [`MIME_PARTS`](crate::limits::MIME_PARTS) lines that may start a part (a boundary line
/// `--...` or a `Content-Type:` field); then up to the line that goes past the limit. One
/// pass, no parsing: it keeps hostile messages (30,000 nested multiparts) from costing
/// mail-parser more than an ordinary message would.
pub fn mime_cut(raw: &[u8]) -> usize {
    let mut seen = 0usize;
    let mut start = 0usize;
    while let Some(line) = raw.get(start..) {
        let starts_part =
            line.starts_with(b"--") || line.get(..13).is_some_and(|h| h.eq_ignore_ascii_case(b"content-type:"));
        if starts_part {
            seen = seen.saturating_add(1);
            if seen > crate::limits::MIME_PARTS {
                return start;
            }
        }
        match line.iter().position(|&b| b == b'\n') {
            Some(i) => start = start.saturating_add(i).saturating_add(1),
            None => break,
        }
    }
    raw.len()
}

pub fn inspect(raw: &[u8]) -> Inspection {
    use mail_parser::{MimeHeaders, PartType};
    let header = header_fields(raw);
    let Some(msg) = parse_mime(raw) else { return Inspection { header, parts: vec![] } };
    let mut parts = Vec::new();
    let mut stack = vec![(0u32, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        let Some(p) = msg.parts.get(id as usize) else { continue };
        let ct = p
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
            .unwrap_or_else(|| "text/plain".into());
        let encoding = p.content_transfer_encoding().unwrap_or("7bit").to_string();
        let (size, text) = match &p.body {
            PartType::Text(t) | PartType::Html(t) => (t.len(), Some(t.to_string())),
            PartType::Binary(b) | PartType::InlineBinary(b) => (b.len(), None),
            PartType::Message(m) => (m.raw_message.len(), None),
            PartType::Multipart(children) => {
                for c in children.iter().rev() {
                    stack.push((*c, depth.saturating_add(1)));
                }
                (0, None)
            }
        };
        parts.push(PartView {
            depth,
            content_type: ct,
            filename: p.attachment_name().map(str::to_string),
            encoding,
            size,
            text,
        });
    }
    Inspection { header, parts }
}

#[cfg(test)]
mod mime_tests {
    use super::*;

    #[test]
    fn mime_message_with_alternative_and_attachment_is_deterministic_and_parses_back() {
        let d = Draft {
            from: Person::new("Alice", "alice@alice.example"),
            to: vec![Person::new("Bob", "bob@bob.example")],
            cc: vec![],
            bcc: vec![],
            subject: "Slides".into(),
            body: "Hi Bob,\nthe slides are attached.\n".into(),
            date: 1_789_376_400,
            message_id: "m1@alice.example".into(),
        };
        let att = [Attachment {
            filename: "diagram.png".into(),
            content_type: "image/png".into(),
            data: (0..=255u8).collect(),
        }];
        let m = build_mime(&d, Some("<p>Hi <b>Bob</b></p>"), &att, "B7");
        assert_eq!(m, build_mime(&d, Some("<p>Hi <b>Bob</b></p>"), &att, "B7"), "deterministic");
        let text = String::from_utf8(m.clone()).unwrap();
        assert!(text.contains("boundary=\"mix-B7\""), "{text}");
        assert!(text.contains("Content-Transfer-Encoding: base64"));
        assert!(text.contains("Date: Mon, 14 Sep 2026 09:00:00 +0000"));
        let i = inspect(&m);
        let types: Vec<(usize, &str)> = i.parts.iter().map(|p| (p.depth, p.content_type.as_str())).collect();
        assert_eq!(
            types,
            [
                (0, "multipart/mixed"),
                (1, "multipart/alternative"),
                (2, "text/plain"),
                (2, "text/html"),
                (1, "image/png")
            ]
        );
        assert_eq!(i.parts[4].filename.as_deref(), Some("diagram.png"));
        assert_eq!(i.parts[4].size, 256);
        assert_eq!(i.parts[2].text.as_deref(), Some("Hi Bob,\r\nthe slides are attached.\r\n"));
        assert!(i.header.iter().any(|(n, v)| n == "Subject" && v == "Slides"));
    }
}
