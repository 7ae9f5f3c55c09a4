//! Each `[[action]]` table: read by its `kind` (a key of another kind is unknown here),
//! checked against the cast and the named messages, and turned into an [`Act`] the stage
//! can carry out without further questions.

use super::cast::Role;
use super::format;
use super::reader::{self, choice, each, integer, list, string, Result, Table, Value};
use super::resolve::{check_list, decode_base64, is_address, message_spec, people, Context};
use super::{Act, ImapSpec, Item, MessageRef, RequestSpec};
use crate::actions::{Action, Attachment, Fault, ReadMode, SubmitMode};
use crate::log::Millis;
use toml::de::DeValue;
use toml::Spanned;

/// The action kinds, as the error for an unknown one lists them.
pub const KINDS: [&str; 8] = ["compose", "send", "terminal", "imap", "check-mail", "browse", "fault", "narrate"];

/// A `send` action's keys: the message's own and the envelope's.
const SEND_KEYS: [&str; 21] = [
    "sender",
    "say",
    "message",
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "body",
    "html",
    "attachments",
    "date",
    "message-id",
    "boundary",
    "mail-from",
    "rcpt-to",
    "port",
    "server",
    "starttls",
    "auth",
    "pipelining",
];

/// The ports where a terminal types SMTP (everything but POP3 and IMAP, as in the page).
pub(super) fn is_smtp_port(port: u16) -> bool {
    !matches!(port, 110 | 995 | 143 | 993)
}

pub(super) fn resolve(v: &Value, ctx: &Context) -> Result<Act> {
    let t = Table::open(v)?;
    let span = t.span.clone();
    let Some(kind) = t.get("kind") else {
        return Err((span, format!("missing key \"kind\"; expected one of {}", KINDS.join(", "))));
    };
    let kind = choice(kind, &KINDS).map_err(|(s, m)| (s, m.replace("unknown value", "unknown action kind")))?;
    let kind = KINDS[*kind.get_ref()];
    let own: &[&str] = match kind {
        "compose" => &["sender", "to", "cc", "bcc", "subject", "body", "attachment", "submit", "read"],
        "fault" => &["server", "fault"],
        "send" => &SEND_KEYS,
        "terminal" => &["client", "host", "port", "lines", "say"],
        "check-mail" => &["actor", "read", "say"],
        "imap" => &["actor", "steps", "say"],
        "browse" => &["actor", "server", "version", "per-object", "requests", "say"],
        _ => &["actor", "say"],
    };
    t.known(&[&["kind", "at"], own].concat())?;
    let at = t.need("at", reader::time);
    Ok(match kind {
        "compose" | "fault" => {
            let (action, who) = learner(&t, kind, at, true)?;
            match &action {
                Action::Compose { .. } => ctx.compose_sender(&who)?,
                Action::Fault { fault, .. } => ctx.fault_server(&who, *fault)?,
                Action::Terminal { .. } => {}
            }
            Act::Learner(action)
        }
        "send" => send(&t, at, ctx)?,
        "terminal" => terminal(&t, at, ctx)?,
        "check-mail" => {
            let say = t.text("say");
            let actor = t.need_string("actor");
            let read = t.read("read", |v| format::read_mode(v, false));
            t.finish()?;
            let ua = ctx.user_agent(&actor, true)?;
            let read = read.map(Spanned::into_inner).unwrap_or(ReadMode::Pop3Delete);
            Act::CheckMail { at, actor: ua.id.clone(), read, say }
        }
        "imap" => {
            let say = t.text("say");
            let actor = t.need_string("actor");
            let steps = t.need("steps", list);
            t.finish()?;
            let ua = ctx.user_agent(&actor, true)?;
            let Role::UserAgent { address, password, .. } = &ua.role else { unreachable!("a user agent") };
            let local = address.split('@').next().unwrap_or_default();
            let mut list = Vec::new();
            for s in steps {
                list.push(imap_step(s, local, password)?);
            }
            let steps = list;
            Act::Imap { at, actor: ua.id.clone(), steps, say }
        }
        "browse" => {
            let say = t.text("say");
            let actor = t.need_string("actor");
            let server = t.need_string("server");
            let version = t.read("version", |v| choice(v, &["HTTP/1.0", "HTTP/1.1"]));
            let per_object = t.boolean("per-object").unwrap_or(false);
            let requests = t.need("requests", |v| each(v, request));
            t.finish()?;
            let ua = ctx.user_agent(&actor, false)?;
            let server = ctx.host(&server, Some("web-server"))?;
            let version = if version.is_some_and(|v| *v.get_ref() == 0) { "HTTP/1.0" } else { "HTTP/1.1" };
            Act::Browse { at, actor: ua.id.clone(), server, version: version.into(), per_object, requests, say }
        }
        _ => {
            let actor = t.need_string("actor");
            let say = t.need_string("say").into_inner();
            t.finish()?;
            Act::Narrate { at, actor: ctx.actor(&actor)?.id.clone(), say }
        }
    })
}

