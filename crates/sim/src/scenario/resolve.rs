//! The checks that need the whole file: the header, the named messages, the seeded mailboxes,
//! and the names actions use (see [`Context`]); the cast is built in [`super::cast`]. Each
//! error points at the value that is wrong.

use super::cast::{self, Actor, Role};
use super::format::{Addresses, AttachmentDoc, DateDoc, Doc, MessageDoc, SeedDoc};
use super::load::Located;
use super::reader::Value;
use super::{acts, MessageSpec, Scenario, SeedContent, SeedSpec, EPOCH};
use mailsim_proto::message::{self, Attachment, Person};
use std::ops::Range;
use toml::Spanned;

pub(super) fn resolve(doc: Doc, actions: &[&Value], file: &str, text: &str) -> Result<Scenario, Located> {
    let header_span = doc.scenario.span();
    let header = doc.scenario.into_inner();
    let id = header.id.get_ref();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err((
            header.id.span(),
            format!("\"{id}\" is not a scenario id; expected letters, digits and dashes, e.g. \"my-scenario\""),
        ));
    }
    if header.title.trim().is_empty() {
        return Err((header_span, "the title is empty".into()));
    }
    let start = match &header.start {
        Some(t) => unix_time(t.get_ref()).ok_or_else(|| (t.span(), DATETIME.to_string()))?,
        None => EPOCH,
    };
    let cast = cast::build_cast(doc.cast, doc.actor)?;
    let names: Vec<String> = doc.message.iter().map(|(k, _)| k.get_ref().clone()).collect();
    let mut messages = Vec::new();
    for (name, m) in doc.message {
        let span = m.span();
        if m.get_ref().from.is_none() {
            return Err((span, format!("[message.{}] needs a from", name.get_ref())));
        }
        messages.push(message_spec(m.into_inner(), None, start, span)?);
    }
    let mut seeds = Vec::new();
    for s in doc.seed {
        seeds.push(seed(s, &cast, &names, start)?);
    }
    let ctx = Context { cast: &cast, names: &names, start };
    let mut list = Vec::new();
    for a in actions {
        list.push(acts::resolve(a, &ctx)?);
    }
    let summary = header.summary.unwrap_or_default();
    Ok(Scenario {
        id: header.id.into_inner(),
        title: header.title,
        topic: header.topic.unwrap_or_else(|| "Your own".into()),
        description: header.description.unwrap_or_else(|| summary.clone()),
        decrypted: header.decrypted.unwrap_or(false),
        summary,
        file: file.to_string(),
        source: text.to_string(),
        seed: header.seed.unwrap_or(2026),
        start,
        cast,
        messages,
        seeds,
        acts: list,
    })
}

/// What actions are checked against.
pub(super) struct Context<'a> {
    pub cast: &'a [Actor],
    /// The `[message.NAME]` names, in the order of [`Scenario::messages`].
    pub names: &'a [String],
    pub start: i64,
}

impl Context<'_> {
    /// The actor `id`, or an error listing the cast.
    pub fn actor(&self, id: &Spanned<String>) -> Result<&Actor, Located> {
        find(self.cast, id)
    }

    /// A user agent `id`, with its own mail server if `with_server`.
    pub fn user_agent(&self, id: &Spanned<String>, with_server: bool) -> Result<&Actor, Located> {
        let a = self.actor(id)?;
        match &a.role {
            Role::UserAgent { server, .. } if !with_server || !server.is_empty() => Ok(a),
            Role::UserAgent { .. } => Err((id.span(), format!("{} has no mail server of its own", a.id))),
            _ => Err((
                id.span(),
                format!("{} is a {}; expected a user agent ({})", a.id, a.kind(), self.of_kind("user-agent")),
            )),
        }
    }

    /// The ids of the actors of one kind, for messages.
    pub fn of_kind(&self, kind: &str) -> String {
        let ids: Vec<&str> = self.cast.iter().filter(|a| a.kind() == kind).map(|a| a.id.as_str()).collect();
        if ids.is_empty() {
            "the cast has none".into()
        } else {
            ids.join(", ")
        }
    }

    /// A host name of the cast.
    pub fn host(&self, host: &Spanned<String>, kind: Option<&str>) -> Result<String, Located> {
        let h = host.get_ref().trim_end_matches('.');
        match self.cast.iter().find(|a| a.host.eq_ignore_ascii_case(h)) {
            Some(a) if kind.is_none_or(|k| a.kind() == k) => Ok(host.get_ref().clone()),
            _ => {
                let hosts: Vec<&str> =
                    self.cast.iter().filter(|a| kind.is_none_or(|k| a.kind() == k)).map(|a| a.host.as_str()).collect();
                Err((host.span(), format!("no host \"{h}\" in the cast; expected one of {}", hosts.join(", "))))
            }
        }
    }

    /// A `[message.NAME]`, by index.
    pub fn message(&self, name: &Spanned<String>) -> Result<usize, Located> {
        message_index(self.names, name)
    }
}

