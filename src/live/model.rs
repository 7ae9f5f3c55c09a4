//! What the live view holds: every record received from the stream by sequence number, who
//! each connection belongs to, and the filtered, regrouped log the diagram draws.
//!
//! Lanes: a connection's client is drawn on its student's lifeline, `user:ADDRESS` when its
//! login is known (from the stream's `owner` entries), else `addr:IP` (the client's address).
//! So each student has one lifeline, and their connections are told apart by number.

use mailsim_sim::log::{Actor, Event};
use mailsim_sim::EventLog;
use std::collections::BTreeMap;

/// The stream's records, each once.
#[derive(Default, Clone, PartialEq)]
pub struct Received {
    pub events: BTreeMap<u64, Event>,
    /// Connection → the user it logged in as.
    pub owners: BTreeMap<u32, String>,
    /// Records the stream said were lost (the viewer fell behind the server's history).
    pub missed: u64,
    /// Records that arrived a second time (and were ignored): 0 unless something is wrong.
    pub duplicates: u64,
}

/// The filters of the live view; empty strings match everything.
#[derive(Default, Clone, PartialEq)]
pub struct Filter {
    pub user: String,
    pub protocol: String,
    /// A part of the client's address (`127.0.0.1`, `:5123`).
    pub address: String,
}

/// What is known about a connection, for filters and lanes.
#[derive(Clone, Default)]
struct ConnInfo {
    ip: String,
    port: u16,
    protocol: String,
}

impl Received {
    /// Adds records parsed from the stream: (seq, record).
    pub fn add(&mut self, batch: Vec<(u64, Event)>) {
        for (seq, e) in batch {
            match self.events.entry(seq) {
                std::collections::btree_map::Entry::Occupied(_) => self.duplicates += 1,
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(e);
                }
            }
        }
    }

    /// The users seen (owners of connections), sorted.
    pub fn users(&self) -> Vec<String> {
        let mut u: Vec<String> = self.owners.values().cloned().collect();
        u.sort();
        u.dedup();
        u
    }

    /// The protocols seen, sorted.
    pub fn protocols(&self) -> Vec<String> {
        let mut p: Vec<String> = self
            .events
            .values()
            .filter_map(|e| match e {
                Event::ConnectionOpened { protocol, .. } => Some(protocol.clone()),
                _ => None,
            })
            .collect();
        p.sort();
        p.dedup();
        p
    }

    fn conns(&self) -> BTreeMap<u32, ConnInfo> {
        let mut ips: BTreeMap<String, String> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for e in self.events.values() {
            match e {
                Event::ActorJoined { actor } => {
                    ips.insert(actor.id.clone(), actor.ip.clone());
                }
                Event::ConnectionOpened { conn, client, client_port, protocol, .. } => {
                    let ip = ips.get(client).cloned().unwrap_or_default();
                    out.insert(*conn, ConnInfo { ip, port: *client_port, protocol: protocol.clone() });
                }
                _ => {}
            }
        }
        out
    }

    /// The log the diagram draws: the records that pass `f`, in order, with each client on its
    /// student's lane (see the module's documentation).
    pub fn view(&self, f: &Filter) -> EventLog {
        let conns = self.conns();
        let conn_of_client = |id: &str| id.strip_prefix("client-").and_then(|n| n.parse::<u32>().ok());
        let lane = |c: u32| match self.owners.get(&c) {
            Some(u) => format!("user:{u}"),
            None => format!("addr:{}", conns.get(&c).map(|i| i.ip.as_str()).unwrap_or("?")),
        };
        let passes = |c: u32| {
            let info = conns.get(&c).cloned().unwrap_or_default();
            let owner = self.owners.get(&c).map(String::as_str).unwrap_or("");
            (f.user.is_empty() || owner == f.user)
                && (f.protocol.is_empty() || info.protocol == f.protocol)
                && (f.address.is_empty() || format!("{}:{}", info.ip, info.port).contains(f.address.trim()))
        };
        let everything = f.user.is_empty() && f.protocol.is_empty() && f.address.is_empty();
        let rename = |id: &mut String| {
            if let Some(c) = conn_of_client(id) {
                *id = lane(c);
            }
        };
        let mut lanes: Vec<String> = Vec::new();
        let mut events = Vec::new();
        for e in self.events.values() {
            let conn = match e {
                Event::ActorJoined { actor } => conn_of_client(&actor.id),
                Event::ConnectionOpened { conn, .. } | Event::ConnectionClosed { conn, .. } => Some(*conn),
                Event::MessageSent { conn, .. } => *conn,
                _ => None,
            };
            match conn {
                Some(c) if !passes(c) => continue,
                // Mailbox and queue facts: shown when they concern the chosen user.
                None if !everything
                    && !matches!(e, Event::ActorJoined { .. })
                    && (f.user.is_empty() || !concerns(e, &f.user)) =>
                {
                    continue
                }
                _ => {}
            }
            let mut e = e.clone();
            match &mut e {
                Event::ActorJoined { actor } => {
                    let Some(c) = conn_of_client(&actor.id) else {
                        events.push(e);
                        continue;
                    };
                    let id = lane(c);
                    if !lanes.contains(&id) {
                        lanes.push(id.clone());
                        let name = match self.owners.get(&c) {
                            Some(u) => u.clone(),
                            None => format!("client {}", actor.ip),
                        };
                        let actor = Actor { id, name, kind: "ua".into(), mailboxes: vec![], ..actor.clone() };
                        events.push(Event::ActorJoined { actor });
                    }
                    continue;
                }
                Event::ConnectionOpened { client, .. } => rename(client),
                Event::MessageSent { from, to, .. } => {
                    rename(from);
                    rename(to);
                }
                Event::ConnectionClosed { by, .. } => rename(by),
                _ => {}
            }
            events.push(e);
        }
        EventLog { scenario: "live".into(), seed: 0, epoch: 0, events }
    }
}

