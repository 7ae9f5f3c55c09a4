//! The mail host: one mail server's mailbox store, policy, outgoing queue and protocol
//! sessions, *sans-IO*. It never sees the world, a socket or a clock: its driver (the
//! simulated [`World`](crate::World), or `mailsim serve` on real sockets) hands it bytes, the
//! time and the randomness in a [`Ctx`], and carries out what it returns as
//! [`HostOutput`]s: log a fact, resolve a name, open a relay connection, wake it up later,
//! drain a session that has news.
//!
//! Driving order, per call that feeds it (`accept`, `handle_input`, `drive`, `run_queue`,
//! `on_dns_answer`, `relay_*`): drain `poll_transmit(session)` for the wire, call
//! `drive(session)` to act on what the session's engine decided, and after every call drain
//! `poll_output()` until it is empty, in order.
//!
//! - [`policy`]: [`ServerPolicy`], how the server behaves.
//! - `session`: accepting a connection on a service port, feeding it, acting on its events
//!   (logins, mailbox changes, a whole message received).
//! - `delivery`: what happens to a message that arrived (Received: trace, local mailboxes,
//!   the queue), greylisting, quotas and recipient checks.
//! - `queue`: the outgoing queue: legs per domain, MX lookups, relaying, retries, bounces.
//! - `dsn`: delivery status notifications (RFC 3464/3461): failed, delayed, delivered, relayed.

mod delivery;
mod dsn;
mod imap_news;
pub mod policy;
mod queue;
mod session;

use crate::log::{Event, Millis};
use crate::rng::Rng;
use mailsim_proto::dns::DnsMessage;
use mailsim_proto::smtp::SmtpJob;
use mailsim_proto::smtp::SmtpServer;
use mailsim_proto::store::MailStore;
pub use policy::{PlaintextAuth, ServerPolicy};
use queue::QueueEntry;
pub use session::Detached;
use session::Session;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A connection to the host, numbered by its driver.
pub type SessionId = u32;

/// What the host needs from its driver for one call: the time and the randomness.
pub struct Ctx<'a> {
    /// Milliseconds since the driver started.
    pub now: Millis,
    /// Unix time at `now == 0`.
    pub epoch: i64,
    pub rng: &'a mut Rng,
}

impl Ctx<'_> {
    /// The current time as Unix seconds.
    pub fn unix(&self) -> i64 {
        self.epoch + (self.now / 1000) as i64
    }
}

/// Where a relay connection goes: an address, else a host name. The driver finds the node or
/// socket; if there is none, it reports `MailHost::relay_failed` with `if_unknown`.
#[derive(Debug, Clone)]
pub struct RelayTarget {
    pub ip: Option<[u8; 4]>,
    pub host: Option<String>,
    /// (enhanced status, diagnostic) for the bounce when nothing is there.
    pub if_unknown: (String, String),
}

/// What the host asks its driver to carry out, in this order.
#[derive(Debug)]
pub enum HostOutput {
    /// A fact for the event log.
    Log(Event),
    /// Send this DNS query to the resolver; `state` is the host's state while it waits.
    Resolve { query: DnsMessage, state: String },
    /// Open an SMTP connection to port 25 of `target` and run `job` on it; report how it
    /// ended with [`MailHost::relay_outcome`], [`MailHost::relay_deferred`] (no connection) or
    /// [`MailHost::relay_failed`] (nobody there).
    Relay { queue_id: String, leg: usize, target: RelayTarget, job: SmtpJob },
    /// Call [`MailHost::run_queue`] at this time.
    WakeAt(Millis),
    /// This session has something new to send (another session changed its mailbox):
    /// drain it.
    Touched(SessionId),
    /// The session switched to TLS: what follows on its wire is ciphertext.
    TlsStarted(SessionId),
}

/// One mail server, without I/O.
#[derive(Debug)]
pub struct MailHost {
    /// The actor id its facts are logged under.
    id: String,
    hostname: String,
    /// The domains it is the final destination for.
    domains: Vec<String>,
    store: MailStore,
    policy: ServerPolicy,
    queue: Vec<QueueEntry>,
    /// Greylisting: first attempt per (client IP, sender, recipient).
    greylist: BTreeMap<(String, String, String), Millis>,
    /// A queue run is already asked for at this time.
    run_at: Option<Millis>,
    sessions: BTreeMap<SessionId, Session>,
    /// The logged-in IMAP sessions in `sessions`, by account (lower case): who hears of a
    /// change to that account's mailboxes (see `imap_news`).
    imap_by_account: BTreeMap<String, BTreeSet<SessionId>>,
    /// Accounts whose mailboxes changed since their IMAP sessions last heard of it.
    changed_accounts: BTreeSet<String>,
    /// RCPT TO checks waiting for DNS: (query id, session, domain).
    rcpt_checks: Vec<(u16, SessionId, String)>,
    out: VecDeque<HostOutput>,
    /// Counts the times a mailbox changed (see [`MailHost::detach`]).
    generation: u64,
    /// The store's accounts and addresses as its SMTP and IMAP sessions share them (made
    /// again only when the store's accounts differ: `MailHost::shared_accounts`).
    shared: (mailsim_proto::store::Accounts, std::sync::Arc<[String]>),
}

