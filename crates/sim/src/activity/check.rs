//! What a `task` item asks the learner to make happen, as data: a small declarative
//! vocabulary, checked against what the learner really did in the playground (the event log
//! of the scenario run with their actions, and the world at its end), never their words.
//!
//! In a file: `check = { kind = "typed-message-delivered", mailbox = "bob@bob.example" }`.
//! Each check has a [`Check::describe`] (what the learner must do) and, until it is done,
//! a [`TaskOutcome::detail`] saying what is still missing.

use crate::actions::{Action, Fault, ReadMode};
use crate::log::{Event, EventLog, Millis};
use serde::{Deserialize, Serialize};

/// The protocols a check can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    #[serde(rename = "SMTP", alias = "smtp")]
    Smtp,
    #[serde(rename = "POP3", alias = "pop3")]
    Pop3,
    #[serde(rename = "IMAP", alias = "imap")]
    Imap,
    #[serde(rename = "HTTP", alias = "http")]
    Http,
}

impl Protocol {
    /// As the event log writes it (`MessageSent::protocol`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Imap => "IMAP",
            Protocol::Http => "HTTP",
        }
    }
}

/// Which copy a recipient got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyKind {
    /// Named in the message's Cc: field.
    Cc,
    /// Named in no header field at all: a blind copy.
    Bcc,
}

/// A task's goal. Tagged by `kind` in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// A message reached `mailbox` whose From: header names another address than its
    /// envelope sender (MAIL FROM, recorded by the final server as Return-Path:), and the
    /// learner sent it (typed it in a terminal).
    ForgedFrom { mailbox: String },
    /// A server answered `code` to a line the learner typed in a terminal. `code` is an SMTP
    /// reply code (`"250"`), a class (`"5xx"`, `"4xx"`), or a POP3 (`"+OK"`, `"-ERR"`) or IMAP
    /// (`"OK"`, `"NO"`, `"BAD"`) status. With `verb`, only answers to that command count;
    /// with `protocol`, only that protocol.
    Reply {
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verb: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<Protocol>,
    },
    /// The learner read a message of `mailbox` over POP3 (RETR answered +OK) and the mailbox
    /// still holds it at the end: download and keep.
    KeptAfterPop3 { mailbox: String },
    /// A client was told of new mail in `mailbox` over a connection it already had open: an
    /// untagged `* n EXISTS` sent on an IMAP connection opened before the message was stored
    /// (IMAP IDLE), with no new command from the client asking for it.
    ToldOfNewMail { mailbox: String },
    /// A message typed by hand (SMTP, with DATA, in a terminal) reached `mailbox`.
    TypedMessageDelivered { mailbox: String },
    /// A message the learner sent reached `mailbox` as a Cc (named in Cc:) or as a Bcc
    /// (named in no header field).
    CopyDelivered { mailbox: String, copy: CopyKind },
    /// A server the learner took down made a delivery wait (deferred, or connection
    /// refused), and the message still reached `mailbox` later.
    DeliveredAfterOutage { mailbox: String },
    /// `client` (an actor id such as `bob-ua`) opened at least `at_least` TCP connections for
    /// `protocol`, counting the whole log.
    Connections { client: String, protocol: Protocol, at_least: u32 },
    /// The learner typed the command `verb` (case-insensitive) in a terminal session of
    /// `protocol`.
    Typed { verb: String, protocol: Protocol },
}

/// Whether a task is done, and if not, what is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskOutcome {
    pub done: bool,
    /// Done: what showed it ("bob@bob.example holds \"Hi\", From: president@… but MAIL FROM
    /// alice@…"); not done: what is still missing.
    pub detail: String,
}

