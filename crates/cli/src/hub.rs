//! The mail host on the real clock, shared by `mailsim serve`'s session tasks.
//!
//! [`Shared::with`] is the only way in: it takes the host's lock, runs one step of a
//! session (open, input, timeout, close) under `catch_unwind`, and, still under the lock,
//! queues what the step produced: the store's changes to the disk thread ([`disk`]), and the
//! output for each session to that session's task, each item with a [`disk::Ticket`] when
//! changes are still being written. A session task writes an item only once its ticket says
//! the disk got that far, so a `250` after DATA, or a tagged `OK` after STORE or EXPUNGE, is
//! sent only once what it acknowledges is on disk.
//!
//! Output is queued under the lock so that each session gets it in the order the steps
//! decided it: a step that queued it after the lock was released could be overtaken by a later
//! step on another thread (issue 13: another client's delivery refreshed an IMAP session that
//! had just answered LOGOUT, and its "close" overtook the `* BYE` and the tagged OK). The store
//! lock is never held across I/O: sockets are written by the session tasks, the event log by
//! its own thread, the disk by the disk thread.
//!
//! A panic in one session's step (an engine bug) is caught here: it is reported on stderr,
//! that client gets its protocol's "internal error" goodbye and is closed, and every other
//! session goes on.

mod disk;

use crate::eventlog::LogWriter;
use crate::limits;
use crate::maildir::Maildir;
use disk::{DiskQueue, Outbox, Ticket};
pub use disk::{Item, Out};
use mailsim_proto::pdu::Transmit;
use mailsim_sim::host::{Ctx, Detached, HostOutput, MailHost, SessionId};
use mailsim_sim::log::{Actor, Event};
use mailsim_sim::rng::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Peer {
    tx: Outbox,
    client: String,
    protocol: &'static str,
    port: u16,
    /// Commands read since the session task last asked (for the throttle).
    commands: u32,
    /// The session runs inside TLS (the log's `tls` field).
    tls: bool,
}

/// The host and its driver's state; reached through [`Shared::with`].
pub struct Hub {
    host: MailHost,
    rng: Rng,
    start: Instant,
    /// Unix seconds at `start`.
    epoch: i64,
    peers: BTreeMap<SessionId, Peer>,
    events: usize,
    log: Option<LogWriter>,
    quiet: bool,
    /// Output of the current step for the sessions (queued at its end, see [`Shared::with`]).
    pending: Vec<(SessionId, Outbox, Out)>,
    /// Sessions whose engine is reading input outside the lock: not pumped meanwhile.
    detached: BTreeSet<SessionId>,
    /// The live view's stream (`crate::web`), if served.
    live: Option<std::sync::Arc<crate::web::feed::Feed>>,
    /// Sessions whose engine said to start TLS since their input was last handed over.
    tls_began: BTreeSet<SessionId>,
    /// Who each connection logged in as, for `--log`'s owner records, when there is no live
    /// stream (which finds the same with its own tracker).
    logins: Option<crate::web::redact::Tracker>,
}

/// Test hooks of `mailsim serve` (hidden flags).
#[derive(Default)]
pub struct Hooks {
    /// Input holding these bytes panics its session's engine.
    pub panic_on: Option<Vec<u8>>,
    /// The step that acts on input holding these bytes pauses once it released the lock.
    pub slow_step_on: Option<Vec<u8>>,
    /// Each write of the disk thread takes this long more.
    pub slow_disk: Option<Duration>,
}

/// The hub behind its lock, and the queue to the disk thread.
pub struct Shared {
    hub: Mutex<Hub>,
    disk: Option<DiskQueue>,
    next_sid: AtomicU32,
    /// Test hook (`--panic-on`): input containing these bytes panics its session's engine.
    panic_on: Option<Vec<u8>>,
    /// Test hook (`--slow-step-on`): the step that acts on input containing these bytes
    /// pauses after it released the lock (another thread's step can come between).
    slow_on: Option<Vec<u8>>,
}

/// How long a step of `--slow-step-on` pauses.
const SLOW_STEP: Duration = Duration::from_millis(300);

/// How many lines of a client's input are read per turn of the lock (see [`Shared::input`]).
/// (A read of 16 KB of mail text, lines of 76 octets, is about four turns.)
pub const LINES_PER_TURN: usize = 64;

