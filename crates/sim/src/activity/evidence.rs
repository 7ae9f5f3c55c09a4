//! The evidence a task check reads from the log: which connections and messages were the
//! learner's (a terminal they opened, a message they composed or typed), what was said on
//! them, and the checks that need more than a few lines.

use super::check::TaskOutcome;
use crate::actions::{Action, Fault, ReadMode};
use crate::log::{Event, EventLog, Millis};

/// One terminal session the learner opened, found in the log.
pub(super) struct Session<'a> {
    pub(super) conn: u32,
    pub(super) client: &'a str,
    pub(super) server: &'a str,
    pub(super) protocol: &'a str,
    /// The server's port (110, 143, 993, 25, 587...).
    pub(super) port: u16,
    pub(super) opened: Millis,
    /// Opened by a terminal action (typed by hand), not by a mail program.
    pub(super) typed: bool,
}

/// The connections the learner caused: for each terminal action, the first connection from
/// its client to its host and port opened at or after its time; for each composed message
/// that its recipient reads, the reading connection two minutes later.
pub(super) fn sessions<'a>(log: &'a EventLog, actions: &'a [Action]) -> Vec<Session<'a>> {
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
                Event::ConnectionOpened { t, conn, client, server, port: port @ (110 | 143), protocol, .. }
                    if *client == reader && *t >= at + 120_000 && !out.iter().any(|o| o.conn == *conn) =>
                {
                    Some(Session { conn: *conn, client, server, protocol, port: *port, opened: *t, typed: false })
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
                Some(Session { conn: *conn, client: c, server, protocol, port: *p, opened: *t, typed: true })
            }
            _ => None,
        });
        out.extend(found);
    }
    out
}

/// The messages on one connection: (time, sent by the client, text).
pub(super) fn exchange<'a>(log: &'a EventLog, s: &Session) -> Vec<(Millis, bool, std::borrow::Cow<'a, str>)> {
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
pub(super) fn answers(log: &EventLog, s: &Session) -> Vec<(Option<String>, Option<String>)> {
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

/// The messages typed after DATA in a terminal action's lines, as the server stores them:
/// the terminal sends them as typed, and the server removes the first dot of a line that
/// starts with one (RFC 5321 §4.5.2), so `.profile` is stored as `profile`.
pub(super) fn typed_messages(lines: &[String]) -> Vec<Vec<String>> {
    let mut out = vec![];
    let mut cur: Option<Vec<String>> = None;
    for l in lines {
        match &mut cur {
            Some(m) if l == "." => out.push(std::mem::take(m)),
            Some(m) => m.push(l.strip_prefix('.').unwrap_or(l).to_string()),
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
pub(super) struct Stored<'a> {
    pub(super) t: Millis,
    pub(super) mailbox: &'a str,
    pub(super) raw: String,
    /// Sent by the learner: typed in a terminal (`true`), or composed.
    pub(super) typed: bool,
}

impl Stored<'_> {
    pub(super) fn header(&self, name: &str) -> Option<String> {
        header_field(&self.raw, name)
    }
}

/// A header field's (unfolded) value.
pub(super) fn header_field(raw: &str, name: &str) -> Option<String> {
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

/// The addresses in a header value (`Bob <bob@x>, carol@y`), lower case; without a comment
/// after one (`carol@y (Carol)`, RFC 5322 §3.2.2) or a group's name (`team: a@x, b@y;`, §3.4).
pub(super) fn addresses(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|p| {
            let p = p.trim();
            let a = match (p.rfind('<'), p.rfind('>')) {
                (Some(a), Some(b)) if a < b => &p[a + 1..b],
                _ => {
                    let p = p.find('(').map_or(p, |i| &p[..i]);
                    p.rfind(':').map_or(p, |i| &p[i + 1..])
                }
            };
            let a = a.trim().trim_end_matches(';');
            (!a.is_empty()).then(|| a.to_ascii_lowercase())
        })
        .collect()
}

/// The messages the learner sent that were stored somewhere: typed ones (every typed line
/// is a line of the stored message, in order) and composed ones (same sender and Subject,
/// stored after the action).
pub(super) fn learner_stored<'a>(log: &'a EventLog, actions: &[Action]) -> Vec<Stored<'a>> {
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

pub(super) fn lines_in_order(typed: &[String], stored: &[&str]) -> bool {
    let mut it = stored.iter();
    typed.iter().filter(|l| !l.trim().is_empty()).all(|l| it.any(|s| s.trim_end() == l.trim_end()))
}

/// The server (actor id) that keeps `mailbox`.
pub(super) fn server_of<'a>(log: &'a EventLog, mailbox: &str) -> Option<&'a str> {
    log.events.iter().find_map(|e| match e {
        Event::ActorJoined { actor } if actor.mailboxes.iter().any(|m| m.eq_ignore_ascii_case(mailbox)) => {
            Some(actor.id.as_str())
        }
        _ => None,
    })
}

pub(super) fn kept_after_pop3(log: &EventLog, actions: &[Action], mailbox: &str) -> TaskOutcome {
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

pub(super) fn told_of_new_mail(log: &EventLog, actions: &[Action], mailbox: &str) -> TaskOutcome {
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

pub(super) fn is_exists(line: &str) -> bool {
    let w: Vec<&str> = line.split_whitespace().collect();
    w.len() == 3 && w[0] == "*" && w[1].bytes().all(|b| b.is_ascii_digit()) && w[2].eq_ignore_ascii_case("EXISTS")
}

pub(super) fn delivered_after_outage(log: &EventLog, actions: &[Action], mailbox: &str) -> TaskOutcome {
    let downs: Vec<(Millis, &str)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Fault { at, server, fault: Fault::Down | Fault::Shutdown } => Some((*at, server.as_str())),
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
