//! What FETCH returns about a message (RFC 9051 §7.5.2): ENVELOPE, the body structure,
//! sections, INTERNALDATE; and IMAP's string syntax (quoted, literal or NIL).

use super::token::Token;
use crate::limits::{MESSAGE_DEPTH, MIME_DEPTH};
use crate::message;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchItem {
    Flags,
    InternalDate,
    Rfc822Size,
    Envelope,
    /// `BODY` without a section: the non-extensible body structure.
    Body,
    BodyStructure,
    Uid,
    /// `MODSEQ` (RFC 7162 §3.1.5): the message's mod-sequence.
    ModSeq,
    /// `BODY[section]` or `BODY.PEEK[section]`; PEEK does not set `\Seen`. `legacy` is the
    /// RFC 3501 name (RFC822, RFC822.HEADER, RFC822.TEXT) the response must use instead.
    Section {
        peek: bool,
        section: String,
        legacy: Option<&'static str>,
        partial: Option<(usize, usize)>,
    },
    /// `BINARY[part]` / `BINARY.PEEK[part]` (RFC 3516 §4.2): the part decoded.
    Binary {
        peek: bool,
        section: String,
        partial: Option<(usize, usize)>,
    },
    /// `BINARY.SIZE[part]`: the size of the decoded part.
    BinarySize(String),
}

impl fmt::Display for FetchItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchItem::Flags => f.write_str("FLAGS"),
            FetchItem::InternalDate => f.write_str("INTERNALDATE"),
            FetchItem::Rfc822Size => f.write_str("RFC822.SIZE"),
            FetchItem::Envelope => f.write_str("ENVELOPE"),
            FetchItem::Body => f.write_str("BODY"),
            FetchItem::BodyStructure => f.write_str("BODYSTRUCTURE"),
            FetchItem::Uid => f.write_str("UID"),
            FetchItem::ModSeq => f.write_str("MODSEQ"),
            FetchItem::Section { legacy: Some(name), .. } => f.write_str(name),
            FetchItem::Section { section, partial: Some((start, _)), .. } => write!(f, "BODY[{section}]<{start}>"),
            FetchItem::Section { section, .. } => write!(f, "BODY[{section}]"),
            FetchItem::Binary { section, partial: Some((start, _)), .. } => write!(f, "BINARY[{section}]<{start}>"),
            FetchItem::Binary { section, .. } => write!(f, "BINARY[{section}]"),
            FetchItem::BinarySize(section) => write!(f, "BINARY.SIZE[{section}]"),
        }
    }
}

