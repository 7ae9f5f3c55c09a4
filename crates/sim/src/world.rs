//! The deterministic world: nodes (user agents, mail servers, a DNS server), a network with
//! latency, a virtual clock and a seeded RNG. Everything that happens is appended to the
//! [`EventLog`]; nothing reads a real clock.
//!
//! How it runs: an *agenda* of actions ordered by (virtual time, sequence number) in a
//! `BTreeMap`. Popping an action advances the clock to its time and performs it: deliver
//! bytes to an engine, establish a connection, start a user's task. Engines' output is
//! drained right away and scheduled for delivery after the link's latency; a connection
//! keeps its bytes in order (TCP) even with jitter.

use crate::log::{Actor, Event, EventLog, Millis};
use crate::rng::Rng;
use mailsim_proto::dns::{self, DnsMessage, RData, Record};
use mailsim_proto::http::{HttpClient, HttpClientEvent, HttpMessage, HttpServer, HttpServerEvent};
use mailsim_proto::imap::client::{ImapClient, ImapClientEvent, ImapStep};
use mailsim_proto::imap::server::{apply_folder_op, ImapConfig, ImapServer, ImapServerEvent};
use mailsim_proto::message::{self, Draft, FailedRecipient, Trace};
use mailsim_proto::pop3::typed::Pop3Typed;
use mailsim_proto::pop3::{Pop3Client, Pop3ClientEvent, Pop3Job, Pop3Server, Pop3ServerEvent};
use mailsim_proto::smtp::typed::{Typed, TypedEvent, TypedSession};
use mailsim_proto::smtp::{ClientEvent, Reply, Role, ServerConfig, ServerEvent, SmtpClient, SmtpJob, SmtpServer};
use mailsim_proto::store::MailStore;
use mailsim_proto::{Pdu, Transmit};
use std::collections::BTreeMap;

pub type NodeId = usize;

/// Something a person (or a timer) starts.
#[derive(Debug, Clone)]
pub enum Task {
    /// The user agent hands a message to a server (its own, unless `server` names another).
    Submit(Submission),
    /// The user agent downloads its mail over POP3 (port 110).
    CheckMailPop3 { delete: bool },
    /// A mail server works through its outgoing queue.
    RunQueue,
    /// A server crashes (`true`) or comes back (`false`).
    SetDown(bool),
    /// Greylisting on (with this delay) or off.
    SetGreylist(Option<Millis>),
    /// Mailbox quota on (octets) or off.
    SetQuota(Option<usize>),
    /// The user agent opens an IMAP session (port 143) to its own server and runs `steps`.
    Imap(Vec<ImapStep>),
    /// The user types POP3 commands to its own server (port 110).
    TypePop3(Vec<String>),
    /// A terminal to any host and port: SMTP (with DATA), POP3 or IMAP by the port.
    TypeLines { server: String, port: u16, lines: Vec<String> },
    /// A browser requests `requests` from `server` (port 80): all on one connection, or with
    /// `per_object` (HTTP/1.0 style) one connection per request.
    Browse { server: String, requests: Vec<HttpMessage>, per_object: bool },
    /// A person opens a terminal session to `server`:`port` and types `script`.
    Type { server: String, port: u16, script: Vec<Typed> },
}

/// How a user agent sends one message.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub message: Vec<u8>,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// 587 (submission), 465 (submission over implicit TLS) or 25.
    pub port: u16,
    /// The host to connect to; `None`: the user agent's own mail server.
    pub server: Option<String>,
    pub starttls: bool,
    pub auth: Option<(String, String)>,
    pub pipelining: bool,
}

impl Submission {
    /// The envelope a user agent derives from a draft: From, and To + Cc + Bcc; port 587.
    pub fn of(draft: &Draft) -> Self {
        Submission {
            message: draft.to_bytes(),
            mail_from: draft.from.address.clone(),
            rcpt_to: draft.envelope_recipients(),
            port: 587,
            ..Default::default()
        }
    }
}

/// How a mail server behaves (its Postfix `main.cf`, roughly).
#[derive(Debug, Clone)]
pub struct ServerPolicy {
    /// Offer STARTTLS on ports 25 and 587.
    pub starttls: bool,
    /// On 587: no AUTH and no MAIL before STARTTLS.
    pub require_tls_on_submission: bool,
    /// Addresses allowed to send without AUTH and to relay through port 25 (`mynetworks`).
    pub trusted_ips: Vec<String>,
    /// Greylisting: refuse a new (client, sender, recipient) with 450 until this much time
    /// has passed since the first try.
    pub greylist: Option<Millis>,
    /// SIZE limit (RFC 1870).
    pub max_message_size: usize,
    /// Mailbox quota in octets.
    pub quota: Option<usize>,
    /// Send all outgoing mail through this host (a smarthost) instead of the MX.
    pub relayhost: Option<String>,
    /// Delays between delivery attempts; the last one repeats.
    pub retry_delays: Vec<Millis>,
    /// Give up (bounce) on mail still undelivered after this long (Postfix: 5 days).
    pub queue_lifetime: Millis,
    /// Use STARTTLS when relaying, if the next hop offers it.
    pub relay_starttls: bool,
    /// Pipeline when relaying, if the next hop offers it.
    pub relay_pipelining: bool,
    /// On submission, look up each remote recipient's domain in DNS during RCPT TO
    /// (556 for a null MX, 550 for a domain that does not exist).
    pub verify_recipient_domains: bool,
    /// Protocol errors before the server hangs up with 421.
    pub max_errors: usize,
    /// Moved users: (address, new address, whether this server forwards).
    pub forwards: Vec<(String, String, bool)>,
    /// Accounts that must change their password first (432).
    pub password_transition: Vec<String>,
    /// AUTH LOGIN is refused as too weak (534).
    pub login_too_weak: bool,
    /// STARTTLS answers 454.
    pub tls_temporarily_unavailable: bool,
    /// SIZE parameters cannot be accommodated now (455).
    pub low_disk: bool,
    /// The host takes no mail at all (521).
    pub refuse_all: bool,
    /// Port 25 wants TLS before MAIL (523).
    pub require_tls_inbound: bool,
    /// Writing the queue file fails: 451 after the data.
    pub storage_fails: bool,
}

impl Default for ServerPolicy {
    fn default() -> Self {
        ServerPolicy {
            starttls: false,
            require_tls_on_submission: false,
            trusted_ips: vec![],
            greylist: None,
            max_message_size: 10_240_000,
            quota: None,
            relayhost: None,
            retry_delays: vec![5 * 60_000, 10 * 60_000, 20 * 60_000, 40 * 60_000],
            queue_lifetime: 5 * 24 * 3_600_000,
            relay_starttls: false,
            relay_pipelining: false,
            verify_recipient_domains: false,
            max_errors: 20,
            forwards: vec![],
            password_transition: vec![],
            login_too_weak: false,
            tls_temporarily_unavailable: false,
            low_disk: false,
            refuse_all: false,
            require_tls_inbound: false,
            storage_fails: false,
        }
    }
}

#[derive(Debug)]
enum Action {
    Task(NodeId, Task),
    Establish(u32),
    /// A SYN to a host that is down arrives nowhere; logged so the learner sees the attempt.
    SynLost {
        conn: u32,
        sent_at: Millis,
        client_port: u16,
    },
    Deliver {
        conn: u32,
        to_server: bool,
        transmit: Transmit,
        sent_at: Millis,
        tls: bool,
    },
    Datagram {
        from: NodeId,
        to: NodeId,
        msg: DnsMessage,
        bytes: Vec<u8>,
        sent_at: Millis,
        from_state: String,
    },
}

#[derive(Debug)]
struct QueueEntry {
    id: String,
    mail_from: String,
    data: Vec<u8>,
    legs: Vec<Leg>,
    arrival: Millis,
    /// Delivery attempts that ended in a transient failure.
    deferrals: usize,
    failed: Vec<FailedRecipient>,
    delivered: Vec<String>,
}

#[derive(Debug)]
struct Leg {
    domain: String,
    rcpts: Vec<String>,
    state: LegState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum LegState {
    Waiting,
    /// Asked DNS for the domain's MX records (query id).
    Resolving(u16),
    /// No MX records: asked for the domain's address instead (RFC 5321 §5.1).
    ResolvingA(u16),
    Sending,
    /// Waiting for the next attempt after a transient failure.
    Deferred,
    Done,
}

#[derive(Debug)]
struct MailServer {
    domain: String,
    store: MailStore,
    queue: Vec<QueueEntry>,
    policy: ServerPolicy,
    /// Greylisting: first attempt per (client IP, sender, recipient).
    greylist: BTreeMap<(String, String, String), Millis>,
    /// A queue run is already scheduled at this time.
    run_at: Option<Millis>,
}

/// What a web server serves.
#[derive(Debug)]
pub enum Site {
    /// Static objects: (path, content type, body).
    Static(Vec<(String, String, Vec<u8>)>),
    /// A webmail front end for the provider whose mail server is the actor `mail_server`.
    Webmail { mail_server: String, sessions: Vec<(String, String, String)> },
}

#[derive(Debug)]
enum NodeKind {
    UserAgent { address: String, password: String, server: String },
    MailServer(Box<MailServer>),
    Dns { zone: Vec<Record> },
    WebServer(Site),
}

#[derive(Debug)]
struct Node {
    actor: Actor,
    ip: [u8; 4],
    kind: NodeKind,
    down: bool,
}

#[derive(Debug)]
enum ClientEngine {
    Smtp(SmtpClient),
    Pop3(Pop3Client),
    Typed(TypedSession),
    Imap(ImapClient),
    Pop3Typed(Pop3Typed),
    Http(HttpClient),
}

#[derive(Debug)]
enum ServerEngine {
    Smtp(SmtpServer),
    Pop3 { engine: Pop3Server, login: Option<String> },
    Imap(ImapServer),
    Http(HttpServer),
}

#[derive(Debug, Clone)]
enum Purpose {
    Submission,
    Relay {
        queue_id: String,
        leg: usize,
    },
    Retrieval,
    Terminal,
    /// A browser's connection; `rest` are requests still to make on new connections.
    Browse {
        rest: Vec<HttpMessage>,
    },
    /// A webmail front end's session with its mail server, answering HTTP request on `http`.
    Backend {
        http: u32,
        reply: BackendReply,
    },
}

/// What the front end answers once its backend session is over.
#[derive(Debug, Clone)]
enum BackendReply {
    /// After SMTP submission: say whether it was sent.
    Sent,
    /// After IMAP: the inbox as JSON, for this user.
    Inbox(String),
    /// After IMAP: message `n` of this user's inbox.
    Message(String, usize),
}

#[derive(Debug)]
struct Conn {
    client: NodeId,
    server: NodeId,
    port: u16,
    client_engine: ClientEngine,
    server_engine: Option<ServerEngine>,
    purpose: Purpose,
    /// Last delivery time per direction (to server, to client): TCP keeps order.
    last: [Millis; 2],
    open: bool,
    /// Encrypted from here on (after STARTTLS's 220, or from the start on 465).
    tls: bool,
}

/// The simulated mail system.
pub struct World {
    now: Millis,
    epoch: i64,
    seed: u64,
    scenario: String,
    rng: Rng,
    seq: u64,
    agenda: BTreeMap<(Millis, u64), Action>,
    nodes: Vec<Node>,
    conns: BTreeMap<u32, Conn>,
    next_conn: u32,
    log: Vec<Event>,
    /// RCPT TO checks waiting for DNS: (query id, connection, domain).
    rcpt_checks: Vec<(u16, u32, String)>,
    /// What each POP3 user agent in download-and-keep mode has downloaded (UIDL ids).
    pop3_seen: BTreeMap<NodeId, Vec<String>>,
}

/// Who takes part, when building a world.
pub struct UserSpec<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub host: &'a str,
    pub ip: [u8; 4],
    pub address: &'a str,
    pub password: &'a str,
}

