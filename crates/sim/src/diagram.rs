//! Views computed from a log prefix: the sequence diagram's model (lifelines and arrows),
//! the state of mailboxes and queues as of a step, and the plain transcript. Pure functions
//! of the [`EventLog`]: stepping back is choosing a shorter prefix.

use crate::log::{Actor, Event, EventLog, Millis};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

mod grow;
pub use grow::Builder;

/// One arrow: one protocol message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    /// 1-based step number.
    pub step: usize,
    /// Index of its `MessageSent` event in the log.
    pub event: usize,
    /// Lifeline indexes.
    pub from: usize,
    pub to: usize,
    pub protocol: String,
    pub port: u16,
    pub conn: Option<u32>,
    pub label: String,
    pub t_sent: Millis,
    pub t: Millis,
    /// Sent inside TLS.
    pub tls: bool,
    /// Length of the bytes carried.
    pub size: usize,
    /// For SMTP: the phase of the dialog this message opens, if it opens one
    /// (`handshake`, `transfer`, `closure`).
    pub phase: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    pub actors: Vec<Actor>,
    pub arrows: Vec<Arrow>,
    pub events: usize,
}

impl Diagram {
    /// The diagram of `log` (see [`Builder`], which makes it event by event).
    pub fn from_log(log: &EventLog) -> Diagram {
        let mut d = Builder::empty();
        Builder::default().extend(&mut d, log);
        d
    }

    /// How many events are in effect at `step` (0 = before the first message): every event
    /// before the next step's message, so that what a message caused shows at its own step.
    pub fn events_at_step(&self, step: usize) -> usize {
        self.arrows.get(step).map(|a| a.event).unwrap_or(self.events)
    }
}

/// A stored message, for the mailbox view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredView {
    pub uid: u32,
    pub flags: Vec<String>,
    pub from: String,
    pub subject: String,
    /// Shared between snapshots.
    pub raw: Rc<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxView {
    pub server: String,
    pub address: String,
    pub messages: Vec<StoredView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub id: String,
    /// `waiting`, or why the last attempt failed and when the next one is.
    pub status: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub size: usize,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueView {
    pub server: String,
    pub entries: Vec<QueueItem>,
}

/// What a user agent has downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxView {
    pub agent: String,
    pub messages: Vec<(String, String)>,
}

/// An open TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnView {
    pub conn: u32,
    pub client: String,
    pub client_port: u16,
    pub server: String,
    pub port: u16,
    pub protocol: String,
}

/// The world as of a log prefix. Its lists are shared between copies (a copy costs four
/// counts, not the lists) and copied when a copy changes one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub time: Millis,
    pub mailboxes: Rc<Vec<MailboxView>>,
    pub queues: Rc<Vec<QueueView>>,
    pub inboxes: Rc<Vec<InboxView>>,
    pub connections: Rc<Vec<ConnView>>,
    /// The latest narration, if any.
    pub narration: Option<String>,
    /// What happened since the previous step (queued, stored, deleted...), in words.
    pub happenings: Happenings,
}

/// Sentences about what happened, in order: a slice of a list that [`Snapshots`] made once
/// for the whole log, so that asking for the world at a step copies none of them. Reads as
/// a `[String]`.
#[derive(Clone, Default)]
pub struct Happenings {
    all: Rc<Vec<String>>,
    range: std::ops::Range<usize>,
}

impl Happenings {
    fn of(all: Vec<String>) -> Happenings {
        let range = 0..all.len();
        Happenings { all: Rc::new(all), range }
    }
}

impl std::ops::Deref for Happenings {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.all[self.range.clone()]
    }
}