impl Check {
    /// What the learner must do, in one sentence.
    pub fn describe(&self) -> String {
        match self {
            Check::ForgedFrom { mailbox } => format!(
                "Get a message into {mailbox} whose From: line names someone else than its envelope sender (MAIL FROM)."
            ),
            Check::Reply { code, verb, protocol } => {
                let to = match verb {
                    Some(v) => format!("to a {} command you type", v.to_ascii_uppercase()),
                    None => "to a line you type".to_string(),
                };
                let proto = protocol.map(|p| format!("{} ", p.name())).unwrap_or_default();
                format!("Make a {proto}server answer {} {to}.", describe_code(code))
            }
            Check::KeptAfterPop3 { mailbox } => {
                format!("Read a message of {mailbox} over POP3 and leave it on the server (download and keep).")
            }
            Check::ToldOfNewMail { mailbox } => format!(
                "Have an IMAP client told of new mail in {mailbox} over a connection it already had open (IDLE), without asking again."
            ),
            Check::TypedMessageDelivered { mailbox } => {
                format!("Send a message to {mailbox} by typing SMTP yourself in a terminal (with DATA).")
            }
            Check::CopyDelivered { mailbox, copy: CopyKind::Cc } => {
                format!("Send a message that reaches {mailbox} as a copy named in its Cc: line.")
            }
            Check::CopyDelivered { mailbox, copy: CopyKind::Bcc } => {
                format!("Send a message that reaches {mailbox} as a blind copy (Bcc): in no header line at all.")
            }
            Check::DeliveredAfterOutage { mailbox } => format!(
                "Take a server down so that a message to {mailbox} has to wait, then let it be delivered anyway."
            ),
            Check::Connections { client, protocol, at_least } => format!(
                "Make {client} open at least {at_least} {} connection{}.",
                protocol.name(),
                if *at_least == 1 { "" } else { "s" }
            ),
            Check::Typed { verb, protocol } => {
                format!("Type the {} command {} in a terminal.", protocol.name(), verb.to_ascii_uppercase())
            }
        }
    }
}

/// "250", "a 5xx code", "+OK".
fn describe_code(code: &str) -> String {
    if code.len() == 3 && code.ends_with("xx") {
        format!("with a {code} code")
    } else {
        code.to_string()
    }
}

/// Whether a check makes sense in a scenario's world (`baseline`: the scenario with no
/// learner actions, for the names of its mailboxes and actors). The error says what was
/// expected.
pub(super) fn validate(check: &Check, baseline: Option<&EventLog>) -> Result<(), String> {
    let (mailboxes, actors) = baseline.map(super::load::world_names).unwrap_or_default();
    let known_mailbox = |m: &str| -> Result<(), String> {
        if baseline.is_none() || mailboxes.iter().any(|x| x.eq_ignore_ascii_case(m)) {
            Ok(())
        } else {
            Err(format!("unknown mailbox \"{m}\": expected one of the scenario's mailboxes ({})", mailboxes.join(", ")))
        }
    };
    let one_word = |field: &str, v: &str| -> Result<(), String> {
        if v.is_empty() || v.contains(char::is_whitespace) {
            Err(format!("`{field}` is \"{v}\": expected one command word, e.g. RCPT"))
        } else {
            Ok(())
        }
    };
    match check {
        Check::ForgedFrom { mailbox }
        | Check::KeptAfterPop3 { mailbox }
        | Check::ToldOfNewMail { mailbox }
        | Check::TypedMessageDelivered { mailbox }
        | Check::CopyDelivered { mailbox, .. }
        | Check::DeliveredAfterOutage { mailbox } => known_mailbox(mailbox),
        Check::Reply { code, verb, .. } => {
            if !code_is_valid(code) {
                return Err(format!(
                    "`code` is \"{code}\": expected an SMTP reply code or class (250, 5xx, 55x), or +OK, -ERR (POP3), OK, NO, BAD (IMAP)"
                ));
            }
            verb.as_deref().map_or(Ok(()), |v| one_word("verb", v))
        }
        Check::Connections { client, at_least, .. } => {
            if *at_least == 0 {
                return Err("`at_least` is 0: expected 1 or more".into());
            }
            if baseline.is_some() && !actors.iter().any(|a| a == client) {
                return Err(format!(
                    "unknown client \"{client}\": expected one of the scenario's actors ({})",
                    actors.join(", ")
                ));
            }
            Ok(())
        }
        Check::Typed { verb, .. } => one_word("verb", verb),
    }
}

