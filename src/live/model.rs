//! What the live view holds: every record received from the stream by sequence number, who
//! each connection belongs to ([`Received`]), and the filtered log the diagram draws
//! ([`Shown`]), which grows by appending as records arrive.
//!
//! Lanes: each connection's client is an actor of its own (`client-N`, as `mailsim serve`
//! logs it), named by its student's login once that is known (from the stream's `owner`
//! entries), else `client IP`; the diagram puts actors of the same name and host on one
//! lifeline ([`crate::diagram::ViewOptions::by_name`]), so each student has one lifeline and
//! their connections are told apart by number. A login renames one actor: nothing already
//! drawn moves, so the view only ever appends (and is made again only when the filter
//! changes, or when a student's stream sends a connection's earlier records at its login).

use mailsim_sim::diagram::{Builder, Diagram};
use mailsim_sim::log::{Actor, Event};
use mailsim_sim::EventLog;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The stream's records, each once.
#[derive(Default)]
pub struct Received {
    pub events: BTreeMap<u64, Event>,
    /// Connection → the user it logged in as.
    pub owners: BTreeMap<u32, String>,
    /// The same, in the order the logins arrived.
    logins: Vec<(u32, String)>,
    /// Records the stream said were lost (the viewer fell behind the server's history).
    pub missed: u64,
    /// Records that arrived a second time (and were ignored): 0 unless something is wrong.
    pub duplicates: u64,
    /// The users and protocols seen, sorted (the filter menus).
    pub users: Vec<String>,
    pub protocols: Vec<String>,
    /// Connection → its client's address, port and protocol.
    conns: BTreeMap<u32, ConnInfo>,
    /// Client actor id → address.
    ips: BTreeMap<String, String>,
    /// The server's newest note (`narrated` by `server`: the end of a flood of refusals, how
    /// many were not drawn), shown above the diagram.
    pub note: String,
    /// Whether a record arrived before one already kept (a student's stream sends a
    /// connection's earlier records at its login): the view is then made again.
    out_of_order: bool,
}

/// The filters of the live view; empty strings match everything.
#[derive(Default, Clone, PartialEq)]
pub struct Filter {
    pub user: String,
    pub protocol: String,
    /// A part of the client's address (`127.0.0.1`, `:5123`) or of its login (`ben`).
    pub address: String,
}

/// What is known about a connection, for filters and lanes.
#[derive(Clone, Default)]
struct ConnInfo {
    ip: String,
    port: u16,
    protocol: String,
}

/// Inserts `item` into the sorted `list` unless it is there.
fn insert_sorted(list: &mut Vec<String>, item: &str) {
    if let Err(i) = list.binary_search_by(|x| x.as_str().cmp(item)) {
        list.insert(i, item.to_string());
    }
}

fn conn_of_client(id: &str) -> Option<u32> {
    id.strip_prefix("client-").and_then(|n| n.parse::<u32>().ok())
}

impl Received {
    /// Adds records parsed from the stream: (seq, record).
    pub fn add(&mut self, batch: Vec<(u64, Event)>) {
        for (seq, e) in batch {
            if self.events.last_key_value().is_some_and(|(last, _)| *last > seq) && !self.events.contains_key(&seq) {
                self.out_of_order = true;
            }
            match &e {
                Event::ActorJoined { actor } if conn_of_client(&actor.id).is_some() => {
                    self.ips.insert(actor.id.clone(), actor.ip.clone());
                }
                Event::ConnectionOpened { conn, client, client_port, protocol, .. } => {
                    let ip = self.ips.get(client).cloned().unwrap_or_default();
                    insert_sorted(&mut self.protocols, protocol);
                    self.conns.insert(*conn, ConnInfo { ip, port: *client_port, protocol: protocol.clone() });
                }
                Event::Narrated { actor, text, .. } if actor == "server" => self.note = text.clone(),
                _ => {}
            }
            match self.events.entry(seq) {
                std::collections::btree_map::Entry::Occupied(_) => self.duplicates += 1,
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(e);
                }
            }
        }
    }

    /// Connection `conn` logged in as `user`.
    pub fn own(&mut self, conn: u32, user: String) {
        insert_sorted(&mut self.users, &user);
        self.logins.push((conn, user.clone()));
        self.owners.insert(conn, user);
    }

    /// Whether connection `c` passes `f`.
    fn passes(&self, c: u32, f: &Filter) -> bool {
        let info = self.conns.get(&c);
        let owner = self.owners.get(&c).map(String::as_str).unwrap_or("");
        (f.user.is_empty() || owner == f.user)
            && (f.protocol.is_empty() || info.is_some_and(|i| i.protocol == f.protocol))
            && (f.address.trim().is_empty()
                || info.is_some_and(|i| format!("{}:{}", i.ip, i.port).contains(f.address.trim()))
                || owner.to_ascii_lowercase().contains(&f.address.trim().to_ascii_lowercase()))
    }

    /// What connection `c`'s client is called: its owner, or its address.
    fn client_name(&self, c: u32) -> String {
        match self.owners.get(&c) {
            Some(u) => u.clone(),
            None => format!("client {}", self.conns.get(&c).map(|i| i.ip.as_str()).unwrap_or("?")),
        }
    }
}