fn ip_string(ip: [u8; 4]) -> String {
    format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
}

impl World {
    pub fn new(scenario: &str, seed: u64, epoch: i64) -> Self {
        World {
            now: 0,
            epoch,
            seed,
            scenario: scenario.into(),
            rng: Rng::new(seed),
            seq: 0,
            agenda: BTreeMap::new(),
            nodes: Vec::new(),
            conns: BTreeMap::new(),
            next_conn: 1,
            log: Vec::new(),
            rcpt_checks: Vec::new(),
            pop3_seen: BTreeMap::new(),
        }
    }

    fn add_node(&mut self, actor: Actor, ip: [u8; 4], kind: NodeKind) -> NodeId {
        self.log.push(Event::ActorJoined { actor: actor.clone() });
        self.nodes.push(Node { actor, ip, kind, down: false });
        self.nodes.len() - 1
    }

    /// A mail server for `domain` with the given accounts (address, password).
    pub fn add_mail_server(
        &mut self,
        id: &str,
        name: &str,
        host: &str,
        ip: [u8; 4],
        domain: &str,
        accounts: &[(&str, &str)],
    ) -> NodeId {
        self.add_mail_server_with(id, name, host, ip, domain, accounts, ServerPolicy::default())
    }

    /// A mail server with a non-default policy.
    #[allow(clippy::too_many_arguments)]
    pub fn add_mail_server_with(
        &mut self,
        id: &str,
        name: &str,
        host: &str,
        ip: [u8; 4],
        domain: &str,
        accounts: &[(&str, &str)],
        policy: ServerPolicy,
    ) -> NodeId {
        let mut store = MailStore::default();
        for (a, p) in accounts {
            store.add_account(a, p);
        }
        let actor = Actor {
            id: id.into(),
            name: name.into(),
            host: host.into(),
            ip: ip_string(ip),
            kind: "server".into(),
            mailboxes: store.addresses().map(str::to_string).collect(),
        };
        let server =
            MailServer { domain: domain.into(), store, queue: vec![], policy, greylist: BTreeMap::new(), run_at: None };
        self.add_node(actor, ip, NodeKind::MailServer(Box::new(server)))
    }

    /// A user agent whose own mail server is the node with actor id `server` (which may be
    /// added later, so that lifelines can be in any order).
    pub fn add_user_agent(&mut self, u: UserSpec, server: &str) -> NodeId {
        let actor = Actor {
            id: u.id.into(),
            name: u.name.into(),
            host: u.host.into(),
            ip: ip_string(u.ip),
            kind: "ua".into(),
            mailboxes: vec![],
        };
        let kind =
            NodeKind::UserAgent { address: u.address.into(), password: u.password.into(), server: server.into() };
        self.add_node(actor, u.ip, kind)
    }

    /// A web server: a static site or a provider's webmail front end.
    pub fn add_web_server(&mut self, id: &str, name: &str, host: &str, ip: [u8; 4], site: Site) -> NodeId {
        let actor = Actor {
            id: id.into(),
            name: name.into(),
            host: host.into(),
            ip: ip_string(ip),
            kind: "web".into(),
            mailboxes: vec![],
        };
        self.add_node(actor, ip, NodeKind::WebServer(site))
    }

    pub fn add_dns(&mut self, id: &str, name: &str, host: &str, ip: [u8; 4], zone: Vec<Record>) -> NodeId {
        let actor = Actor {
            id: id.into(),
            name: name.into(),
            host: host.into(),
            ip: ip_string(ip),
            kind: "dns".into(),
            mailboxes: vec![],
        };
        self.add_node(actor, ip, NodeKind::Dns { zone })
    }