fn code_is_valid(code: &str) -> bool {
    let b = code.as_bytes();
    (b.len() == 3 && (b'2'..=b'5').contains(&b[0]) && b[1..].iter().all(|c| c.is_ascii_digit() || *c == b'x'))
        || ["+OK", "-ERR", "OK", "NO", "BAD"].contains(&code)
}

/// Whether a reply `token` (as [`super::grade`] reads it: `250`, `+OK`, `NO`) fits `code`.
fn code_matches(code: &str, token: &str) -> bool {
    code.len() == token.len()
        && code.bytes().zip(token.bytes()).all(|(c, t)| c == b'x' && t.is_ascii_digit() || c.eq_ignore_ascii_case(&t))
}

/// One terminal session the learner opened, found in the log.
struct Session<'a> {
    conn: u32,
    client: &'a str,
    server: &'a str,
    protocol: &'a str,
    opened: Millis,
    /// Opened by a terminal action (typed by hand), not by a mail program.
    typed: bool,
}

/// The connections the learner caused: for each terminal action, the first connection from
/// its client to its host and port opened at or after its time; for each composed message
/// that its recipient reads, the reading connection two minutes later.
fn sessions<'a>(log: &'a EventLog, actions: &'a [Action]) -> Vec<Session<'a>> {
    let mut out: Vec<Session> = vec![];
    for a in actions {
        if let Action::Compose { at, to, cc, bcc, read, .. } = a {
            if *read == ReadMode::None {
                continue;
            }
            let all = format!("{to},{cc},{bcc}").to_ascii_lowercase();
            let reader = ["bob", "alice"]
                .into_iter()
                .filter_map(|who| all.find(&format!("{who}@{who}.example")).map(|pos| (pos, who)))
                .min()
                .map(|(_, who)| format!("{who}-ua"));
            let Some(reader) = reader else { continue };
            let found = log.events.iter().find_map(|e| match e {
                Event::ConnectionOpened { t, conn, client, server, port: 110 | 143, protocol, .. }
                    if *client == reader && *t >= at + 120_000 && !out.iter().any(|o| o.conn == *conn) =>
                {
                    Some(Session { conn: *conn, client, server, protocol, opened: *t, typed: false })
                }
                _ => None,
            });
            out.extend(found);
            continue;
        }
        let Action::Terminal { at, client, host, port, .. } = a else { continue };
        let Some(server) = log.events.iter().find_map(|e| match e {
            Event::ActorJoined { actor } if actor.host.eq_ignore_ascii_case(host) => Some(actor.id.as_str()),
            _ => None,
        }) else {
            continue;
        };
        let found = log.events.iter().find_map(|e| match e {
            Event::ConnectionOpened { t, conn, client: c, server: s, port: p, protocol, .. }
                if c == client && s == server && p == port && t >= at && !out.iter().any(|o| o.conn == *conn) =>
            {
                Some(Session { conn: *conn, client: c, server, protocol, opened: *t, typed: true })
            }
            _ => None,
        });
        out.extend(found);
    }
    out
}

/// The messages on one connection: (time, sent by the client, text).
fn exchange<'a>(log: &'a EventLog, s: &Session) -> Vec<(Millis, bool, std::borrow::Cow<'a, str>)> {
    log.events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent { conn: Some(c), from, raw, t, .. } if *c == s.conn => {
                Some((*t, from == s.client, String::from_utf8_lossy(raw)))
            }
            _ => None,
        })
        .collect()
}