impl MailHost {
    /// A host named `hostname` (logged as actor `id`), final destination for `domains`, with
    /// these accounts (address, password).
    pub fn new(id: &str, hostname: &str, domains: &[&str], accounts: &[(&str, &str)], policy: ServerPolicy) -> Self {
        let mut store = MailStore::default();
        for (a, p) in accounts {
            store.add_account(a, p);
        }
        Self::with_store(id, hostname, domains, store, policy)
    }

    /// A host over a store its driver made (accounts, mailboxes kept on disk, UIDVALIDITY
    /// from the clock: `mailsim serve`).
    pub fn with_store(id: &str, hostname: &str, domains: &[&str], store: MailStore, policy: ServerPolicy) -> Self {
        MailHost {
            id: id.into(),
            hostname: hostname.into(),
            domains: domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
            store,
            policy,
            queue: vec![],
            greylist: BTreeMap::new(),
            run_at: None,
            sessions: BTreeMap::new(),
            imap_by_account: BTreeMap::new(),
            changed_accounts: BTreeSet::new(),
            rcpt_checks: vec![],
            out: VecDeque::new(),
            generation: 0,
            shared: Default::default(),
        }
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    pub fn store(&self) -> &MailStore {
        &self.store
    }

    /// The store, for a driver that records its changes or puts back what it kept.
    pub fn store_mut(&mut self) -> &mut MailStore {
        &mut self.store
    }

    pub fn policy(&self) -> &ServerPolicy {
        &self.policy
    }

    /// Greylisting on (with this delay) or off; applies to connections opened afterwards.
    pub fn set_greylist(&mut self, delay: Option<Millis>) {
        self.policy.greylist = delay;
    }

    /// Mailbox quota on (octets) or off; applies to connections opened afterwards.
    pub fn set_quota(&mut self, quota: Option<usize>) {
        self.policy.quota = quota;
    }

    /// The next thing the driver must carry out.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<HostOutput> {
        self.out.pop_front()
    }

    /// The time the host wants [`MailHost::run_queue`] called, if any.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.run_at
    }

    /// Puts a message into a mailbox before the story starts (a scenario's history).
    pub fn seed_message(&mut self, ctx: &Ctx, address: &str, data: Vec<u8>, date: i64, flags: &[&str]) {
        let Some(uid) = self.store.deliver_at(address, data.clone(), date, flags) else { return };
        let mailbox = address.to_ascii_lowercase();
        self.log_stored(ctx, &mailbox, uid, data);
        if !flags.is_empty() {
            let flags = flags.iter().map(|f| f.to_string()).collect();
            self.log(Event::FlagsChanged { t: ctx.now, node: self.id.clone(), mailbox, uid, flags });
        }
    }

    fn log(&mut self, event: Event) {
        self.out.push_back(HostOutput::Log(event));
    }

    fn log_stored(&mut self, ctx: &Ctx, mailbox: &str, uid: u32, raw: Vec<u8>) {
        let from = mailsim_proto::message::header(&raw, "From").unwrap_or_default();
        let subject = mailsim_proto::message::header(&raw, "Subject").unwrap_or_default();
        let node = self.id.clone();
        self.log(Event::MessageStored { t: ctx.now, node, mailbox: mailbox.into(), uid, from, subject, raw });
    }

    fn is_local(&self, address: &str) -> bool {
        address.rsplit_once('@').is_some_and(|(_, d)| self.domains.iter().any(|x| d.eq_ignore_ascii_case(x)))
    }

    /// The mailbox mail for `rcpt`, a local recipient, is stored in: its own, or for the
    /// postmaster (`<Postmaster>`, `postmaster@` a local domain) the account it is an alias of
    /// (RFC 5321 §4.5.1).
    fn mailbox_of(&self, rcpt: &str) -> String {
        mailbox_of(&self.domains, &self.store, rcpt)
    }

    /// The domain of the host's own addresses (the first it serves).
    fn domain(&self) -> String {
        self.domains.first().cloned().unwrap_or_default()
    }

    /// Asks for a queue run at `at`, unless one is already due by then.
    fn wake_at(&mut self, now: Millis, at: Millis) {
        if self.run_at.is_some_and(|t| t <= at && t >= now) {
            return;
        }
        self.run_at = Some(at);
        self.out.push_back(HostOutput::WakeAt(at));
    }

    pub(super) fn smtp(&mut self, sid: SessionId) -> Option<&mut SmtpServer> {
        match self.sessions.get_mut(&sid) {
            Some(Session::Smtp { engine, .. }) => Some(engine),
            _ => None,
        }
    }
}

/// The mailbox mail for `rcpt` is stored in on a host for `domains` with `store`: its own, or
/// for the postmaster the account it is an alias of ([`MailHost::mailbox_of`]; a function of
/// its fields, for the queue run, which holds the queue mutably meanwhile).
fn mailbox_of(domains: &[String], store: &MailStore, rcpt: &str) -> String {
    mailsim_proto::smtp::postmaster_mailbox(rcpt, domains, &mut store.addresses())
        .unwrap_or_else(|| rcpt.to_ascii_lowercase())
}