impl PartialEq for Happenings {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Happenings {}

impl std::fmt::Debug for Happenings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Folds the first `n` events of `log`; `since` marks where "happenings" start. Walks the
/// log from the start: for many steps of one log, [`Snapshots`] answers without that.
pub fn snapshot(log: &EventLog, since: usize, n: usize) -> Snapshot {
    let mut f = Fold::new(log);
    for (i, e) in log.events.iter().take(n).enumerate() {
        f.apply(e, i >= since);
    }
    f.s.happenings = Happenings::of(f.happened);
    f.s
}

/// The world after every `K`-th event of one log, kept so that the world at any step is a
/// copy of the checkpoint before it and at most `K - 1` events folded on top, and what
/// happened between any two events a slice of one list made here: the cost of a step does
/// not grow with the log. Stored message bytes are shared, not copied.
#[derive(Debug, Clone)]
pub struct Snapshots {
    names: BTreeMap<String, String>,
    checkpoints: Vec<Snapshot>,
    /// Indexes of the `Narrated` events, in order.
    narrations: Vec<usize>,
    /// Every event's happening, in order (events that change nothing to tell have none).
    happened: Rc<Vec<String>>,
    /// For each event index `i` (and the log's length), how many of `happened` come from
    /// the events before `i`.
    happened_before: Vec<u32>,
    /// Events between checkpoints.
    every: usize,
    /// The world after the last event folded, and how many were ([`Snapshots::extend`]).
    tail: Snapshot,
    len: usize,
    /// An actor was renamed ([`Snapshots::rename`]): the happenings made before name it as
    /// it was called then, so they are made again at each question, with the names of now.
    renamed: bool,
    /// The world last asked for (after how many events): stepping forward from it folds
    /// the events since, not those since the checkpoint.
    last: RefCell<Option<(usize, Snapshot)>>,
}

/// Events between checkpoints.
const K: usize = 128;

impl Snapshots {
    pub fn new(log: &EventLog) -> Snapshots {
        Snapshots::every(log, K)
    }

    /// Nothing folded yet, with a checkpoint every `every` events (at least 1): to
    /// [`Snapshots::extend_to`] as far as needed.
    pub fn empty(every: usize) -> Snapshots {
        Snapshots {
            names: BTreeMap::new(),
            checkpoints: vec![Snapshot::default()],
            narrations: Vec::new(),
            happened: Rc::new(Vec::new()),
            happened_before: vec![0],
            every: every.max(1),
            tail: Snapshot::default(),
            len: 0,
            renamed: false,
            last: RefCell::new(None),
        }
    }

    /// With a checkpoint every `every` events (at least 1).
    pub fn every(log: &EventLog, every: usize) -> Snapshots {
        let every = every.max(1);
        let mut f = Fold::new(log);
        let mut checkpoints = vec![f.s.clone()];
        let mut narrations = Vec::new();
        let mut happened_before = Vec::with_capacity(log.events.len() + 1);
        for (i, e) in log.events.iter().enumerate() {
            if matches!(e, Event::Narrated { .. }) {
                narrations.push(i);
            }
            happened_before.push(f.happened.len() as u32);
            f.apply(e, true);
            if (i + 1) % every == 0 {
                checkpoints.push(f.s.clone());
            }
        }
        happened_before.push(f.happened.len() as u32);
        Snapshots {
            names: f.names,
            checkpoints,
            narrations,
            happened: Rc::new(f.happened),
            happened_before,
            every,
            tail: f.s,
            len: log.events.len(),
            renamed: false,
            last: RefCell::new(None),
        }
    }

    /// The same as [`snapshot`]`(log, since, n)`, for the log this was made from.
    pub fn at(&self, log: &EventLog, since: usize, n: usize) -> Snapshot {
        let n = n.min(log.events.len());
        if self.renamed || n > self.len {
            // The happenings from `since` folded again, from the checkpoint before it.
            let since = since.min(n);
            let from = (since / self.every).min(self.checkpoints.len() - 1);
            let s = self.checkpoints[from].clone();
            let mut f = Fold { s, names: BTreeMap::new(), all: &self.names, happened: vec![] };
            for (i, e) in log.events.iter().enumerate().take(n).skip(from * self.every) {
                f.apply(e, i >= since);
            }
            f.s.happenings = Happenings::of(f.happened);
            return f.s;
        }
        let checkpoint = (n / self.every).min(self.checkpoints.len() - 1);
        // From the last world asked for, if it is on the way; else from the checkpoint.
        let (start, s) = match self.last.borrow_mut().take() {
            Some((at, s)) if at <= n && at >= checkpoint * self.every => (at, s),
            _ => (checkpoint * self.every, self.checkpoints[checkpoint].clone()),
        };
        let mut f = Fold { s, names: BTreeMap::new(), all: &self.names, happened: vec![] };
        for e in log.events.iter().take(n).skip(start) {
            f.apply(e, false);
        }
        *self.last.borrow_mut() = Some((n, f.s.clone()));
        let since = since.min(n);
        let range = self.happened_before[since] as usize..self.happened_before[n] as usize;
        f.s.happenings = Happenings { all: self.happened.clone(), range };
        f.s
    }

