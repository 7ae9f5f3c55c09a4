//! The shape of a scenario file, as serde reads it (docs/scenarios.md describes it for
//! instructors). Every table denies keys it does not know, and the values that later checks
//! need to point at keep their place in the file ([`Spanned`]).
//!
//! Actions are read one kind at a time (see [`super::load()`]): the `kind` key picks the struct,
//! so a key that belongs to another kind is reported as unknown for this one.

pub use super::values::*;
use crate::actions::{Fault, ReadMode, SubmitMode};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// The whole file except its `[[action]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Doc {
    pub scenario: Spanned<Header>,
    pub cast: Option<CastDoc>,
    #[serde(default)]
    pub actor: BTreeMap<Spanned<String>, Spanned<ActorDoc>>,
    #[serde(default)]
    pub message: BTreeMap<Spanned<String>, Spanned<MessageDoc>>,
    #[serde(default)]
    pub seed: Vec<Spanned<SeedDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Header {
    pub id: Spanned<String>,
    pub title: String,
    pub topic: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The world's random seed.
    pub seed: Option<u64>,
    /// The moment the story starts (UTC).
    pub start: Option<Spanned<toml::value::Datetime>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CastDoc {
    /// Lifelines, left to right.
    pub actors: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActorKind {
    UserAgent,
    MailServer,
    Dns,
    WebServer,
}

impl ActorKind {
    pub fn name(self) -> &'static str {
        match self {
            ActorKind::UserAgent => "user-agent",
            ActorKind::MailServer => "mail-server",
            ActorKind::Dns => "dns",
            ActorKind::WebServer => "web-server",
        }
    }
}

/// `[actor.ID]`: a new actor, or changes to one of the standard cast.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ActorDoc {
    pub kind: Option<Spanned<ActorKind>>,
    pub name: Option<String>,
    pub host: Option<String>,
    pub ip: Option<Spanned<Ip>>,
    // A user agent.
    pub person: Option<Spanned<String>>,
    pub address: Option<Spanned<String>>,
    pub password: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    // A mail server.
    pub domain: Option<Spanned<String>>,
    pub accounts: Option<Spanned<Vec<Spanned<AccountDoc>>>>,
    pub policy: Option<Spanned<PolicyDoc>>,
    // The DNS server.
    pub zone: Option<Spanned<Vec<Spanned<String>>>>,
    // A web server.
    pub site: Option<Spanned<SiteKind>>,
    pub mail_server: Option<Spanned<String>>,
    pub pages: Option<Spanned<Vec<PageDoc>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteKind {
    Webmail,
    Static,
}

/// Changes to a mail server's policy (see `world::ServerPolicy`); what is left out keeps its
/// value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PolicyDoc {
    pub starttls: Option<bool>,
    pub require_tls_on_submission: Option<bool>,
    pub trusted_ips: Option<Vec<Spanned<Ip>>>,
    pub greylist: Option<Time>,
    pub max_message_size: Option<usize>,
    pub quota: Option<usize>,
    pub relayhost: Option<String>,
    pub retry_delays: Option<Vec<Time>>,
    pub queue_lifetime: Option<Time>,
    pub relay_starttls: Option<bool>,
    pub relay_pipelining: Option<bool>,
    pub verify_recipient_domains: Option<bool>,
    pub max_errors: Option<usize>,
    pub forwards: Option<Vec<ForwardDoc>>,
    pub password_transition: Option<Vec<String>>,
    pub login_too_weak: Option<bool>,
    pub tls_temporarily_unavailable: Option<bool>,
    pub low_disk: Option<bool>,
    pub refuse_all: Option<bool>,
    pub require_tls_inbound: Option<bool>,
    pub storage_fails: Option<bool>,
}

/// A user who moved: `address` now lives at `to`; with `forward` this server relays to it
/// (251), without it tells the client (551).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ForwardDoc {
    pub address: String,
    pub to: String,
    #[serde(default)]
    pub forward: bool,
}

/// A page of a static web site.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PageDoc {
    pub path: String,
    #[serde(rename = "type")]
    pub content_type: String,
    pub body: Option<String>,
    pub base64: Option<Spanned<String>>,
}