/// Whether a mailbox or queue fact is about `user`.
fn concerns(e: &Event, user: &str) -> bool {
    match e {
        Event::MessageQueued { mail_from, rcpt_to, .. } => {
            mail_from.eq_ignore_ascii_case(user) || rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(user))
        }
        Event::MessageStored { mailbox, .. }
        | Event::FlagsChanged { mailbox, .. }
        | Event::MessageDeleted { mailbox, .. } => mailbox.eq_ignore_ascii_case(user),
        _ => false,
    }
}

/// Reads the stream's `{"seq":N,"event":RECORD}` messages, all at once (one parse of the
/// records as a log): the (seq, record) pairs, and how many could not be read.
pub fn parse(messages: &[String]) -> (Vec<(u64, Event)>, usize) {
    let mut seqs = Vec::new();
    let mut text = String::from("{}\n");
    let mut bad = 0;
    for m in messages {
        let parsed = m
            .strip_prefix("{\"seq\":")
            .and_then(|r| r.split_once(",\"event\":"))
            .and_then(|(n, rest)| Some((n.parse::<u64>().ok()?, rest.strip_suffix('}')?)));
        match parsed {
            Some((seq, record)) if !record.contains('\n') => {
                seqs.push(seq);
                text.push_str(record);
                text.push('\n');
            }
            _ => bad += 1,
        }
    }
    match EventLog::from_jsonl(&text) {
        Ok(log) => (seqs.into_iter().zip(log.events).collect(), bad),
        // One bad record: read them one by one, keeping the good ones.
        Err(_) if messages.len() > 1 => {
            let (mut out, mut bad) = (Vec::new(), 0);
            for m in messages {
                let (mut one, b) = parse(std::slice::from_ref(m));
                out.append(&mut one);
                bad += b;
            }
            (out, bad)
        }
        Err(_) => (vec![], messages.len()),
    }
}
