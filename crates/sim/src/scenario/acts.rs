//! Checking each `[[action]]` against the cast and the named messages, and turning it into an
//! [`Act`] the stage can carry out without further questions.

use super::cast::Role;
use super::format::{ImapStepDoc, LineDoc, RequestDoc};
use super::load::{ActionDoc, Located};
use super::resolve::{check_list, decode_base64, is_address, message_spec, people, Context};
use super::{Act, ImapSpec, Item, MessageRef, RequestSpec};
use crate::actions::{Action, Attachment, Fault, ReadMode, SubmitMode};
use std::ops::Range;
use toml::Spanned;

/// The ports where a terminal types SMTP (everything but POP3 and IMAP, as in the page).
pub(super) fn is_smtp_port(port: u16) -> bool {
    !matches!(port, 110 | 995 | 143 | 993)
}

pub(super) fn resolve(a: ActionDoc, span: Range<usize>, ctx: &Context) -> Result<Act, Located> {
    Ok(match a {
        ActionDoc::Compose(c) => {
            ctx.compose_sender(&c.sender)?;
            let attachment = match c.attachment {
                Some(a) => {
                    decode_base64(&a.base64)?;
                    Some(Attachment {
                        filename: a.filename,
                        content_type: a.content_type,
                        base64: a.base64.into_inner(),
                    })
                }
                None => None,
            };
            Act::Learner(Action::Compose {
                at: c.at.0,
                sender: c.sender.into_inner(),
                to: check_list(c.to.as_ref())?,
                cc: check_list(c.cc.as_ref())?,
                bcc: check_list(c.bcc.as_ref())?,
                subject: c.subject,
                body: c.body,
                attachment,
                submit: c.submit.unwrap_or(SubmitMode::Plain587),
                read: c.read.unwrap_or(ReadMode::Pop3Delete),
            })
        }
        ActionDoc::Fault(f) => {
            let a = ctx.actor(&f.server)?;
            let mail_only = !matches!(f.fault, Fault::Down | Fault::Up);
            if mail_only && !matches!(a.role, Role::MailServer { .. }) {
                return Err((
                    f.server.span(),
                    format!(
                        "{} is a {}; this fault needs a mail server ({})",
                        a.id,
                        a.kind(),
                        ctx.of_kind("mail-server")
                    ),
                ));
            }
            if matches!(a.role, Role::UserAgent { .. }) {
                return Err((f.server.span(), format!("{} is a user agent; expected a server", a.id)));
            }
            Act::Learner(Action::Fault { at: f.at.0, server: f.server.into_inner(), fault: f.fault })
        }
        ActionDoc::Send(mut s) => {
            let ua = ctx.user_agent(&s.sender, s.server.is_none())?;
            let Role::UserAgent { person, address, password, .. } = &ua.role else { unreachable!("a user agent") };
            let inline = s.inline_message();
            let given = !inline.is_empty();
            let message = match &s.message {
                Some(name) if given => {
                    return Err((name.span(), "give either message = NAME or the message's fields, not both".into()))
                }
                Some(name) => MessageRef::Named(ctx.message(name)?),
                None => {
                    let m = message_spec(inline, Some((person, address)), ctx.start, span.clone())?;
                    if m.to.is_empty() && m.cc.is_empty() && m.bcc.is_empty() && s.rcpt_to.is_none() {
                        return Err((span, "missing key \"to\": the message goes to nobody".into()));
                    }
                    MessageRef::Inline(Box::new(m))
                }
            };
            let mail_from = match &s.mail_from {
                Some(m) if !is_address(m.get_ref()) && !m.get_ref().is_empty() => {
                    return Err((m.span(), format!("\"{}\" is not an address", m.get_ref())))
                }
                m => m.as_ref().map(|m| m.get_ref().clone()),
            };
            let rcpt_to = match &s.rcpt_to {
                Some(r) => Some(people(Some(r))?.into_iter().map(|p| p.address).collect()),
                None => None,
            };
            let auth = match s.auth.as_ref().map(|a| a.get_ref()) {
                Some(a) if a.on => Some((
                    a.user.clone().unwrap_or_else(|| address.clone()),
                    a.password.clone().unwrap_or_else(|| password.clone()),
                )),
                _ => None,
            };
            Act::Send {
                at: s.at.0,
                sender: ua.id.clone(),
                message,
                mail_from,
                rcpt_to,
                port: s.port.unwrap_or(587),
                server: s.server.as_ref().map(|h| ctx.host(h, Some("mail-server"))).transpose()?,
                starttls: s.starttls,
                auth,
                pipelining: s.pipelining,
                say: s.say,
            }
        }
        ActionDoc::Terminal(t) => {
            let client = ctx.actor(&t.client)?;
            let host = match &t.host {
                Some(h) => Some(ctx.host(h, None)?),
                None => {
                    let own = match &client.role {
                        Role::UserAgent { server, .. } => ctx.cast.iter().find(|a| a.id == *server),
                        _ => None,
                    };
                    let Some(own) = own else {
                        return Err((
                            span,
                            format!("missing key \"host\": {} has no mail server of its own", client.id),
                        ));
                    };
                    (t.port != 110).then(|| own.host.clone())
                }
            };
            let smtp = is_smtp_port(t.port);
            let mut items = Vec::new();
            // Where the session is: typing commands, just after DATA, or inside a message.
            let (mut after_data, mut in_message) = (false, false);
            for l in t.lines {
                let (s, l) = (l.span(), l.into_inner());
                let item = match l {
                    LineDoc::Text(text) => Item::Text(text),
                    LineDoc::Message(_) | LineDoc::Line(_) if !smtp => {
                        return Err((s, format!("port {} is not SMTP: its lines are plain text", t.port)))
                    }
                    LineDoc::Message(_) if !after_data => {
                        return Err((s, "a { message = NAME } goes right after a DATA line".into()))
                    }
                    LineDoc::Message(name) => Item::Message(ctx.message(&Spanned::new(s, name))?),
                    LineDoc::Line(_) if in_message => {
                        return Err((s, "a { line = ... } inside a message (after DATA, before \".\")".into()))
                    }
                    LineDoc::Line(text) => Item::Line(text),
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
            Act::Terminal { at: t.at.0, client: client.id.clone(), host, port: t.port, items, say: t.say }
        }
        ActionDoc::CheckMail(c) => {
            let ua = ctx.user_agent(&c.actor, true)?;
            let read = match c.read {
                Some(r) if *r.get_ref() == ReadMode::None => {
                    return Err((
                        r.span(),
                        "unknown value \"none\"; expected one of pop3-delete, pop3-keep, imap".into(),
                    ))
                }
                Some(r) => r.into_inner(),
                None => ReadMode::Pop3Delete,
            };
            Act::CheckMail { at: c.at.0, actor: ua.id.clone(), read, say: c.say }
        }
        ActionDoc::Imap(i) => {
            let ua = ctx.user_agent(&i.actor, true)?;
            let Role::UserAgent { address, password, .. } = &ua.role else { unreachable!("a user agent") };
            let local = address.split('@').next().unwrap_or_default();
            let steps = i
                .steps
                .into_iter()
                .map(|s| match s {
                    ImapStepDoc::Line(l) => ImapSpec::Line(l),
                    ImapStepDoc::Idle(tag) => ImapSpec::Idle(tag),
                    ImapStepDoc::Scram { tag, user, password: pw } => ImapSpec::Scram {
                        tag,
                        user: user.unwrap_or_else(|| local.to_string()),
                        password: pw.unwrap_or_else(|| password.clone()),
                    },
                })
                .collect();
            Act::Imap { at: i.at.0, actor: ua.id.clone(), steps, say: i.say }
        }
        ActionDoc::Browse(b) => {
            let ua = ctx.user_agent(&b.actor, false)?;
            let server = ctx.host(&b.server, Some("web-server"))?;
            let version = match &b.version {
                Some(v) if !matches!(v.get_ref().as_str(), "HTTP/1.0" | "HTTP/1.1") => {
                    return Err((v.span(), format!("unknown value \"{}\"; expected HTTP/1.0 or HTTP/1.1", v.get_ref())))
                }
                Some(v) => v.get_ref().clone(),
                None => "HTTP/1.1".into(),
            };
            let requests = b.requests.into_iter().map(request).collect::<Result<_, _>>()?;
            Act::Browse {
                at: b.at.0,
                actor: ua.id.clone(),
                server,
                version,
                per_object: b.per_object,
                requests,
                say: b.say,
            }
        }
        ActionDoc::Narrate(n) => {
            let a = ctx.actor(&n.actor)?;
            Act::Narrate { at: n.at.0, actor: a.id.clone(), say: n.say }
        }
    })
}

fn request(r: Spanned<RequestDoc>) -> Result<RequestSpec, Located> {
    let span = r.span();
    match r.into_inner() {
        RequestDoc { get: Some(path), post: None, form: None } => {
            Ok(RequestSpec { method: "GET".into(), path, form: vec![] })
        }
        RequestDoc { get: None, post: Some(path), form } => {
            Ok(RequestSpec { method: "POST".into(), path, form: form.unwrap_or_default().0 })
        }
        _ => Err((span, "a request is { get = PATH } or { post = PATH, form = { ... } }".into())),
    }
}

impl Context<'_> {
    /// Compose's sender: a user agent's id, or `alice`/`bob` for `alice-ua`/`bob-ua`.
    fn compose_sender(&self, sender: &Spanned<String>) -> Result<(), Located> {
        let alias = Spanned::new(sender.span(), format!("{}-ua", sender.get_ref()));
        match self.user_agent(sender, true) {
            Ok(_) => Ok(()),
            Err(_) if self.user_agent(&alias, true).is_ok() => Ok(()),
            Err(_) => Err((
                sender.span(),
                format!(
                    "unknown sender \"{}\"; expected a user agent of the cast ({}), or alice or bob",
                    sender.get_ref(),
                    self.of_kind("user-agent")
                ),
            )),
        }
    }
}