/// A quoted string, or a literal `{n}\r\n...` when the text cannot be quoted, or NIL.
pub fn nstring(s: Option<&str>) -> String {
    match s {
        None => "NIL".into(),
        Some(s) if s.bytes().any(|b| b == b'\r' || b == b'\n' || b >= 0x80) => format!("{{{}}}\r\n{s}", s.len()),
        Some(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// `dd-Mon-yyyy hh:mm:ss +0000` (RFC 9051 §9, date-time).
pub fn internal_date(unix: i64) -> String {
    // Reuse the RFC 5322 formatter: "Mon, 14 Sep 2026 09:00:00 +0000".
    let d = message::format_date(unix);
    match d.split(' ').collect::<Vec<&str>>().as_slice() {
        [_, day, mon, year, time, zone] => format!("{:>2}-{mon}-{year} {time} {zone}", day.trim_start_matches('0')),
        _ => d,
    }
}

/// An address list for ENVELOPE (see [`super::address`]), or NIL.
fn address_list(value: Option<String>) -> String {
    match value.map(|v| super::address::parse(&v)).filter(|a| !a.is_empty()) {
        None => "NIL".into(),
        Some(list) => {
            let parts: Vec<String> = list
                .iter()
                .map(|a| {
                    format!(
                        "({} {} {} {})",
                        nstring(a.name.as_deref()),
                        nstring(a.adl.as_deref()),
                        nstring(a.mailbox.as_deref()),
                        nstring(a.host.as_deref())
                    )
                })
                .collect();
            format!("({})", parts.join(""))
        }
    }
}

/// ENVELOPE: date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to, message-id.
/// The header is read once; each field is the first of its name, as [`message::header`].
pub fn envelope(raw: &[u8]) -> String {
    let fields = message::header_fields(raw);
    let h = |n: &str| fields.iter().find(|(f, _)| f.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
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

/// BODY (the non-extensible BODYSTRUCTURE), built from `mail-parser`'s MIME tree. Parts
/// nested deeper than [`MIME_DEPTH`] (multiparts and encapsulated messages alike) are shown
/// as one opaque `APPLICATION/OCTET-STREAM` part, so no message recurses without bound.
pub fn body_structure(raw: &[u8], extensible: bool) -> String {
    body_structure_at(raw, extensible, 0, 0)
}

/// `depth`: parts above this one; `messages`: encapsulated messages above it.
fn body_structure_at(raw: &[u8], extensible: bool, depth: usize, messages: usize) -> String {
    use mail_parser::{MimeHeaders, PartType};
    let Some(msg) = message::parse_mime(raw) else {
        return format!("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" {} 0)", raw.len());
    };
    /// `("NAME" "value" ...)` or NIL (RFC 9051 body-fld-param).
    fn params(ct: Option<&mail_parser::ContentType>) -> Option<String> {
        let a: Vec<String> = ct?
            .attributes()?
            .iter()
            .map(|at| format!("{} {}", nstring(Some(&at.name.to_ascii_uppercase())), nstring(Some(&at.value))))
            .collect();
        (!a.is_empty()).then(|| format!("({})", a.join(" ")))
    }
    /// Disposition, language and location (RFC 9051 body-ext-1part / body-ext-mpart).
    fn ext_tail(p: &mail_parser::MessagePart) -> String {
        let dsp = p
            .content_disposition()
            .map(|d| {
                format!(
                    "({} {})",
                    nstring(Some(&d.ctype().to_ascii_uppercase())),
                    params(Some(d)).unwrap_or_else(|| "NIL".into())
                )
            })
            .unwrap_or_else(|| "NIL".into());
        let lang = match p.content_language() {
            mail_parser::HeaderValue::Text(t) => nstring(Some(t)),
            mail_parser::HeaderValue::TextList(l) if !l.is_empty() => {
                format!("({})", l.iter().map(|t| nstring(Some(t))).collect::<Vec<_>>().join(" "))
            }
            _ => "NIL".into(),
        };
        format!("{dsp} {lang} {}", nstring(p.content_location()))
    }
    /// The message's bytes, whether the structure is extensible, where its LFs are (so that
    /// counting a part's lines costs O(log n), not a pass over the part at every level).
    struct Ctx<'a> {
        raw: &'a [u8],
        ext: bool,
        newlines: Vec<usize>,
    }
    fn part(msg: &mail_parser::Message, id: u32, cx: &Ctx, depth: usize, messages: usize) -> String {
        let (raw, ext) = (cx.raw, cx.ext);
        let Some(p) = msg.parts.get(id as usize) else { return "NIL".into() };
        let ct = p.content_type();
        let mut ty = ct.map(|c| c.ctype().to_ascii_uppercase()).unwrap_or_else(|| "TEXT".into());
        let mut sub = ct.and_then(|c| c.subtype()).map(|s| s.to_ascii_uppercase()).unwrap_or_else(|| "PLAIN".into());
        let too_deep = match p.body {
            PartType::Multipart(_) => depth >= MIME_DEPTH,
            PartType::Message(_) => depth >= MIME_DEPTH || messages >= MESSAGE_DEPTH,
            _ => false,
        };
        if too_deep {
            ty = "APPLICATION".into();
            sub = "OCTET-STREAM".into();
        }
        if let (PartType::Multipart(children), false) = (&p.body, too_deep) {
            let inner: String = children.iter().map(|c| part(msg, *c, cx, depth.saturating_add(1), messages)).collect();
            let tail = if ext {
                format!(" {} {}", params(ct).unwrap_or_else(|| "NIL".into()), ext_tail(p))
            } else {
                String::new()
            };
            return format!("({inner} {}{tail})", nstring(Some(&sub)));
        }
        let fields = params(ct.filter(|_| !too_deep)).unwrap_or_else(|| {
            if ty == "TEXT" {
                "(\"CHARSET\" \"US-ASCII\")".to_string()
            } else {
                "NIL".to_string()
            }
        });
        let enc = p.content_transfer_encoding().unwrap_or("7BIT").to_ascii_uppercase();
        let (from, to) = if too_deep { (p.offset_header, p.offset_end) } else { (p.offset_body, p.offset_end) };
        let body = raw.get(from as usize..to as usize).unwrap_or_default();
        // Text lines; a last line without its CRLF (the CRLF before a boundary belongs to the
        // boundary, RFC 2046 §5.1.1) still counts.
        let lf_before = |at: u32| cx.newlines.partition_point(|&i| i < at as usize);
        let lines = lf_before(to)
            .saturating_sub(lf_before(from))
            .saturating_add(usize::from(!body.is_empty() && !body.ends_with(b"\n")));
        let basic = format!(
            "{} {} {fields} {} {} {} {}",
            nstring(Some(&ty)),
            nstring(Some(&sub)),
            nstring(p.content_id()),
            nstring(p.content_description()),
            nstring(Some(&enc)),
            body.len()
        );
        // RFC 9051 §7.5.2: TEXT adds its lines; MESSAGE/RFC822 (and GLOBAL) its envelope,
        // structure and lines.
        let specific = match (&p.body, ty.as_str()) {
            (PartType::Message(inner), "MESSAGE") => {
                let r = inner.raw_message();
                let (depth, messages) = (depth.saturating_add(1), messages.saturating_add(1));
                // An encapsulated message mail-parser read in place has its offsets in `raw`:
                // walk it as it is. One it decoded first (base64) is parsed on its own.
                let in_place = raw.as_ptr_range().contains(&r.as_ptr());
                let inner = if in_place {
                    part(inner, 0, cx, depth, messages)
                } else {
                    body_structure_at(r, ext, depth, messages)
                };
                format!(" {} {inner} {lines}", envelope(r))
            }
            // mail-parser takes apart three levels of encapsulated messages at a time: a
            // deeper one arrives as bytes, and is parsed here on its own.
            (_, "MESSAGE") if matches!(sub.as_str(), "RFC822" | "GLOBAL") => {
                let inner = body_structure_at(body, ext, depth.saturating_add(1), messages.saturating_add(1));
                format!(" {} {inner} {lines}", envelope(body))
            }
            (_, "TEXT") => format!(" {lines}"),
            _ => String::new(),
        };
        let tail = if ext { format!(" NIL {}", ext_tail(p)) } else { String::new() };
        format!("({basic}{specific}{tail})")
    }
    let newlines = raw.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i).collect();
    part(&msg, 0, &Ctx { raw, ext: extensible, newlines }, depth, messages)
}

/// Is `spec` a section this server can fetch (RFC 9051 §6.4.5 `section-spec`)?
pub fn valid_section(spec: &str) -> bool {
    let (parts, rest) = split_part_numbers(spec);
    let text_ok = |t: &str| matches!(t, "" | "HEADER" | "TEXT") || header_fields(t).is_some();
    if parts.is_empty() {
        text_ok(rest)
    } else {
        parts.iter().all(|&n| n > 0) && (rest == "MIME" || text_ok(rest))
    }
}

/// `1.2.HEADER` → ([1, 2], "HEADER").
fn split_part_numbers(spec: &str) -> (Vec<u32>, &str) {
    let mut parts = Vec::new();
    let mut rest = spec;
    loop {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return (parts, rest);
        }
        let (n, tail) = rest.split_at(digits);
        match (n.parse(), tail.strip_prefix('.')) {
            (Ok(n), Some(t)) => {
                parts.push(n);
                rest = t;
            }
            (Ok(n), None) if tail.is_empty() => {
                parts.push(n);
                return (parts, "");
            }
            _ => return (parts, rest),
        }
    }
}

/// `HEADER.FIELDS (FROM SUBJECT)` → (false, ["FROM", "SUBJECT"]); `.NOT` → true.
fn header_fields(t: &str) -> Option<(bool, Vec<String>)> {
    let (not, list) = if let Some(l) = t.strip_prefix("HEADER.FIELDS.NOT ") {
        (true, l)
    } else {
        (false, t.strip_prefix("HEADER.FIELDS ")?)
    };
    let names: Vec<String> = list
        .strip_prefix('(')?
        .strip_suffix(')')?
        .split_whitespace()
        .map(|n| n.trim_matches('"').to_ascii_uppercase())
        .collect();
    (!names.is_empty()).then_some((not, names))
}

/// The octets of any section: `""`, `HEADER`, `TEXT`, `HEADER.FIELDS (..)`,
/// `HEADER.FIELDS.NOT (..)`, part numbers like `2` or `1.2`, and `n.MIME` / `n.HEADER` /
/// `n.TEXT`. A part that does not exist is empty, as servers answer.
pub fn section_bytes(raw: &[u8], spec: &str) -> Vec<u8> {
    section_bytes_at(raw, spec, 0)
}

/// `messages`: how many encapsulated messages `raw` is inside.
fn section_bytes_at(raw: &[u8], spec: &str, messages: usize) -> Vec<u8> {
    use mail_parser::PartType;
    let (parts, rest) = split_part_numbers(spec);
    if parts.len() > MIME_DEPTH || messages > MESSAGE_DEPTH {
        // Deeper than any part this server takes apart (see body_structure): no such part.
        return vec![];
    }
    if parts.is_empty() {
        if let Some((not, names)) = header_fields(rest) {
            // Whole fields (with their folded lines) whose name is, or is not, listed.
            let header = section(raw, "HEADER");
            let mut out = Vec::new();
            let mut keep = false;
            for line in header.split_inclusive(|&b| b == b'\n') {
                if line == b"\r\n" {
                    break;
                }
                if !matches!(line.first(), Some(b' ' | b'\t')) {
                    let name = line
                        .split(|&b| b == b':')
                        .next()
                        .map(|n| String::from_utf8_lossy(n).trim().to_ascii_uppercase())
                        .unwrap_or_default();
                    keep = names.contains(&name) != not;
                }
                if keep {
                    out.extend_from_slice(line);
                }
            }
            out.extend_from_slice(b"\r\n");
            return out;
        }
        return section(raw, rest).to_vec();
    }
    let Some(top) = message::parse_mime(raw) else { return vec![] };
    // The message whose parts are being numbered, the part reached, and whether it is that
    // message's top (where a single-part message has one part, numbered 1).
    let mut msg: &mail_parser::Message = &top;
    let mut cur = 0u32;
    let mut at_top = true;
    for (i, &n) in parts.iter().enumerate() {
        loop {
            let Some(p) = msg.parts.get(cur as usize) else { return vec![] };
            match &p.body {
                PartType::Multipart(children) => match children.get((n as usize).wrapping_sub(1)) {
                    Some(&c) => (cur, at_top) = (c, false),
                    None => return vec![],
                },
                // Inside an encapsulated message, numbering starts again. One that mail-parser
                // read in place (its offsets are in `raw`) is walked as it is; one it decoded
                // first is taken apart on its own.
                PartType::Message(inner) if !at_top => {
                    let r = inner.raw_message();
                    if raw.as_ptr_range().contains(&r.as_ptr()) {
                        (msg, cur, at_top) = (inner, 0, true);
                        continue;
                    }
                    let tail: Vec<String> = parts.get(i..).unwrap_or_default().iter().map(u32::to_string).collect();
                    let spec = if rest.is_empty() { tail.join(".") } else { format!("{}.{rest}", tail.join(".")) };
                    return section_bytes_at(r, &spec, messages.saturating_add(1));
                }
                _ if at_top && n == 1 => at_top = false,
                _ => return vec![],
            }
            break;
        }
    }
    let Some(p) = msg.parts.get(cur as usize) else { return vec![] };
    let range = |a: u32, b: u32| raw.get(a as usize..b as usize).unwrap_or_default().to_vec();
    match (rest, &p.body) {
        ("", _) => range(p.offset_body, p.offset_end),
        ("MIME", _) => range(p.offset_header, p.offset_body),
        (r, PartType::Message(inner)) => section_bytes_at(inner.raw_message(), r, messages.saturating_add(1)),
        _ => vec![],
    }
}

/// `BODY[]` (the whole message), `BODY[HEADER]` (the header and its blank line), `BODY[TEXT]`.
pub fn section<'a>(raw: &'a [u8], section: &str) -> &'a [u8] {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i.saturating_add(4));
    match section {
        "HEADER" => raw.get(..split).unwrap_or(raw),
        "TEXT" => raw.get(split..).unwrap_or_default(),
        _ => raw,
    }
}