/// `[message.NAME]`, or the message fields of a `send` action: a message a user agent
/// drafts (RFC 5322 with MIME headers), given a fresh Message-ID from the seeded RNG.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
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

/// A file attached to a message: its bytes in base64, or `size` made-up bytes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AttachmentDoc {
    pub filename: String,
    pub content_type: String,
    pub base64: Option<Spanned<String>>,
    pub size: Option<usize>,
}

/// `[[seed]]`: a message in a mailbox before the story starts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SeedDoc {
    pub mailbox: Spanned<String>,
    pub server: Option<Spanned<String>>,
    /// When it arrived (its IMAP INTERNALDATE).
    pub received: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
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

// ---- actions ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ComposeDoc {
    pub kind: String,
    pub at: Time,
    pub sender: Spanned<String>,
    pub to: Option<Spanned<String>>,
    pub cc: Option<Spanned<String>>,
    pub bcc: Option<Spanned<String>>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    pub attachment: Option<LearnerAttachmentDoc>,
    pub submit: Option<SubmitMode>,
    pub read: Option<ReadMode>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LearnerAttachmentDoc {
    pub filename: String,
    pub content_type: String,
    pub base64: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SendDoc {
    pub kind: String,
    pub at: Time,
    pub sender: Spanned<String>,
    pub say: Option<String>,
    /// A `[message.NAME]` instead of the message fields below.
    pub message: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<Addresses>>,
    pub cc: Option<Spanned<Addresses>>,
    pub bcc: Option<Spanned<Addresses>>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub html: Option<String>,
    pub attachments: Option<Vec<Spanned<AttachmentDoc>>>,
    pub date: Option<Spanned<DateDoc>>,
    pub message_id: Option<String>,
    pub boundary: Option<String>,
    // The envelope and the connection.
    pub mail_from: Option<Spanned<String>>,
    pub rcpt_to: Option<Spanned<Addresses>>,
    pub port: Option<u16>,
    pub server: Option<Spanned<String>>,
    #[serde(default)]
    pub starttls: bool,
    pub auth: Option<Spanned<AuthDoc>>,
    #[serde(default)]
    pub pipelining: bool,
}

impl SendDoc {
    /// The message fields, when the message is written here.
    pub fn inline_message(&mut self) -> MessageDoc {
        MessageDoc {
            from: self.from.take(),
            to: self.to.take(),
            cc: self.cc.take(),
            bcc: self.bcc.take(),
            subject: self.subject.take(),
            body: self.body.take(),
            html: self.html.take(),
            attachments: self.attachments.take(),
            date: self.date.take(),
            message_id: self.message_id.take(),
            boundary: self.boundary.take(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TerminalDoc {
    pub kind: String,
    pub at: Time,
    pub client: Spanned<String>,
    pub host: Option<Spanned<String>>,
    pub port: u16,
    #[serde(default)]
    pub lines: Vec<Spanned<LineDoc>>,
    pub say: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FaultDoc {
    pub kind: String,
    pub at: Time,
    pub server: Spanned<String>,
    pub fault: Fault,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckMailDoc {
    pub kind: String,
    pub at: Time,
    pub actor: Spanned<String>,
    pub read: Option<Spanned<ReadMode>>,
    pub say: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImapDoc {
    pub kind: String,
    pub at: Time,
    pub actor: Spanned<String>,
    pub steps: Vec<ImapStepDoc>,
    pub say: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BrowseDoc {
    pub kind: String,
    pub at: Time,
    pub actor: Spanned<String>,
    /// The web server's host name.
    pub server: Spanned<String>,
    pub version: Option<Spanned<String>>,
    #[serde(default)]
    pub per_object: bool,
    pub requests: Vec<Spanned<RequestDoc>>,
    pub say: Option<String>,
}

/// `{ get = PATH }` or `{ post = PATH, form = { field = value, ... } }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RequestDoc {
    pub get: Option<String>,
    pub post: Option<String>,
    pub form: Option<Form>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NarrateDoc {
    pub kind: String,
    pub at: Time,
    pub actor: Spanned<String>,
    pub say: String,
}
