//! The live stream's memory: every event the engines logged, numbered, in a bounded ring.
//!
//! [`Feed::publish`] is called by the server for every event, in log order, and never waits
//! for a viewer: it redacts the record (unless credentials are to be shown), works out who may
//! see it, appends it and wakes the viewers through a `watch` channel. Each viewer keeps its
//! own cursor (the last sequence number it sent) and copies what follows out of the ring in
//! batches ([`Feed::read`]); a viewer that fell behind the ring's start is told how many
//! entries it missed and goes on from the oldest one kept.
//!
//! ## Who sees what
//! The instructor (the token) sees every entry. A student (logged in with a mail account)
//! sees the server's lifeline, and the connections attributed to them: a connection belongs
//! to the user its login succeeded for, from its first event (the lifeline of its client
//! address and port, the greeting) to its last. When the login succeeds, an `owner` entry is
//! appended; a student's stream sends, at that entry, the connection's earlier events (which
//! it had to hold back, not knowing whose they were) and then the entry. Mailbox and queue
//! events are shown to the users whose mailbox or message they concern.
//!
//! ## Refusals
//! A connection refused over `--max-connections` or `--max-connections-per-address` never
//! logs in: all it carries is its client's address and port, the busy reply and the limit
//! (`crate::hub::Hub::refused`, which marks it here with [`Feed::refusing`] before recording
//! it). It belongs to the students *seen at that address* before it: a student is seen at an
//! address from the moment a connection from there logged in as them (its `owner` entry), or
//! their page's stream came from there ([`Feed::student_at`], each request of `/events`:
//! their mail client and their browser usually share a machine, and a first connection can
//! be refused before any login). So the student whose Thunderbird or socket program just got
//! "421 4.7.0" sees why, and a student at another address does not. Students who share an
//! address (every one on 127.0.0.1 in a demo on one machine, or behind one NAT) share its
//! refusals: the address is all a refusal says about its client, and a refusal shows nothing
//! of anyone's session (no login, no mail, no credentials: the reply and the limit).
//! A student is seen at an address from a sequence number on, never before and never
//! forgotten, so whether an entry is visible to a viewer is decided once it is published and
//! a resumed stream sends the same entries as an unbroken one.
//!
//! ## Connections without a login
//! A student's own socket program, or a session typed by hand on the relay port (which has
//! no login), or a login that fails, never logs in either; unlike a refusal it carries what was
//! typed (a mail, a user name). Such a connection belongs to the student seen at its client
//! address when it opened *if they are the only one seen there* (a classroom network, a
//! machine each): they see it live, line by line, as its lane "client ADDRESS". Where two or
//! more students were seen at the address (all of a demo on 127.0.0.1, a NAT), it stays the
//! instructor's, as before, since whose it is cannot be told. If it logs in later, it is its
//! login's from then on: the student it was shown to gets nothing more of it but its close
//! (another student's session that shares their machine), and the owner gets its earlier
//! events at the `owner` entry as always (once: an owner who was shown them already is not
//! sent them again).

use super::redact::Tracker;
use mailsim_proto::store::MailStore;
use mailsim_sim::log::Event;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Who may see an entry, besides the instructor.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    Everyone,
    /// Events of one connection: its owner, once known.
    Conn(u32),
    /// These users (addresses).
    Users(Vec<String>),
    /// A refused connection's events: the students seen at this client address (see the
    /// module's documentation).
    Refused(String),
    /// Events of a connection not (yet) logged in, from an address where one student was
    /// seen when it opened: that student's, and its owner's once known (see the module's
    /// documentation).
    Anon {
        conn: u32,
        student: String,
    },
    Instructor,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A record of the event log, as JSON: `{"seq":N,"event":RECORD}`.
    Event,
    /// Connection `conn` is `user`'s, from its first event: `{"seq":N,"conn":C,"user":U}`.
    Owner { conn: u32, user: String },
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub kind: Kind,
    pub scope: Scope,
    /// The SSE data line.
    pub data: Arc<str>,
}

/// Who is reading the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Viewer {
    Instructor,
    Student(String),
}

/// A batch for one viewer: what to send, and where its cursor goes.
#[derive(Debug, Default)]
pub struct Batch {
    /// Entries, in order; those marked `true` carry an SSE id (the cursor after them).
    pub items: Vec<(Arc<Entry>, bool)>,
    /// The viewer fell behind: this many entries were dropped before it could read them.
    pub missed: u64,
    pub cursor: u64,
}

