//! What a learner adds to a scenario: messages they compose, lines they type at a terminal,
//! faults they cause. Actions are data, written as the `[[action]]` tables of a scenario file
//! ([`to_toml`]; the `compose`, `terminal` and `fault` kinds of docs/scenarios.md): that is
//! how the page keeps them in local storage ([`from_toml`] reads them back) and how a
//! playground session is saved as a scenario.
//! [`crate::scenario::run_with`] replays a scenario with them, so the world stays
//! deterministic: same scenario, same actions, same log.

use crate::log::Millis;

/// How a composed message reaches the sender's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitMode {
    /// Port 587, AUTH PLAIN without TLS.
    Plain587,
    /// Port 587, STARTTLS then AUTH.
    Starttls587,
    /// Port 465, implicit TLS, then AUTH.
    Tls465,
}

/// How the recipient's mail program reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    Pop3Delete,
    Pop3Keep,
    Imap,
    /// Nobody reads it (yet).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// The file, base64-encoded (so the action stays text).
    pub base64: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Alice or Bob writes a message.
    Compose {
        at: Millis,
        /// `alice` or `bob`.
        sender: String,
        to: String,
        cc: String,
        bcc: String,
        subject: String,
        body: String,
        attachment: Option<Attachment>,
        submit: SubmitMode,
        read: ReadMode,
    },
    /// A terminal session from a client to `host`:`port`; `lines` as typed so far.
    Terminal { at: Millis, client: String, host: String, port: u16, lines: Vec<String> },
    /// Something breaks (or is repaired) on a server.
    Fault { at: Millis, server: String, fault: Fault },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Down,
    Up,
    GreylistOn,
    GreylistOff,
    MailboxFull,
    MailboxRoom,
    /// The server process dies now: every connection to or from it is reset, and nothing
    /// answers until `up`. What it had written (mailboxes, queue) survives.
    Crash,
    /// The server dies the next time it has taken a whole message (end of DATA), before its
    /// reply is sent; it stays down until `up`.
    CrashBeforeReply,
    /// The mail service is stopped in an orderly way: each open session gets its protocol's
    /// goodbye (SMTP 421, RFC 5321 §3.8), and nothing answers until `up`.
    Shutdown,
}

impl SubmitMode {
    /// Every mode, in [`SubmitMode::index`] order (readers find a mode by its name here).
    pub const ALL: [SubmitMode; 3] = [SubmitMode::Plain587, SubmitMode::Starttls587, SubmitMode::Tls465];

    /// Its place in [`SubmitMode::ALL`] (a new mode fails to build here until it is listed).
    pub fn index(self) -> usize {
        match self {
            SubmitMode::Plain587 => 0,
            SubmitMode::Starttls587 => 1,
            SubmitMode::Tls465 => 2,
        }
    }

    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            SubmitMode::Plain587 => "plain587",
            SubmitMode::Starttls587 => "starttls587",
            SubmitMode::Tls465 => "tls465",
        }
    }
}

impl ReadMode {
    /// Every mode, in [`ReadMode::index`] order (readers find a mode by its name here).
    pub const ALL: [ReadMode; 4] = [ReadMode::Pop3Delete, ReadMode::Pop3Keep, ReadMode::Imap, ReadMode::None];

    /// Its place in [`ReadMode::ALL`] (a new mode fails to build here until it is listed).
    pub fn index(self) -> usize {
        match self {
            ReadMode::Pop3Delete => 0,
            ReadMode::Pop3Keep => 1,
            ReadMode::Imap => 2,
            ReadMode::None => 3,
        }
    }

    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            ReadMode::Pop3Delete => "pop3-delete",
            ReadMode::Pop3Keep => "pop3-keep",
            ReadMode::Imap => "imap",
            ReadMode::None => "none",
        }
    }
}

impl Fault {
    /// Every fault (a test holds it to [`Fault::index`], whose match names every variant).
    pub const ALL: [Fault; 9] = [
        Fault::Down,
        Fault::Up,
        Fault::GreylistOn,
        Fault::GreylistOff,
        Fault::MailboxFull,
        Fault::MailboxRoom,
        Fault::Crash,
        Fault::CrashBeforeReply,
        Fault::Shutdown,
    ];

    /// Its place in [`Fault::ALL`].
    pub fn index(self) -> usize {
        match self {
            Fault::Down => 0,
            Fault::Up => 1,
            Fault::GreylistOn => 2,
            Fault::GreylistOff => 3,
            Fault::MailboxFull => 4,
            Fault::MailboxRoom => 5,
            Fault::Crash => 6,
            Fault::CrashBeforeReply => 7,
            Fault::Shutdown => 8,
        }
    }

    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Down => "down",
            Fault::Up => "up",
            Fault::GreylistOn => "greylist-on",
            Fault::GreylistOff => "greylist-off",
            Fault::MailboxFull => "mailbox-full",
            Fault::MailboxRoom => "mailbox-room",
            Fault::Crash => "crash",
            Fault::CrashBeforeReply => "crash-before-reply",
            Fault::Shutdown => "shutdown",
        }
    }
}