/// Each line the learner's client sent, with the server's answer to it: (verb, reply token).
fn answers(log: &EventLog, s: &Session) -> Vec<(Option<String>, Option<String>)> {
    let msgs = exchange(log, s);
    let mut out = vec![];
    for (i, (_, by_client, text)) in msgs.iter().enumerate() {
        if !by_client {
            continue;
        }
        let verb = super::grade::token_of(s.protocol, true, text);
        // The replies up to the next client message; for IMAP the one carrying the tag.
        let replies: Vec<&str> = msgs[i + 1..].iter().take_while(|(_, c, _)| !c).map(|(_, _, t)| t.as_ref()).collect();
        let reply = if s.protocol == "IMAP" {
            let tag = text.split_whitespace().next().unwrap_or("");
            replies
                .iter()
                .flat_map(|r| r.split("\r\n"))
                .find(|l| !tag.is_empty() && l.split_whitespace().next() == Some(tag))
                .and_then(|l| l.split_whitespace().nth(1))
                .map(str::to_ascii_uppercase)
                .or_else(|| replies.first().and_then(|r| super::grade::token_of("IMAP", false, r)))
        } else {
            replies.first().and_then(|r| super::grade::token_of(s.protocol, false, r))
        };
        out.push((verb, reply));
    }
    out
}

/// The messages typed after DATA in a terminal action's lines (dot-unstuffed), as lines.
fn typed_messages(lines: &[String]) -> Vec<Vec<String>> {
    let mut out = vec![];
    let mut cur: Option<Vec<String>> = None;
    for l in lines {
        match &mut cur {
            Some(m) if l == "." => out.push(std::mem::take(m)),
            Some(m) => m.push(l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(l).to_string()),
            None => {}
        }
        if cur.is_some() && l == "." {
            cur = None;
        } else if cur.is_none() && l.trim().eq_ignore_ascii_case("DATA") {
            cur = Some(vec![]);
        }
    }
    out
}

/// A message stored in a mailbox.
struct Stored<'a> {
    t: Millis,
    mailbox: &'a str,
    raw: String,
    /// Sent by the learner: typed in a terminal (`true`), or composed.
    typed: bool,
}

impl Stored<'_> {
    fn header(&self, name: &str) -> Option<String> {
        header_field(&self.raw, name)
    }
}

/// A header field's (unfolded) value.
fn header_field(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or("");
    let mut found: Option<String> = None;
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(f) = &mut found {
                f.push(' ');
                f.push_str(line.trim());
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            if n.trim().eq_ignore_ascii_case(name) {
                found = Some(v.trim().to_string());
            }
        }
    }
    found
}

/// The addresses in a header value (`Bob <bob@x>, carol@y`), lower case.
fn addresses(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|p| {
            let p = p.trim();
            let a = match (p.rfind('<'), p.rfind('>')) {
                (Some(a), Some(b)) if a < b => &p[a + 1..b],
                _ => p,
            };
            let a = a.trim();
            (!a.is_empty()).then(|| a.to_ascii_lowercase())
        })
        .collect()
}

/// The messages the learner sent that were stored somewhere: typed ones (every typed line
/// is a line of the stored message, in order) and composed ones (same sender and Subject,
/// stored after the action).
fn learner_stored<'a>(log: &'a EventLog, actions: &[Action]) -> Vec<Stored<'a>> {
    let typed: Vec<(Millis, Vec<String>)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Terminal { at, lines, port, .. } if !matches!(port, 110 | 995 | 143 | 993) => {
                Some(typed_messages(lines).into_iter().map(move |m| (*at, m)))
            }
            _ => None,
        })
        .flatten()
        .filter(|(_, m)| m.iter().any(|l| !l.trim().is_empty()))
        .collect();
    let composed: Vec<(Millis, &str, &str)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Compose { at, sender, subject, .. } => {
                let address = if sender == "bob" { "bob@bob.example" } else { "alice@alice.example" };
                Some((*at, address, subject.as_str()))
            }
            _ => None,
        })
        .collect();
    let mut out = vec![];
    for e in &log.events {
        let Event::MessageStored { t, mailbox, raw, .. } = e else { continue };
        let raw = String::from_utf8_lossy(raw).into_owned();
        let stored_lines: Vec<&str> = raw.split("\r\n").collect();
        let is_typed = typed.iter().any(|(at, m)| *t >= *at && lines_in_order(m, &stored_lines));
        let is_composed = composed.iter().any(|(at, from, subject)| {
            *t >= *at
                && header_field(&raw, "Subject").is_some_and(|s| s == subject.trim())
                && header_field(&raw, "From").is_some_and(|f| addresses(&f).iter().any(|a| a == from))
        });
        if is_typed || is_composed {
            out.push(Stored { t: *t, mailbox, raw, typed: is_typed });
        }
    }
    out
}