/// The log the diagram draws (the records that pass the filter, in order) and its diagram,
/// grown in place; the views draw them through [`crate::growing::Src`].
pub struct Shown {
    pub log: Rc<RefCell<EventLog>>,
    pub diagram: Rc<RefCell<Diagram>>,
    builder: Builder,
    /// Changes with every change, and when the view was made again.
    pub version: u64,
    pub generation: u64,
    filter: Filter,
    /// The last record folded in.
    upto: Option<u64>,
    /// Connection → its client's `ActorJoined` in the log and its lifeline in the diagram.
    clients: BTreeMap<u32, (usize, usize)>,
    /// Logins already applied.
    owned: usize,
}

impl Default for Shown {
    fn default() -> Self {
        Shown {
            log: Rc::new(RefCell::new(EventLog { scenario: "live".into(), seed: 0, epoch: 0, events: vec![] })),
            diagram: Rc::new(RefCell::new(Builder::empty())),
            builder: Builder::default(),
            version: 0,
            generation: 0,
            filter: Filter::default(),
            upto: None,
            clients: BTreeMap::new(),
            owned: 0,
        }
    }
}

impl Shown {
    /// Brings the view up to date with `r` and `f`: appends the new records (their cost, not
    /// the log's), or makes the view again when the filter changed or records came out of
    /// order. Whether anything changed.
    pub fn update(&mut self, r: &mut Received, f: &Filter) -> bool {
        let again = *f != self.filter
            || std::mem::take(&mut r.out_of_order)
            // A login that lets a connection through the user filter: its earlier records too.
            || (!f.user.is_empty() && r.logins.iter().skip(self.owned).any(|(_, u)| *u == f.user));
        if again {
            self.filter = f.clone();
            self.generation += 1;
            self.upto = None;
            self.clients.clear();
            self.owned = 0;
            self.builder = Builder::default();
            *self.diagram.borrow_mut() = Builder::empty();
            self.log.borrow_mut().events.clear();
        }
        let mut changed = again;
        // Logins: the client's actor takes its owner's name (and lifeline).
        if r.logins.len() != self.owned {
            let (mut log, mut d) = (self.log.borrow_mut(), self.diagram.borrow_mut());
            for (c, user) in &r.logins[self.owned..] {
                if let Some(&(e, a)) = self.clients.get(c) {
                    if let (Event::ActorJoined { actor }, Some(lane)) = (&mut log.events[e], d.actors.get_mut(a)) {
                        if actor.name != *user {
                            actor.name = user.clone();
                            lane.name = user.clone();
                            changed = true;
                        }
                    }
                }
            }
            self.owned = r.logins.len();
        }
        let start = self.upto.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let mut log = self.log.borrow_mut();
        let before = log.events.len();
        // Actors added to the log and not yet to the diagram.
        let mut joined = 0;
        let everything = f.user.is_empty() && f.protocol.is_empty() && f.address.is_empty();
        for (&seq, e) in r.events.range((start, std::ops::Bound::Unbounded)) {
            self.upto = Some(seq);
            let conn = match e {
                Event::ActorJoined { actor } => {
                    // A client's actor joins the view with its connection's first record.
                    if conn_of_client(&actor.id).is_some() {
                        continue;
                    }
                    None
                }
                Event::ConnectionOpened { conn, .. } | Event::ConnectionClosed { conn, .. } => Some(*conn),
                Event::MessageSent { conn, .. } => *conn,
                _ => None,
            };
            match conn {
                Some(c) if !r.passes(c, f) => continue,
                Some(c) if !self.clients.contains_key(&c) => {
                    let ip = r.conns.get(&c).map_or("?", |i| i.ip.as_str());
                    let actor = Actor {
                        id: format!("client-{c}"),
                        name: r.client_name(c),
                        host: ip.to_string(),
                        ip: ip.to_string(),
                        kind: "ua".into(),
                        mailboxes: vec![],
                    };
                    let lane = self.diagram.borrow().actors.len() + joined;
                    joined += 1;
                    self.clients.insert(c, (log.events.len(), lane));
                    log.events.push(Event::ActorJoined { actor });
                }
                Some(_) => {}
                // Mailbox and queue facts: the filters hide arrows, not mail (all of it, or the
                // chosen user's).
                None if !everything
                    && !matches!(e, Event::ActorJoined { .. })
                    && (matches!(e, Event::MessageSent { .. }) || !(f.user.is_empty() || concerns(e, &f.user))) =>
                {
                    continue
                }
                None => joined += usize::from(matches!(e, Event::ActorJoined { .. })),
            }
            log.events.push(e.clone());
        }
        if log.events.len() != before {
            self.builder.extend(&mut self.diagram.borrow_mut(), &log);
            changed = true;
        }
        if changed {
            self.version += 1;
        }
        changed
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
pub fn parse<S: AsRef<str>>(messages: &[S]) -> (Vec<(u64, Event)>, usize) {
    let mut seqs = Vec::new();
    let mut text = String::from("{}\n");
    let mut bad = 0;
    for m in messages {
        let parsed = m
            .as_ref()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A filter that matches no connection hides its arrows, not the mail (QA F8); the
    /// address field also matches a login.
    #[test]
    fn filters_hide_arrows_not_mail() {
        let actor = |id: &str, ip: &str| Actor {
            id: id.into(),
            name: id.into(),
            host: ip.into(),
            ip: ip.into(),
            kind: "ua".into(),
            mailboxes: vec![],
        };
        let stored = Event::MessageStored {
            t: 1,
            node: "server".into(),
            mailbox: "ben@class.example".into(),
            uid: 1,
            from: "ana@class.example".into(),
            subject: "hi".into(),
            raw: b"Subject: hi\r\n\r\nhi\r\n".to_vec(),
        };
        let opened = Event::ConnectionOpened {
            t: 2,
            conn: 1,
            client: "client-1".into(),
            client_port: 40000,
            server: "server".into(),
            port: 143,
            protocol: "IMAP".into(),
        };
        let sent = Event::MessageSent {
            t_sent: 3,
            t: 3,
            conn: Some(1),
            from: "server".into(),
            to: "client-1".into(),
            protocol: "IMAP".into(),
            port: 143,
            raw: b"* OK ready\r\n".to_vec(),
            label: "* OK ready".into(),
            meaning: String::new(),
            rfc: String::new(),
            from_state: String::new(),
            to_state: String::new(),
            tls: false,
        };
        let mut r = Received::default();
        r.add(vec![
            (1, Event::ActorJoined { actor: actor("server", "10.0.0.1") }),
            (2, Event::ActorJoined { actor: actor("client-1", "127.0.0.1") }),
            (3, stored),
            (4, opened),
            (5, sent),
        ]);
        r.own(1, "ben@class.example".into());
        let mut shown = |f: Filter| {
            let mut s = Shown::default();
            s.update(&mut r, &f);
            let mail = s.log.borrow().events.iter().filter(|e| matches!(e, Event::MessageStored { .. })).count();
            let arrows = s.diagram.borrow().arrows.len();
            (arrows, mail)
        };
        assert_eq!(shown(Filter::default()), (1, 1));
        let f = |address: &str| Filter { address: address.into(), ..Filter::default() };
        assert_eq!(shown(f("10.9.9.9")), (0, 1), "no arrow, the mail stays");
        assert_eq!(shown(f("127.0.0")), (1, 1), "by address");
        assert_eq!(shown(f("Ben")), (1, 1), "by login");
        assert_eq!(shown(Filter { protocol: "SMTP".into(), ..Filter::default() }), (0, 1));
        assert_eq!(
            shown(Filter { user: "ana@class.example".into(), ..Filter::default() }),
            (0, 0),
            "another user's mail"
        );
    }

    /// `LIVE_LOG=serve.jsonl cargo test -p mailsim-web --bin mailsim-web live_timing -- --ignored --nocapture`:
    /// where the time of a frame goes, per stage, for a `mailsim serve --log` file.
    #[test]
    #[ignore = "a measurement over a log file: LIVE_LOG=FILE, run with -- --ignored --nocapture (scripts/test.sh runs it on a generated log)"]
    fn live_timing() {
        let path = std::env::var("LIVE_LOG").expect("LIVE_LOG names a `mailsim serve --log` file");
        let text = std::fs::read_to_string(path).unwrap();
        let msgs: Vec<String> =
            text.lines().skip(1).enumerate().map(|(i, l)| format!("{{\"seq\":{},\"event\":{l}}}", i + 1)).collect();
        let (mut r, mut s) = (Received::default(), Shown::default());
        let v = crate::diagram::ViewOptions { by_name: true, ..Default::default() };
        let mut layout = crate::layout::Layout::default();
        let mut snaps = mailsim_sim::diagram::Snapshots::new(&s.log.borrow());
        let mut t = [std::time::Duration::ZERO; 5];
        for batch in msgs.chunks(200) {
            let t0 = std::time::Instant::now();
            let (b, _) = parse(batch);
            let t1 = std::time::Instant::now();
            r.add(b);
            s.update(&mut r, &Filter::default());
            let t2 = std::time::Instant::now();
            layout.append(&s.diagram.borrow(), &v, &[]);
            let t3 = std::time::Instant::now();
            snaps.extend(&s.log.borrow());
            let t4 = std::time::Instant::now();
            let log = s.log.borrow();
            let d = s.diagram.borrow();
            let _ = snaps.at(&log, d.arrows.last().map_or(0, |a| a.event), d.events_at_step(d.arrows.len()));
            let t5 = std::time::Instant::now();
            for (k, (a, b)) in [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)].into_iter().enumerate() {
                t[k] += b - a;
            }
        }
        eprintln!("parse {:?} update {:?} layout {:?} snapshots {:?} at {:?}", t[0], t[1], t[2], t[3], t[4]);
        assert!(!msgs.is_empty(), "the log has records");
        assert!(!s.diagram.borrow().arrows.is_empty(), "its messages were drawn");
    }
}