    /// The index of the last `Narrated` event before event `before`, if any.
    pub fn narration_before(&self, before: usize) -> Option<usize> {
        let i = self.narrations.partition_point(|&n| n < before);
        i.checked_sub(1).map(|i| self.narrations[i])
    }
}

/// The fold of events into a [`Snapshot`], with the actors' names at hand.
struct Fold<'a> {
    s: Snapshot,
    /// Actor id → name, when built here.
    names: BTreeMap<String, String>,
    /// The names to use: `names`, or a [`Snapshots`]' own.
    all: &'a BTreeMap<String, String>,
    /// What happened, in words, for the events folded with `record`.
    happened: Vec<String>,
}

static NO_NAMES: BTreeMap<String, String> = BTreeMap::new();

impl<'a> Fold<'a> {
    fn new(log: &EventLog) -> Fold<'a> {
        let mut names = BTreeMap::new();
        for e in &log.events {
            if let Event::ActorJoined { actor } = e {
                names.entry(actor.id.clone()).or_insert_with(|| actor.name.clone());
            }
        }
        Fold { s: Snapshot::default(), names, all: &NO_NAMES, happened: vec![] }
    }

    fn name(&self, id: &str) -> String {
        self.names.get(id).or_else(|| self.all.get(id)).cloned().unwrap_or_else(|| id.to_string())
    }

    /// A mailbox to change (the list is copied first if a copy of the world shares it).
    fn mailbox(&mut self, node: &str, address: &str) -> Option<&mut MailboxView> {
        let i = self.s.mailboxes.iter().position(|m| m.server == node && m.address == address)?;
        Some(&mut Rc::make_mut(&mut self.s.mailboxes)[i])
    }

    /// Applies one event; with `record`, also says what it did (in `happened`).
    fn apply(&mut self, e: &Event, record: bool) {
        self.s.time = self.s.time.max(e.time());
        let mut happened = None;
        match e {
            Event::ActorJoined { actor } => match actor.kind.as_str() {
                "server" => {
                    for m in &actor.mailboxes {
                        Rc::make_mut(&mut self.s.mailboxes).push(MailboxView {
                            server: actor.id.clone(),
                            address: m.clone(),
                            messages: vec![],
                        });
                    }
                    Rc::make_mut(&mut self.s.queues).push(QueueView { server: actor.id.clone(), entries: vec![] });
                }
                "ua" => Rc::make_mut(&mut self.s.inboxes).push(InboxView { agent: actor.id.clone(), messages: vec![] }),
                _ => {}
            },
            Event::Narrated { text, .. } => self.s.narration = Some(text.clone()),
            Event::ConnectionOpened { conn, client, client_port, server, port, protocol, .. } => {
                Rc::make_mut(&mut self.s.connections).push(ConnView {
                    conn: *conn,
                    client: client.clone(),
                    client_port: *client_port,
                    server: server.clone(),
                    port: *port,
                    protocol: protocol.clone(),
                });
                happened = record.then(|| {
                    format!(
                        "{} opened a TCP connection to {} port {port} ({protocol})",
                        self.name(client),
                        self.name(server)
                    )
                });
            }
            Event::ConnectionClosed { conn, .. } => {
                if let Some(c) = self.s.connections.iter().position(|c| c.conn == *conn) {
                    let c = Rc::make_mut(&mut self.s.connections).remove(c);
                    happened = record.then(|| {
                        format!(
                            "the connection from {} to {} port {} was closed",
                            self.name(&c.client),
                            self.name(&c.server),
                            c.port
                        )
                    });
                }
            }
            // Refused (a reset) or timed out (an unanswered SYN): the user agent's words or the
            // queue's reason say which.
            Event::ConnectionRefused { client, server, port, .. } => {
                happened = record
                    .then(|| format!("{} could not connect to {} port {port}", self.name(client), self.name(server)));
            }
            Event::MessageQueued { node, queue_id, mail_from, rcpt_to, size, subject, .. } => {
                if let Some(q) = Rc::make_mut(&mut self.s.queues).iter_mut().find(|q| &q.server == node) {
                    q.entries.push(QueueItem {
                        id: queue_id.clone(),
                        status: "waiting for delivery".into(),
                        mail_from: mail_from.clone(),
                        rcpt_to: rcpt_to.clone(),
                        size: *size,
                        subject: subject.clone(),
                    });
                }
                happened = record.then(|| {
                    if mail_from.is_empty() {
                        format!(
                            "{} queued a bounce (delivery status notification) for <{}> as {queue_id}",
                            self.name(node),
                            rcpt_to.join(">, <")
                        )
                    } else {
                        format!("{} put the message in its outgoing queue as {queue_id}", self.name(node))
                    }
                });
            }
            Event::MessageDeferred { node, queue_id, reason, retry_at, .. } => {
                if let Some(e) = Rc::make_mut(&mut self.s.queues)
                    .iter_mut()
                    .filter(|q| &q.server == node)
                    .flat_map(|q| q.entries.iter_mut())
                    .find(|e| &e.id == queue_id)
                {
                    e.status = format!("deferred ({reason}); next attempt at {}", format_time(*retry_at));
                }
                happened = record.then(|| {
                    format!(
                        "{} deferred {queue_id}: {reason}; it will try again at {}",
                        self.name(node),
                        format_time(*retry_at)
                    )
                });
            }
            Event::QueueEntryRemoved { node, queue_id, outcome, .. } => {
                if let Some(q) = Rc::make_mut(&mut self.s.queues).iter_mut().find(|q| &q.server == node) {
                    q.entries.retain(|e| &e.id != queue_id);
                }
                happened = record.then(|| format!("{} removed {queue_id} from its queue: {outcome}", self.name(node)));
            }
            Event::MessageStored { node, mailbox, uid, from, subject, raw, .. } => {
                if let Some(m) = self.mailbox(node, mailbox) {
                    m.messages.push(StoredView {
                        uid: *uid,
                        flags: vec![],
                        from: from.clone(),
                        subject: subject.clone(),
                        raw: Rc::new(raw.clone()),
                    });
                }
                happened = record
                    .then(|| format!("{} stored the message in {mailbox}'s mailbox (UID {uid})", self.name(node)));
            }
            Event::FlagsChanged { node, mailbox, uid, flags, .. } => {
                if let Some(m) = self.mailbox(node, mailbox).and_then(|m| m.messages.iter_mut().find(|x| x.uid == *uid))
                {
                    m.flags = flags.clone();
                }
                if t_nonzero(e) {
                    happened = record.then(|| {
                        format!(
                            "{} set the flags of UID {uid} in {mailbox}'s mailbox to ({})",
                            self.name(node),
                            flags.join(" ")
                        )
                    });
                }
            }
            Event::MessageDeleted { node, mailbox, uid, .. } => {
                if let Some(m) = self.mailbox(node, mailbox) {
                    m.messages.retain(|x| x.uid != *uid);
                }
                happened =
                    record.then(|| format!("{} removed message UID {uid} from {mailbox}'s mailbox", self.name(node)));
            }
            Event::MessageDownloaded { node, from, subject, .. } => {
                if let Some(b) = Rc::make_mut(&mut self.s.inboxes).iter_mut().find(|b| &b.agent == node) {
                    b.messages.push((from.clone(), subject.clone()));
                }
                happened = record.then(|| format!("{} downloaded \"{subject}\"", self.name(node)));
            }
            Event::MessageSent { .. } => {}
        }
        self.happened.extend(happened);
    }
}

