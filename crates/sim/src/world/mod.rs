//! The deterministic world: nodes (user agents, mail servers, a DNS server), a network with
//! latency, a virtual clock and a seeded RNG. Everything that happens is appended to the
//! [`EventLog`]; nothing reads a real clock.
//!
//! How it runs: an *agenda* of actions ordered by (virtual time, sequence number) in a
//! `BTreeMap`. Popping an action advances the clock to its time and performs it: deliver
//! bytes to an engine, establish a connection, start a user's task. Engines' output is
//! drained right away and scheduled for delivery after the link's latency; a connection
//! keeps its bytes in order (TCP) even with jitter.

mod agent;
mod crash;
mod dns;
mod net;
mod web;

pub use crate::host::ServerPolicy;
use crate::host::{Ctx, HostOutput, MailHost};
use crate::log::{Actor, Event, EventLog, Millis};
use crate::rng::Rng;
use mailsim_proto::dns::{DnsMessage, Record};
use mailsim_proto::http::{HttpClient, HttpMessage, HttpServer};
use mailsim_proto::imap::client::{ImapClient, ImapStep};
use mailsim_proto::message::Draft;
use mailsim_proto::pop3::typed::Pop3Typed;
use mailsim_proto::pop3::Pop3Client;
use mailsim_proto::smtp::typed::{Typed, TypedSession};
use mailsim_proto::smtp::SmtpClient;
use mailsim_proto::{Engine, Transmit};
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
    /// A mail server's process dies: now, or (`before_reply`) once it has taken a whole
    /// message and before it answers (world/crash.rs).
    Crash { before_reply: bool },
    /// A mail server's service is stopped: its sessions get their protocol's goodbye (SMTP
    /// 421), then nothing answers until it comes back (world/crash.rs).
    Shutdown,
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

#[derive(Debug)]
enum Action {
    Task(NodeId, Task),
    Establish(u32),
    /// A connection's engine has a deadline (an idle timer) now.
    Timeout(u32),
    /// The server closed the connection; its last bytes have arrived.
    ServerClosed(u32),
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
    MailServer(Box<MailHost>),
    Dns { zone: Vec<Record> },
    WebServer(Site),
}

#[derive(Debug)]
struct Node {
    actor: Actor,
    ip: [u8; 4],
    kind: NodeKind,
    down: bool,
    /// The process is dead (a crash, not just unreachable): its timers and the datagrams
    /// for it wait in `World::held` until it restarts.
    crashed: bool,
    /// It will crash once it has taken a whole message, before its reply.
    crash_armed: bool,
    /// Ports the network this node is on does not let it connect to (a firewall drops the SYN).
    blocked_ports: Vec<u16>,
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

impl ClientEngine {
    fn wire(&mut self) -> &mut dyn mailsim_proto::Wire {
        match self {
            ClientEngine::Smtp(e) => e,
            ClientEngine::Pop3(e) => e,
            ClientEngine::Typed(e) => e,
            ClientEngine::Imap(e) => e,
            ClientEngine::Pop3Typed(e) => e,
            ClientEngine::Http(e) => e,
        }
    }

