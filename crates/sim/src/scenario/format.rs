//! The top of a scenario file and its messages and seeds, read from the TOML tree: every
//! table takes only its own keys, and the values that later checks point at keep their place
//! in the file ([`Spanned`]). The cast is read in [`super::cast`], the actions in `acts`;
//! docs/scenarios.md describes all of it for instructors.

use super::reader::{self, choice, datetime, each, integer, list, strings, Result, Table, Value};
use crate::actions::{Fault, ReadMode, SubmitMode};
use toml::de::DeValue;
use toml::Spanned;
use toml_datetime::Datetime;

/// The whole file except its `[[action]]` tables.
#[derive(Debug)]
pub struct Doc<'a> {
    pub scenario: Spanned<Header>,
    pub cast: Option<Vec<Spanned<String>>>,
    /// `[actor.ID]` tables, in the file's order (read by [`super::cast`]).
    pub actor: Vec<(Spanned<String>, &'a Value<'a>)>,
    /// `[message.NAME]` tables, in the file's order.
    pub message: Vec<(Spanned<String>, Spanned<MessageDoc>)>,
    pub seed: Vec<Spanned<SeedDoc>>,
}

#[derive(Debug)]
pub struct Header {
    pub id: Spanned<String>,
    pub title: String,
    pub topic: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The world's random seed.
    pub seed: Option<u64>,
    /// The moment the story starts.
    pub start: Option<Spanned<Datetime>>,
    /// Open the page with "show decrypted" ticked.
    pub decrypted: Option<bool>,
}

/// `[message.NAME]`, or the message fields of a `send` action: a message a user agent
/// drafts (RFC 5322 with MIME headers), given a fresh Message-ID from the seeded RNG.
#[derive(Debug, Default)]
pub struct MessageDoc {
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<Addresses>>,
    pub cc: Option<Spanned<Addresses>>,
    pub bcc: Option<Spanned<Addresses>>,
    pub subject: Option<String>,
    pub body: Option<String>,
    /// An HTML alternative of the body (multipart/alternative).
    pub html: Option<String>,
    pub attachments: Option<Vec<Spanned<AttachmentDoc>>>,
    pub date: Option<Spanned<DateDoc>>,
    pub message_id: Option<String>,
    /// The MIME boundary; by default drawn from the seeded RNG.
    pub boundary: Option<String>,
}

impl MessageDoc {
    pub fn is_empty(&self) -> bool {
        let MessageDoc { from, to, cc, bcc, subject, body, html, attachments, date, message_id, boundary } = self;
        from.is_none()
            && to.is_none()
            && cc.is_none()
            && bcc.is_none()
            && subject.is_none()
            && body.is_none()
            && html.is_none()
            && attachments.is_none()
            && date.is_none()
            && message_id.is_none()
            && boundary.is_none()
    }
}

pub(super) const MESSAGE_KEYS: [&str; 11] =
    ["from", "to", "cc", "bcc", "subject", "body", "html", "attachments", "date", "message-id", "boundary"];

/// Addresses: `"Bob <bob@bob.example>, carol@bob.example"` or a list of them.
#[derive(Debug, Clone, Default)]
pub struct Addresses(pub Vec<String>);

/// A `Date:` field: a TOML date-time (written per RFC 5322), or the field's text as is.
#[derive(Debug, Clone)]
pub enum DateDoc {
    At(Datetime),
    Text(String),
}

/// A file attached to a message: its bytes in base64, or `size` made-up bytes.
#[derive(Debug)]
pub struct AttachmentDoc {
    pub filename: String,
    pub content_type: String,
    pub base64: Option<Spanned<String>>,
    pub size: Option<usize>,
}

/// `[[seed]]`: a message in a mailbox before the story starts.
#[derive(Debug)]
pub struct SeedDoc {
    pub mailbox: Spanned<String>,
    pub server: Option<Spanned<String>>,
    /// When it arrived (its IMAP INTERNALDATE).
    pub received: Option<Spanned<Datetime>>,
    pub flags: Vec<String>,
    /// A `[message.NAME]`.
    pub message: Option<Spanned<String>>,
    /// The message as it is stored, line ends made CRLF.
    pub raw: Option<String>,
    // Or a simple message from these header fields and a body.
    pub date: Option<Spanned<DateDoc>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<String>,
    pub cc: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub body: Option<String>,
}

fn addresses(v: &Value) -> Result<Spanned<Addresses>> {
    let list = match v.get_ref() {
        DeValue::String(s) => s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect(),
        DeValue::Array(_) => strings(v)?.into_iter().map(|s| s.into_inner().trim().to_string()).collect(),
        _ => return Err(reader::expected("addresses, as \"Name <local@domain>, ...\" or a list of them", v)),
    };
    Ok(Spanned::new(v.span(), Addresses(list)))
}

fn date(v: &Value) -> Result<Spanned<DateDoc>> {
    match v.get_ref() {
        DeValue::String(s) => Ok(Spanned::new(v.span(), DateDoc::Text(s.to_string()))),
        DeValue::Datetime(d) => Ok(Spanned::new(v.span(), DateDoc::At(*d))),
        _ => Err(reader::expected("a date-time such as 2026-09-14T09:00:00Z, or the Date: field's text", v)),
    }
}