    fn node_by_actor(&self, id: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.actor.id == id)
    }

    fn node_by_host(&self, host: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.actor.host.eq_ignore_ascii_case(host.trim_end_matches('.')))
    }

    fn node_by_ip(&self, ip: [u8; 4]) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.ip == ip)
    }

    /// Puts a message into a mailbox before the story starts (a scenario's history).
    pub fn seed_message(&mut self, server: NodeId, address: &str, data: Vec<u8>, date: i64, flags: &[&str]) {
        let node_id = self.nodes[server].actor.id.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[server].kind else { return };
        if let Some(uid) = ms.store.deliver_at(address, data.clone(), date, flags) {
            let from = message::header(&data, "From").unwrap_or_default();
            let subject = message::header(&data, "Subject").unwrap_or_default();
            self.log.push(Event::MessageStored {
                t: self.now,
                node: node_id.clone(),
                mailbox: address.to_ascii_lowercase(),
                uid,
                from,
                subject,
                raw: data,
            });
            if !flags.is_empty() {
                self.log.push(Event::FlagsChanged {
                    t: self.now,
                    node: node_id,
                    mailbox: address.to_ascii_lowercase(),
                    uid,
                    flags: flags.iter().map(|f| f.to_string()).collect(),
                });
            }
        }
    }

    /// The node id of an actor, if it takes part.
    pub fn find(&self, actor_id: &str) -> Option<NodeId> {
        self.node_by_actor(actor_id)
    }

    /// The node id of an actor, for scenarios.
    pub fn node(&self, actor_id: &str) -> NodeId {
        self.node_by_actor(actor_id).unwrap_or_else(|| panic!("no actor {actor_id}"))
    }

    /// The current virtual time as Unix seconds.
    pub fn unix_now(&self) -> i64 {
        self.epoch + (self.now / 1000) as i64
    }

    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Schedules `task` for `node` at virtual time `at`.
    pub fn schedule(&mut self, at: Millis, node: NodeId, task: Task) {
        self.push(at, Action::Task(node, task));
    }

    /// Records a sentence for the learner.
    pub fn narrate(&mut self, node: NodeId, text: &str) {
        let actor = self.nodes[node].actor.id.clone();
        self.log.push(Event::Narrated { t: self.now, actor, text: text.into() });
    }

    fn push(&mut self, at: Millis, action: Action) {
        self.seq += 1;
        self.agenda.insert((at, self.seq), action);
    }

    /// Runs until nothing is left to do (or a safety limit), and returns the log.
    pub fn run(mut self) -> EventLog {
        let mut steps = 0;
        while let Some(((t, _), action)) = self.agenda.pop_first() {
            self.now = t;
            self.perform(action);
            steps += 1;
            if steps > 100_000 {
                break;
            }
        }
        EventLog { scenario: self.scenario, seed: self.seed, epoch: self.epoch, events: self.log }
    }

    /// One-way latency between two nodes: a LAN hop to one's own provider, a WAN hop between
    /// providers, plus a little seeded jitter.
    fn latency(&mut self, a: NodeId, b: NodeId) -> Millis {
        let kinds = (&self.nodes[a].kind, &self.nodes[b].kind);
        let base = match kinds {
            (NodeKind::UserAgent { .. }, _) | (_, NodeKind::UserAgent { .. }) => 8,
            (NodeKind::Dns { .. }, _) | (_, NodeKind::Dns { .. }) => 12,
            _ => 35,
        };
        base + self.rng.below(5)
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::Task(node, task) => self.start_task(node, task),
            Action::Establish(conn) => self.establish(conn),
            Action::SynLost { conn, sent_at, client_port } => self.syn_lost(conn, sent_at, client_port),
            Action::Deliver { conn, to_server, transmit, sent_at, tls } => {
                self.deliver(conn, to_server, transmit, sent_at, tls)
            }
            Action::Datagram { from, to, msg, bytes, sent_at, from_state } => {
                self.datagram(from, to, msg, bytes, sent_at, from_state)
            }
        }
    }

    fn start_task(&mut self, node: NodeId, task: Task) {
        match task {
            Task::Submit(sub) => {
                let NodeKind::UserAgent { server, .. } = &self.nodes[node].kind else { return };
                let target = match &sub.server {
                    Some(host) => self.node_by_host(host),
                    None => self.node_by_actor(&server.clone()),
                };
                let Some(target) = target else { return };
                let helo = self.nodes[node].actor.host.clone();
                let job = SmtpJob {
                    helo,
                    mail_from: sub.mail_from,
                    rcpt_to: sub.rcpt_to,
                    message: sub.message,
                    auth: sub.auth,
                    starttls: sub.starttls,
                    pipelining: sub.pipelining,
                };
                let engine = SmtpClient::with_tls(job, sub.port == 465);
                self.connect(node, target, sub.port, ClientEngine::Smtp(engine), Purpose::Submission);
            }
            Task::CheckMailPop3 { delete } => {
                let NodeKind::UserAgent { address, password, server } = &self.nodes[node].kind else { return };
                let user = address.split('@').next().unwrap_or_default().to_string();
                let known = if delete { vec![] } else { self.pop3_seen.get(&node).cloned().unwrap_or_default() };
                let job = Pop3Job { user, pass: password.clone(), delete, known };
                let Some(server) = self.node_by_actor(server) else { return };
                self.connect(node, server, 110, ClientEngine::Pop3(Pop3Client::new(job)), Purpose::Retrieval);
            }
            Task::RunQueue => {
                if let NodeKind::MailServer(ms) = &mut self.nodes[node].kind {
                    if ms.run_at.is_some_and(|t| t <= self.now) {
                        ms.run_at = None;
                    }
                }
                self.run_queue(node)
            }
            Task::TypePop3(lines) => {
                let NodeKind::UserAgent { server, .. } = &self.nodes[node].kind else { return };
                let Some(server) = self.node_by_actor(server) else { return };
                self.connect(node, server, 110, ClientEngine::Pop3Typed(Pop3Typed::new(lines)), Purpose::Terminal);
            }
            Task::Browse { server, mut requests, per_object } => {
                let Some(target) = self.node_by_host(&server) else { return };
                if requests.is_empty() {
                    return;
                }
                let (now, rest) = if per_object { (vec![requests.remove(0)], requests) } else { (requests, vec![]) };
                self.connect(node, target, 80, ClientEngine::Http(HttpClient::new(now)), Purpose::Browse { rest });
            }
            Task::TypeLines { server, port, lines } => {
                let Some(target) = self.node_by_host(&server) else { return };
                let engine = match port {
                    110 | 995 => ClientEngine::Pop3Typed(Pop3Typed::new(lines)),
                    143 | 993 => ClientEngine::Imap(ImapClient::new(lines.into_iter().map(ImapStep::Line).collect())),
                    _ => {
                        // After DATA, the lines up to "." are the message.
                        let mut script = Vec::new();
                        let mut message: Option<String> = None;
                        for l in lines {
                            match &mut message {
                                Some(m) if l == "." => {
                                    script.push(Typed::Message(std::mem::take(m).into_bytes()));
                                    message = None;
                                }
                                Some(m) => {
                                    m.push_str(&l);
                                    m.push_str("\r\n");
                                }
                                None => {
                                    let data = l.trim().eq_ignore_ascii_case("DATA");
                                    script.push(Typed::Line(l));
                                    if data {
                                        message = Some(String::new());
                                    }
                                }
                            }
                        }
                        ClientEngine::Typed(TypedSession::new(script))
                    }
                };
                self.connect(node, target, port, engine, Purpose::Terminal);
            }
            Task::Imap(steps) => {
                let NodeKind::UserAgent { server, .. } = &self.nodes[node].kind else { return };
                let Some(server) = self.node_by_actor(server) else { return };
                self.connect(node, server, 143, ClientEngine::Imap(ImapClient::new(steps)), Purpose::Retrieval);
            }
            Task::Type { server, port, script } => {
                let Some(target) = self.node_by_host(&server) else { return };
                self.connect(node, target, port, ClientEngine::Typed(TypedSession::new(script)), Purpose::Terminal);
            }
            Task::SetGreylist(g) => {
                let name = self.nodes[node].actor.name.clone();
                if let NodeKind::MailServer(ms) = &mut self.nodes[node].kind {
                    ms.policy.greylist = g;
                }
                let text = if g.is_some() {
                    format!("{name} turns greylisting on.")
                } else {
                    format!("{name} turns greylisting off.")
                };
                self.narrate(node, &text);
            }
            Task::SetQuota(q) => {
                let name = self.nodes[node].actor.name.clone();
                if let NodeKind::MailServer(ms) = &mut self.nodes[node].kind {
                    ms.policy.quota = q;
                }
                let text = if q.is_some() {
                    format!("The mailboxes on {name} are full.")
                } else {
                    format!("{name} has room in its mailboxes again.")
                };
                self.narrate(node, &text);
            }
            Task::SetDown(down) => {
                self.nodes[node].down = down;
                let name = self.nodes[node].actor.name.clone();
                let text = if down {
                    format!("{name} crashes: nothing answers on its ports.")
                } else {
                    format!("{name} is back up.")
                };
                self.narrate(node, &text);
            }
        }
    }

    /// Asks for a queue run at `at`, unless one is already due by then.
    fn schedule_queue_run(&mut self, node: NodeId, at: Millis) {
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        if ms.run_at.is_some_and(|t| t <= at && t >= self.now) {
            return;
        }
        ms.run_at = Some(at);
        self.schedule(at, node, Task::RunQueue);
    }

    /// Starts a TCP connection; it is established one round trip later.
    fn connect(&mut self, client: NodeId, server: NodeId, port: u16, engine: ClientEngine, purpose: Purpose) {
        let id = self.next_conn;
        self.next_conn += 1;
        let lat = self.latency(client, server);
        let rtt = lat * 2;
        if self.nodes[server].down {
            // No SYN-ACK will come: connect() gives up after its timeout.
            let client_port = 49152 + self.rng.below(16384) as u16;
            self.push(self.now + lat, Action::SynLost { conn: id, sent_at: self.now, client_port });
            self.conns.insert(
                id,
                Conn {
                    client,
                    server,
                    port,
                    client_engine: engine,
                    server_engine: None,
                    purpose,
                    last: [0, 0],
                    open: false,
                    tls: false,
                },
            );
            self.push(self.now + CONNECT_TIMEOUT, Action::Establish(id));
            return;
        }
        self.conns.insert(
            id,
            Conn {
                client,
                server,
                port,
                client_engine: engine,
                server_engine: None,
                purpose,
                last: [0, 0],
                open: false,
                tls: port == 465 || port == 995 || port == 993,
            },
        );
        self.push(self.now + rtt, Action::Establish(id));
    }

    fn establish(&mut self, id: u32) {
        let (server, port, client) = {
            let c = &self.conns[&id];
            (c.server, c.port, c.client)
        };
        let peer_ip = ip_string(self.nodes[client].ip);
        let engine = match (&self.nodes[server].kind, port) {
            _ if self.nodes[server].down || self.conns[&id].open => None,
            (NodeKind::MailServer(ms), 25 | 587 | 465) => {
                let p = &ms.policy;
                let mut config = ServerConfig::basic(
                    &self.nodes[server].actor.host,
                    if port == 25 { Role::Relay } else { Role::Submission },
                    &[],
                    &[],
                );
                config.local_domains = vec![ms.domain.clone()];
                config.local_users = ms.store.addresses().map(str::to_string).collect();
                config.max_message_size = p.max_message_size;
                config.starttls = p.starttls && port != 465;
                config.implicit_tls = port == 465;
                config.require_tls = port == 587 && p.require_tls_on_submission;
                config.trusted_peer = p.trusted_ips.contains(&peer_ip);
                // Asked only when a policy needs it (greylisting or quotas, which faults on demand
                // may switch on: they apply to connections opened afterwards).
                config.ask_owner_about_recipients = port == 25 && (p.greylist.is_some() || p.quota.is_some());
                config.check_remote_recipients = port != 25 && p.verify_recipient_domains;
                config.max_errors = p.max_errors;
                config.forwards = p.forwards.clone();
                config.password_transition = p.password_transition.clone();
                config.login_too_weak = p.login_too_weak;
                config.tls_temporarily_unavailable = p.tls_temporarily_unavailable;
                config.low_disk = p.low_disk;
                config.refuse_all = p.refuse_all;
                config.require_tls_inbound = port == 25 && p.require_tls_inbound;
                if port != 25 {
                    config.accounts = ms.store.accounts().map(|(a, pw)| (a.to_string(), pw.to_string())).collect();
                }
                Some(ServerEngine::Smtp(SmtpServer::new(config)))
            }
            (NodeKind::WebServer(_), 80) => Some(ServerEngine::Http(HttpServer::new())),
            (NodeKind::MailServer(_), 110) => {
                // RFC 1939 §7: the APOP timestamp must be unique per greeting; the simulated
                // clock and connection id make it so while keeping runs deterministic.
                let host = &self.nodes[server].actor.host;
                let timestamp = format!("<{}.{}@{}>", id, self.epoch + (self.now / 1000) as i64, host);
                Some(ServerEngine::Pop3 { engine: Pop3Server::with_options(host, Some(timestamp), true), login: None })
            }
            (NodeKind::MailServer(ms), 143 | 993) => {
                let salt: Vec<u8> = (0..2).flat_map(|_| self.rng.next_u64().to_be_bytes()).collect();
                let config = ImapConfig {
                    hostname: self.nodes[server].actor.host.clone(),
                    starttls: port == 143,
                    implicit_tls: port == 993,
                    login_requires_tls: true,
                    accounts: ms.store.accounts().map(|(a, p)| (a.to_string(), p.to_string())).collect(),
                    scram_salt: salt,
                    scram_iterations: 4096,
                    server_nonce: self.rng.hex(16),
                };
                Some(ServerEngine::Imap(ImapServer::new(config)))
            }
            _ => None,
        };
        let Some(engine) = engine else {
            let c = self.conns.remove(&id).expect("connection exists");
            self.connection_failed(c);
            return;
        };
        let protocol = match engine {
            ServerEngine::Smtp(_) => "SMTP",
            ServerEngine::Pop3 { .. } => "POP3",
            ServerEngine::Imap(_) => "IMAP",
            ServerEngine::Http(_) => "HTTP",
        };
        let client_port = 49152 + self.rng.below(16384) as u16;
        self.log.push(Event::ConnectionOpened {
            t: self.now,
            conn: id,
            client: self.nodes[client].actor.id.clone(),
            client_port,
            server: self.nodes[server].actor.id.clone(),
            port,
            protocol: protocol.into(),
        });
        let c = self.conns.get_mut(&id).expect("connection exists");
        c.server_engine = Some(engine);
        c.open = true;
        self.pump(id);
    }

    fn syn_lost(&mut self, id: u32, sent_at: Millis, client_port: u16) {
        let Some(c) = self.conns.get(&id) else { return };
        let (client, server, port) = (c.client, c.server, c.port);
        let seq = self.rng.next_u64() as u32;
        let raw = tcp_syn(self.nodes[client].ip, self.nodes[server].ip, client_port, port, seq);
        let host = self.nodes[server].actor.host.clone();
        self.log.push(Event::MessageSent {
            t_sent: sent_at,
            t: self.now,
            conn: Some(id),
            from: self.nodes[client].actor.id.clone(),
            to: self.nodes[server].actor.id.clone(),
            protocol: "TCP".into(),
            port,
            raw,
            label: format!("SYN (open a connection to port {port})"),
            meaning: format!(
                "A TCP segment with the SYN flag: the first step of the three-way handshake, asking {host} to open a connection to port {port}. \
                 The host is down, so no SYN-ACK comes back; the sender retransmits and gives up after {} seconds.",
                CONNECT_TIMEOUT / 1000
            ),
            rfc: "RFC 9293 §3.5".into(),
            from_state: "SYN-SENT: waiting for SYN-ACK".into(),
            to_state: "down: no answer".into(),
            tls: false,
        });
    }

    fn states(c: &Conn) -> (String, String) {
        let client = match &c.client_engine {
            ClientEngine::Smtp(e) => e.state().to_string(),
            ClientEngine::Pop3(e) => e.state().to_string(),
            ClientEngine::Typed(e) => e.state().to_string(),
            ClientEngine::Imap(e) => e.state().to_string(),
            ClientEngine::Pop3Typed(e) => e.state().to_string(),
            ClientEngine::Http(e) => e.state().to_string(),
        };
        let server = match &c.server_engine {
            Some(ServerEngine::Smtp(e)) => e.state().to_string(),
            Some(ServerEngine::Pop3 { engine, .. }) => engine.state().to_string(),
            Some(ServerEngine::Imap(e)) => e.state().to_string(),
            Some(ServerEngine::Http(e)) => e.state().to_string(),
            None => "listening".into(),
        };
        (client, server)
    }

    fn deliver(&mut self, id: u32, to_server: bool, transmit: Transmit, sent_at: Millis, tls: bool) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if !c.open {
            return;
        }
        match (to_server, &mut c.client_engine, &mut c.server_engine) {
            (true, _, Some(ServerEngine::Smtp(s))) => s.handle_input(&transmit.bytes),
            (true, _, Some(ServerEngine::Pop3 { engine, .. })) => engine.handle_input(&transmit.bytes),
            (true, _, Some(ServerEngine::Imap(e))) => {
                // Report what other sessions changed (flags, new mail, expunges) first.
                if let (Some(user), NodeKind::MailServer(ms)) =
                    (e.user().map(str::to_string), &self.nodes[c.server].kind)
                {
                    e.refresh(&ms.store.folder(&user, e.folder()).map(|m| m.messages.clone()).unwrap_or_default());
                }
                e.handle_input(&transmit.bytes)
            }
            (false, ClientEngine::Imap(e), _) => e.handle_input(&transmit.bytes),
            (false, ClientEngine::Pop3Typed(e), _) => e.handle_input(&transmit.bytes),
            (false, ClientEngine::Http(e), _) => e.handle_input(&transmit.bytes),
            (true, _, Some(ServerEngine::Http(e))) => e.handle_input(&transmit.bytes),
            (false, ClientEngine::Smtp(e), _) => e.handle_input(&transmit.bytes),
            (false, ClientEngine::Pop3(e), _) => e.handle_input(&transmit.bytes),
            (false, ClientEngine::Typed(e), _) => e.handle_input(&transmit.bytes),
            _ => {}
        }
        let imap_server = to_server && matches!(c.server_engine, Some(ServerEngine::Imap(_)));
        let (cs, ss) = Self::states(c);
        let (from_state, to_state) = if to_server { (cs, ss) } else { (ss, cs) };
        let (a, b) = if to_server { (c.client, c.server) } else { (c.server, c.client) };
        let ex = transmit.pdu.explain();
        self.log.push(Event::MessageSent {
            t_sent: sent_at,
            t: self.now,
            conn: Some(id),
            from: self.nodes[a].actor.id.clone(),
            to: self.nodes[b].actor.id.clone(),
            protocol: transmit.pdu.protocol().into(),
            port: c.port,
            raw: transmit.bytes,
            label: ex.label,
            meaning: ex.meaning,
            rfc: ex.rfc,
            from_state,
            to_state,
            tls,
        });
        let logged = self.log.len() - 1;
        self.pump(id);
        // IMAP folder work (SELECT...) is the owner's and happens at once: show the state the
        // server is in once it is done (Selected, not "waiting for the folder").
        if imap_server {
            if let Some(c) = self.conns.get(&id) {
                let (_, now) = Self::states(c);
                if let Event::MessageSent { to_state, .. } = &mut self.log[logged] {
                    *to_state = now;
                }
            }
        }
    }

    /// Drains both engines of a connection: events are acted on, bytes are scheduled.
    fn pump(&mut self, id: u32) {
        loop {
            let mut progressed = false;
            let Some(c) = self.conns.get_mut(&id) else { return };
            let (client, server) = (c.client, c.server);
            let mut out: Vec<(bool, Transmit)> = Vec::new();
            match &mut c.client_engine {
                ClientEngine::Smtp(e) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (true, t))),
                ClientEngine::Pop3(e) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (true, t))),
                ClientEngine::Typed(e) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (true, t))),
                ClientEngine::Imap(e) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (true, t))),
                ClientEngine::Pop3Typed(e) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (true, t))),
                ClientEngine::Http(e) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (true, t))),
            }
            match &mut c.server_engine {
                Some(ServerEngine::Smtp(e)) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (false, t))),
                Some(ServerEngine::Pop3 { engine, .. }) => {
                    out.extend(std::iter::from_fn(|| engine.poll_transmit()).map(|t| (false, t)))
                }
                Some(ServerEngine::Imap(e)) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (false, t))),
                Some(ServerEngine::Http(e)) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (false, t))),
                None => {}
            }
            for (to_server, transmit) in out {
                progressed = true;
                let lat = self.latency(client, server);
                let c = self.conns.get_mut(&id).expect("connection exists");
                let dir = usize::from(!to_server);
                let at = (self.now + lat).max(c.last[dir] + 1);
                c.last[dir] = at;
                let tls = c.tls;
                self.push(at, Action::Deliver { conn: id, to_server, transmit, sent_at: self.now, tls });
            }
            progressed |= self.handle_server_events(id);
            progressed |= self.handle_client_events(id);
            if !progressed {
                return;
            }
        }
    }

    fn handle_server_events(&mut self, id: u32) -> bool {
        let Some(c) = self.conns.get_mut(&id) else { return false };
        let (server, client, port) = (c.server, c.client, c.port);
        match &mut c.server_engine {
            Some(ServerEngine::Smtp(e)) => {
                let events: Vec<ServerEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                let any = !events.is_empty();
                let peer_ip = ip_string(self.nodes[client].ip);
                for ev in events {
                    match ev {
                        ServerEvent::MessageReceived(m) => {
                            let qid = self.rng.hex(10);
                            let decision = self.take_message(server, port, &peer_ip, &qid, m);
                            if let Some(ServerEngine::Smtp(e)) =
                                &mut self.conns.get_mut(&id).expect("conn").server_engine
                            {
                                match decision {
                                    Ok(()) => e.accept_message(&qid),
                                    Err(reply) => e.reject_message(reply),
                                }
                            }
                        }
                        ServerEvent::RecipientProposed { rcpt, .. } if !self.is_local_to(server, &rcpt) => {
                            // Check the domain in DNS while the client waits (RFC 7505 §4.3).
                            let domain = rcpt.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
                            let q = self.rng.below(65536) as u16;
                            self.rcpt_checks.push((q, id, domain.clone()));
                            if let Some(dns) = self.nodes.iter().position(|n| matches!(n.kind, NodeKind::Dns { .. })) {
                                self.send_datagram(
                                    server,
                                    dns,
                                    DnsMessage::query(q, &domain, dns::TYPE_MX),
                                    "checking the recipient's domain".into(),
                                );
                            }
                        }
                        ServerEvent::RecipientProposed { mail_from, rcpt } => {
                            let refusal = self.check_recipient_policy(server, &peer_ip, &mail_from, &rcpt);
                            if let Some(ServerEngine::Smtp(e)) =
                                &mut self.conns.get_mut(&id).expect("conn").server_engine
                            {
                                e.decide_recipient(refusal);
                            }
                        }
                        ServerEvent::TlsStarted => self.conns.get_mut(&id).expect("conn").tls = true,
                        ServerEvent::Closed => {}
                    }
                }
                any
            }
            Some(ServerEngine::Pop3 { engine, login }) => {
                let events: Vec<Pop3ServerEvent> = std::iter::from_fn(|| engine.poll_event()).collect();
                let any = !events.is_empty();
                let node_id = self.nodes[server].actor.id.clone();
                let NodeKind::MailServer(ms) = &mut self.nodes[server].kind else { return any };
                for ev in events {
                    match ev {
                        Pop3ServerEvent::LoginRequested { user, pass } => {
                            *login = engine.answer_login(ms.store.login_user(&user, &pass))
                        }
                        Pop3ServerEvent::Commit { deleted, .. } => {
                            let address = login.take().unwrap_or_default();
                            for uid in ms.store.logout(&address, &deleted) {
                                self.log.push(Event::MessageDeleted {
                                    t: self.now,
                                    node: node_id.clone(),
                                    mailbox: address.clone(),
                                    uid,
                                });
                            }
                        }
                        Pop3ServerEvent::ApopRequested { user, digest, timestamp } => {
                            *login = engine.answer_login(ms.store.login_apop(&user, &digest, &timestamp))
                        }
                        Pop3ServerEvent::TlsStarted => c.tls = true,
                        Pop3ServerEvent::Closed => {}
                    }
                }
                self.notify_imap(server, Some(id));
                any
            }
            Some(ServerEngine::Imap(engine)) => {
                let events: Vec<ImapServerEvent> = std::iter::from_fn(|| engine.poll_event()).collect();
                let any = !events.is_empty();
                let changed = events.iter().any(|e| {
                    matches!(
                        e,
                        ImapServerEvent::Stored { .. }
                            | ImapServerEvent::Expunged { .. }
                            | ImapServerEvent::Folder { .. }
                    )
                });
                let node_id = self.nodes[server].actor.id.clone();
                let NodeKind::MailServer(ms) = &mut self.nodes[server].kind else { return any };
                for ev in events {
                    match ev {
                        ImapServerEvent::LoggedIn { user } => {
                            let mb = ms.store.mailbox(&user).cloned().unwrap_or_default();
                            engine.set_mailbox(mb.messages, mb.uid_validity, mb.uid_next);
                        }
                        ImapServerEvent::Folder { user, op } => {
                            let r = apply_folder_op(&mut ms.store, &user, &op, self.epoch + (self.now / 1000) as i64);
                            engine.folder_result(r);
                        }
                        ImapServerEvent::Stored { user, folder, uid, flags } => {
                            ms.store.set_folder_flags(&user, &folder, uid, &flags);
                            if folder == "INBOX" {
                                self.log.push(Event::FlagsChanged {
                                    t: self.now,
                                    node: node_id.clone(),
                                    mailbox: user,
                                    uid,
                                    flags,
                                });
                            }
                        }
                        ImapServerEvent::Expunged { user, folder, uids } => {
                            for uid in ms.store.expunge_folder(&user, &folder, &uids) {
                                if folder == "INBOX" {
                                    self.log.push(Event::MessageDeleted {
                                        t: self.now,
                                        node: node_id.clone(),
                                        mailbox: user.clone(),
                                        uid,
                                    });
                                }
                            }
                        }
                        ImapServerEvent::TlsStarted => c.tls = true,
                        ImapServerEvent::Closed => {}
                    }
                }
                if changed {
                    self.notify_imap(server, Some(id));
                }
                any
            }
            Some(ServerEngine::Http(engine)) => {
                let events: Vec<HttpServerEvent> = std::iter::from_fn(|| engine.poll_event()).collect();
                let any = !events.is_empty();
                for ev in events {
                    if let HttpServerEvent::Request(req) = ev {
                        self.serve_http(server, id, req);
                    }
                }
                any
            }
            None => false,
        }
    }

    fn respond_http(&mut self, conn: u32, resp: HttpMessage) {
        if let Some(ServerEngine::Http(e)) = self.conns.get_mut(&conn).and_then(|c| c.server_engine.as_mut()) {
            e.respond(resp);
        }
        self.pump(conn);
    }

    /// A web server answers a request: static objects at once; webmail pages may first need
    /// an SMTP or IMAP session with the provider's mail server.
    fn serve_http(&mut self, server: NodeId, conn: u32, req: HttpMessage) {
        let html = |s: &str| {
            ("Content-Type", if s.starts_with('<') { "text/html; charset=utf-8" } else { "text/plain; charset=utf-8" })
        };
        let NodeKind::WebServer(site) = &mut self.nodes[server].kind else { return };
        let resp = match site {
            Site::Static(pages) => match pages.iter().find(|(p, _, _)| p == req.target()) {
                Some((_, ct, body)) if req.method() == "GET" => {
                    HttpMessage::response("HTTP/1.1", 200, "OK", &[("Content-Type", ct)], body)
                }
                Some(_) => HttpMessage::response("HTTP/1.1", 405, "Method Not Allowed", &[("Allow", "GET")], b""),
                None => HttpMessage::response(
                    "HTTP/1.1",
                    404,
                    "Not Found",
                    &[("Content-Type", "text/plain")],
                    b"no such object\n",
                ),
            },
            Site::Webmail { mail_server, sessions } => {
                let mail_server = mail_server.clone();
                let session =
                    req.cookie("session").and_then(|t| sessions.iter().find(|(tok, _, _)| *tok == t).cloned());
                let needs_login =
                    ["/compose", "/inbox", "/send"].contains(&req.target()) || req.target().starts_with("/message/");
                let form = req.form();
                let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
                match (req.method(), req.target()) {
                    ("GET", "/") => {
                        let page = "<form method=\"post\" action=\"/login\">User <input name=\"user\"> Password <input type=\"password\" name=\"password\"> <button>Log in</button></form>\n";
                        HttpMessage::response("HTTP/1.1", 200, "OK", &[html(page)], page.as_bytes())
                    }
                    ("POST", "/login") => {
                        let (user, password) = (field("user"), field("password"));
                        let Some(ms_node) = self.node_by_actor(&mail_server) else { return };
                        let NodeKind::MailServer(ms) = &self.nodes[ms_node].kind else { return };
                        let address = ms.store.resolve_login(&user);
                        let ok = address.as_ref().and_then(|a| ms.store.password(a)).is_some_and(|p| p == password);
                        if let (true, Some(address)) = (ok, address) {
                            let token = self.rng.hex(16).to_ascii_lowercase();
                            let next = if address.starts_with("alice") { "/compose" } else { "/inbox" };
                            if let NodeKind::WebServer(Site::Webmail { sessions, .. }) = &mut self.nodes[server].kind {
                                sessions.push((token.clone(), address, password));
                            }
                            let cookie = format!("session={token}; HttpOnly; Path=/");
                            HttpMessage::response(
                                "HTTP/1.1",
                                303,
                                "See Other",
                                &[("Location", next), ("Set-Cookie", &cookie)],
                                b"",
                            )
                        } else {
                            HttpMessage::response(
                                "HTTP/1.1",
                                403,
                                "Forbidden",
                                &[("Content-Type", "text/plain")],
                                b"wrong user name or password\n",
                            )
                        }
                    }
                    (_, "/login") => {
                        HttpMessage::response("HTTP/1.1", 405, "Method Not Allowed", &[("Allow", "POST")], b"")
                    }
                    _ if needs_login && session.is_none() => {
                        HttpMessage::response("HTTP/1.1", 303, "See Other", &[("Location", "/")], b"")
                    }
                    ("GET", "/compose") => {
                        let page = "<form method=\"post\" action=\"/send\">To <input name=\"to\"> Subject <input name=\"subject\"> <textarea name=\"text\"></textarea> <button>Send</button></form>\n";
                        HttpMessage::response("HTTP/1.1", 200, "OK", &[html(page)], page.as_bytes())
                    }
                    ("POST", "/send") => {
                        let (_, address, password) = session.expect("checked above");
                        return self.webmail_send(
                            server,
                            conn,
                            &mail_server,
                            &address,
                            &password,
                            &field("to"),
                            &field("subject"),
                            &field("text"),
                        );
                    }
                    ("GET", "/inbox") => {
                        let (_, address, password) = session.expect("checked above");
                        return self.webmail_imap(
                            server,
                            conn,
                            &mail_server,
                            &address,
                            &password,
                            BackendReply::Inbox(address.clone()),
                        );
                    }
                    ("GET", t) if t.starts_with("/message/") => {
                        let (_, address, password) = session.expect("checked above");
                        let n: usize = t["/message/".len()..].parse().unwrap_or(0);
                        if n == 0 {
                            HttpMessage::response(
                                "HTTP/1.1",
                                404,
                                "Not Found",
                                &[("Content-Type", "text/plain")],
                                b"no such message\n",
                            )
                        } else {
                            return self.webmail_imap(
                                server,
                                conn,
                                &mail_server,
                                &address,
                                &password,
                                BackendReply::Message(address.clone(), n),
                            );
                        }
                    }
                    (_, "/compose" | "/inbox" | "/send") => HttpMessage::response(
                        "HTTP/1.1",
                        405,
                        "Method Not Allowed",
                        &[("Allow", if req.target() == "/send" { "POST" } else { "GET" })],
                        b"",
                    ),
                    _ => HttpMessage::response(
                        "HTTP/1.1",
                        404,
                        "Not Found",
                        &[("Content-Type", "text/plain")],
                        b"no such page\n",
                    ),
                }
            }
        };
        self.respond_http(conn, resp);
    }

    #[allow(clippy::too_many_arguments)]
    fn webmail_send(
        &mut self,
        server: NodeId,
        http: u32,
        mail_server: &str,
        address: &str,
        password: &str,
        to: &str,
        subject: &str,
        text: &str,
    ) {
        let Some(ms) = self.node_by_actor(mail_server) else { return };
        let name = address
            .split('@')
            .next()
            .map(|n| {
                let mut c = n.chars();
                c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
            })
            .unwrap_or_default();
        let token = self.rng.hex(8).to_ascii_lowercase();
        let domain = address.split('@').nth(1).unwrap_or("");
        let draft = Draft {
            from: message::Person::new(&name, address),
            to: to.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| message::Person::new("", t)).collect(),
            cc: vec![],
            bcc: vec![],
            subject: subject.into(),
            body: text.into(),
            date: self.unix_now(),
            message_id: format!("{}.{token}@webmail.{domain}", self.unix_now()),
        };
        let job = SmtpJob {
            helo: self.nodes[server].actor.host.clone(),
            mail_from: address.into(),
            rcpt_to: draft.envelope_recipients(),
            message: draft.to_bytes(),
            auth: Some((address.into(), password.into())),
            starttls: false,
            pipelining: false,
        };
        self.connect(
            server,
            ms,
            587,
            ClientEngine::Smtp(SmtpClient::new(job)),
            Purpose::Backend { http, reply: BackendReply::Sent },
        );
    }

    fn webmail_imap(
        &mut self,
        server: NodeId,
        http: u32,
        mail_server: &str,
        address: &str,
        password: &str,
        reply: BackendReply,
    ) {
        let Some(ms) = self.node_by_actor(mail_server) else { return };
        let user = address.split('@').next().unwrap_or("").to_string();
        let fetch = match &reply {
            BackendReply::Message(_, n) => format!("w3 fetch {n} body[]"),
            _ => "w3 fetch 1:* (flags envelope)".to_string(),
        };
        let steps = vec![
            ImapStep::Scram { tag: "w1".into(), user, password: password.into(), nonce: self.rng.hex(16) },
            ImapStep::Line("w2 select inbox".into()),
            ImapStep::Line(fetch),
            ImapStep::Line("w4 logout".into()),
        ];
        self.connect(server, ms, 143, ClientEngine::Imap(ImapClient::new(steps)), Purpose::Backend { http, reply });
    }

    /// The backend session is over: answer the browser.
    fn finish_backend(&mut self, client: NodeId, http: u32, reply: BackendReply, outcome: Option<String>) {
        let json = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let NodeKind::WebServer(Site::Webmail { mail_server, .. }) = &self.nodes[client].kind else { return };
        let Some(ms) = self.node_by_actor(&mail_server.clone()) else { return };
        let NodeKind::MailServer(ms) = &self.nodes[ms].kind else { return };
        let resp = match reply {
            BackendReply::Sent => match outcome {
                Some(ok) => HttpMessage::response(
                    "HTTP/1.1",
                    200,
                    "OK",
                    &[("Content-Type", "application/json")],
                    format!("{{\"sent\": true, \"server\": \"{}\"}}\n", json(&ok)).as_bytes(),
                ),
                None => HttpMessage::response(
                    "HTTP/1.1",
                    502,
                    "Bad Gateway",
                    &[("Content-Type", "application/json")],
                    b"{\"sent\": false}\n",
                ),
            },
            BackendReply::Inbox(address) => {
                let items: Vec<String> = ms
                    .store
                    .mailbox(&address)
                    .map(|m| {
                        m.messages
                            .iter()
                            .enumerate()
                            .map(|(i, x)| {
                                let h = |n: &str| json(&message::header(&x.data, n).unwrap_or_default());
                                format!(
                                    "{{\"n\": {}, \"from\": \"{}\", \"subject\": \"{}\", \"seen\": {}}}",
                                    i + 1,
                                    h("From"),
                                    h("Subject"),
                                    x.flags.iter().any(|f| f == "\\Seen")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                HttpMessage::response(
                    "HTTP/1.1",
                    200,
                    "OK",
                    &[("Content-Type", "application/json")],
                    format!("[{}]\n", items.join(", ")).as_bytes(),
                )
            }
            BackendReply::Message(address, n) => match ms.store.mailbox(&address).and_then(|m| m.messages.get(n - 1)) {
                Some(x) => HttpMessage::response("HTTP/1.1", 200, "OK", &[("Content-Type", "message/rfc822")], &x.data),
                None => HttpMessage::response(
                    "HTTP/1.1",
                    404,
                    "Not Found",
                    &[("Content-Type", "text/plain")],
                    b"no such message\n",
                ),
            },
        };
        self.respond_http(http, resp);
    }

    fn handle_client_events(&mut self, id: u32) -> bool {
        let Some(c) = self.conns.get_mut(&id) else { return false };
        let (client, server, purpose) = (c.client, c.server, c.purpose.clone());
        let mut closed = false;
        let any;
        match &mut c.client_engine {
            ClientEngine::Smtp(e) => {
                let events: Vec<ClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                let remote = self.nodes[server].actor.host.clone();
                for ev in events {
                    match ev {
                        ClientEvent::Closed => closed = true,
                        ClientEvent::TlsStarted => {}
                        ClientEvent::Sent { reply, rejected, accepted } => {
                            if let Purpose::Backend { http, reply: back } = &purpose {
                                let text = format!("{} {}", reply.code, reply.text());
                                self.finish_backend(client, *http, back.clone(), Some(text));
                                continue;
                            }
                            if matches!(purpose, Purpose::Submission) {
                                let text =
                                    format!("The user agent reports: message sent ({} {}).", reply.code, reply.text());
                                self.narrate(client, &text);
                            }
                            let failed = rejected.iter().map(|(r, why)| failure(r, &remote, why)).collect();
                            self.finish_leg(client, &purpose, accepted, failed);
                        }
                        ClientEvent::Failed { reply, permanent, rejected } => {
                            if let Purpose::Backend { http, reply: back } = &purpose {
                                self.finish_backend(client, *http, back.clone(), None);
                                continue;
                            }
                            if matches!(purpose, Purpose::Submission) {
                                let text = format!(
                                    "The user agent shows an error: the server said {} {}.",
                                    reply.code,
                                    reply.text()
                                );
                                self.narrate(client, &text);
                                continue;
                            }
                            let why = format!("host {remote} said: {} {}", reply.code, reply.text());
                            let permanent_rejections: Vec<FailedRecipient> = rejected
                                .iter()
                                .filter(|(_, r)| r.is_permanent_failure())
                                .map(|(r, why)| failure(r, &remote, why))
                                .collect();
                            if permanent {
                                let mut failed = permanent_rejections;
                                for r in self.leg_rcpts(client, &purpose) {
                                    if !failed.iter().any(|f| f.address == r) {
                                        failed.push(failure(&r, &remote, &reply));
                                    }
                                }
                                self.finish_leg(client, &purpose, vec![], failed);
                            } else {
                                self.defer_leg(client, &purpose, &why, permanent_rejections);
                            }
                        }
                    }
                }
            }
            ClientEngine::Imap(e) => {
                let events: Vec<ImapClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                closed = events.contains(&ImapClientEvent::Closed);
                if let (true, Purpose::Backend { http, reply }) = (closed, &purpose) {
                    // The IMAP session fetched what the page needs: answer the browser.
                    self.finish_backend(client, *http, reply.clone(), Some(String::new()));
                }
            }
            ClientEngine::Pop3Typed(e) => {
                any = false;
                closed = e.is_done();
            }
            ClientEngine::Http(e) => {
                let events: Vec<HttpClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                closed = events.contains(&HttpClientEvent::Closed);
            }
            ClientEngine::Typed(e) => {
                let events: Vec<TypedEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                closed = events.contains(&TypedEvent::Closed);
            }
            ClientEngine::Pop3(e) => {
                let events: Vec<Pop3ClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                for ev in events {
                    match ev {
                        Pop3ClientEvent::Closed => closed = true,
                        Pop3ClientEvent::Retrieved { data, uid, .. } => {
                            if let Some(uid) = uid {
                                self.pop3_seen.entry(client).or_default().push(uid);
                            }
                            let from = message::header(&data, "From").unwrap_or_default();
                            let subject = message::header(&data, "Subject").unwrap_or_default();
                            let node = self.nodes[client].actor.id.clone();
                            self.log.push(Event::MessageDownloaded {
                                t: self.now,
                                node,
                                from,
                                subject,
                                size: data.len(),
                            });
                        }
                        Pop3ClientEvent::LoginFailed { .. } => {}
                    }
                }
            }
        }
        if closed {
            self.close(id, client);
            if let Purpose::Browse { rest } = purpose {
                if !rest.is_empty() {
                    // HTTP/1.0: the next object needs a new TCP connection.
                    let mut rest = rest;
                    let now = vec![rest.remove(0)];
                    self.connect(
                        client,
                        server,
                        80,
                        ClientEngine::Http(HttpClient::new(now)),
                        Purpose::Browse { rest },
                    );
                }
            }
        }
        any
    }

    fn close(&mut self, id: u32, by: NodeId) {
        let Some(mut c) = self.conns.remove(&id) else { return };
        c.open = false;
        if let Some(ServerEngine::Pop3 { engine, login: Some(address) }) = &mut c.server_engine {
            // Dropped before QUIT: release the lock, delete nothing (RFC 1939 §6).
            engine.connection_lost();
            if let NodeKind::MailServer(ms) = &mut self.nodes[c.server].kind {
                ms.store.logout(address, &[]);
            }
        }
        self.log.push(Event::ConnectionClosed { t: self.now, conn: id, by: self.nodes[by].actor.id.clone() });
    }

    /// Nothing answered: a user agent reports it; a queue defers the delivery.
    fn connection_failed(&mut self, c: Conn) {
        self.log.push(Event::ConnectionRefused {
            t: self.now,
            client: self.nodes[c.client].actor.id.clone(),
            server: self.nodes[c.server].actor.id.clone(),
            port: c.port,
        });
        let host = self.nodes[c.server].actor.host.clone();
        let what = if self.nodes[c.server].down { "Connection timed out" } else { "Connection refused" };
        match c.purpose {
            Purpose::Relay { .. } => {
                let why = format!("connect to {host}[{}]:{}: {what}", ip_string(self.nodes[c.server].ip), c.port);
                self.defer_leg(c.client, &c.purpose, &why, vec![]);
            }
            _ => {
                let text = format!("The user agent shows an error: cannot connect to {host} port {}.", c.port);
                self.narrate(c.client, &text);
            }
        }
    }

    /// A mailbox on `server` changed: every IMAP session there refreshes its view (an idling
    /// one tells its client at once), except `except`, which made the change itself.
    fn notify_imap(&mut self, server: NodeId, except: Option<u32>) {
        let NodeKind::MailServer(ms) = &self.nodes[server].kind else { return };
        let mut touched = Vec::new();
        for (id, c) in self.conns.iter_mut() {
            if c.server != server || Some(*id) == except {
                continue;
            }
            if let Some(ServerEngine::Imap(e)) = &mut c.server_engine {
                if let Some(user) = e.user().map(str::to_string) {
                    e.refresh(&ms.store.folder(&user, e.folder()).map(|m| m.messages.clone()).unwrap_or_default());
                    touched.push(*id);
                }
            }
        }
        for id in touched {
            self.pump(id);
        }
    }

    fn is_local_to(&self, server: NodeId, address: &str) -> bool {
        let NodeKind::MailServer(ms) = &self.nodes[server].kind else { return false };
        address.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(&ms.domain))
    }

    /// The DNS answer to a recipient check: decide the waiting RCPT TO.
    fn finish_rcpt_check(&mut self, conn: u32, domain: &str, answer: &DnsMessage) {
        let null_mx = answer.answers.len() == 1
            && matches!(&answer.answers[0].data, RData::Mx { exchange, .. } if exchange.is_empty() || exchange == ".");
        let refusal = if null_mx {
            Some(Reply::enhanced(
                556,
                "5.1.10",
                format!("Recipient address rejected: Domain {domain} does not accept mail (null MX)"),
            ))
        } else if answer.rcode == 3 {
            Some(Reply::enhanced(550, "5.1.2", format!("Recipient address rejected: Domain {domain} not found")))
        } else {
            None
        };
        if let Some(ServerEngine::Smtp(e)) = self.conns.get_mut(&conn).and_then(|c| c.server_engine.as_mut()) {
            e.decide_recipient(refusal);
        }
        self.pump(conn);
    }

    /// Greylisting and quotas, for a recipient the SMTP engine found acceptable.
    fn check_recipient_policy(&mut self, server: NodeId, peer_ip: &str, mail_from: &str, rcpt: &str) -> Option<Reply> {
        let now = self.now;
        let NodeKind::MailServer(ms) = &mut self.nodes[server].kind else { return None };
        if let Some(delay) = ms.policy.greylist {
            let key = (peer_ip.to_string(), mail_from.to_ascii_lowercase(), rcpt.to_ascii_lowercase());
            let first = *ms.greylist.entry(key).or_insert(now);
            if now < first + delay {
                let wait = (first + delay - now).div_ceil(1000);
                return Some(Reply::enhanced(
                    450,
                    "4.2.0",
                    format!("<{rcpt}>: Recipient address rejected: Greylisted, please try again in {wait} seconds"),
                ));
            }
        }
        if let Some(quota) = ms.policy.quota {
            let used: usize =
                ms.store.mailbox(rcpt).map(|m| m.messages.iter().map(|x| x.data.len()).sum()).unwrap_or(0);
            if used >= quota {
                return Some(Reply::enhanced(
                    452,
                    "4.2.2",
                    format!("<{rcpt}>: Mailbox full: {used} of {quota} octets used"),
                ));
            }
        }
        None
    }

    /// A server decides on a message that arrived whole (RFC 5321 §4.1.1.4): mail for its
    /// own users is stored at once; mail for elsewhere (accepted from its users, on
    /// submission or from a trusted host) goes into the outgoing queue.
    fn take_message(
        &mut self,
        server: NodeId,
        port: u16,
        peer_ip: &str,
        qid: &str,
        m: mailsim_proto::smtp::ReceivedMessage,
    ) -> Result<(), Reply> {
        let unix = self.unix_now();
        let node_id = self.nodes[server].actor.id.clone();
        let host = self.nodes[server].actor.host.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[server].kind else {
            return Err(Reply::enhanced(451, "4.3.0", "not a mail server"));
        };
        if ms.policy.storage_fails {
            return Err(Reply::enhanced(451, "4.3.0", "Error: queue file write error (disk full?)"));
        }
        // RFC 3848: ESMTP, plus S for TLS and A for an authenticated client.
        let with = match (m.esmtp, m.tls, m.authenticated.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, true, true) => "ESMTPSA",
        };
        let single = (m.rcpt_to.len() == 1).then(|| m.rcpt_to[0].as_str());
        let trace = Trace { helo: &m.helo, peer_ip, by: &host, with, id: qid, for_rcpt: single, date: unix };
        let data = message::prepend_field(&message::received_field(&trace), &m.data);
        let subject = message::header(&data, "Subject").unwrap_or_default();
        let is_local = |r: &String| r.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(&ms.domain));
        let (local, mut remote): (Vec<String>, Vec<String>) =
            if port == 25 { m.rcpt_to.iter().cloned().partition(is_local) } else { (vec![], m.rcpt_to.clone()) };
        // A moved user this server forwards for (251): the message goes on to the new address.
        let forwards = ms.policy.forwards.clone();
        let local: Vec<String> = local
            .into_iter()
            .filter(|r| match forwards.iter().find(|(a, _, fwd)| *fwd && a.eq_ignore_ascii_case(r)) {
                Some((_, new, _)) => {
                    remote.push(new.clone());
                    false
                }
                None => true,
            })
            .collect();
        if !local.is_empty() {
            let return_path = format!("Return-Path: <{}>\r\n", m.mail_from);
            let data = message::prepend_field(&return_path, &data);
            let from = message::header(&data, "From").unwrap_or_default();
            for r in &local {
                let mailbox = r.to_ascii_lowercase();
                if let Some(uid) = ms.store.deliver(&mailbox, data.clone()) {
                    self.log.push(Event::MessageStored {
                        t: self.now,
                        node: node_id.clone(),
                        mailbox,
                        uid,
                        from: from.clone(),
                        subject: subject.clone(),
                        raw: data.clone(),
                    });
                }
            }
        }
        if !remote.is_empty() {
            self.enqueue(server, qid, m.mail_from, remote, data);
        }
        self.notify_imap(server, None);
        Ok(())
    }

    /// Puts a message in a server's outgoing queue, one leg per destination domain.
    fn enqueue(&mut self, server: NodeId, qid: &str, mail_from: String, rcpt_to: Vec<String>, data: Vec<u8>) {
        let node_id = self.nodes[server].actor.id.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[server].kind else { return };
        let mut legs: Vec<Leg> = Vec::new();
        for r in &rcpt_to {
            let domain = r.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_else(|| ms.domain.clone());
            match legs.iter_mut().find(|l| l.domain == domain) {
                Some(l) => l.rcpts.push(r.clone()),
                None => legs.push(Leg { domain, rcpts: vec![r.clone()], state: LegState::Waiting }),
            }
        }
        let subject = message::header(&data, "Subject").unwrap_or_default();
        self.log.push(Event::MessageQueued {
            t: self.now,
            node: node_id,
            queue_id: qid.into(),
            mail_from: mail_from.clone(),
            rcpt_to,
            size: data.len(),
            subject,
        });
        ms.queue.push(QueueEntry {
            id: qid.into(),
            mail_from,
            data,
            legs,
            arrival: self.now,
            deferrals: 0,
            failed: vec![],
            delivered: vec![],
        });
        // The queue manager picks new mail up after a short moment.
        self.schedule_queue_run(server, self.now + 1000);
    }

    fn run_queue(&mut self, node: NodeId) {
        let dns = self.nodes.iter().position(|n| matches!(n.kind, NodeKind::Dns { .. }));
        let node_id = self.nodes[node].actor.id.clone();
        let now = self.now;
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let relayhost = ms.policy.relayhost.clone();
        let mut queries = Vec::new();
        let mut direct = Vec::new();
        let mut expired = Vec::new();
        for entry in &mut ms.queue {
            if entry.legs.iter().any(|l| l.state == LegState::Deferred)
                && now >= entry.arrival + ms.policy.queue_lifetime
            {
                expired.push(entry.id.clone());
                continue;
            }
            for (li, leg) in entry.legs.iter_mut().enumerate() {
                if !matches!(leg.state, LegState::Waiting | LegState::Deferred) {
                    continue;
                }
                if leg.domain == ms.domain {
                    // Local recipients: straight into their mailboxes.
                    let data = message::prepend_field(&format!("Return-Path: <{}>\r\n", entry.mail_from), &entry.data);
                    let from = message::header(&data, "From").unwrap_or_default();
                    let subject = message::header(&data, "Subject").unwrap_or_default();
                    for r in &leg.rcpts {
                        if let Some(uid) = ms.store.deliver(r, data.clone()) {
                            self.log.push(Event::MessageStored {
                                t: now,
                                node: node_id.clone(),
                                mailbox: r.to_ascii_lowercase(),
                                uid,
                                from: from.clone(),
                                subject: subject.clone(),
                                raw: data.clone(),
                            });
                            entry.delivered.push(r.clone());
                        }
                    }
                    leg.state = LegState::Done;
                } else if let Some(host) = &relayhost {
                    leg.state = LegState::Sending;
                    direct.push((entry.id.clone(), li, host.clone()));
                } else {
                    let qid = self.rng.below(65536) as u16;
                    leg.state = LegState::Resolving(qid);
                    queries.push(DnsMessage::query(qid, &leg.domain, dns::TYPE_MX));
                }
            }
        }
        let ids: Vec<String> = ms.queue.iter().map(|e| e.id.clone()).collect();
        for id in expired {
            self.expire(node, &id);
        }
        for id in ids {
            self.maybe_remove_entry(node, &id);
        }
        for (qid, li, host) in direct {
            match self.node_by_host(&host) {
                Some(target) => self.start_relay(node, &qid, li, target),
                None => self.fail_leg(node, &qid, li, "5.4.4", &format!("relay host {host} not found")),
            }
        }
        if let Some(dns) = dns {
            for q in queries {
                self.send_datagram(node, dns, q, "resolver: waiting for the answer".into());
            }
        }
        self.notify_imap(node, None);
    }

    fn send_datagram(&mut self, from: NodeId, to: NodeId, msg: DnsMessage, from_state: String) {
        let lat = self.latency(from, to);
        let bytes = msg.encode();
        self.push(self.now + lat, Action::Datagram { from, to, msg, bytes, sent_at: self.now, from_state });
    }

    fn datagram(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: DnsMessage,
        bytes: Vec<u8>,
        sent_at: Millis,
        from_state: String,
    ) {
        // The receiver reads the wire bytes, as a real one would.
        let parsed = DnsMessage::decode(&bytes).unwrap_or(msg);
        let to_state = if parsed.response { "answer received" } else { "answering" };
        let ex = Pdu::Dns(parsed.clone()).explain();
        self.log.push(Event::MessageSent {
            t_sent: sent_at,
            t: self.now,
            conn: None,
            from: self.nodes[from].actor.id.clone(),
            to: self.nodes[to].actor.id.clone(),
            protocol: "DNS".into(),
            port: 53,
            raw: bytes,
            label: ex.label,
            meaning: ex.meaning,
            rfc: ex.rfc,
            from_state,
            to_state: to_state.into(),
            tls: false,
        });
        if !parsed.response {
            if let NodeKind::Dns { zone } = &self.nodes[to].kind {
                let answer = answer_query(zone, &parsed);
                self.send_datagram(to, from, answer, "answered".into());
            }
        } else {
            self.on_dns_answer(to, parsed);
        }
    }

    fn find_leg(&self, node: NodeId, pred: impl Fn(&LegState) -> bool) -> Option<(String, usize, String)> {
        let NodeKind::MailServer(ms) = &self.nodes[node].kind else { return None };
        ms.queue.iter().find_map(|e| {
            e.legs.iter().position(|l| pred(&l.state)).map(|li| (e.id.clone(), li, e.legs[li].domain.clone()))
        })
    }

    fn set_leg(&mut self, node: NodeId, qid: &str, li: usize, state: LegState) {
        if let NodeKind::MailServer(ms) = &mut self.nodes[node].kind {
            if let Some(e) = ms.queue.iter_mut().find(|e| e.id == qid) {
                e.legs[li].state = state;
            }
        }
    }

    fn on_dns_answer(&mut self, node: NodeId, answer: DnsMessage) {
        let id = answer.id;
        if let Some(i) = self.rcpt_checks.iter().position(|(q, _, _)| *q == id) {
            let (_, conn, domain) = self.rcpt_checks.remove(i);
            return self.finish_rcpt_check(conn, &domain, &answer);
        }
        if let Some((qid, li, domain)) = self.find_leg(node, |s| *s == LegState::Resolving(id)) {
            if answer.rcode == 3 {
                return self.fail_leg(
                    node,
                    &qid,
                    li,
                    "5.1.2",
                    &format!(
                        "Host or domain name not found. Name service error for name={domain} type=MX: Host not found"
                    ),
                );
            }
            let mut mx: Vec<(u16, String)> = answer
                .answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::Mx { preference, exchange } => Some((*preference, exchange.clone())),
                    _ => None,
                })
                .collect();
            mx.sort();
            if mx.len() == 1 && matches!(mx[0].1.as_str(), "" | ".") {
                // RFC 7505 §4.3: a null MX says the domain takes no mail at all.
                return self.fail_leg(
                    node,
                    &qid,
                    li,
                    "5.1.10",
                    &format!("556 5.1.10 Recipient address rejected: Domain {domain} does not accept mail (null MX)"),
                );
            }
            let Some((_, host)) = mx.first().cloned() else {
                // No MX records: the domain's own address is the implicit MX (RFC 5321 §5.1).
                let q = self.rng.below(65536) as u16;
                self.set_leg(node, &qid, li, LegState::ResolvingA(q));
                let dns = self
                    .nodes
                    .iter()
                    .position(|n| matches!(n.kind, NodeKind::Dns { .. }))
                    .expect("answer came from DNS");
                return self.send_datagram(
                    node,
                    dns,
                    DnsMessage::query(q, &domain, dns::TYPE_A),
                    "resolver: no MX, asking for the A record".into(),
                );
            };
            let glue = answer.additional.iter().find_map(|r| match r.data {
                RData::A(ip) if r.name.eq_ignore_ascii_case(&host) => Some(ip),
                _ => None,
            });
            let target = glue.and_then(|ip| self.node_by_ip(ip)).or_else(|| self.node_by_host(&host));
            match target {
                Some(t) => self.start_relay(node, &qid, li, t),
                None => self.fail_leg(node, &qid, li, "5.4.4", &format!("mail exchanger {host} has no address")),
            }
        } else if let Some((qid, li, domain)) = self.find_leg(node, |s| *s == LegState::ResolvingA(id)) {
            let ip = answer.answers.iter().find_map(|r| if let RData::A(ip) = r.data { Some(ip) } else { None });
            match ip.and_then(|ip| self.node_by_ip(ip)) {
                Some(t) => self.start_relay(node, &qid, li, t),
                None => self.fail_leg(
                    node,
                    &qid,
                    li,
                    "5.1.2",
                    &format!("Host or domain name not found: {domain} has neither MX nor A records"),
                ),
            }
        }
    }

    fn start_relay(&mut self, node: NodeId, qid: &str, li: usize, target: NodeId) {
        let helo = self.nodes[node].actor.host.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let Some(entry) = ms.queue.iter_mut().find(|e| e.id == qid) else { return };
        let leg = &mut entry.legs[li];
        leg.state = LegState::Sending;
        let job = SmtpJob {
            helo,
            mail_from: entry.mail_from.clone(),
            rcpt_to: leg.rcpts.clone(),
            message: entry.data.clone(),
            auth: None,
            starttls: ms.policy.relay_starttls,
            pipelining: ms.policy.relay_pipelining,
        };
        let purpose = Purpose::Relay { queue_id: qid.to_string(), leg: li };
        self.connect(node, target, 25, ClientEngine::Smtp(SmtpClient::new(job)), purpose);
    }

    fn leg_rcpts(&self, node: NodeId, purpose: &Purpose) -> Vec<String> {
        let (Purpose::Relay { queue_id, leg }, NodeKind::MailServer(ms)) = (purpose, &self.nodes[node].kind) else {
            return vec![];
        };
        ms.queue.iter().find(|e| &e.id == queue_id).map(|e| e.legs[*leg].rcpts.clone()).unwrap_or_default()
    }

    /// A leg ended: `delivered` got it, `failed` will be in the bounce.
    fn finish_leg(&mut self, node: NodeId, purpose: &Purpose, delivered: Vec<String>, failed: Vec<FailedRecipient>) {
        let Purpose::Relay { queue_id, leg } = purpose else { return };
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        if let Some(e) = ms.queue.iter_mut().find(|e| &e.id == queue_id) {
            e.legs[*leg].state = LegState::Done;
            e.delivered.extend(delivered);
            e.failed.extend(failed);
        }
        self.maybe_remove_entry(node, &queue_id.clone());
    }

    fn fail_leg(&mut self, node: NodeId, qid: &str, li: usize, status: &str, diagnostic: &str) {
        let rcpts = {
            let NodeKind::MailServer(ms) = &self.nodes[node].kind else { return };
            ms.queue.iter().find(|e| e.id == qid).map(|e| e.legs[li].rcpts.clone()).unwrap_or_default()
        };
        let failed = rcpts
            .iter()
            .map(|r| FailedRecipient {
                address: r.clone(),
                status: status.into(),
                remote: None,
                diagnostic: diagnostic.into(),
            })
            .collect();
        self.finish_leg(node, &Purpose::Relay { queue_id: qid.into(), leg: li }, vec![], failed);
    }

    /// A transient failure: the leg waits for the next attempt, with a growing delay
    /// (RFC 5321 §4.5.4.1 asks for at least 30 minutes; scenarios use shorter, stated delays).
    fn defer_leg(&mut self, node: NodeId, purpose: &Purpose, reason: &str, permanent: Vec<FailedRecipient>) {
        let Purpose::Relay { queue_id, leg } = purpose else { return };
        let node_id = self.nodes[node].actor.id.clone();
        let now = self.now;
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let Some(e) = ms.queue.iter_mut().find(|e| &e.id == queue_id) else { return };
        let l = &mut e.legs[*leg];
        l.rcpts.retain(|r| !permanent.iter().any(|f| &f.address == r));
        l.state = if l.rcpts.is_empty() { LegState::Done } else { LegState::Deferred };
        e.failed.extend(permanent);
        let delays = &ms.policy.retry_delays;
        let delay = delays.get(e.deferrals).or(delays.last()).copied().unwrap_or(5 * 60_000);
        e.deferrals += 1;
        let retry_at = now + delay;
        self.log.push(Event::MessageDeferred {
            t: now,
            node: node_id,
            queue_id: queue_id.clone(),
            reason: reason.into(),
            retry_at,
        });
        self.schedule_queue_run(node, retry_at);
        self.maybe_remove_entry(node, &queue_id.clone());
    }

    /// The queue lifetime ran out: every leg still waiting fails (4.4.7).
    fn expire(&mut self, node: NodeId, qid: &str) {
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let Some(e) = ms.queue.iter_mut().find(|e| e.id == qid) else { return };
        for l in e.legs.iter_mut().filter(|l| l.state == LegState::Deferred) {
            for r in &l.rcpts {
                e.failed.push(FailedRecipient {
                    address: r.clone(),
                    status: "4.4.7".into(),
                    remote: None,
                    diagnostic: "delivery time expired: the message stayed in the queue too long".into(),
                });
            }
            l.state = LegState::Done;
        }
        self.maybe_remove_entry(node, qid);
    }

    fn maybe_remove_entry(&mut self, node: NodeId, id: &str) {
        let NodeKind::MailServer(ms) = &self.nodes[node].kind else { return };
        if ms.queue.iter().any(|e| e.id == id && e.legs.iter().all(|l| l.state == LegState::Done)) {
            self.remove_entry(node, id);
        }
    }

    /// The entry is finished: log it, and bounce what failed to the sender (RFC 3464), unless
    /// the sender is the null sender (a bounce never bounces, RFC 5321 §4.5.5).
    fn remove_entry(&mut self, node: NodeId, id: &str) {
        let node_id = self.nodes[node].actor.id.clone();
        let host = self.nodes[node].actor.host.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let Some(pos) = ms.queue.iter().position(|e| e.id == id) else { return };
        let e = ms.queue.remove(pos);
        let mut parts = Vec::new();
        if !e.delivered.is_empty() {
            parts.push(format!(
                "delivered to {}",
                e.delivered.iter().map(|r| format!("<{r}>")).collect::<Vec<_>>().join(", ")
            ));
        }
        for f in &e.failed {
            parts.push(format!("<{}> failed: {}", f.address, f.diagnostic));
        }
        self.log.push(Event::QueueEntryRemoved {
            t: self.now,
            node: node_id,
            queue_id: e.id.clone(),
            outcome: parts.join("; "),
        });
        if e.failed.is_empty() || e.mail_from.is_empty() {
            return;
        }
        let unix = self.unix_now();
        let arrival = self.epoch + (e.arrival / 1000) as i64;
        let message_id = format!("{}.{}@{host}", unix, self.rng.hex(8).to_ascii_lowercase());
        let boundary = format!("{}.{}/{host}", self.rng.hex(10), unix);
        let dsn = message::bounce(&message::Bounce {
            reporting_mta: &host,
            to: &e.mail_from,
            failed: &e.failed,
            original: &e.data,
            arrival,
            date: unix,
            message_id: &message_id,
            boundary: &boundary,
        });
        let qid = self.rng.hex(10);
        // The bounce travels with the null sender, so that it can never bounce itself.
        self.enqueue(node, &qid, String::new(), vec![e.mail_from.clone()], dsn);
    }
}