struct Inner {
    ring: VecDeque<Arc<Entry>>,
    bytes: usize,
    next: u64,
    tracker: Tracker,
    /// Connection → (owner, the seq of its `owner` entry); forgotten once the connection's
    /// close has left the history (no entry of it is left to decide for).
    owners: BTreeMap<u32, (String, u64)>,
    /// The closes still in the history, oldest first: (seq, connection).
    closes: VecDeque<(u64, u32)>,
    /// Queue id → users concerned (sender and local recipients).
    queued: BTreeMap<String, Vec<String>>,
    /// Entries every new stream starts with (the server's lifeline).
    pinned: Vec<Arc<Entry>>,
    /// The servers that joined, by the seq of their entry: a student is sent the server with
    /// their own mailbox only (the others' addresses are not theirs to see, and their
    /// contents would read as empty).
    servers: BTreeMap<u64, mailsim_sim::log::Actor>,
    /// Open connections → their client's address (from their client's `actor_joined`).
    peers: BTreeMap<u32, String>,
    /// Refused connections being recorded → their client's address ([`Feed::refusing`]).
    refusing: BTreeMap<u32, String>,
    /// (address, student) → the seq after which the student is seen at that address.
    seen: BTreeMap<(String, String), u64>,
    /// Address → the one student seen there (`None`: more than one).
    alone: BTreeMap<String, Option<String>>,
    /// Open connections that did not log in when they opened → the student seen alone at
    /// their address then.
    anon: BTreeMap<u32, String>,
    /// The next server note is about this client address's refusals ([`Feed::addressed`]).
    addressed: Option<String>,
}

impl Inner {
    /// Student `user` is seen at `ip` after entry `since` (if not already).
    fn see(&mut self, ip: &str, user: &str, since: u64) {
        if let std::collections::btree_map::Entry::Vacant(v) = self.seen.entry((ip.to_string(), user.to_string())) {
            v.insert(since);
            self.alone.entry(ip.to_string()).and_modify(|one| *one = None).or_insert_with(|| Some(user.to_string()));
        }
    }
}

pub struct Feed {
    inner: Mutex<Inner>,
    wake: watch::Sender<u64>,
    accounts: MailStore,
    show_credentials: bool,
    max_entries: usize,
    max_bytes: usize,
}

fn scope_of(e: &Event, queued: &BTreeMap<String, Vec<String>>, accounts: &MailStore) -> Scope {
    let local = |a: &str| accounts.resolve_login(a).filter(|r| r.eq_ignore_ascii_case(a));
    match e {
        Event::ActorJoined { actor } if actor.kind == "server" => Scope::Everyone,
        Event::ActorJoined { actor } => {
            actor.id.strip_prefix("client-").and_then(|n| n.parse().ok()).map_or(Scope::Instructor, Scope::Conn)
        }
        Event::ConnectionOpened { conn, .. } | Event::ConnectionClosed { conn, .. } => Scope::Conn(*conn),
        Event::MessageSent { conn: Some(c), .. } => Scope::Conn(*c),
        Event::MessageQueued { mail_from, rcpt_to, .. } => {
            Scope::Users(std::iter::once(mail_from).chain(rcpt_to).filter_map(|a| local(a)).collect())
        }
        Event::MessageDeferred { queue_id, .. } | Event::QueueEntryRemoved { queue_id, .. } => {
            Scope::Users(queued.get(queue_id).cloned().unwrap_or_default())
        }
        Event::MessageStored { mailbox, .. }
        | Event::FlagsChanged { mailbox, .. }
        | Event::MessageDeleted { mailbox, .. } => Scope::Users(vec![mailbox.to_ascii_lowercase()]),
        _ => Scope::Instructor,
    }
}

impl Feed {
    /// A feed for a server with these accounts (address, password).
    pub fn new(accounts: &[(String, String)], show_credentials: bool, max_entries: usize) -> Self {
        Self::with_limits(accounts, show_credentials, max_entries, super::HISTORY_BYTES)
    }

    /// The same, with a bound on the history's bytes too.
    pub fn with_limits(
        accounts: &[(String, String)],
        show_credentials: bool,
        max_entries: usize,
        max_bytes: usize,
    ) -> Self {
        let mut store = MailStore::default();
        for (a, p) in accounts {
            store.add_account(a, p);
        }
        let inner = Inner {
            ring: VecDeque::new(),
            bytes: 0,
            next: 1,
            tracker: Tracker::default(),
            owners: BTreeMap::new(),
            closes: VecDeque::new(),
            servers: BTreeMap::new(),
            peers: BTreeMap::new(),
            refusing: BTreeMap::new(),
            seen: BTreeMap::new(),
            alone: BTreeMap::new(),
            anon: BTreeMap::new(),
            addressed: None,
            queued: BTreeMap::new(),
            pinned: vec![],
        };
        Feed {
            inner: Mutex::new(inner),
            wake: watch::channel(0).0,
            accounts: store,
            show_credentials,
            max_entries: max_entries.max(1),
            max_bytes,
        }
    }