fn lines_in_order(typed: &[String], stored: &[&str]) -> bool {
    let mut it = stored.iter();
    typed.iter().filter(|l| !l.trim().is_empty()).all(|l| it.any(|s| s.trim_end() == l.trim_end()))
}

/// Checks a task against the log of the scenario run with the learner's `actions` (the same
/// actions, so that what the learner typed can be told from what the scenario did).
pub fn check_task(check: &Check, log: &EventLog, actions: &[Action]) -> TaskOutcome {
    let done = |detail: String| TaskOutcome { done: true, detail };
    let not_yet = |detail: String| TaskOutcome { done: false, detail };
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    match check {
        Check::ForgedFrom { mailbox } => {
            let mut typed_seen = false;
            for s in learner_stored(log, actions).iter().filter(|s| same(s.mailbox, mailbox) && s.typed) {
                typed_seen = true;
                let from = s.header("From").map(|f| addresses(&f)).unwrap_or_default();
                let envelope = s.header("Return-Path").map(|r| addresses(&r)).unwrap_or_default();
                if let (Some(f), Some(e)) = (from.first(), envelope.first()) {
                    if f != e {
                        return done(format!("{mailbox} holds your message with From: {f} but MAIL FROM {e}."));
                    }
                }
            }
            not_yet(if typed_seen {
                format!("your typed message reached {mailbox}, but its From: line names the same address as MAIL FROM")
            } else {
                format!("no message typed by hand has reached {mailbox} yet")
            })
        }
        Check::Reply { code, verb, protocol } => {
            let mut any = false;
            for s in sessions(log, actions).into_iter().filter(|s| s.typed) {
                if protocol.is_some_and(|p| p.name() != s.protocol) {
                    continue;
                }
                for (v, reply) in answers(log, &s) {
                    if let Some(want) = verb {
                        if !v.as_deref().is_some_and(|v| same(v, want)) {
                            continue;
                        }
                    }
                    any = true;
                    if reply.as_deref().is_some_and(|r| code_matches(code, r)) {
                        let what = v.map(|v| format!(" to your {v}")).unwrap_or_default();
                        return done(format!("{} answered {}{what}.", s.server, reply.unwrap_or_default()));
                    }
                }
            }
            let to = verb.as_ref().map(|v| format!(" to a {} you typed", v.to_ascii_uppercase())).unwrap_or_default();
            not_yet(if any {
                format!("no server has answered {code}{to} yet")
            } else {
                format!("you have not typed {} in a terminal yet", verb.as_deref().unwrap_or("a line"))
            })
        }
        Check::KeptAfterPop3 { mailbox } => kept_after_pop3(log, actions, mailbox),
        Check::ToldOfNewMail { mailbox } => told_of_new_mail(log, actions, mailbox),
        Check::TypedMessageDelivered { mailbox } => {
            match learner_stored(log, actions).iter().find(|s| s.typed && same(s.mailbox, mailbox)) {
                Some(s) => done(format!(
                    "{mailbox} holds the message you typed (\"{}\").",
                    s.header("Subject").unwrap_or_else(|| "no subject".into())
                )),
                None => not_yet(format!("no message in {mailbox} yet was typed by hand")),
            }
        }
        Check::CopyDelivered { mailbox, copy } => {
            let me = mailbox.to_ascii_lowercase();
            let mine = learner_stored(log, actions);
            let reached: Vec<&Stored> = mine.iter().filter(|s| same(s.mailbox, mailbox)).collect();
            for s in &reached {
                let listed = |h: &str| s.header(h).map(|v| addresses(&v).contains(&me)).unwrap_or(false);
                let ok = match copy {
                    CopyKind::Cc => listed("Cc"),
                    CopyKind::Bcc => !listed("To") && !listed("Cc") && !listed("Bcc"),
                };
                if ok {
                    return done(format!(
                        "{mailbox} got your message \"{}\" as a {}.",
                        s.header("Subject").unwrap_or_default(),
                        if *copy == CopyKind::Cc { "Cc" } else { "blind copy" }
                    ));
                }
            }
            not_yet(match (reached.is_empty(), copy) {
                (true, _) => format!("no message of yours has reached {mailbox} yet"),
                (false, CopyKind::Cc) => {
                    format!("your message reached {mailbox}, but not as a Cc: (it is not in the Cc: line)")
                }
                (false, CopyKind::Bcc) => {
                    format!("your message reached {mailbox}, but its header names {mailbox}: that is no blind copy")
                }
            })
        }
        Check::DeliveredAfterOutage { mailbox } => delivered_after_outage(log, actions, mailbox),
        Check::Connections { client, protocol, at_least } => {
            let n = log
                .events
                .iter()
                .filter(|e| matches!(e, Event::ConnectionOpened { client: c, protocol: p, .. } if c == client && p == protocol.name()))
                .count() as u32;
            if n >= *at_least {
                done(format!("{client} opened {n} {} connections.", protocol.name()))
            } else {
                not_yet(format!(
                    "{client} has opened {n} {} connection{} so far, {at_least} wanted",
                    protocol.name(),
                    if n == 1 { "" } else { "s" }
                ))
            }
        }
        Check::Typed { verb, protocol } => {
            for s in sessions(log, actions).iter().filter(|s| s.typed && s.protocol == protocol.name()) {
                let sent = exchange(log, s).into_iter().filter(|(_, c, _)| *c).any(|(_, _, text)| {
                    super::grade::token_of(s.protocol, true, &text).is_some_and(|v| same(&v, verb))
                });
                if sent {
                    return done(format!("you typed {} to {}.", verb.to_ascii_uppercase(), s.server));
                }
            }
            not_yet(format!(
                "you have not typed {} in a {} terminal session yet",
                verb.to_ascii_uppercase(),
                protocol.name()
            ))
        }
    }
}