impl Action {
    pub fn at(&self) -> Millis {
        match self {
            Action::Compose { at, .. } | Action::Terminal { at, .. } | Action::Fault { at, .. } => *at,
        }
    }
}

/// Sorts a learner's actions by [`Action::at`], keeping the order of actions at the same time
/// (as `sort_by_key` would). An insertion sort in one place: the lists are short and nearly
/// sorted (one action added to a sorted list), and one copy of it keeps the page's code small.
pub fn sort_by_time(list: &mut [Action]) {
    for i in 1..list.len() {
        let mut j = i;
        while j > 0 && list[j - 1].at() > list[j].at() {
            list.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Reads actions written by [`to_toml`]; anything unreadable is left out.
#[cfg(feature = "engine")]
pub fn from_toml(text: &str) -> Vec<Action> {
    crate::scenario::learner_actions(text)
}

/// Writes actions as `[[action]]` tables of a scenario file; loading them gives them back.
pub fn to_toml(actions: &[Action]) -> String {
    let mut out = String::new();
    for a in actions {
        out.push_str("\n[[action]]\n");
        let mut key = |k: &str, v: String| {
            out.push_str(k);
            out.push_str(" = ");
            out.push_str(&v);
            out.push('\n');
        };
        match a {
            Action::Compose { at, sender, to, cc, bcc, subject, body, attachment, submit, read } => {
                key("kind", "\"compose\"".into());
                key("at", at.to_string());
                key("sender", toml_string(sender));
                for (k, v) in [("to", to), ("cc", cc), ("bcc", bcc)] {
                    if !v.is_empty() {
                        key(k, toml_string(v));
                    }
                }
                key("subject", toml_string(subject));
                key("body", toml_string(body));
                key("submit", toml_string(submit.name()));
                key("read", toml_string(read.name()));
                if let Some(att) = attachment {
                    let table = format!(
                        "{{ filename = {}, content-type = {}, base64 = {} }}",
                        toml_string(&att.filename),
                        toml_string(&att.content_type),
                        toml_string(&att.base64)
                    );
                    key("attachment", table);
                }
            }
            Action::Terminal { at, client, host, port, lines } => {
                key("kind", "\"terminal\"".into());
                key("at", at.to_string());
                key("client", toml_string(client));
                key("host", toml_string(host));
                key("port", port.to_string());
                let items: Vec<String> = lines.iter().map(|l| format!("  {},\n", toml_string(l))).collect();
                key("lines", if items.is_empty() { "[]".into() } else { format!("[\n{}]", items.concat()) });
            }
            Action::Fault { at, server, fault } => {
                key("kind", "\"fault\"".into());
                key("at", at.to_string());
                key("server", toml_string(server));
                key("fault", toml_string(fault.name()));
            }
        }
    }
    out
}

/// A TOML string: a multi-line one for text with line breaks, escaped so that it reads back
/// exactly.
pub fn toml_string(s: &str) -> String {
    let escape = |c: char, out: &mut String, multi: bool| match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' if multi => out.push('\n'),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
        c => out.push(c),
    };
    let multi = s.contains('\n');
    let mut out = String::from(if multi { "\"\"\"\n" } else { "\"" });
    for c in s.chars() {
        escape(c, &mut out, multi);
    }
    out.push_str(if multi { "\"\"\"" } else { "\"" });
    out
}

/// Actions as JSON (what crosses from the engine's module to the page, which keeps no TOML
/// reader): `[{"kind": "fault", "at": 5000, "server": "bob-server", "fault": "down"}, ...]`,
/// the keys of the `[[action]]` tables ([`to_toml`]).
pub fn to_json(actions: &[Action]) -> serde_json::Value {
    use serde_json::json;
    let list = actions
        .iter()
        .map(|a| match a {
            Action::Compose { at, sender, to, cc, bcc, subject, body, attachment, submit, read } => json!({
                "kind": "compose", "at": at, "sender": sender, "to": to, "cc": cc, "bcc": bcc,
                "subject": subject, "body": body, "submit": submit.name(), "read": read.name(),
                "attachment": attachment.as_ref().map(|t| json!({
                    "filename": t.filename, "content-type": t.content_type, "base64": t.base64,
                })),
            }),
            Action::Terminal { at, client, host, port, lines } => json!({
                "kind": "terminal", "at": at, "client": client, "host": host, "port": port, "lines": lines,
            }),
            Action::Fault { at, server, fault } => json!({
                "kind": "fault", "at": at, "server": server, "fault": fault.name(),
            }),
        })
        .collect();
    serde_json::Value::Array(list)
}

/// Reads what [`to_json`] wrote; an action that does not read is left out (as [`from_toml`]).
pub fn from_json(v: &serde_json::Value) -> Vec<Action> {
    v.as_array().map(|l| l.iter().filter_map(action_from_json).collect()).unwrap_or_default()
}

fn action_from_json(v: &serde_json::Value) -> Option<Action> {
    let s = |k: &str| Some(v.get(k)?.as_str()?.to_string());
    let at = v.get("at")?.as_u64()?;
    Some(match v.get("kind")?.as_str()? {
        "compose" => Action::Compose {
            at,
            sender: s("sender")?,
            to: s("to")?,
            cc: s("cc")?,
            bcc: s("bcc")?,
            subject: s("subject")?,
            body: s("body")?,
            attachment: match v.get("attachment") {
                None | Some(serde_json::Value::Null) => None,
                Some(t) => Some(Attachment {
                    filename: t.get("filename")?.as_str()?.to_string(),
                    content_type: t.get("content-type")?.as_str()?.to_string(),
                    base64: t.get("base64")?.as_str()?.to_string(),
                }),
            },
            submit: SubmitMode::ALL.into_iter().find(|m| Some(m.name()) == v.get("submit").and_then(|x| x.as_str()))?,
            read: ReadMode::ALL.into_iter().find(|m| Some(m.name()) == v.get("read").and_then(|x| x.as_str()))?,
        },
        "terminal" => Action::Terminal {
            at,
            client: s("client")?,
            host: s("host")?,
            port: u16::try_from(v.get("port")?.as_u64()?).ok()?,
            lines: v.get("lines")?.as_array()?.iter().map(|l| l.as_str().map(str::to_string)).collect::<Option<_>>()?,
        },
        "fault" => Action::Fault {
            at,
            server: s("server")?,
            fault: Fault::ALL.into_iter().find(|f| Some(f.name()) == v.get("fault").and_then(|x| x.as_str()))?,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Action> {
        vec![
            Action::Compose {
                at: 1000,
                sender: "alice".into(),
                to: "bob@bob.example".into(),
                cc: String::new(),
                bcc: "carol@bob.example".into(),
                subject: "Hi \"there\"".into(),
                body: "line 1\nline 2\n".into(),
                attachment: Some(Attachment {
                    filename: "a.txt".into(),
                    content_type: "text/plain".into(),
                    base64: "aGk=".into(),
                }),
                submit: SubmitMode::Tls465,
                read: ReadMode::Pop3Keep,
            },
            Action::Terminal {
                at: 2000,
                client: "alice-ua".into(),
                host: "bob.example".into(),
                port: 25,
                lines: vec!["EHLO me".into(), String::new()],
            },
            Action::Fault { at: 3000, server: "bob-server".into(), fault: Fault::CrashBeforeReply },
        ]
    }

    /// Every fault is in `Fault::ALL` once, and crosses as JSON.
    #[test]
    fn every_fault_crosses() {
        for (i, f) in Fault::ALL.iter().enumerate() {
            assert_eq!(f.index(), i, "{}", f.name());
            let a = vec![Action::Fault { at: 1, server: "s".into(), fault: *f }];
            assert_eq!(from_json(&to_json(&a)), a);
        }
    }

    /// Every submit and read mode is in its `ALL` once, in place, and crosses as JSON.
    #[test]
    fn every_mode_crosses() {
        for (i, m) in SubmitMode::ALL.iter().enumerate() {
            assert_eq!(m.index(), i, "{}", m.name());
        }
        for (i, m) in ReadMode::ALL.iter().enumerate() {
            assert_eq!(m.index(), i, "{}", m.name());
        }
        for submit in SubmitMode::ALL {
            for read in ReadMode::ALL {
                let mut a = sample();
                a.truncate(1);
                if let Action::Compose { submit: s, read: r, .. } = &mut a[0] {
                    (*s, *r) = (submit, read);
                }
                assert_eq!(from_json(&to_json(&a)), a, "{} {}", submit.name(), read.name());
            }
        }
    }

    /// Every kind of action reads back from its JSON; a wrong one is left out, the rest kept.
    #[test]
    fn actions_read_back_from_json() {
        let all = sample();
        let text = to_json(&all).to_string();
        assert_eq!(from_json(&serde_json::from_str(&text).unwrap()), all);
        let mut v = to_json(&all);
        v[1]["port"] = serde_json::json!(70000);
        v[2]["fault"] = serde_json::json!("melt");
        assert_eq!(from_json(&v), all[..1].to_vec());
        assert_eq!(from_json(&serde_json::json!({"kind": "fault"})), vec![]);
    }

    /// The same actions through TOML (the page's storage) and JSON (what crosses) agree.
    #[cfg(feature = "engine")]
    #[test]
    fn toml_and_json_agree() {
        let all = sample();
        assert_eq!(from_toml(&to_toml(&all)), all);
        assert_eq!(from_json(&to_json(&all)), from_toml(&to_toml(&all)));
    }
}