/// How long connect() waits for a SYN-ACK before giving up.
const CONNECT_TIMEOUT: Millis = 30_000;

/// A real TCP SYN segment (RFC 9293 §3.1): header only, with the checksum over the IPv4
/// pseudo-header.
fn tcp_syn(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, seq: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(20);
    h.extend(sport.to_be_bytes());
    h.extend(dport.to_be_bytes());
    h.extend(seq.to_be_bytes());
    h.extend(0u32.to_be_bytes()); // acknowledgment number: none yet
    h.push(5 << 4); // data offset: 5 words, no options
    h.push(0x02); // flags: SYN
    h.extend(64240u16.to_be_bytes()); // window
    h.extend([0, 0]); // checksum, filled in below
    h.extend([0, 0]); // urgent pointer
    let mut sum: u32 = 0;
    let mut add =
        |b: &[u8]| b.chunks(2).for_each(|c| sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])));
    add(&src);
    add(&dst);
    add(&[0, 6]);
    add(&(h.len() as u16).to_be_bytes());
    add(&h);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let ck = !(sum as u16);
    h[16..18].copy_from_slice(&ck.to_be_bytes());
    h
}

fn failure(rcpt: &str, remote: &str, reply: &Reply) -> FailedRecipient {
    let status = reply
        .lines
        .first()
        .and_then(|l| l.split(' ').next())
        .filter(|s| s.len() >= 5 && s.as_bytes()[1] == b'.')
        .map(str::to_string)
        .unwrap_or_else(|| {
            let class = reply.code / 100;
            format!("{class}.0.0")
        });
    FailedRecipient {
        address: rcpt.into(),
        status,
        remote: Some(remote.into()),
        diagnostic: format!("host {remote} said: {} {}", reply.code, reply.text()),
    }
}