/// `BINARY[1.2]`, `BINARY.PEEK[1]<0.100>`, `BINARY.SIZE[1]` (RFC 3516 §4.2): a part number only.
fn binary_item(u: &str) -> Option<Result<FetchItem, String>> {
    let (kind, rest) = [("SIZE", "BINARY.SIZE["), ("PEEK", "BINARY.PEEK["), ("", "BINARY[")]
        .iter()
        .find_map(|(k, p)| u.strip_prefix(p).map(|r| (*k, r)))?;
    let (section, tail) = rest.split_once(']')?;
    let parts_ok = section.is_empty() || section.split('.').all(|n| n.parse::<u32>().is_ok_and(|n| n > 0));
    if !parts_ok {
        return Some(Err("BINARY takes a part number such as 1 or 1.2 (no HEADER, TEXT or MIME)".into()));
    }
    let partial = match tail {
        "" => None,
        _ if kind == "SIZE" => return Some(Err("BINARY.SIZE takes no <partial>".into())),
        t => {
            let range = t.strip_prefix('<').and_then(|r| r.strip_suffix('>')).and_then(|r| r.split_once('.'));
            match range.and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?))) {
                Some(p) => Some(p),
                None => return Some(Err("a partial range is <start.count>".into())),
            }
        }
    };
    Some(Ok(match kind {
        "SIZE" => FetchItem::BinarySize(section.to_string()),
        k => FetchItem::Binary { peek: k == "PEEK", section: section.to_string(), partial },
    }))
}

