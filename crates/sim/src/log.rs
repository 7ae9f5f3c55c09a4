//! The append-only event log: the single source of truth for what happened in the world.
//! The diagram, the transcript, the mailbox and queue views are pure functions of a prefix
//! of it. Events are past-tense facts named in the RFCs' and lectures' words.
//!
//! Serialized as JSON (one event per line for the golden files). Wire bytes are written as
//! a string whose characters U+0000..U+00FF stand for the bytes 0..255, so that SMTP and POP3
//! text reads as itself and binary DNS messages still round-trip exactly.
//!
//! Writing a log is by hand (module `write`, equal to serde_json's derived writer, which the
//! `mailsim serve` feed uses); reading is by hand over `serde_json::Value` (module `read`):
//! the derived reader of an internally tagged enum buffers every field and builds a visitor
//! per variant, which cost the page about 20 KB of its gzipped wasm for the same result.

use serde::Serialize;

mod read;
mod write;

/// Every golden log (crates/sim/tests/golden), sorted by name, as (path, text): what the
/// reader's and the writer's tests hold equal to serde_json's.
#[cfg(test)]
fn golden_logs() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut logs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    logs.sort();
    logs
}

/// Milliseconds of virtual time since the scenario started.
pub type Millis = u64;

/// Someone or something on the diagram: a lifeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// Stable id, e.g. `alice-ua`.
    pub id: String,
    /// What the learner reads, e.g. `Alice's UA`.
    pub name: String,
    /// Host name, e.g. `mail.alice.example`.
    pub host: String,
    pub ip: String,
    /// `ua`, `server` or `dns`.
    pub kind: String,
    /// The mailboxes this actor keeps (servers only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mailboxes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    ActorJoined {
        actor: Actor,
    },
    /// A sentence for the learner about what a person or program decided to do.
    Narrated {
        t: Millis,
        actor: String,
        text: String,
    },
    /// A TCP connection was established (after the three-way handshake).
    ConnectionOpened {
        t: Millis,
        conn: u32,
        client: String,
        client_port: u16,
        server: String,
        port: u16,
        protocol: String,
    },
    /// One protocol message arrived: one arrow on the diagram.
    MessageSent {
        t_sent: Millis,
        t: Millis,
        /// The TCP connection, or none for a UDP datagram (DNS).
        conn: Option<u32>,
        from: String,
        to: String,
        protocol: String,
        /// The server's port.
        port: u16,
        #[serde(serialize_with = "latin1::serialize")]
        raw: Vec<u8>,
        label: String,
        meaning: String,
        rfc: String,
        /// The sender's protocol state after sending.
        from_state: String,
        /// The receiver's protocol state after processing it.
        to_state: String,
        /// Sent inside TLS: on the wire these bytes were ciphertext.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        tls: bool,
    },
    ConnectionClosed {
        t: Millis,
        conn: u32,
        by: String,
    },
    /// A connection attempt failed (nothing listens, host down).
    ConnectionRefused {
        t: Millis,
        client: String,
        server: String,
        port: u16,
    },
    /// A server took responsibility for a message and put it in its outgoing queue.
    MessageQueued {
        t: Millis,
        node: String,
        queue_id: String,
        mail_from: String,
        rcpt_to: Vec<String>,
        size: usize,
        subject: String,
    },
    /// A delivery attempt failed for now; the server will try again at `retry_at`.
    MessageDeferred {
        t: Millis,
        node: String,
        queue_id: String,
        reason: String,
        retry_at: Millis,
    },
    /// A queue entry is finished with: delivered, or given up.
    QueueEntryRemoved {
        t: Millis,
        node: String,
        queue_id: String,
        outcome: String,
    },
    /// A message was put into a mailbox.
    MessageStored {
        t: Millis,
        node: String,
        mailbox: String,
        uid: u32,
        from: String,
        subject: String,
        #[serde(serialize_with = "latin1::serialize")]
        raw: Vec<u8>,
    },
    /// A message's IMAP flags changed (STORE, or reading it set `\Seen`).
    FlagsChanged {
        t: Millis,
        node: String,
        mailbox: String,
        uid: u32,
        flags: Vec<String>,
    },
    /// A message was removed from a mailbox (POP3 UPDATE state, IMAP EXPUNGE).
    MessageDeleted {
        t: Millis,
        node: String,
        mailbox: String,
        uid: u32,
    },
    /// A user agent downloaded a message.
    MessageDownloaded {
        t: Millis,
        node: String,
        from: String,
        subject: String,
        size: usize,
    },
}