const DATETIME: &str = "expected a date and time such as 2026-09-14T09:00:00Z";

fn find<'a>(cast: &'a [Actor], id: &Spanned<String>) -> Result<&'a Actor, Located> {
    cast.iter().find(|a| a.id == *id.get_ref()).ok_or_else(|| {
        let ids: Vec<&str> = cast.iter().map(|a| a.id.as_str()).collect();
        (id.span(), format!("unknown actor \"{}\"; the cast has {}", id.get_ref(), ids.join(", ")))
    })
}

fn message_index(names: &[String], name: &Spanned<String>) -> Result<usize, Located> {
    names.iter().position(|n| n == name.get_ref()).ok_or_else(|| {
        let known = if names.is_empty() {
            "there are no [message.NAME] tables".to_string()
        } else {
            format!("expected one of {}", names.join(", "))
        };
        (name.span(), format!("unknown message \"{}\"; {known}", name.get_ref()))
    })
}

/// Seconds since 1970 of a full TOML date-time (UTC unless it has an offset).
pub(super) fn unix_time(t: &toml_datetime::Datetime) -> Option<i64> {
    let (d, tm) = (t.date?, t.time?);
    let offset = match t.offset {
        Some(toml_datetime::Offset::Custom { minutes }) => i64::from(minutes) * 60,
        _ => 0,
    };
    let days = days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day));
    let secs = i64::from(tm.hour) * 3600 + i64::from(tm.minute) * 60 + i64::from(tm.second.unwrap_or(0));
    Some(days * 86_400 + secs - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) use super::address::{is_address, not_address, person};

/// Every entry of an address list, checked.
pub(super) fn people(list: Option<&Spanned<Addresses>>) -> Result<Vec<Person>, Located> {
    let Some(list) = list else { return Ok(vec![]) };
    let mut out = Vec::new();
    for s in &list.get_ref().0 {
        out.push(person(s).ok_or_else(|| (list.span(), not_address(s)))?);
    }
    Ok(out)
}

/// A comma-separated list as the composer takes it (empty entries are skipped).
pub(super) fn check_list(list: Option<&Spanned<String>>) -> Result<String, Located> {
    let Some(list) = list else { return Ok(String::new()) };
    for x in list.get_ref().split(',').map(str::trim).filter(|x| !x.is_empty()) {
        person(x).ok_or_else(|| (list.span(), not_address(x)))?;
    }
    Ok(list.get_ref().clone())
}

pub(super) fn decode_base64(s: &Spanned<String>) -> Result<Vec<u8>, Located> {
    use base64::Engine as _;
    let clean: String = s.get_ref().chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(clean).map_err(|e| (s.span(), format!("not base64: {e}")))
}

/// A drafted message; `sender` is the user agent's (person, address) when a `send` writes it.
pub(super) fn message_spec(
    m: MessageDoc,
    sender: Option<(&str, &str)>,
    start: i64,
    span: Range<usize>,
) -> Result<MessageSpec, Located> {
    let from = match (&m.from, sender) {
        (Some(f), _) => person(f.get_ref()).ok_or_else(|| (f.span(), not_address(f.get_ref())))?,
        (None, Some((name, address))) => Person::new(name, address),
        (None, None) => return Err((span, "missing key \"from\"".into())),
    };
    let date = match &m.date {
        None => start,
        Some(d) => match d.get_ref() {
            DateDoc::At(t) => unix_time(t).ok_or_else(|| (d.span(), DATETIME.to_string()))?,
            DateDoc::Text(_) => return Err((d.span(), format!("{DATETIME} (a drafted message's date is a time)"))),
        },
    };
    let domain = from.address.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
    let mut attachments = Vec::new();
    for a in m.attachments.into_iter().flatten() {
        attachments.push(attachment(a)?);
    }
    Ok(MessageSpec {
        to: people(m.to.as_ref())?,
        cc: people(m.cc.as_ref())?,
        bcc: people(m.bcc.as_ref())?,
        from,
        subject: m.subject.unwrap_or_default(),
        body: m.body.unwrap_or_default(),
        html: m.html,
        attachments,
        date,
        message_id: m.message_id.unwrap_or_else(|| format!("{{date}}.{{token}}.{{n}}@{domain}")),
        boundary: m.boundary,
    })
}

