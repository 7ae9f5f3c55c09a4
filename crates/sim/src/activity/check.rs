//! What a `task` item asks the learner to make happen, as data: a small declarative
//! vocabulary, checked against what the learner really did in the playground (the event log
//! of the scenario run with their actions, and the world at its end), never their words.
//!
//! In a file: `check = { kind = "typed-message-delivered", mailbox = "bob@bob.example" }`.
//! Each check has a [`Check::describe`] (what the learner must do) and, until it is done,
//! a [`TaskOutcome::detail`] saying what is still missing.

#[cfg(feature = "engine")]
use super::evidence::{
    addresses, answers, delivered_after_outage, exchange, kept_after_pop3, learner_stored, sessions, told_of_new_mail,
    Stored,
};
#[cfg(feature = "engine")]
use crate::actions::Action;
#[cfg(feature = "engine")]
use crate::log::{Event, EventLog};
use serde::Serialize;

/// The protocols a check can name (in a file: `"SMTP"` or `"smtp"`, and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Protocol {
    #[serde(rename = "SMTP")]
    Smtp,
    #[serde(rename = "POP3")]
    Pop3,
    #[serde(rename = "IMAP")]
    Imap,
    #[serde(rename = "HTTP")]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopyKind {
    /// Named in the message's Cc: field.
    Cc,
    /// Named in no header field at all: a blind copy.
    Bcc,
}

/// A task's goal. Tagged by `kind` in the file (read by the `format` module, which takes
/// exactly the keys of each kind); serialized (JSON) in the same shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Check {
    /// A message reached `mailbox` whose From: header names another address than its
    /// envelope sender (MAIL FROM, recorded by the final server as Return-Path:), and the
    /// learner sent it (typed it in a terminal).
    ForgedFrom { mailbox: String },
    /// A server answered `code` to a line the learner typed in a terminal. `code` is an SMTP
    /// reply code (`"250"`), a class (`"5xx"`, `"4xx"`), or a POP3 (`"+OK"`, `"-ERR"`) or IMAP
    /// (`"OK"`, `"NO"`, `"BAD"`) status. With `verb`, only answers to that command count;
    /// with `protocol`, only that protocol; with `port`, only sessions to that server port
    /// (993: IMAP with TLS from the first byte, not 143).
    Reply {
        code: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        verb: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        protocol: Option<Protocol>,
        #[serde(skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
            Check::Reply { code, verb, protocol, port } => {
                let to = match verb {
                    Some(v) => format!("to a {} command you type", v.to_ascii_uppercase()),
                    None => "to a line you type".to_string(),
                };
                let server = match protocol {
                    Some(Protocol::Pop3) => "a POP3 server".to_string(),
                    Some(p) => format!("an {} server", p.name()),
                    None => "a server".to_string(),
                };
                let on = port.map(|p| format!(" on port {p}")).unwrap_or_default();
                format!("Make {server}{on} answer {} {to}.", describe_code(code))
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
                "Make {} open at least {at_least} {} connection{}.",
                friendly(client),
                protocol.name(),
                if *at_least == 1 { "" } else { "s" }
            ),
            Check::Typed { verb, protocol } => {
                format!("Type the {} command {} in a terminal.", protocol.name(), verb.to_ascii_uppercase())
            }
        }
    }
}

/// An actor id as the learner reads it when there is no log at hand ("bob-ua": "Bob's UA").
fn friendly(id: &str) -> String {
    match id {
        "alice-ua" => "Alice's UA".into(),
        "bob-ua" => "Bob's UA".into(),
        "bob-phone" => "Bob's phone".into(),
        "alice-server" => "Alice's server".into(),
        "bob-server" => "Bob's server".into(),
        other => other.to_string(),
    }
}

#[cfg(feature = "engine")]
/// An actor's name from the log (`bob-server`: "Bob's server").
fn actor_name(log: &EventLog, id: &str) -> String {
    log.events
        .iter()
        .find_map(|e| match e {
            Event::ActorJoined { actor } if actor.id == id => Some(actor.name.clone()),
            _ => None,
        })
        .unwrap_or_else(|| friendly(id))
}

/// "250", "a 5xx code", "+OK".
fn describe_code(code: &str) -> String {
    if code.len() == 3 && code.ends_with("xx") {
        format!("with a {code} code")
    } else {
        code.to_string()
    }
}