/// The server (actor id) that keeps `mailbox`.
fn server_of<'a>(log: &'a EventLog, mailbox: &str) -> Option<&'a str> {
    log.events.iter().find_map(|e| match e {
        Event::ActorJoined { actor } if actor.mailboxes.iter().any(|m| m.eq_ignore_ascii_case(mailbox)) => {
            Some(actor.id.as_str())
        }
        _ => None,
    })
}

fn kept_after_pop3(log: &EventLog, actions: &[Action], mailbox: &str) -> TaskOutcome {
    let server = server_of(log, mailbox).unwrap_or_default();
    let local = mailbox.split('@').next().unwrap_or_default();
    let mut retrieved = vec![];
    for s in sessions(log, actions).iter().filter(|s| s.protocol == "POP3" && s.server == server) {
        let msgs = exchange(log, s);
        let mut user_ok = false;
        for (i, (_, by_client, text)) in msgs.iter().enumerate() {
            if !by_client {
                continue;
            }
            let mut words = text.split_whitespace();
            let verb = words.next().unwrap_or("").to_ascii_uppercase();
            let arg = words.next().unwrap_or("");
            if verb == "USER" {
                user_ok = arg.eq_ignore_ascii_case(local) || arg.eq_ignore_ascii_case(mailbox);
            }
            if verb == "RETR" && user_ok {
                if let Some((_, false, reply)) = msgs.get(i + 1) {
                    if reply.starts_with("+OK") {
                        let message = reply.split_once("\r\n").map(|(_, m)| m).unwrap_or("");
                        retrieved.push(header_field(message, "Subject").unwrap_or_default());
                    }
                }
            }
        }
    }
    if retrieved.is_empty() {
        return TaskOutcome {
            done: false,
            detail: format!("you have not read a message of {mailbox} over POP3 (USER {local}, then RETR) yet"),
        };
    }
    let end = crate::diagram::snapshot(log, 0, log.events.len());
    let kept = end
        .mailboxes
        .iter()
        .filter(|m| m.address.eq_ignore_ascii_case(mailbox))
        .flat_map(|m| &m.messages)
        .find(|m| retrieved.contains(&m.subject));
    match kept {
        Some(m) => TaskOutcome {
            done: true,
            detail: format!("you read \"{}\" over POP3 and {mailbox} still holds it.", m.subject),
        },
        None => TaskOutcome {
            done: false,
            detail: format!(
                "you read a message of {mailbox} over POP3, but it was deleted from the server (DELE, then QUIT)"
            ),
        },
    }
}