    fn wire_ref(&self) -> &dyn mailsim_proto::Wire {
        match self {
            ClientEngine::Smtp(e) => e,
            ClientEngine::Pop3(e) => e,
            ClientEngine::Typed(e) => e,
            ClientEngine::Imap(e) => e,
            ClientEngine::Pop3Typed(e) => e,
            ClientEngine::Http(e) => e,
        }
    }
}

/// The server end of a connection: a mail host's session (kept by the host, under the
/// connection's id), or a web server's engine.
#[derive(Debug)]
enum ServerSide {
    /// Not established yet.
    Listening,
    Host,
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
    side: ServerSide,
    /// What the server end speaks, once established.
    protocol: &'static str,
    /// The engines' next deadline, on the agenda.
    timer: Option<Millis>,
    /// The server end has closed the session (a ServerClosed is on the agenda).
    server_closed: bool,
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
    /// What each POP3 user agent in download-and-keep mode has downloaded (UIDL ids).
    pop3_seen: BTreeMap<NodeId, Vec<String>>,
    /// What was due for crashed servers, in order: carried out when they restart.
    held: Vec<Action>,
    /// `pump`'s list of the units its engines sent, kept between calls (empty) so that
    /// draining a connection does not allocate one each time.
    outbox: Vec<(bool, Transmit)>,
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
            pop3_seen: BTreeMap::new(),
            held: Vec::new(),
            outbox: Vec::new(),
        }
    }

    fn add_node(&mut self, actor: Actor, ip: [u8; 4], kind: NodeKind) -> NodeId {
        self.log.push(Event::ActorJoined { actor: actor.clone() });
        self.nodes.push(Node {
            actor,
            ip,
            kind,
            down: false,
            crashed: false,
            crash_armed: false,
            blocked_ports: vec![],
        });
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
        mut policy: ServerPolicy,
    ) -> NodeId {
        // The world runs a scenario to its end in one go, and the page puts the learner's next
        // action after the last event: idle timers would end every session left open (a
        // terminal, an IMAP client waiting in IDLE) before the learner could act again. So
        // servers here have none unless a scenario sets one; `mailsim serve` has the RFCs'.
        if policy.idle_timeout.is_none() {
            policy.idle_timeout = Some(None);
        }
        let host_engine = MailHost::new(id, host, &[domain], accounts, policy);
        let actor = Actor {
            id: id.into(),
            name: name.into(),
            host: host.into(),
            ip: ip_string(ip),
            kind: "server".into(),
            mailboxes: host_engine.store().addresses().map(str::to_string).collect(),
        };
        let server = host_engine;
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

    /// The network `node` is on drops its connections to these ports: a SYN goes unanswered and
    /// the connection times out, as a hotel's Wi-Fi may block 587.
    pub fn block_ports(&mut self, node: NodeId, ports: &[u16]) {
        self.nodes[node].blocked_ports = ports.to_vec();
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
        self.with_host(server, |h, ctx| h.seed_message(ctx, address, data, date, flags));
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
        if self.for_crashed(&action) {
            self.held.push(action);
            return;
        }
        match action {
            Action::Task(node, task) => self.start_task(node, task),
            Action::Establish(conn) => self.establish(conn),
            Action::Timeout(conn) => self.timeout(conn),
            Action::ServerClosed(conn) => self.server_closed(conn),
            Action::SynLost { conn, sent_at, client_port } => self.syn_lost(conn, sent_at, client_port),
            Action::Deliver { conn, to_server, transmit, sent_at, tls } => {
                self.deliver(conn, to_server, transmit, sent_at, tls)
            }
            Action::Datagram { from, to, msg, bytes, sent_at, from_state } => {
                self.datagram(from, to, msg, bytes, sent_at, from_state)
            }
        }
    }

    /// Calls the mail host on `node` with the world's clock and RNG, then carries out what it
    /// asks for, in order. What a nested call asks for is carried out before the rest, as
    /// if the host had done it itself.
    fn with_host<R>(&mut self, node: NodeId, f: impl FnOnce(&mut MailHost, &mut Ctx) -> R) -> Option<R> {
        let (now, epoch) = (self.now, self.epoch);
        let NodeKind::MailServer(host) = &mut self.nodes[node].kind else { return None };
        let mut ctx = Ctx { now, epoch, rng: &mut self.rng };
        let r = f(host, &mut ctx);
        let outputs: Vec<HostOutput> = std::iter::from_fn(|| host.poll_output()).collect();
        for o in outputs {
            self.carry_out(node, o);
        }
        Some(r)
    }

    fn carry_out(&mut self, node: NodeId, output: HostOutput) {
        match output {
            HostOutput::Log(e) => self.log.push(e),
            HostOutput::WakeAt(at) => self.schedule(at, node, Task::RunQueue),
            HostOutput::Touched(conn) => self.pump(conn),
            HostOutput::TlsStarted(conn) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.tls = true;
                }
            }
            HostOutput::Resolve { query, state } => {
                if let Some(dns) = self.nodes.iter().position(|n| matches!(n.kind, NodeKind::Dns { .. })) {
                    self.send_datagram(node, dns, query, state);
                }
            }
            HostOutput::Relay { queue_id, leg, target, job } => {
                let found = target.ip.and_then(|ip| self.node_by_ip(ip));
                let found = found.or_else(|| target.host.as_deref().and_then(|h| self.node_by_host(h)));
                match found {
                    Some(t) => {
                        let purpose = Purpose::Relay { queue_id, leg };
                        self.connect(node, t, 25, ClientEngine::Smtp(SmtpClient::new(job)), purpose);
                    }
                    None => {
                        let (status, diag) = target.if_unknown;
                        self.with_host(node, |h, ctx| h.relay_failed(ctx, &queue_id, leg, &status, &diag));
                    }
                }
            }
        }
    }

    fn host(&self, node: NodeId) -> Option<&MailHost> {
        match &self.nodes[node].kind {
            NodeKind::MailServer(h) => Some(h),
            _ => None,
        }
    }
}