/// The length of the first piece of `bytes` that holds at most `lines` line ends (all of
/// `bytes` if it holds fewer).
fn piece_len(bytes: &[u8], lines: usize) -> usize {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(lines.saturating_sub(1))
        .map_or(bytes.len(), |(i, _)| i.saturating_add(1))
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic is caught inside the lock, so it is never poisoned by one; be safe anyway.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// `hooks`: the test hooks (`--panic-on`, `--slow-step-on`, `--slow-disk`).
    pub fn new(hub: Hub, disk: Option<Maildir>, hooks: Hooks) -> Self {
        let nonempty = |t: Option<Vec<u8>>| t.filter(|t| !t.is_empty());
        Shared {
            hub: Mutex::new(hub),
            disk: disk.map(|m| DiskQueue::start(m, hooks.slow_disk)),
            next_sid: AtomicU32::new(1),
            panic_on: nonempty(hooks.panic_on),
            slow_on: nonempty(hooks.slow_step_on),
        }
    }

    /// Bytes from the client of `sid`: its engine reads them outside the lock (the session is
    /// taken out of the host meanwhile), then, back under the lock, the host acts on what the
    /// engine decided. Returns how many commands they held (for the throttle); `None` if the
    /// session failed.
    ///
    /// Pipelined commands are taken [`LINES_PER_TURN`] lines at a time, each piece a turn of
    /// its own, with a yield between turns: an engine that waited for the host (IMAP's LOGIN,
    /// SELECT, APPEND...) reads the commands behind it under the lock once the host answered,
    /// so a piece bounds what one client does per turn of the lock; the others' greetings and
    /// commands come in between.
    pub async fn input(&self, sid: SessionId, bytes: &[u8]) -> Option<u32> {
        let mut commands = 0u32;
        let mut rest = bytes;
        while !rest.is_empty() {
            let (piece, after) = rest.split_at(piece_len(rest, LINES_PER_TURN));
            let (n, tls_began) = self.input_piece(sid, piece).await?;
            commands = commands.saturating_add(n);
            if tls_began {
                // What came after STARTTLS in the same read was sent before the handshake:
                // thrown away, as the engine throws away what it holds (RFC 3207 §4.2, RFC 9051
                // §6.2.1, RFC 2595 §4), never read as if it came inside TLS.
                break;
            }
            rest = after;
            if !rest.is_empty() {
                tokio::task::yield_now().await;
            }
        }
        Some(commands)
    }

    /// One turn of [`Shared::input`]: how many commands, and whether the session's engine
    /// said to start TLS.
    async fn input_piece(&self, sid: SessionId, bytes: &[u8]) -> Option<(u32, bool)> {
        let (mut d, now) = self.with(Some(sid), |h| h.detach(sid)).await.flatten()?;
        // A long step (a FETCH of a big folder) must not hold up the runtime's other tasks:
        // this worker thread hands them to another while it computes.
        let step = tokio::task::block_in_place(|| {
            catch_unwind(AssertUnwindSafe(|| {
                if let Some(trigger) = &self.panic_on {
                    if bytes.windows(trigger.len()).any(|w| w == trigger.as_slice()) {
                        panic!("test hook: --panic-on matched the input of session {sid}");
                    }
                }
                d.handle_input(now, bytes)
            }))
        });
        let slow = self.slow_on.as_ref().is_some_and(|t| bytes.windows(t.len()).any(|w| w == t.as_slice()));
        match step {
            Ok(()) => self.step(Some(sid), slow, move |h| h.attach(d)).await,
            Err(panic) => {
                let what = panic_text(&*panic);
                self.with(Some(sid), move |h| {
                    h.detached.remove(&sid);
                    h.host.abort_detached(d);
                    h.fail(sid, &what)
                })
                .await;
                None
            }
        }
    }

    /// A number for a new connection.
    pub fn next_sid(&self) -> SessionId {
        self.next_sid.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs one step on the hub (for session `sid`, if any), then persists and sends what it
    /// produced. `None` if the step panicked: that session has been answered and dropped.
    pub async fn with<R>(&self, sid: Option<SessionId>, f: impl FnOnce(&mut Hub) -> R) -> Option<R> {
        self.step(sid, false, f).await
    }

    /// [`Shared::with`]; a `slow` step pauses once the lock is released (`--slow-step-on`).
    async fn step<R>(&self, sid: Option<SessionId>, slow: bool, f: impl FnOnce(&mut Hub) -> R) -> Option<R> {
        let (r, ticket) = {
            let mut hub = lock(&self.hub);
            let r = match catch_unwind(AssertUnwindSafe(|| f(&mut hub))) {
                Ok(r) => Some(r),
                Err(panic) => {
                    let what = panic_text(&*panic);
                    match sid {
                        Some(sid) => hub.fail(sid, &what),
                        None => eprintln!("mailsim: a step of the server panicked ({what}); it goes on"),
                    }
                    None
                }
            };
            let changes = hub.host.store_mut().take_changes();
            // What this step sends waits for its changes to be on disk, and also for the
            // changes of other steps still being written: this step may tell its client about
            // them (a new message's EXISTS and UID), and what a client was told must survive a
            // crash like what it was acknowledged (a UID is never given twice, RFC 9051 §2.3.1.1).
            let ticket = self.disk.as_ref().and_then(|d| d.submit(changes, false));
            hub.hand_over(sid, ticket.as_ref());
            (r, ticket)
        };
        if slow {
            tokio::time::sleep(SLOW_STEP).await;
        }
        if let Some(Err(e)) = match &ticket {
            Some(t) => Some(t.wait().await),
            None => None,
        } {
            eprintln!("mailsim: cannot write the mail store: {e}");
            // What the step acknowledged is not safely on disk: its session's output is dropped
            // (see [`Item::ready`]) and it is closed with "try again later" in its place (the
            // client resends).
            let mut hub = lock(&self.hub);
            if let Some(sid) = sid {
                hub.fail(sid, "the disk refused a write");
            }
            hub.hand_over(None, None);
        }
        r
    }

    /// The service is stopping: waits for the disk, flushes the log; returns the number of
    /// events logged.
    pub async fn finish(&self) -> usize {
        if let Some(d) = &self.disk {
            let ticket = {
                let _hub = lock(&self.hub);
                d.submit(vec![], true)
            };
            if let Some(t) = ticket {
                let _ = t.wait().await;
            }
        }
        let mut hub = lock(&self.hub);
        if let Some(l) = hub.log.take() {
            l.finish();
        }
        hub.events
    }
}

impl Hub {
    pub fn new(host: MailHost, rng: Rng, epoch: i64, log: Option<LogWriter>, quiet: bool) -> Self {
        Hub {
            host,
            rng,
            start: Instant::now(),
            epoch,
            peers: BTreeMap::new(),
            events: 0,
            quiet,
            pending: vec![],
            detached: BTreeSet::new(),
            live: None,
            tls_began: BTreeSet::new(),
            logins: log.is_some().then(Default::default),
            log,
        }
    }

    pub fn set_live(&mut self, feed: Option<std::sync::Arc<crate::web::feed::Feed>>) {
        if feed.is_some() {
            // The stream follows the logins (see [`Hub::log`]).
            self.logins = None;
        }
        self.live = feed;
    }

    pub fn host(&self) -> &MailHost {
        &self.host
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Hands one event to the log's writer (JSON lines, the playground's format).
    /// A login that succeeded is followed by an owner record (see [`LogWriter::owner`]).
    pub fn log(&mut self, mut e: Event) {
        self.events += 1;
        // The live stream follows the logins; without it, the log's own tracker does.
        let login = match (&self.live, &mut self.logins) {
            (Some(feed), _) => feed.publish(&e),
            (None, Some(t)) => t.observe(&mut e, false).map(|(conn, name)| {
                // As the live stream names it: the account's address.
                (conn, self.host.store().resolve_login(&name).unwrap_or_else(|| name.to_ascii_lowercase()))
            }),
            (None, None) => None,
        };
        if let Some(l) = &self.log {
            l.log(e);
            if let Some((conn, user)) = login {
                l.owner(conn, &user);
            }
        }
    }

    fn send(&mut self, sid: SessionId, out: Out) {
        if let Some(p) = self.peers.get(&sid) {
            self.pending.push((sid, p.tx.clone(), out));
        }
    }

    /// Queues the step's output to the session tasks (under the lock: in the order the steps
    /// decided it), each item after `ticket`; `step`: the session whose step it was.
    fn hand_over(&mut self, step: Option<SessionId>, ticket: Option<&Ticket>) {
        for (sid, tx, out) in self.pending.drain(..) {
            let _ = tx.send(Item { out, after: ticket.cloned(), own: Some(sid) == step });
        }
    }

    /// Session `sid`'s step panicked: say so on stderr, give its client the protocol's
    /// internal-error goodbye and forget the session (without calling its engine again).
    fn fail(&mut self, sid: SessionId, what: &str) {
        let Some(p) = self.peers.remove(&sid) else {
            eprintln!("mailsim: session {sid} failed ({what}) before it began; closed");
            return;
        };
        eprintln!("mailsim: session {sid} ({}) failed: {what}; closed it, the others go on", p.protocol);
        self.pending.push((sid, p.tx.clone(), Out::Bytes(limits::internal_error(p.protocol))));
        self.pending.push((sid, p.tx, Out::Close));
        let now = self.now();
        let _ = catch_unwind(AssertUnwindSafe(|| self.host.abort_session(now, sid)));
        let t = self.now();
        self.log(Event::ConnectionClosed { t, conn: sid, by: "server".into() });
    }

    /// Calls the host with the clock and RNG, then carries out what it asks for.
    fn call<R>(&mut self, f: impl FnOnce(&mut MailHost, &mut Ctx) -> R) -> R {
        let now = self.now();
        let mut ctx = Ctx { now, epoch: self.epoch, rng: &mut self.rng };
        let r = f(&mut self.host, &mut ctx);
        while let Some(o) = self.host.poll_output() {
            match o {
                HostOutput::Log(e) => {
                    if let (Event::MessageQueued { queue_id, rcpt_to, .. }, false) = (&e, self.quiet) {
                        println!("[queue] {queue_id} queued for {}", rcpt_to.join(", "));
                    }
                    self.log(e)
                }
                HostOutput::Touched(sid) => self.pump(sid),
                HostOutput::TlsStarted(sid) => {
                    if let Some(p) = self.peers.get_mut(&sid) {
                        p.tls = true;
                    }
                    self.tls_began.insert(sid);
                    self.send(sid, Out::StartTls);
                }
                // No network beyond loopback: mail for other domains stays in the queue.
                HostOutput::WakeAt(_) | HostOutput::Relay { .. } => {}
                HostOutput::Resolve { query, .. } => {
                    if !self.quiet {
                        let name = query.questions.first().map(|q| q.name.clone()).unwrap_or_default();
                        println!("[queue] mail for {name} stays queued: this server delivers only to its own domains");
                    }
                }
            }
        }
        r
    }

    /// Runs the queue if the host asked for it by now.
    pub fn run_queue_if_due(&mut self) {
        if self.host.poll_timeout().is_some_and(|t| t <= self.now()) {
            self.call(|h, ctx| h.run_queue(ctx));
        }
    }

    /// Logs what session `sid` read and queues what it has to say, acting on its events,
    /// until nothing is left; closes it if its engine ended it.
    fn pump(&mut self, sid: SessionId) {
        if self.detached.contains(&sid) {
            // Its engine is busy outside the lock; it is pumped when it is back.
            return;
        }
        loop {
            let mut progressed = false;
            while let Some(t) = self.host.poll_received(sid) {
                progressed = true;
                if let Some(p) = self.peers.get_mut(&sid) {
                    p.commands = p.commands.saturating_add(1);
                }
                self.record(sid, &t, true);
            }
            while let Some(t) = self.host.poll_transmit(sid) {
                progressed = true;
                self.record(sid, &t, false);
                self.send(sid, Out::Bytes(t.bytes));
            }
            progressed |= self.call(|h, ctx| h.drive(ctx, sid));
            if !progressed {
                break;
            }
        }
        if self.host.session_closed(sid) {
            self.send(sid, Out::Close);
        }
    }

    fn record(&mut self, sid: SessionId, t: &Transmit, to_server: bool) {
        let Some(p) = self.peers.get(&sid) else { return };
        let (client, protocol, port, tls) = (p.client.clone(), p.protocol, p.port, p.tls);
        let ex = t.pdu.explain();
        if !self.quiet {
            let dir = if to_server { "C:" } else { "S:" };
            let text = String::from_utf8_lossy(&t.bytes);
            let shown: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
            if shown.len() > 6 {
                println!("[{sid} {protocol}] {dir} {}  ({} lines, {} bytes)", ex.label, shown.len(), t.bytes.len());
            } else {
                for l in shown {
                    println!("[{sid} {protocol}] {dir} {l}");
                }
            }
        }
        let state = self.host.session_state(sid);
        let (from, to) = if to_server { (client, "server".to_string()) } else { ("server".to_string(), client) };
        let (from_state, to_state) =
            if to_server { ("client".to_string(), state) } else { (state, "client".to_string()) };
        let now = self.now();
        self.log(Event::MessageSent {
            t_sent: now,
            t: now,
            conn: Some(sid),
            from,
            to,
            protocol: protocol.into(),
            port,
            raw: t.bytes.clone(),
            label: ex.label,
            meaning: ex.meaning,
            rfc: ex.rfc,
            from_state,
            to_state,
            tls,
        });
    }

    /// Logs connection `sid` from `peer` to the server's `port`: its client (an actor of its own,
    /// named by its port, on the lane of its address) and the connection. The client's id.
    fn log_connection(&mut self, sid: SessionId, peer: SocketAddr, port: u16, protocol: &str) -> String {
        let ip = peer.ip().to_string();
        let client = format!("client-{sid}");
        let actor = Actor {
            id: client.clone(),
            name: format!("client :{}", peer.port()),
            host: ip.clone(),
            ip,
            kind: "ua".into(),
            mailboxes: vec![],
        };
        self.log(Event::ActorJoined { actor });
        let opened = Event::ConnectionOpened {
            t: self.now(),
            conn: sid,
            client: client.clone(),
            client_port: peer.port(),
            server: "server".into(),
            port,
            protocol: protocol.into(),
        };
        self.log(opened);
        client
    }

    /// A new connection `sid` on `port` (which serves `service`): the host greets it, or
    /// refuses (false).
    pub fn open(&mut self, sid: SessionId, peer: SocketAddr, port: u16, service: u16, tls: bool, tx: Outbox) -> bool {
        let ip = peer.ip().to_string();
        let Some(protocol) = self.call(|h, ctx| h.accept(ctx, sid, service, &ip)) else { return false };
        let client = self.log_connection(sid, peer, port, protocol);
        if !self.quiet {
            println!("[{sid} {protocol}] connection from {peer} to port {port}");
        }
        self.peers.insert(sid, Peer { tx, client, protocol, port, commands: 0, tls });
        self.pump(sid);
        true
    }

    /// Connection `sid` from `peer` on `port` was refused over a limit (`why`: which, and its
    /// flag) with [`limits::busy_reply`] in place of the greeting: recorded as a session of its
    /// own, one arrow from the server, so that the instructor sees it (the live view, `--log`).
    /// It never reaches the host. `hidden`: refusals not recorded before it (see
    /// [`limits::Refusals`]).
    pub fn refused(&mut self, sid: SessionId, peer: SocketAddr, port: u16, service: u16, why: &str, hidden: u64) {
        let reply = limits::busy_reply(service);
        let protocol = match service {
            110 | 995 => "POP3",
            143 | 993 => "IMAP",
            _ => "SMTP",
        };
        if let Some(feed) = &self.live {
            // Its records are a refusal's: for the students seen at its address.
            feed.refusing(sid, &peer.ip().to_string());
        }
        let client = self.log_connection(sid, peer, port, protocol);
        let (t, server) = (self.now(), "server".to_string());
        let ex = reply.pdu.explain();
        let more = match hidden {
            0 => String::new(),
            k => format!(
                " (+{k} more refused before this one, not drawn: at most {} a second are)",
                limits::REFUSALS_RECORDED_PER_SECOND
            ),
        };
        self.log(Event::MessageSent {
            t_sent: t,
            t,
            conn: Some(sid),
            from: server.clone(),
            to: client,
            protocol: protocol.into(),
            port,
            raw: reply.bytes.clone(),
            label: ex.label,
            meaning: format!("{} Refused by {why}; it took no slot.{more}", ex.meaning),
            rfc: ex.rfc,
            from_state: "refused".into(),
            to_state: "client".into(),
            tls: false,
        });
        self.log(Event::ConnectionClosed { t, conn: sid, by: server });
        if let Some(l) = &self.log {
            l.flush();
        }
        if !self.quiet {
            println!("[{sid} {protocol}] connection from {peer} to port {port} refused: {why}{more}");
        }
    }

    /// A flood is over and `left` was not recorded: a note for each address's students (how
    /// many of that address's were not drawn), then, if refusals went unrecorded since the last
    /// one drawn, the instructor's note: how many, and how many in all (`total`, since serve
    /// started). The live page shows the server's newest note above the diagram
    /// (`src/live/view.rs`), so the instructor at the projector sees the flood's size where the
    /// few refusals drawn are, and a student whose own loop flooded sees theirs.
    pub fn refusals_not_recorded(&mut self, left: &limits::Unrecorded, total: u64) {
        let t = self.now();
        let per = limits::REFUSALS_RECORDED_PER_SECOND;
        for (ip, n) in &left.by_address {
            let (s, were) = if *n == 1 { ("", "was") } else { ("s", "were") };
            let text = format!(
                "{n} connection{s} from {ip} {were} refused over the limits and not drawn (at most {per} a second are)."
            );
            if let Some(feed) = &self.live {
                // For the students seen at that address only (the feed's scope of a refusal).
                feed.addressed(&ip.to_string());
            }
            self.log(Event::Narrated { t, actor: "server".into(), text });
        }
        if left.since_last == 0 {
            return;
        }
        let k = left.since_last;
        let text = format!(
            "{k} more connections were refused over the limits and not drawn (at most {per} a second are); \
             {total} refused since mailsim serve started."
        );
        if !self.quiet {
            println!("[refused] {text}");
        }
        self.log(Event::Narrated { t, actor: "server".into(), text });
    }

    /// Takes session `sid` out of the host for its engine to read input (see
    /// [`Shared::input`]); with the time to give it.
    fn detach(&mut self, sid: SessionId) -> Option<(Detached, u64)> {
        let d = self.host.detach(sid)?;
        self.detached.insert(sid);
        Some((d, self.now()))
    }

    /// Puts a session back after its engine read input, and acts on what it decided; returns
    /// how many commands the input held, and whether the engine said to start TLS.
    fn attach(&mut self, d: Detached) -> (u32, bool) {
        let sid = d.sid();
        self.detached.remove(&sid);
        self.host.attach(d);
        self.pump(sid);
        self.run_queue_if_due();
        let commands = self.peers.get_mut(&sid).map(|p| std::mem::take(&mut p.commands)).unwrap_or(0);
        (commands, self.tls_began.remove(&sid))
    }

    /// How many sessions are open.
    pub fn sessions(&self) -> usize {
        self.peers.len()
    }

    /// How long session `sid` may stay silent before its idle timer runs out.
    pub fn time_left(&self, sid: SessionId) -> Option<Duration> {
        let deadline = self.host.session_timeout(sid)?;
        Some(Duration::from_millis(deadline.saturating_sub(self.now())))
    }

    /// The idle timer ran out: the engine writes its own 421 / -ERR / BYE and ends.
    pub fn timeout(&mut self, sid: SessionId) {
        let now = self.now();
        self.host.handle_timeout(now, sid);
        self.pump(sid);
    }

    /// The service is stopping: every session gets its protocol's goodbye.
    pub fn shutdown(&mut self) {
        let now = self.now();
        for sid in self.host.shutdown(now) {
            self.pump(sid);
        }
    }

    pub fn close(&mut self, sid: SessionId, by_client: bool) {
        let now = self.now();
        self.host.close_session(now, sid);
        self.tls_began.remove(&sid);
        let Some(p) = self.peers.remove(&sid) else { return };
        let by = if by_client { p.client.clone() } else { "server".into() };
        let t = self.now();
        self.log(Event::ConnectionClosed { t, conn: sid, by });
        if let Some(l) = &self.log {
            l.flush();
        }
        if !self.quiet {
            let who = if by_client { "client" } else { "server" };
            println!("[{sid} {}] connection closed by the {who}", p.protocol);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::piece_len;

    #[test]
    fn input_is_cut_after_a_number_of_lines() {
        assert_eq!(piece_len(b"", 2), 0);
        assert_eq!(piece_len(b"a\r\nb\r\nc\r\n", 2), 6);
        assert_eq!(piece_len(b"a\r\nb\r\n", 2), 6);
        assert_eq!(piece_len(b"a\r\nb", 2), 4, "fewer lines: all of it");
        assert_eq!(piece_len(b"no line end", 1), 11);
        let noops = b"a NOOP\r\n".repeat(2048);
        assert_eq!(piece_len(&noops, super::LINES_PER_TURN), 8 * super::LINES_PER_TURN);
    }
}