/// A `compose` or `fault` table (or a `terminal` with plain lines) as the learner's own
/// action, with the sender's or server's name for the caller to look up in a cast. With
/// `strict`, every address must be one (a file must be right; what the page stored is taken
/// as the learner typed it).
pub(crate) fn learner(t: &Table, kind: &str, at: Millis, strict: bool) -> Result<(Action, Spanned<String>)> {
    let r = match kind {
        "compose" => {
            let sender = t.need_string("sender");
            let (to, cc, bcc) = (t.string("to"), t.string("cc"), t.string("bcc"));
            let subject = t.text("subject").unwrap_or_default();
            let body = t.text("body").unwrap_or_default();
            let attachment = t.read("attachment", learner_attachment);
            let submit = t.read("submit", format::submit_mode).unwrap_or(SubmitMode::Plain587);
            let read = t.read("read", |v| format::read_mode(v, true));
            t.finish()?;
            let list = |l: Option<Spanned<String>>| match l {
                Some(l) if strict => check_list(Some(&l)),
                l => Ok(l.map(Spanned::into_inner).unwrap_or_default()),
            };
            let compose = Action::Compose {
                at,
                sender: sender.get_ref().clone(),
                to: list(to)?,
                cc: list(cc)?,
                bcc: list(bcc)?,
                subject,
                body,
                attachment,
                submit,
                read: read.map(Spanned::into_inner).unwrap_or(ReadMode::Pop3Delete),
            };
            (compose, sender)
        }
        "fault" => {
            let server = t.need_string("server");
            let fault = t.require("fault", format::fault);
            t.finish()?;
            (Action::Fault { at, server: server.get_ref().clone(), fault: fault.unwrap_or(Fault::Down) }, server)
        }
        "terminal" => {
            let client = t.need_string("client");
            let host = t.need_string("host").into_inner();
            let port = t.need("port", |v| integer(v, u16::MAX.into())) as u16;
            let lines = t.read("lines", |v| each(v, |l| Ok(string(l)?.into_inner()))).unwrap_or_default();
            t.finish()?;
            (Action::Terminal { at, client: client.get_ref().clone(), host, port, lines }, client)
        }
        other => return Err((t.span.clone(), format!("\"{other}\" is not something the page's learner does"))),
    };
    Ok(r)
}

/// The learner's actions as kept in the page's storage: `[[action]]` tables of the kinds
/// `compose`, `terminal` and `fault` (what [`crate::actions::to_toml`] writes). Anything
/// unreadable is left out.
pub(crate) fn learner_actions(text: &str) -> Vec<Action> {
    let Ok(root) = toml::de::DeTable::parse(text) else { return vec![] };
    let root = Spanned::new(root.span(), DeValue::Table(root.into_inner()));
    let Some(list) = Table::open(&root).ok().and_then(|t| t.get("action")).and_then(|a| reader::list(a).ok()) else {
        return vec![];
    };
    let read = |v| {
        let t = Table::open(v)?;
        let kind = t.need_string("kind");
        let at = t.need("at", reader::time);
        learner(&t, kind.get_ref(), at, false)
    };
    list.iter().filter_map(|v| read(v).ok().map(|(a, _)| a)).collect()
}

fn learner_attachment(v: &Value) -> Result<Attachment> {
    let t = Table::new(v, &["filename", "content-type", "base64"])?;
    let a = Attachment {
        filename: t.need_string("filename").into_inner(),
        content_type: t.need_string("content-type").into_inner(),
        base64: t.need_string("base64").into_inner(),
    };
    t.finish()?;
    decode_base64(&t.need_string("base64"))?;
    Ok(a)
}