fn spanned<T>(v: &Value, f: impl FnOnce(&Value) -> Result<T>) -> Result<Spanned<T>> {
    Ok(Spanned::new(v.span(), f(v)?))
}

/// Reads the file's tables, and its `[[action]]` tables as (place, table).
pub(super) fn read<'a>(root: &'a Value<'a>) -> Result<(Doc<'a>, Vec<&'a Value<'a>>)> {
    let t = Table::new(root, &["scenario", "cast", "actor", "message", "seed", "action"])?;
    let Some(scenario) = t.get("scenario") else {
        return Err((0..0, "missing table [scenario] (id, title, topic, summary, description)".into()));
    };
    let scenario = spanned(scenario, header)?;
    let cast = t.read("cast", |c| {
        let c = Table::new(c, &["actors"])?;
        let actors = c.need("actors", strings);
        c.finish()?;
        Ok(actors)
    });
    let mut actor = Vec::new();
    let mut message = Vec::new();
    if let Some(a) = t.read("actor", Table::open) {
        actor = a.entries();
    }
    if let Some(m) = t.read("message", Table::open) {
        for (name, v) in m.entries() {
            let read = |v: &Value| {
                let t = Table::new(v, &MESSAGE_KEYS)?;
                let m = message_doc(&t);
                t.finish()?;
                Ok(m)
            };
            message.extend(t.ok(spanned(v, read)).map(|m| (name, m)));
        }
    }
    let seed = t.read("seed", |s| each(s, |v| spanned(v, seed_doc))).unwrap_or_default();
    let actions = t.read("action", |a| Ok(list(a)?.iter().collect())).unwrap_or_default();
    t.finish()?;
    Ok((Doc { scenario, cast, actor, message, seed }, actions))
}

fn header(v: &Value) -> Result<Header> {
    let t = Table::new(v, &["id", "title", "topic", "summary", "description", "seed", "start", "decrypted"])?;
    let h = Header {
        id: t.need_string("id"),
        title: t.need_string("title").into_inner(),
        topic: t.text("topic"),
        summary: t.text("summary"),
        description: t.text("description"),
        seed: t.read("seed", |v| integer(v, u64::MAX)),
        start: t.read("start", datetime),
        decrypted: t.boolean("decrypted"),
    };
    t.finish()?;
    Ok(h)
}

/// The message fields of `t` (the caller checks for other keys, and finishes `t`).
pub(super) fn message_doc(t: &Table) -> MessageDoc {
    MessageDoc {
        from: t.string("from"),
        to: t.read("to", addresses),
        cc: t.read("cc", addresses),
        bcc: t.read("bcc", addresses),
        subject: t.text("subject"),
        body: t.text("body"),
        html: t.text("html"),
        attachments: t.read("attachments", |v| each(v, attachment)),
        date: t.read("date", date),
        message_id: t.text("message-id"),
        boundary: t.text("boundary"),
    }
}

fn attachment(v: &Value) -> Result<Spanned<AttachmentDoc>> {
    let t = Table::new(v, &["filename", "content-type", "base64", "size"])?;
    let a = AttachmentDoc {
        filename: t.need_string("filename").into_inner(),
        content_type: t.need_string("content-type").into_inner(),
        base64: t.string("base64"),
        size: t.read("size", |v| integer(v, u32::MAX.into()).map(|n| n as usize)),
    };
    t.finish()?;
    Ok(Spanned::new(v.span(), a))
}

const SEED_KEYS: [&str; 13] = [
    "mailbox",
    "server",
    "received",
    "flags",
    "message",
    "raw",
    "date",
    "from",
    "to",
    "cc",
    "subject",
    "message-id",
    "body",
];

fn seed_doc(v: &Value) -> Result<SeedDoc> {
    let t = Table::new(v, &SEED_KEYS)?;
    let s = SeedDoc {
        mailbox: t.need_string("mailbox"),
        server: t.string("server"),
        received: t.read("received", datetime),
        flags: t.read("flags", |v| each(v, |x| Ok(reader::string(x)?.into_inner()))).unwrap_or_default(),
        message: t.string("message"),
        raw: t.text("raw"),
        date: t.read("date", date),
        from: t.string("from"),
        to: t.text("to"),
        cc: t.text("cc"),
        subject: t.text("subject"),
        message_id: t.text("message-id"),
        body: t.text("body"),
    };
    t.finish()?;
    Ok(s)
}

/// The learner's choices, by the names files use.
pub(super) fn submit_mode(v: &Value) -> Result<SubmitMode> {
    let all = SubmitMode::ALL;
    Ok(all[*choice(v, &all.map(SubmitMode::name))?.get_ref()])
}

pub(super) fn read_mode(v: &Value, with_none: bool) -> Result<Spanned<ReadMode>> {
    let all = ReadMode::ALL;
    let names = all.map(ReadMode::name);
    let c = choice(v, if with_none { &names } else { &names[..3] })?;
    Ok(Spanned::new(c.span(), all[*c.get_ref()]))
}

pub(super) fn fault(v: &Value) -> Result<Fault> {
    let all = Fault::ALL;
    Ok(all[*choice(v, &all.map(Fault::name))?.get_ref()])
}