/// FETCH items as the client wrote them (one atom, a macro, or a list): the items and
/// the macro name (ALL, FAST, FULL) if one was used.
pub fn fetch_items(t: &Token) -> Result<(Vec<FetchItem>, Option<String>), String> {
    use FetchItem::*;
    let one = |s: &str| -> Result<FetchItem, String> {
        let u = s.to_ascii_uppercase();
        Ok(match u.as_str() {
            "FLAGS" => Flags,
            "INTERNALDATE" => InternalDate,
            "RFC822.SIZE" => Rfc822Size,
            "ENVELOPE" => Envelope,
            "BODY" => Body,
            "BODYSTRUCTURE" => BodyStructure,
            "UID" => Uid,
            "MODSEQ" => ModSeq,
            "RFC822" => Section { peek: false, section: String::new(), legacy: Some("RFC822"), partial: None },
            "RFC822.HEADER" => {
                Section { peek: true, section: "HEADER".into(), legacy: Some("RFC822.HEADER"), partial: None }
            }
            "RFC822.TEXT" => {
                Section { peek: false, section: "TEXT".into(), legacy: Some("RFC822.TEXT"), partial: None }
            }
            _ => {
                if let Some(item) = binary_item(&u) {
                    return item.map_err(|e| format!("{s}: {e}"));
                }
                let (peek, rest) = if let Some(r) = u.strip_prefix("BODY.PEEK[") {
                    (true, r)
                } else if let Some(r) = u.strip_prefix("BODY[") {
                    (false, r)
                } else {
                    return Err(format!("unknown FETCH item {s}"));
                };
                // BODY[section]<start.count>: a partial fetch (RFC 9051 §6.4.5).
                let (rest, partial) = match rest.rsplit_once("]<") {
                    Some((sec, range)) => {
                        let range =
                            range.strip_suffix('>').ok_or_else(|| format!("{s}: a partial range is <start.count>"))?;
                        let (a, b) =
                            range.split_once('.').ok_or_else(|| format!("{s}: a partial range is <start.count>"))?;
                        let (a, b) = (
                            a.parse().map_err(|_| format!("{s}: bad start"))?,
                            b.parse().map_err(|_| format!("{s}: bad count"))?,
                        );
                        (format!("{sec}]"), Some((a, b)))
                    }
                    None => (rest.to_string(), None),
                };
                let section = rest.strip_suffix(']').ok_or_else(|| format!("{s}: expected BODY[section]"))?;
                if !valid_section(section) {
                    return Err(format!("{s}: a section is empty, HEADER, TEXT, HEADER.FIELDS (names), HEADER.FIELDS.NOT (names), or a part number such as 1 or 2.1 optionally followed by .MIME, .HEADER or .TEXT"));
                }
                Section { peek, section: section.into(), legacy: None, partial }
            }
        })
    };
    match t {
        Token::Atom(a) => match a.to_ascii_uppercase().as_str() {
            "ALL" => Ok((vec![Flags, InternalDate, Rfc822Size, Envelope], Some("ALL".into()))),
            "FAST" => Ok((vec![Flags, InternalDate, Rfc822Size], Some("FAST".into()))),
            "FULL" => Ok((vec![Flags, InternalDate, Rfc822Size, Envelope, Body], Some("FULL".into()))),
            _ => Ok((vec![one(a)?], None)),
        },
        Token::List(l) => Ok((
            l.iter()
                .map(|x| x.text().ok_or("nested list in FETCH items".to_string()).and_then(one))
                .collect::<Result<_, _>>()?,
            None,
        )),
        Token::Quoted(_) | Token::Literal(_) => Err("FETCH items are atoms, not strings".into()),
    }
}