fn t_nonzero(e: &Event) -> bool {
    e.time() > 0
}

/// `mm:ss.mmm` (or `h:mm:ss.mmm`).
pub fn format_time(ms: Millis) -> String {
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{f:03}")
    } else {
        format!("{m:02}:{s:02}.{f:03}")
    }
}

/// The plain transcript: one line per protocol message (time, from → to, text).
pub fn transcript(log: &EventLog) -> String {
    let d = Diagram::from_log(log);
    let mut out = String::new();
    for a in &d.arrows {
        let (from, to) = (&d.actors[a.from].name, &d.actors[a.to].name);
        out.push_str(&format!("{}  {from} → {to}  [{} :{}]  {}\n", format_time(a.t), a.protocol, a.port, a.label));
    }
    out
}

/// What an observer on the network sees of `plain` sent inside TLS 1.3 (RFC 8446 §5.2):
/// an application-data record (type 23, legacy version 3.3, length) holding the encrypted
/// bytes, an inner content-type byte and a 16-byte authentication tag. The encryption is
/// modelled: a keystream derived from the connection and step stands in for AES-GCM, so the
/// same scenario shows the same "ciphertext" every time.
pub fn tls_record(plain: &[u8], conn: u32, step: usize) -> Vec<u8> {
    let mut rng = crate::rng::Rng::new(u64::from(conn) << 32 | step as u64);
    let len = plain.len() + 1 + 16;
    let mut out = vec![0x17, 0x03, 0x03, (len >> 8) as u8, len as u8];
    let mut ks = 0u64;
    for (i, &b) in plain.iter().chain(&[0x17]).enumerate() {
        if i % 8 == 0 {
            ks = rng.next_u64();
        }
        out.push(b ^ (ks >> ((i % 8) * 8)) as u8);
    }
    for _ in 0..2 {
        out.extend(rng.next_u64().to_be_bytes());
    }
    out
}