#[cfg(feature = "engine")]
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
    // A verb the protocol does not have can never be typed and answered: the task could never
    // be done (qa10 wrote `verb = "SELCT"` and it passed).
    let known_verb = |v: &str, protocol: &Protocol| -> Result<(), String> {
        let known = commands(protocol);
        if known.iter().any(|k| k.eq_ignore_ascii_case(v))
            || v.eq_ignore_ascii_case("DONE") && *protocol == Protocol::Imap
        {
            return Ok(());
        }
        let lower: Vec<String> = known.iter().map(|k| k.to_ascii_lowercase()).collect();
        // Nearest, or the same letters in another order (`RCTP`; counted, not sorted: a sort
        // would add its code to the engine module).
        let v_lower = v.to_ascii_lowercase();
        let count = |w: &str, c: u8| w.bytes().filter(|&b| b == c).count();
        let hint = super::format::nearest(v, &lower.iter().map(String::as_str).collect::<Vec<_>>())
            .or_else(|| {
                lower
                    .iter()
                    .map(String::as_str)
                    .find(|k| k.len() == v_lower.len() && k.bytes().all(|c| count(k, c) == count(&v_lower, c)))
            })
            .map(|k| format!(": did you mean `{}`?", k.to_ascii_uppercase()))
            .unwrap_or_default();
        let name = protocol.name();
        let a = if *protocol == Protocol::Pop3 { "a" } else { "an" };
        Err(format!("`verb` is \"{v}\", which is not {a} {name} command, so the task could never be done: expected a command such as {}{hint}", known[0]))
    };
    match check {
        Check::ForgedFrom { mailbox }
        | Check::KeptAfterPop3 { mailbox }
        | Check::ToldOfNewMail { mailbox }
        | Check::TypedMessageDelivered { mailbox }
        | Check::CopyDelivered { mailbox, .. }
        | Check::DeliveredAfterOutage { mailbox } => known_mailbox(mailbox),
        Check::Reply { code, verb, protocol, .. } => {
            if !code_is_valid(code) {
                return Err(format!(
                    "`code` is \"{code}\": expected an SMTP reply code or class (250, 5xx, 55x), or +OK, -ERR (POP3), OK, NO, BAD (IMAP)"
                ));
            }
            // A code of another protocol's form could never be answered: the task could never be done.
            let numeric = code.as_bytes()[0].is_ascii_digit();
            let fits = match protocol {
                None => true,
                Some(Protocol::Smtp | Protocol::Http) => numeric,
                Some(Protocol::Pop3) => ["+OK", "-ERR"].contains(&code.as_str()),
                Some(Protocol::Imap) => ["OK", "NO", "BAD"].contains(&code.as_str()),
            };
            if !fits {
                let want = match protocol {
                    Some(Protocol::Pop3) => "+OK or -ERR",
                    Some(Protocol::Imap) => "OK, NO or BAD (the tagged status)",
                    _ => "a three-digit code or class such as 250, 5xx, 55x",
                };
                let name = match protocol {
                    Some(Protocol::Pop3) => "a POP3",
                    Some(Protocol::Imap) => "an IMAP",
                    Some(Protocol::Http) => "an HTTP",
                    _ => "an SMTP",
                };
                return Err(format!(
                    "`code` is \"{code}\", which {name} server never answers, so the task could never be done: expected {want}"
                ));
            }
            verb.as_deref().map_or(Ok(()), |v| {
                one_word("verb", v)?;
                protocol.as_ref().map_or(Ok(()), |p| known_verb(v, p))
            })
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
        Check::Typed { verb, protocol } => {
            one_word("verb", verb)?;
            known_verb(verb, protocol)
        }
    }
}

#[cfg(feature = "engine")]
/// The commands a learner can type in each protocol's terminal (HTTP: the methods).
fn commands(protocol: &Protocol) -> &'static [&'static str] {
    match protocol {
        Protocol::Smtp => mailsim_proto::smtp::command::COMMAND_NAMES,
        Protocol::Pop3 => mailsim_proto::pop3::command::COMMAND_NAMES,
        Protocol::Imap => mailsim_proto::imap::command::COMMAND_NAMES,
        Protocol::Http => &["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"],
    }
}

#[cfg(feature = "engine")]
fn code_is_valid(code: &str) -> bool {
    let b = code.as_bytes();
    (b.len() == 3 && (b'2'..=b'5').contains(&b[0]) && b[1..].iter().all(|c| c.is_ascii_digit() || *c == b'x'))
        || ["+OK", "-ERR", "OK", "NO", "BAD"].contains(&code)
}

#[cfg(feature = "engine")]
/// Whether a reply `token` (as [`super::grade`] reads it: `250`, `+OK`, `NO`) fits `code`.
fn code_matches(code: &str, token: &str) -> bool {
    code.len() == token.len()
        && code.bytes().zip(token.bytes()).all(|(c, t)| c == b'x' && t.is_ascii_digit() || c.eq_ignore_ascii_case(&t))
}

#[cfg(feature = "engine")]
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
        Check::Reply { code, verb, protocol, port } => {
            let mut any = false;
            for s in sessions(log, actions).into_iter().filter(|s| s.typed) {
                if protocol.is_some_and(|p| p.name() != s.protocol) || port.is_some_and(|p| p != s.port) {
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
                        let server = actor_name(log, s.server);
                        return done(format!("{server} answered {}{what}.", reply.unwrap_or_default()));
                    }
                }
            }
            let to = verb.as_ref().map(|v| format!(" to a {} you typed", v.to_ascii_uppercase())).unwrap_or_default();
            let on = port.map(|p| format!(" on port {p}")).unwrap_or_default();
            not_yet(if any {
                format!("no server{on} has answered {code}{to} yet")
            } else {
                format!("you have not typed {} in a terminal{on} yet", verb.as_deref().unwrap_or("a line"))
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
            let who = actor_name(log, client);
            if n >= *at_least {
                done(format!("{who} opened {n} {} connections.", protocol.name()))
            } else {
                not_yet(format!(
                    "{who} has opened {n} {} connection{} so far, {at_least} wanted",
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
                    return done(format!("you typed {} to {}.", verb.to_ascii_uppercase(), actor_name(log, s.server)));
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