/// What an authoritative server answers: MX records with the exchangers' addresses in the
/// additional section, or A records, or NXDOMAIN.
fn answer_query(zone: &[Record], q: &DnsMessage) -> DnsMessage {
    let mut a = q.clone();
    a.response = true;
    a.authoritative = true;
    let Some(question) = q.questions.first() else {
        a.rcode = 1;
        return a;
    };
    let name = question.name.to_ascii_lowercase();
    let known = zone.iter().any(|r| r.name == name);
    a.answers = zone
        .iter()
        .filter(|r| {
            r.name == name
                && matches!((&r.data, question.qtype), (RData::Mx { .. }, dns::TYPE_MX) | (RData::A(_), dns::TYPE_A))
        })
        .cloned()
        .collect();
    for r in a.answers.clone() {
        if let RData::Mx { exchange, .. } = &r.data {
            a.additional.extend(zone.iter().filter(|z| &z.name == exchange && matches!(z.data, RData::A(_))).cloned());
        }
    }
    if !known {
        a.rcode = 3;
    }
    a
}

#[cfg(test)]
mod tests {
    #[test]
    fn syn_checksum_verifies() {
        let h = super::tcp_syn([192, 0, 2, 25], [198, 51, 100, 25], 50000, 25, 0x0102_0304);
        assert_eq!(h.len(), 20);
        assert_eq!(h[13], 0x02);
        // Summing everything again, checksum included, gives 0xffff.
        let mut sum: u32 = 0;
        for c in [&[192u8, 0, 2, 25][..], &[198, 51, 100, 25], &[0, 6], &[0, 20], &h] {
            for w in c.chunks(2) {
                sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
            }
        }
        while sum >> 16 != 0 {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assert_eq!(sum, 0xffff);
    }
}