/// The RFC 5322 message an arrow carries, if it carries one whole: SMTP mail data (after
/// 354, dot-stuffing undone) or a POP3 RETR response (status line dropped, byte-stuffing
/// undone).
pub fn carried_message(protocol: &str, label: &str, raw: &[u8]) -> Option<Vec<u8>> {
    use mailsim_proto::smtp::data;
    use mailsim_proto::Decoded;
    match protocol {
        "SMTP" if label.starts_with("message (") => match data::decode(raw) {
            Decoded::Complete(d, _) => Some(d.message),
            _ => None,
        },
        "POP3" if raw.starts_with(b"+OK") && label.contains(" octets (+") => {
            let end = raw.windows(2).position(|w| w == b"\r\n")? + 2;
            match data::decode(&raw[end..]) {
                Decoded::Complete(d, _) => Some(d.message),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The SMTP envelope in force when event `index` (a message on a connection) was sent:
/// the MAIL FROM and the RCPT TO addresses the server accepted, pairing each command with
/// its reply in order (so pipelined commands line up too).
pub fn envelope(log: &EventLog, index: usize) -> Option<(String, Vec<String>)> {
    use mailsim_proto::smtp::command::{self, Command};
    use mailsim_proto::Decoded;
    let Event::MessageSent { conn: Some(conn), .. } = log.events.get(index)? else { return None };
    // The connection's opening, looked for backwards: the cost is the connection's length,
    // not the log's (and a log that numbers connections again after a restart finds the
    // latest one).
    let (opened, client) = log.events[..index].iter().enumerate().rev().find_map(|(i, e)| match e {
        Event::ConnectionOpened { conn: c, client, .. } if c == conn => Some((i, client.clone())),
        _ => None,
    })?;
    let mut pending: std::collections::VecDeque<Option<Command>> = std::collections::VecDeque::new();
    let (mut from, mut rcpts) = (None, Vec::new());
    for e in &log.events[opened..index] {
        let Event::MessageSent { conn: Some(c), from: sender, raw, .. } = e else { continue };
        if c != conn {
            continue;
        }
        if *sender == client {
            pending.push_back(match command::decode(raw) {
                Decoded::Complete(cmd, _) => Some(cmd),
                _ => None,
            });
        } else if raw.len() >= 3 && raw[..3].iter().all(u8::is_ascii_digit) {
            let ok = raw[0] == b'2';
            match pending.pop_front().flatten() {
                Some(Command::Mail { from: f, .. }) if ok => {
                    from = Some(f);
                    rcpts.clear();
                }
                Some(Command::Rcpt { to, .. }) if ok => rcpts.push(to),
                Some(Command::Rset) | Some(Command::Ehlo { .. }) | Some(Command::Helo { .. }) if ok => {
                    from = None;
                    rcpts.clear();
                }
                _ => {}
            }
        }
    }
    from.map(|f| (f, rcpts))
}

/// How the details panel shows bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawView {
    /// Text protocols: lines with CR and LF made visible.
    Text(Vec<String>),
    /// Binary (DNS, TLS, TCP): a hex dump, 8 bytes a line (it fits a narrow panel).
    Hex(Vec<String>),
}

pub fn raw_view(bytes: &[u8]) -> RawView {
    let text = bytes.iter().all(|&b| matches!(b, b'\r' | b'\n' | b'\t' | 0x20..=0x7e));
    if text {
        let mut lines = Vec::new();
        let mut cur = String::new();
        for &b in bytes {
            match b {
                b'\r' => cur.push('␍'),
                b'\n' => {
                    cur.push('␊');
                    lines.push(std::mem::take(&mut cur));
                }
                b'\t' => cur.push('⇥'),
                _ => cur.push(b as char),
            }
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        RawView::Text(lines)
    } else {
        RawView::Hex(
            bytes
                .chunks(8)
                .enumerate()
                .map(|(i, c)| {
                    let hex: Vec<String> = c.iter().map(|b| format!("{b:02x}")).collect();
                    let ascii: String =
                        c.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
                    format!("{:04x}  {:<23}  {ascii}", i * 8, hex.join(" "))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_records_look_like_tls_and_are_stable() {
        let r = tls_record(b"EHLO x\r\n", 3, 7);
        assert_eq!(&r[..5], &[0x17, 0x03, 0x03, 0, 25]);
        assert_eq!(r.len(), 5 + 25);
        assert_eq!(r, tls_record(b"EHLO x\r\n", 3, 7));
        assert!(!r.windows(4).any(|w| w == b"EHLO"));
    }

    #[test]
    fn raw_views() {
        assert_eq!(raw_view(b"EHLO x\r\n"), RawView::Text(vec!["EHLO x␍␊".into()]));
        let RawView::Hex(h) = raw_view(&[0x12, 0x34, 0, 1]) else { panic!() };
        assert!(h[0].starts_with("0000  12 34 00 01"));
        assert_eq!(format_time(61_005), "01:01.005");
    }
}

#[cfg(all(test, feature = "engine"))]
mod snapshot_tests {
    use super::*;

    /// The checkpoints give what folding from the start gives, at every step of a scenario.
    #[test]
    fn checkpoints_agree_with_the_fold_from_the_start() {
        for s in crate::scenario::SCENARIOS
            .iter()
            .filter(|s| ["two-devices", "greylisting", "imap-session"].contains(&s.id.as_str()))
        {
            let log = s.run();
            let d = Diagram::from_log(&log);
            let snaps = Snapshots::every(&log, 7);
            for step in 0..=d.arrows.len() {
                let since = if step == 0 { 0 } else { d.arrows[step - 1].event };
                let n = d.events_at_step(step);
                assert_eq!(snaps.at(&log, since, n), snapshot(&log, since, n), "{} step {step}", s.id);
                assert_eq!(snaps.at(&log, 0, n), snapshot(&log, 0, n), "{} step {step}", s.id);
                assert_eq!(snaps.at(&log, n / 3, n), snapshot(&log, n / 3, n), "{} step {step}", s.id);
                let narr = log.events[..since].iter().rposition(|e| matches!(e, Event::Narrated { .. }));
                assert_eq!(snaps.narration_before(since), narr);
            }
            // Backwards and by jumps: the world kept from the last question is used only
            // when it is on the way.
            let n_of = |step: usize| d.events_at_step(step);
            for step in (0..=d.arrows.len()).rev().chain([0, d.arrows.len(), 1, d.arrows.len() / 2]) {
                assert_eq!(snaps.at(&log, 0, n_of(step)), snapshot(&log, 0, n_of(step)), "{} back {step}", s.id);
            }
            assert!(log.events.len() > 3 * 7, "{}: long enough to cross checkpoints", s.id);
        }
    }
}