fn told_of_new_mail(log: &EventLog, actions: &[Action], mailbox: &str) -> TaskOutcome {
    let server = server_of(log, mailbox).unwrap_or_default();
    let imap: Vec<Session> =
        sessions(log, actions).into_iter().filter(|s| s.protocol == "IMAP" && s.server == server).collect();
    if imap.is_empty() {
        return TaskOutcome {
            done: false,
            detail: format!("you have no IMAP session open to the server of {mailbox} yet"),
        };
    }
    let stored: Vec<Millis> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageStored { t, node, mailbox: m, .. } if node == server && m.eq_ignore_ascii_case(mailbox) => {
                Some(*t)
            }
            _ => None,
        })
        .collect();
    for s in &imap {
        let msgs = exchange(log, s);
        for &ts in stored.iter().filter(|ts| **ts > s.opened) {
            let asked = msgs.iter().filter(|(t, c, _)| *c && *t >= ts).map(|(t, _, _)| *t).min();
            let told = msgs.iter().find(|(t, c, text)| {
                !c && *t >= ts && asked.is_none_or(|a| *t < a) && text.split("\r\n").any(is_exists)
            });
            if let Some((t, _, _)) = told {
                return TaskOutcome {
                    done: true,
                    detail: format!(
                        "a message reached {mailbox} at {} and the server told your open connection at once (* EXISTS at {}).",
                        crate::diagram::format_time(ts),
                        crate::diagram::format_time(*t)
                    ),
                };
            }
        }
    }
    TaskOutcome {
        done: false,
        detail: format!(
            "no new message reached {mailbox} while your IMAP session waited (log in, SELECT INBOX, IDLE; then send Bob a message)"
        ),
    }
}

fn is_exists(line: &str) -> bool {
    let w: Vec<&str> = line.split_whitespace().collect();
    w.len() == 3 && w[0] == "*" && w[1].bytes().all(|b| b.is_ascii_digit()) && w[2].eq_ignore_ascii_case("EXISTS")
}

fn delivered_after_outage(log: &EventLog, actions: &[Action], mailbox: &str) -> TaskOutcome {
    let downs: Vec<(Millis, &str)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Fault { at, server, fault: Fault::Down } => Some((*at, server.as_str())),
            _ => None,
        })
        .collect();
    if downs.is_empty() {
        return TaskOutcome { done: false, detail: "you have not taken a server down yet".into() };
    }
    let failed = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionRefused { t, server, .. } if downs.iter().any(|(at, s)| s == server && t >= at) => {
                Some(*t)
            }
            Event::MessageDeferred { t, .. } if downs.iter().any(|(at, _)| t >= at) => Some(*t),
            _ => None,
        })
        .min();
    let Some(failed) = failed else {
        return TaskOutcome {
            done: false,
            detail: "no delivery has had to wait for the server you took down yet: send a message that needs it".into(),
        };
    };
    match learner_stored(log, actions).iter().find(|s| s.t > failed && s.mailbox.eq_ignore_ascii_case(mailbox)) {
        Some(s) => TaskOutcome {
            done: true,
            detail: format!(
                "the delivery failed at {} and your message still reached {mailbox} at {}.",
                crate::diagram::format_time(failed),
                crate::diagram::format_time(s.t)
            ),
        },
        None => TaskOutcome {
            done: false,
            detail: format!("a delivery failed at {}, but no message of yours has reached {mailbox} after it yet (bring the server back)", crate::diagram::format_time(failed)),
        },
    }
}