    /// The account a student logs in with: their address, if the password is right.
    pub fn check_login(&self, user: &str, password: &str) -> Option<String> {
        let address = self.accounts.resolve_login(user.trim())?;
        (self.accounts.password(&address)? == password).then_some(address)
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// The sequence number of the newest entry (0: none yet).
    pub fn last(&self) -> u64 {
        self.inner.lock().expect("not poisoned").next - 1
    }

    /// Appends an event of the log (see the module's documentation). Returns the login that
    /// just succeeded, if any: (connection, the account's address).
    pub fn publish(&self, e: &Event) -> Option<(u32, String)> {
        let mut e = e.clone();
        let mut g = self.inner.lock().expect("not poisoned");
        let inner = &mut *g;
        let login = inner.tracker.observe(&mut e, !self.show_credentials);
        let conn = match &e {
            Event::ActorJoined { actor } => actor.id.strip_prefix("client-").and_then(|n| n.parse().ok()),
            Event::ConnectionOpened { conn, .. }
            | Event::ConnectionClosed { conn, .. }
            | Event::MessageSent { conn: Some(conn), .. } => Some(*conn),
            _ => None,
        };
        let refused = match &e {
            Event::Narrated { .. } => inner.addressed.take(),
            _ => conn.and_then(|c| inner.refusing.get(&c)).cloned(),
        };
        if let (Event::ActorJoined { actor }, Some(c), None) = (&e, conn, &refused) {
            inner.peers.insert(c, actor.ip.clone());
            if let Some(Some(student)) = inner.alone.get(&actor.ip) {
                inner.anon.insert(c, student.clone());
            }
        }
        let scope = match refused {
            Some(ip) => Scope::Refused(ip),
            None => match (scope_of(&e, &inner.queued, &self.accounts), conn.and_then(|c| inner.anon.get(&c))) {
                (Scope::Conn(c), Some(student)) => match inner.owners.get(&c) {
                    // Before its login: the student seen at its address.
                    None => Scope::Anon { conn: c, student: student.clone() },
                    // Logged in as someone else: the student shown its start sees it end.
                    Some((owner, _)) if owner != student && matches!(e, Event::ConnectionClosed { .. }) => {
                        Scope::Anon { conn: c, student: student.clone() }
                    }
                    Some(_) => Scope::Conn(c),
                },
                (scope, _) => scope,
            },
        };
        if let Event::ConnectionClosed { conn, .. } = &e {
            inner.peers.remove(conn);
            inner.refusing.remove(conn);
            inner.anon.remove(conn);
            if inner.owners.contains_key(conn) {
                inner.closes.push_back((inner.next, *conn));
            }
        }
        if let (Event::MessageQueued { queue_id, .. }, Scope::Users(u)) = (&e, &scope) {
            inner.queued.insert(queue_id.clone(), u.clone());
        }
        if let Event::QueueEntryRemoved { queue_id, .. } = &e {
            inner.queued.remove(queue_id);
        }
        let seq = inner.next;
        let record = serde_json::to_string(&e).expect("events serialize");
        let data: Arc<str> = format!("{{\"seq\":{seq},\"event\":{record}}}").into();
        let entry = Arc::new(Entry { seq, kind: Kind::Event, scope: scope.clone(), data });
        if let (Event::ActorJoined { actor }, Scope::Everyone) = (&e, &scope) {
            inner.pinned.push(entry.clone());
            inner.servers.insert(seq, actor.clone());
        }
        self.push(inner, entry);
        let mut owner = None;
        if let Some((conn, name)) = login {
            let user = self.accounts.resolve_login(&name).unwrap_or_else(|| name.to_ascii_lowercase());
            let seq = inner.next;
            inner.owners.insert(conn, (user.clone(), seq));
            if let Some(ip) = inner.peers.get(&conn).cloned() {
                // The student is seen at this connection's address (for what comes from there
                // after it).
                inner.see(&ip, &user, seq);
            }
            let data = serde_json::json!({ "seq": seq, "conn": conn, "user": user }).to_string().into();
            owner = Some((conn, user.clone()));
            let entry = Entry { seq, kind: Kind::Owner { conn, user }, scope: Scope::Conn(conn), data };
            self.push(inner, Arc::new(entry));
        }
        let last = inner.next - 1;
        drop(g);
        self.wake.send_replace(last);
        owner
    }

    /// Connection `conn`, from `ip`, is refused: its events, recorded next, are a refusal's
    /// (see the module's documentation), until its `connection_closed`.
    pub fn refusing(&self, conn: u32, ip: &str) {
        self.inner.lock().expect("not poisoned").refusing.insert(conn, ip.to_string());
    }

    /// The next note (a `narrated` event) is about the refusals from client address `ip`: it
    /// has a refusal's scope, the students seen there (and the instructor).
    pub fn addressed(&self, ip: &str) {
        self.inner.lock().expect("not poisoned").addressed = Some(ip.to_string());
    }

    /// Student `user`'s page reads the stream from `ip`: they are seen there from the next
    /// entry on (if not already), and see the refusals of that address from then on.
    pub fn student_at(&self, user: &str, ip: &str) {
        let mut g = self.inner.lock().expect("not poisoned");
        let last = g.next - 1;
        g.see(ip, user, last);
    }

    fn push(&self, inner: &mut Inner, entry: Arc<Entry>) {
        inner.next += 1;
        inner.bytes += entry.data.len();
        inner.ring.push_back(entry);
        while inner.ring.len() > self.max_entries || (inner.bytes > self.max_bytes && inner.ring.len() > 1) {
            if let Some(old) = inner.ring.pop_front() {
                inner.bytes -= old.data.len();
            }
        }
        // A connection's close is its last entry: once it left, so did every entry of it, and
        // its owner is needed no more (a class's thousands of connections are not all kept).
        let first = inner.ring.front().map_or(inner.next, |e| e.seq);
        while let Some(&(_, conn)) = inner.closes.front().filter(|(seq, _)| *seq < first) {
            inner.closes.pop_front();
            inner.owners.remove(&conn);
        }
    }

    /// Whether `v` sees entry `e` where it stands in the stream.
    fn visible(inner: &Inner, v: &Viewer, e: &Entry) -> bool {
        let Viewer::Student(user) = v else { return true };
        match (&e.scope, &e.kind) {
            (Scope::Everyone, _) => true,
            (Scope::Users(u), _) => u.contains(user),
            (Scope::Refused(ip), _) => inner.seen.get(&(ip.clone(), user.clone())).is_some_and(|since| *since < e.seq),
            (Scope::Anon { conn, student }, _) => {
                student == user || inner.owners.get(conn).is_some_and(|(owner, since)| owner == user && *since < e.seq)
            }
            (Scope::Conn(_), Kind::Owner { user: owner, .. }) => owner == user,
            // An event of a connection is sent in order once its owner is known; before, it
            // waits for the `owner` entry.
            (Scope::Conn(c), Kind::Event) => {
                inner.owners.get(c).is_some_and(|(owner, since)| owner == user && *since < e.seq)
            }
            (Scope::Instructor, _) => false,
        }
    }

    /// What follows `cursor` for `v`: at most `max` entries (see [`Batch`]). A cursor of 0 is
    /// a new viewer: it gets the pinned entries first.
    pub fn read(&self, v: &Viewer, cursor: u64, max: usize) -> Batch {
        let g = self.inner.lock().expect("not poisoned");
        let mut b = Batch { cursor, ..Batch::default() };
        let first = g.ring.front().map_or(g.next, |e| e.seq);
        if cursor + 1 < first {
            b.missed = first - cursor - 1;
            for p in g.pinned.iter().filter(|p| p.seq < first) {
                b.items.push((Self::as_seen_by(&g, v, p), false));
            }
            b.cursor = first - 1;
        }
        let start = (b.cursor + 1 - first) as usize;
        for e in g.ring.iter().skip(start) {
            if b.items.len() >= max {
                break;
            }
            b.cursor = e.seq;
            if !Self::visible(&g, v, e) {
                continue;
            }
            if let (Viewer::Student(user), Kind::Owner { conn, user: owner }) = (v, &e.kind) {
                if owner == user {
                    // The connection's earlier events, held back until now (but those it was
                    // shown already, from its address).
                    for old in g.ring.iter().filter(|o| o.seq < e.seq && o.kind == Kind::Event) {
                        let held = match &old.scope {
                            Scope::Conn(c) => c == conn,
                            Scope::Anon { conn: c, student } => c == conn && student != user,
                            _ => false,
                        };
                        if held {
                            b.items.push((old.clone(), false));
                        }
                    }
                }
            }
            b.items.push((Self::as_seen_by(&g, v, e), true));
        }
        b
    }

    /// Entry `e` as viewer `v` is sent it: a server's lifeline lists only a student's own
    /// mailbox.
    fn as_seen_by(inner: &Inner, v: &Viewer, e: &Arc<Entry>) -> Arc<Entry> {
        let (Viewer::Student(user), Some(server)) = (v, inner.servers.get(&e.seq)) else { return e.clone() };
        let mut actor = server.clone();
        actor.mailboxes.retain(|m| m.eq_ignore_ascii_case(user));
        let record = serde_json::to_string(&Event::ActorJoined { actor }).expect("events serialize");
        let data = format!("{{\"seq\":{},\"event\":{record}}}", e.seq).into();
        Arc::new(Entry { data, ..(**e).clone() })
    }
}

#[cfg(test)]
mod tests;