fn send(t: &Table, at: u64, ctx: &Context) -> Result<Act> {
    let span = t.span.clone();
    let say = t.text("say");
    let sender = t.need_string("sender");
    let named = t.string("message");
    let inline = format::message_doc(t);
    let mail_from = t.string("mail-from");
    let rcpt_to = t.read("rcpt-to", format_addresses);
    let port = t.read("port", |v| integer(v, u16::MAX.into()));
    let server = t.string("server");
    let starttls = t.boolean("starttls").unwrap_or(false);
    let auth = t.get("auth");
    let pipelining = t.boolean("pipelining").unwrap_or(false);
    t.finish()?;

    let ua = ctx.user_agent(&sender, server.is_none())?;
    let Role::UserAgent { person, address, password, .. } = &ua.role else { unreachable!("a user agent") };
    let message = match &named {
        Some(name) if !inline.is_empty() => {
            return Err((name.span(), "give either message = NAME or the message's fields, not both".into()))
        }
        Some(name) => MessageRef::Named(ctx.message(name)?),
        None => {
            let m = message_spec(inline, Some((person, address)), ctx.start, span.clone())?;
            if m.to.is_empty() && m.cc.is_empty() && m.bcc.is_empty() && rcpt_to.is_none() {
                return Err((span, "missing key \"to\": the message goes to nobody".into()));
            }
            MessageRef::Inline(Box::new(m))
        }
    };
    let mail_from = match mail_from {
        Some(m) if !m.get_ref().is_empty() && !is_address(m.get_ref()) => {
            return Err((m.span(), format!("\"{}\" is not an address", m.get_ref())))
        }
        m => m.map(Spanned::into_inner),
    };
    let rcpt_to = match rcpt_to {
        Some(list) => Some(people(Some(&list))?.into_iter().map(|p| p.address).collect()),
        None => None,
    };
    let auth = match auth.map(|a| (a, a.get_ref())) {
        None | Some((_, DeValue::Boolean(false))) => None,
        Some((_, DeValue::Boolean(true))) => Some((address.clone(), password.clone())),
        Some((v, DeValue::Table(_))) => {
            let a = Table::new(v, &["user", "password"])?;
            let user = a.text("user").unwrap_or_else(|| address.clone());
            let pw = a.text("password").unwrap_or_else(|| password.clone());
            a.finish()?;
            Some((user, pw))
        }
        Some((v, _)) => return Err(reader::expected("true, false or { user = ..., password = ... }", v)),
    };
    Ok(Act::Send {
        at,
        sender: ua.id.clone(),
        message,
        mail_from,
        rcpt_to,
        port: port.map(|p| p as u16).unwrap_or(587),
        server: server.as_ref().map(|h| ctx.host(h, Some("mail-server"))).transpose()?,
        starttls,
        auth,
        pipelining,
        say,
    })
}

fn format_addresses(v: &Value) -> Result<Spanned<format::Addresses>> {
    let list = match v.get_ref() {
        DeValue::String(s) => s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect(),
        _ => reader::strings(v)?.into_iter().map(|s| s.into_inner()).collect(),
    };
    Ok(Spanned::new(v.span(), format::Addresses(list)))
}

fn terminal(t: &Table, at: u64, ctx: &Context) -> Result<Act> {
    let span = t.span.clone();
    let say = t.text("say");
    let client = t.need_string("client");
    let host = t.string("host");
    let port = t.need("port", |v| integer(v, u16::MAX.into())) as u16;
    let lines = t.read("lines", list).unwrap_or_default();
    t.finish()?;

    let client = ctx.actor(&client)?;
    let host = match &host {
        Some(h) => Some(ctx.host(h, None)?),
        None => {
            let own = match &client.role {
                Role::UserAgent { server, .. } => ctx.cast.iter().find(|a| a.id == *server),
                _ => None,
            };
            let Some(own) = own else {
                return Err((span, format!("missing key \"host\": {} has no mail server of its own", client.id)));
            };
            (port != 110).then(|| own.host.clone())
        }
    };
    let smtp = is_smtp_port(port);
    let mut items = Vec::new();
    // Where the session is: typing commands, just after DATA, or inside a message.
    let (mut after_data, mut in_message) = (false, false);
    for l in lines {
        let item = match l.get_ref() {
            DeValue::String(s) => Item::Text(s.to_string()),
            DeValue::Table(_) if !smtp => {
                return Err((l.span(), format!("port {port} is not SMTP: its lines are text")))
            }
            DeValue::Table(_) => {
                let x = Table::new(l, &["message", "line"])?;
                let (message, line) = (x.string("message"), x.text("line"));
                x.finish()?;
                match (message, line) {
                    (Some(_), None) if !after_data => {
                        return Err((l.span(), "a { message = NAME } goes right after a DATA line".into()))
                    }
                    (Some(name), None) => Item::Message(ctx.message(&name)?),
                    (None, Some(_)) if in_message => {
                        return Err((l.span(), "a { line = ... } inside a message (after DATA, before \".\")".into()))
                    }
                    (None, Some(text)) => Item::Line(text),
                    _ => return Err((l.span(), "expected { message = NAME } or { line = TEXT }".into())),
                }
            }
            _ => return Err(reader::expected("a line of text, { message = NAME } or { line = TEXT }", l)),
        };
        (after_data, in_message) = match &item {
            Item::Text(x) if in_message => (false, x != "."),
            Item::Text(x) => {
                let data = smtp && x.trim().eq_ignore_ascii_case("DATA");
                (data, data)
            }
            Item::Message(_) | Item::Line(_) => (false, false),
        };
        items.push(item);
    }
    Ok(Act::Terminal { at, client: client.id.clone(), host, port, items, say })
}