fn attachment(a: Spanned<AttachmentDoc>) -> Result<Attachment, Located> {
    let span = a.span();
    let a = a.into_inner();
    let data = match (&a.base64, a.size) {
        (Some(b), None) => decode_base64(b)?,
        // Made-up content of that size.
        (None, Some(n)) => (0..n as u64).map(|i| (i * 7 % 251) as u8).collect(),
        _ => return Err((span, "an attachment needs either base64 or size".into())),
    };
    Ok(Attachment { filename: a.filename, content_type: a.content_type, data })
}

/// Text with any line ends, as CRLF lines.
pub(super) fn crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

fn seed(s: Spanned<SeedDoc>, cast: &[Actor], names: &[String], start: i64) -> Result<SeedSpec, Located> {
    let span = s.span();
    let s = s.into_inner();
    let mailbox = s.mailbox.get_ref().to_ascii_lowercase();
    if !is_address(&mailbox) {
        return Err((s.mailbox.span(), not_address(&mailbox)));
    }
    let has_account = |a: &Actor| matches!(&a.role, Role::MailServer { accounts, .. } if accounts.iter().any(|(x, _)| x.eq_ignore_ascii_case(&mailbox)));
    let server = match &s.server {
        Some(id) => {
            let a = find(cast, id)?;
            if !has_account(a) {
                return Err((s.mailbox.span(), format!("{} has no mailbox {mailbox}", a.id)));
            }
            a.id.clone()
        }
        None => cast.iter().find(|a| has_account(a)).map(|a| a.id.clone()).ok_or_else(|| {
            (
                s.mailbox.span(),
                format!("no mail server in the cast has an account for {mailbox}; add it to a server's accounts"),
            )
        })?,
    };
    let received = match &s.received {
        Some(t) => unix_time(t.get_ref()).ok_or_else(|| (t.span(), DATETIME.to_string()))?,
        None => start,
    };
    let simple = s.from.is_some() || s.date.is_some() || s.subject.is_some() || s.body.is_some();
    let simple = simple || s.to.is_some() || s.cc.is_some() || s.message_id.is_some();
    let content = match (&s.message, &s.raw, simple) {
        (Some(name), None, false) => SeedContent::Drafted(message_index(names, name)?),
        (None, Some(raw), false) => SeedContent::Raw(crlf(raw)),
        (None, None, true) => SeedContent::Raw(simple_message(&s, &mailbox, span.clone())?),
        _ => {
            return Err((
                span,
                "a seed is either message = NAME, raw = TEXT, or from/subject/body (with date, to, cc, message-id)"
                    .into(),
            ))
        }
    };
    Ok(SeedSpec { server, mailbox, received, flags: s.flags, content })
}

/// Date, From, To, Cc, Subject and Message-ID (those given), a blank line, the body.
fn simple_message(s: &SeedDoc, mailbox: &str, span: Range<usize>) -> Result<Vec<u8>, Located> {
    let from = s.from.as_ref().ok_or_else(|| (span, "missing key \"from\"".to_string()))?;
    let mut m = String::new();
    match s.date.as_ref().map(|d| (d.span(), d.get_ref())) {
        Some((_, DateDoc::Text(t))) => m.push_str(&format!("Date: {t}\r\n")),
        Some((span, DateDoc::At(t))) => {
            let unix = unix_time(t).ok_or_else(|| (span, DATETIME.to_string()))?;
            m.push_str(&format!("Date: {}\r\n", message::format_date(unix)));
        }
        None => {}
    }
    m.push_str(&format!("From: {}\r\nTo: {}\r\n", from.get_ref(), s.to.as_deref().unwrap_or(mailbox)));
    if let Some(cc) = &s.cc {
        m.push_str(&format!("Cc: {cc}\r\n"));
    }
    if let Some(subject) = &s.subject {
        m.push_str(&format!("Subject: {subject}\r\n"));
    }
    if let Some(id) = &s.message_id {
        m.push_str(&format!("Message-ID: <{id}>\r\n"));
    }
    m.push_str("\r\n");
    for line in s.body.as_deref().unwrap_or("").lines() {
        m.push_str(line);
        m.push_str("\r\n");
    }
    Ok(m.into_bytes())
}