impl Event {
    /// The virtual time of the event (0 for actor declarations).
    pub fn time(&self) -> Millis {
        match self {
            Event::ActorJoined { .. } => 0,
            Event::Narrated { t, .. }
            | Event::ConnectionOpened { t, .. }
            | Event::MessageSent { t, .. }
            | Event::ConnectionClosed { t, .. }
            | Event::ConnectionRefused { t, .. }
            | Event::MessageQueued { t, .. }
            | Event::MessageDeferred { t, .. }
            | Event::QueueEntryRemoved { t, .. }
            | Event::MessageStored { t, .. }
            | Event::MessageDeleted { t, .. }
            | Event::FlagsChanged { t, .. }
            | Event::MessageDownloaded { t, .. } => *t,
        }
    }
}

/// A scenario's whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventLog {
    pub scenario: String,
    pub seed: u64,
    /// Unix seconds at virtual time 0 (for dates in messages).
    pub epoch: i64,
    pub events: Vec<Event>,
}

impl EventLog {
    /// One JSON object per line: a header line, then one line per event.
    pub fn to_jsonl(&self) -> String {
        let header = serde_json::json!({ "scenario": self.scenario, "seed": self.seed, "epoch": self.epoch });
        // Every event written into one buffer (not a string of its own each, copied after).
        let mut out = header.to_string().into_bytes();
        out.push(b'\n');
        for e in &self.events {
            write::event(&mut out, e);
            out.push(b'\n');
        }
        String::from_utf8(out).expect("the writer writes UTF-8")
    }

    /// Reads what [`EventLog::to_jsonl`] wrote. An error names the line (1-based, in `text`).
    pub fn from_jsonl(text: &str) -> Result<EventLog, String> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let (_, first) = lines.next().ok_or("empty log")?;
        let header: serde_json::Value = serde_json::from_str(first).map_err(|e| e.to_string())?;
        let mut events = Vec::new();
        let mut owners = Vec::new();
        for (i, l) in lines {
            match read::line(l).map_err(|e| format!("line {}: {e}", i + 1))? {
                read::Line::Event(e) => events.push(e),
                read::Line::Owner { conn, user } => owners.push((conn, user)),
            }
        }
        if !owners.is_empty() {
            name_serve_clients(&mut events, &owners);
        }
        Ok(EventLog {
            scenario: header["scenario"].as_str().unwrap_or_default().to_string(),
            seed: header["seed"].as_u64().unwrap_or_default(),
            epoch: header["epoch"].as_i64().unwrap_or_default(),
            events,
        })
    }
}

/// The line `mailsim serve --log` writes when connection `conn` has logged in as `user` (the
/// live stream's `owner` entry): `{"event":"owner","conn":C,"user":U}`. It is no [`Event`]:
/// [`EventLog::from_jsonl`] reads it into the names of the connections' clients.
pub fn owner_record(conn: u32, user: &str) -> String {
    serde_json::json!({ "event": "owner", "conn": conn, "user": user }).to_string()
}