/// A command line, `{ scram = TAG }` (AUTHENTICATE SCRAM-SHA-256, as the actor unless `user`
/// and `password` say otherwise) or `{ idle = TAG }` (IDLE until the server has news).
fn imap_step(v: &Value, user: &str, password: &str) -> Result<ImapSpec> {
    if let DeValue::String(s) = v.get_ref() {
        return Ok(ImapSpec::Line(s.to_string()));
    }
    let t = Table::new(v, &["scram", "user", "password", "idle"])
        .map_err(|_| reader::expected("a command line, { scram = TAG } or { idle = TAG }", v))?;
    let (scram, idle) = (t.text("scram"), t.text("idle"));
    let (u, p) = (t.text("user"), t.text("password"));
    t.finish()?;
    match (scram, idle) {
        (Some(tag), None) => Ok(ImapSpec::Scram {
            tag,
            user: u.unwrap_or_else(|| user.into()),
            password: p.unwrap_or_else(|| password.into()),
        }),
        (None, Some(tag)) if u.is_none() && p.is_none() => Ok(ImapSpec::Idle(tag)),
        _ => Err((v.span(), "expected { scram = TAG } or { idle = TAG }".into())),
    }
}

/// `{ get = PATH }` or `{ post = PATH, form = { field = value, ... } }`.
fn request(v: &Value) -> Result<RequestSpec> {
    let t = Table::new(v, &["get", "post", "form"])?;
    let (get, post) = (t.text("get"), t.text("post"));
    let form_value = t.get("form");
    let mut form = Vec::new();
    if let Some(f) = form_value {
        for (k, v) in Table::open(f)?.entries() {
            form.push((k.into_inner(), string(v)?.into_inner()));
        }
    }
    t.finish()?;
    let has_form = form_value.is_some();
    match (get, post) {
        (Some(path), None) if !has_form => Ok(RequestSpec { method: "GET".into(), path, form }),
        (None, Some(path)) => Ok(RequestSpec { method: "POST".into(), path, form }),
        _ => Err((v.span(), "a request is { get = PATH } or { post = PATH, form = { ... } }".into())),
    }
}

impl Context<'_> {
    /// A fault's server: any server for down and up, a mail server for the others.
    fn fault_server(&self, server: &Spanned<String>, fault: Fault) -> Result<()> {
        let a = self.actor(server)?;
        if matches!(a.role, Role::UserAgent { .. }) {
            return Err((server.span(), format!("{} is a user agent; expected a server", a.id)));
        }
        if !matches!(fault, Fault::Down | Fault::Up) && !matches!(a.role, Role::MailServer { .. }) {
            let kind = a.kind();
            let e = format!("{} is a {kind}; this fault needs a mail server ({})", a.id, self.of_kind("mail-server"));
            return Err((server.span(), e));
        }
        Ok(())
    }

    /// Compose's sender: a user agent's id, or `alice`/`bob` for `alice-ua`/`bob-ua`.
    fn compose_sender(&self, sender: &Spanned<String>) -> Result<()> {
        let alias = Spanned::new(sender.span(), format!("{}-ua", sender.get_ref()));
        if self.user_agent(sender, true).is_ok() || self.user_agent(&alias, true).is_ok() {
            return Ok(());
        }
        Err((
            sender.span(),
            format!(
                "unknown sender \"{}\"; expected a user agent of the cast ({}), or alice or bob",
                sender.get_ref(),
                self.of_kind("user-agent")
            ),
        ))
    }
}