#[cfg(test)]
#[path = "envelope_tests.rs"]
mod envelope_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_by_part_number_and_header_fields() {
        let m = b"From: a@x.example\r\nSubject: parts\r\n folded\r\nX-Other: 1\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n";
        assert_eq!(
            section_bytes(m, "HEADER.FIELDS (SUBJECT FROM)"),
            b"From: a@x.example\r\nSubject: parts\r\n folded\r\n\r\n"
        );
        assert!(String::from_utf8(section_bytes(m, "HEADER.FIELDS.NOT (SUBJECT FROM)"))
            .unwrap()
            .starts_with("X-Other: 1\r\nContent-Type"));
        assert_eq!(section_bytes(m, "1"), b"first");
        assert_eq!(section_bytes(m, "1.MIME"), b"Content-Type: text/plain\r\n\r\n");
        assert_eq!(section_bytes(m, "2.HEADER"), b"Subject: inner\r\n\r\n");
        assert_eq!(section_bytes(m, "2.TEXT"), b"inner body");
        assert_eq!(section_bytes(m, "2.1"), b"inner body", "part 1 of a single-part encapsulated message");
        assert!(section_bytes(m, "3").is_empty());
        assert_eq!(
            section_bytes(b"Subject: x\r\n\r\nbody\r\n", "1"),
            b"body\r\n",
            "a single-part message's part 1 is its body"
        );
        assert!(
            valid_section("1.2.MIME")
                && valid_section("HEADER.FIELDS (A)")
                && !valid_section("MIME")
                && !valid_section("0")
                && !valid_section("FOO")
        );
    }

    #[test]
    fn bodystructure_of_an_attachment_has_its_disposition_and_boundary() {
        let m = b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi\r\n--b1\r\nContent-Type: text/plain; name=\"notes.txt\"\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\nContent-Language: en\r\n\r\nx\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n--b1--\r\n";
        let s = body_structure(m, true);
        assert!(
            s.starts_with("((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 2 1 NIL NIL NIL NIL)"),
            "{s}"
        );
        assert!(s.contains("(\"ATTACHMENT\" (\"FILENAME\" \"notes.txt\")) \"en\" NIL)"), "{s}");
        assert!(s.contains("(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 22 (NIL \"inner\""), "{s}");
        assert!(
            s.contains("\"7BIT\" 4 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)"),
            "the inner message: its structure, then its 3 lines: {s}"
        );
        assert!(s.ends_with(" \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL)"), "{s}");
        assert!(!body_structure(m, false).contains("BOUNDARY"), "BODY has no extension data");
    }

    const RFC_MSG: &[u8] = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev2 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";

    #[test]
    fn envelope_of_the_rfc_example() {
        assert_eq!(
            envelope(RFC_MSG),
            "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev2 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
             ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) \
             ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\")"
        );
    }

    #[test]
    fn body_structure_and_sections() {
        assert_eq!(
            body_structure(RFC_MSG, false),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 55 1)"
        );
        assert_eq!(
            body_structure(RFC_MSG, true),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 55 1 NIL NIL NIL NIL)"
        );
        assert!(section(RFC_MSG, "HEADER").ends_with(b"US-ASCII\r\n\r\n"));
        assert_eq!(section(RFC_MSG, "TEXT"), b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n");
        assert_eq!(internal_date(837_573_865), "17-Jul-1996 03:24:25 +0000");
        assert_eq!(nstring(Some("a\"b")), "\"a\\\"b\"");
        assert_eq!(nstring(Some("é")), "{2}\r\né");
    }
}

#[cfg(test)]
mod epilogue_tests {
    use super::*;

    #[test]
    fn text_of_an_encapsulated_multipart_keeps_its_epilogue() {
        let inner = "Subject: inner\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\npre\r\n--i\r\n\r\none\r\n--i--\r\nthe epilogue\r\n";
        let m = format!("Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--o--\r\nouter\r\n");
        let text = "pre\r\n--i\r\n\r\none\r\n--i--\r\nthe epilogue\r\n";
        assert_eq!(String::from_utf8_lossy(&section_bytes(m.as_bytes(), "1.TEXT")), text);
        assert_eq!(String::from_utf8_lossy(&section_bytes(m.as_bytes(), "1")), inner);
        assert_eq!(section_bytes(m.as_bytes(), "1.1"), b"one");
        assert!(section(m.as_bytes(), "TEXT").ends_with(b"--o--\r\nouter\r\n"));
    }
}