/// A `mailsim serve` log that records logins ([`owner_record`]) names its clients as the live
/// view does: a connection's client (`client-N`) by the user it logged in as, the others by
/// their address (`client 127.0.0.1`), so that each student has one lifeline when the log is
/// opened, as on the projector. (A log without owner records keeps its names.)
fn name_serve_clients(events: &mut [Event], owners: &[(u32, String)]) {
    let owned: std::collections::BTreeMap<String, &str> =
        owners.iter().map(|(c, u)| (format!("client-{c}"), u.as_str())).collect();
    for e in events.iter_mut() {
        let Event::ActorJoined { actor } = e else { continue };
        let serve_client = actor.kind == "ua"
            && actor.id.strip_prefix("client-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !serve_client {
            continue;
        }
        actor.name = match owned.get(&actor.id) {
            Some(user) => user.to_string(),
            None => format!("client {}", actor.ip),
        };
    }
}

mod latin1 {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        // Most wire bytes are ASCII (SMTP, POP3, IMAP, HTTP text): those are their own string.
        if let Some(text) = bytes.is_ascii().then(|| std::str::from_utf8(bytes).ok()).flatten() {
            return s.serialize_str(text);
        }
        s.serialize_str(&bytes.iter().map(|&b| b as char).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_bytes_round_trip_through_json() {
        let log = EventLog {
            scenario: "x".into(),
            seed: 1,
            epoch: 0,
            events: vec![Event::MessageStored {
                t: 5,
                node: "n".into(),
                mailbox: "m".into(),
                uid: 1,
                from: "f".into(),
                subject: "s".into(),
                raw: (0..=255u8).collect(),
            }],
        };
        assert_eq!(EventLog::from_jsonl(&log.to_jsonl()).unwrap(), log);
    }

    /// QA F19: a `mailsim serve --log` file with owner records opens with each connection's
    /// client named as the live view names it; without them, as before.
    #[test]
    fn owner_records_name_serve_clients_as_the_live_view_does() {
        let client = |n: u32, port: u16| {
            let actor = Actor {
                id: format!("client-{n}"),
                name: format!("client :{port}"),
                host: "127.0.0.1".into(),
                ip: "127.0.0.1".into(),
                kind: "ua".into(),
                mailboxes: vec![],
            };
            serde_json::to_string(&Event::ActorJoined { actor }).unwrap()
        };
        let server = r#"{"event":"actor_joined","actor":{"id":"server","name":"mailsim serve","host":"localhost","ip":"127.0.0.1","kind":"server"}}"#;
        let closed =
            |n: u32| serde_json::to_string(&Event::ConnectionClosed { t: 9, conn: n, by: "server".into() }).unwrap();
        let lines = [
            r#"{"scenario":"serve","seed":0,"epoch":0}"#.to_string(),
            server.to_string(),
            client(1, 40001),
            client(2, 40002),
            owner_record(1, "ana@class.example"),
            client(3, 40003),
            owner_record(3, "ben@class.example"),
            client(4, 40004),
            owner_record(4, "ana@class.example"),
            closed(1),
        ];
        let log = EventLog::from_jsonl(&lines.join("\n")).unwrap();
        let names: Vec<&str> = log
            .events
            .iter()
            .filter_map(|e| match e {
                Event::ActorJoined { actor } => Some(actor.name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            names,
            ["mailsim serve", "ana@class.example", "client 127.0.0.1", "ben@class.example", "ana@class.example"]
        );
        assert_eq!(log.events.len(), 6, "owner records are no events");
        // An old log (no owner record): its names as written.
        let old: Vec<String> = lines.iter().filter(|l| !l.contains("\"owner\"")).cloned().collect();
        let log = EventLog::from_jsonl(&old.join("\n")).unwrap();
        assert!(log.events.iter().any(|e| matches!(e, Event::ActorJoined { actor } if actor.name == "client :40002")));
        // A bad owner record is an error that names its line.
        let bad = format!("{}\n{}\n{{\"event\":\"owner\",\"conn\":-1,\"user\":\"x\"}}", lines[0], lines[1]);
        assert!(EventLog::from_jsonl(&bad).unwrap_err().starts_with("line 3: `conn` must be"));
    }
}
