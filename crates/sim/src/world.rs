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
use mailsim_proto::message::{self, Draft, Trace};
use mailsim_proto::pop3::{Pop3Client, Pop3ClientEvent, Pop3Job, Pop3Server, Pop3ServerEvent};
use mailsim_proto::smtp::{ClientEvent, Role, ServerConfig, ServerEvent, SmtpClient, SmtpJob, SmtpServer};
use mailsim_proto::store::{LoginError, MailStore};
use mailsim_proto::{Pdu, Transmit};
use std::collections::BTreeMap;

pub type NodeId = usize;

/// Something a person (or a timer) starts.
#[derive(Debug, Clone)]
pub enum Task {
    /// The user agent sends `draft` to its own server on `port` (587: submission).
    Submit { draft: Draft, port: u16 },
    /// The user agent downloads its mail over POP3 (port 110).
    CheckMailPop3 { delete: bool },
    /// A mail server works through its outgoing queue.
    RunQueue,
}

#[derive(Debug)]
enum Action {
    Task(NodeId, Task),
    Establish(u32),
    Deliver { conn: u32, to_server: bool, transmit: Transmit, sent_at: Millis },
    Datagram { from: NodeId, to: NodeId, msg: DnsMessage, bytes: Vec<u8>, sent_at: Millis, from_state: String },
}

#[derive(Debug)]
struct QueueEntry {
    id: String,
    mail_from: String,
    data: Vec<u8>,
    legs: Vec<Leg>,
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
    Resolving(u16),
    Sending,
    Done(String),
}

#[derive(Debug)]
struct MailServer {
    domain: String,
    store: MailStore,
    queue: Vec<QueueEntry>,
}

#[derive(Debug)]
enum NodeKind {
    UserAgent { address: String, password: String, server: String },
    MailServer(Box<MailServer>),
    Dns { zone: Vec<Record> },
}

#[derive(Debug)]
struct Node {
    actor: Actor,
    ip: [u8; 4],
    kind: NodeKind,
}

#[derive(Debug)]
enum ClientEngine {
    Smtp(SmtpClient),
    Pop3(Pop3Client),
}

#[derive(Debug)]
enum ServerEngine {
    Smtp(SmtpServer),
    Pop3 { engine: Pop3Server, login: Option<String> },
}

#[derive(Debug, Clone)]
enum Purpose {
    Submission,
    Relay { queue_id: String, leg: usize },
    Retrieval,
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
        }
    }

    fn add_node(&mut self, actor: Actor, ip: [u8; 4], kind: NodeKind) -> NodeId {
        self.log.push(Event::ActorJoined { actor: actor.clone() });
        self.nodes.push(Node { actor, ip, kind });
        self.nodes.len() - 1
    }

    /// A mail server for `domain` with the given accounts (address, password).
    pub fn add_mail_server(&mut self, id: &str, name: &str, host: &str, ip: [u8; 4], domain: &str, accounts: &[(&str, &str)]) -> NodeId {
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
        let server = MailServer { domain: domain.into(), store, queue: vec![] };
        self.add_node(actor, ip, NodeKind::MailServer(Box::new(server)))
    }

    /// A user agent whose own mail server is the node with actor id `server` (which may be
    /// added later, so that lifelines can be in any order).
    pub fn add_user_agent(&mut self, u: UserSpec, server: &str) -> NodeId {
        let actor = Actor { id: u.id.into(), name: u.name.into(), host: u.host.into(), ip: ip_string(u.ip), kind: "ua".into(), mailboxes: vec![] };
        let kind = NodeKind::UserAgent { address: u.address.into(), password: u.password.into(), server: server.into() };
        self.add_node(actor, u.ip, kind)
    }

    pub fn add_dns(&mut self, id: &str, name: &str, host: &str, ip: [u8; 4], zone: Vec<Record>) -> NodeId {
        let actor = Actor { id: id.into(), name: name.into(), host: host.into(), ip: ip_string(ip), kind: "dns".into(), mailboxes: vec![] };
        self.add_node(actor, ip, NodeKind::Dns { zone })
    }

    fn node_by_actor(&self, id: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.actor.id == id)
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
            Action::Deliver { conn, to_server, transmit, sent_at } => self.deliver(conn, to_server, transmit, sent_at),
            Action::Datagram { from, to, msg, bytes, sent_at, from_state } => self.datagram(from, to, msg, bytes, sent_at, from_state),
        }
    }

    fn start_task(&mut self, node: NodeId, task: Task) {
        match task {
            Task::Submit { draft, port } => {
                let NodeKind::UserAgent { server, .. } = &self.nodes[node].kind else { return };
                let Some(server) = self.node_by_actor(server) else { return };
                let data = draft.to_bytes();
                let helo = self.nodes[node].actor.host.clone();
                let mut rcpt_to: Vec<String> = draft.to.iter().map(|p| p.address.clone()).collect();
                rcpt_to.dedup();
                let job = SmtpJob { helo, mail_from: draft.from.address.clone(), rcpt_to, message: data };
                self.connect(node, server, port, ClientEngine::Smtp(SmtpClient::new(job)), Purpose::Submission);
            }
            Task::CheckMailPop3 { delete } => {
                let NodeKind::UserAgent { address, password, server } = &self.nodes[node].kind else { return };
                let user = address.split('@').next().unwrap_or_default().to_string();
                let job = Pop3Job { user, pass: password.clone(), delete };
                let Some(server) = self.node_by_actor(server) else { return };
                self.connect(node, server, 110, ClientEngine::Pop3(Pop3Client::new(job)), Purpose::Retrieval);
            }
            Task::RunQueue => self.run_queue(node),
        }
    }

    /// Starts a TCP connection; it is established one round trip later.
    fn connect(&mut self, client: NodeId, server: NodeId, port: u16, engine: ClientEngine, purpose: Purpose) {
        let id = self.next_conn;
        self.next_conn += 1;
        let rtt = self.latency(client, server) * 2;
        self.conns.insert(id, Conn { client, server, port, client_engine: engine, server_engine: None, purpose, last: [0, 0], open: false });
        self.push(self.now + rtt, Action::Establish(id));
    }

    fn establish(&mut self, id: u32) {
        let (server, port, client) = {
            let c = &self.conns[&id];
            (c.server, c.port, c.client)
        };
        let engine = match (&self.nodes[server].kind, port) {
            (NodeKind::MailServer(ms), 25 | 587) => {
                let config = ServerConfig {
                    hostname: self.nodes[server].actor.host.clone(),
                    role: if port == 587 { Role::Submission } else { Role::Relay },
                    local_domains: vec![ms.domain.clone()],
                    local_users: ms.store.addresses().map(str::to_string).collect(),
                    max_message_size: 10_240_000,
                };
                Some(ServerEngine::Smtp(SmtpServer::new(config)))
            }
            (NodeKind::MailServer(_), 110) => Some(ServerEngine::Pop3 { engine: Pop3Server::new(&self.nodes[server].actor.host), login: None }),
            _ => None,
        };
        let Some(engine) = engine else {
            self.log.push(Event::ConnectionRefused {
                t: self.now,
                client: self.nodes[client].actor.id.clone(),
                server: self.nodes[server].actor.id.clone(),
                port,
            });
            self.conns.remove(&id);
            return;
        };
        let protocol = match engine {
            ServerEngine::Smtp(_) => "SMTP",
            ServerEngine::Pop3 { .. } => "POP3",
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

    fn states(c: &Conn) -> (String, String) {
        let client = match &c.client_engine {
            ClientEngine::Smtp(e) => e.state().to_string(),
            ClientEngine::Pop3(e) => e.state().to_string(),
        };
        let server = match &c.server_engine {
            Some(ServerEngine::Smtp(e)) => e.state().to_string(),
            Some(ServerEngine::Pop3 { engine, .. }) => engine.state().to_string(),
            None => "listening".into(),
        };
        (client, server)
    }

    fn deliver(&mut self, id: u32, to_server: bool, transmit: Transmit, sent_at: Millis) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if !c.open {
            return;
        }
        match (to_server, &mut c.client_engine, &mut c.server_engine) {
            (true, _, Some(ServerEngine::Smtp(s))) => s.handle_input(&transmit.bytes),
            (true, _, Some(ServerEngine::Pop3 { engine, .. })) => engine.handle_input(&transmit.bytes),
            (false, ClientEngine::Smtp(e), _) => e.handle_input(&transmit.bytes),
            (false, ClientEngine::Pop3(e), _) => e.handle_input(&transmit.bytes),
            _ => {}
        }
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
        });
        self.pump(id);
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
            }
            match &mut c.server_engine {
                Some(ServerEngine::Smtp(e)) => out.extend(std::iter::from_fn(|| e.poll_transmit()).map(|t| (false, t))),
                Some(ServerEngine::Pop3 { engine, .. }) => out.extend(std::iter::from_fn(|| engine.poll_transmit()).map(|t| (false, t))),
                None => {}
            }
            for (to_server, transmit) in out {
                progressed = true;
                let lat = self.latency(client, server);
                let c = self.conns.get_mut(&id).expect("connection exists");
                let dir = usize::from(!to_server);
                let at = (self.now + lat).max(c.last[dir] + 1);
                c.last[dir] = at;
                self.push(at, Action::Deliver { conn: id, to_server, transmit, sent_at: self.now });
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
                for ev in events {
                    if let ServerEvent::MessageReceived(m) = ev {
                        let peer_ip = ip_string(self.nodes[client].ip);
                        let qid = self.rng.hex(10);
                        let decision = self.take_message(server, port, &peer_ip, &qid, m);
                        if let Some(ServerEngine::Smtp(e)) = &mut self.conns.get_mut(&id).expect("conn").server_engine {
                            match decision {
                                Ok(()) => e.accept_message(&qid),
                                Err(reply) => e.reject_message(reply),
                            }
                        }
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
                            let result = ms.store.resolve_login(&user).ok_or(LoginError::BadCredentials).and_then(|a| ms.store.login(&a, &pass).map(|m| (a, m)));
                            match result {
                                Ok((address, maildrop)) => {
                                    *login = Some(address);
                                    engine.grant(maildrop);
                                }
                                Err(LoginError::BadCredentials) => engine.deny("[AUTH] invalid user name or password"),
                                Err(LoginError::InUse) => engine.deny("[IN-USE] maildrop is locked by another session"),
                            }
                        }
                        Pop3ServerEvent::Commit { deleted, .. } => {
                            let address = login.take().unwrap_or_default();
                            for uid in ms.store.logout(&address, &deleted) {
                                self.log.push(Event::MessageDeleted { t: self.now, node: node_id.clone(), mailbox: address.clone(), uid });
                            }
                        }
                        Pop3ServerEvent::Closed => {}
                    }
                }
                any
            }
            None => false,
        }
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
                for ev in events {
                    match ev {
                        ClientEvent::Closed => closed = true,
                        ClientEvent::Sent { reply, rejected, .. } => {
                            let mut outcome = format!("delivered to {} ({} {})", self.nodes[server].actor.host, reply.code, reply.text());
                            for (r, why) in &rejected {
                                outcome.push_str(&format!("; <{r}> refused: {} {}", why.code, why.text()));
                            }
                            self.finish_leg(client, &purpose, outcome);
                        }
                        ClientEvent::Failed { reply, permanent, .. } => {
                            let what = if permanent { "failed permanently" } else { "deferred" };
                            let outcome = format!("{what}: {} {}", reply.code, reply.text());
                            if permanent {
                                self.finish_leg(client, &purpose, outcome);
                            } else {
                                self.defer_leg(client, &purpose);
                            }
                        }
                    }
                }
            }
            ClientEngine::Pop3(e) => {
                let events: Vec<Pop3ClientEvent> = std::iter::from_fn(|| e.poll_event()).collect();
                any = !events.is_empty();
                for ev in events {
                    match ev {
                        Pop3ClientEvent::Closed => closed = true,
                        Pop3ClientEvent::Retrieved { data, .. } => {
                            let from = message::header(&data, "From").unwrap_or_default();
                            let subject = message::header(&data, "Subject").unwrap_or_default();
                            let node = self.nodes[client].actor.id.clone();
                            self.log.push(Event::MessageDownloaded { t: self.now, node, from, subject, size: data.len() });
                        }
                        Pop3ClientEvent::LoginFailed { .. } => {}
                    }
                }
            }
        }
        if closed {
            self.close(id, client);
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

    /// A server decides on a message that arrived whole (RFC 5321 §4.1.1.4): on the
    /// submission port it is queued for relay; on port 25 it is delivered to local mailboxes.
    fn take_message(&mut self, server: NodeId, port: u16, peer_ip: &str, qid: &str, m: mailsim_proto::smtp::ReceivedMessage) -> Result<(), mailsim_proto::smtp::Reply> {
        let unix = self.unix_now();
        let node_id = self.nodes[server].actor.id.clone();
        let host = self.nodes[server].actor.host.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[server].kind else {
            return Err(mailsim_proto::smtp::Reply::enhanced(451, "4.3.0", "not a mail server"));
        };
        let with = if m.esmtp { "ESMTP" } else { "SMTP" };
        let single = (m.rcpt_to.len() == 1).then(|| m.rcpt_to[0].as_str());
        let trace = Trace { helo: &m.helo, peer_ip, by: &host, with, id: qid, for_rcpt: single, date: unix };
        let data = message::prepend_field(&message::received_field(&trace), &m.data);
        let subject = message::header(&data, "Subject").unwrap_or_default();
        if port == 587 {
            let mut legs: Vec<Leg> = Vec::new();
            for r in &m.rcpt_to {
                let domain = r.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_else(|| ms.domain.clone());
                match legs.iter_mut().find(|l| l.domain == domain) {
                    Some(l) => l.rcpts.push(r.clone()),
                    None => legs.push(Leg { domain, rcpts: vec![r.clone()], state: LegState::Waiting }),
                }
            }
            self.log.push(Event::MessageQueued {
                t: self.now,
                node: node_id,
                queue_id: qid.into(),
                mail_from: m.mail_from.clone(),
                rcpt_to: m.rcpt_to.clone(),
                size: data.len(),
                subject,
            });
            ms.queue.push(QueueEntry { id: qid.into(), mail_from: m.mail_from, data, legs });
            // The queue manager picks new mail up after a short moment.
            self.schedule(self.now + 1000, server, Task::RunQueue);
        } else {
            let return_path = format!("Return-Path: <{}>\r\n", m.mail_from);
            let data = message::prepend_field(&return_path, &data);
            let from = message::header(&data, "From").unwrap_or_default();
            for r in &m.rcpt_to {
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
        Ok(())
    }

    fn run_queue(&mut self, node: NodeId) {
        let dns = self.nodes.iter().position(|n| matches!(n.kind, NodeKind::Dns { .. }));
        let node_id = self.nodes[node].actor.id.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let mut queries = Vec::new();
        let mut finished = Vec::new();
        for entry in &mut ms.queue {
            for leg in &mut entry.legs {
                if leg.state != LegState::Waiting {
                    continue;
                }
                if leg.domain == ms.domain {
                    // Local recipients: straight into their mailboxes.
                    let data = message::prepend_field(&format!("Return-Path: <{}>\r\n", entry.mail_from), &entry.data);
                    let from = message::header(&data, "From").unwrap_or_default();
                    let subject = message::header(&data, "Subject").unwrap_or_default();
                    for r in &leg.rcpts {
                        if let Some(uid) = ms.store.deliver(r, data.clone()) {
                            self.log.push(Event::MessageStored { t: self.now, node: node_id.clone(), mailbox: r.to_ascii_lowercase(), uid, from: from.clone(), subject: subject.clone(), raw: data.clone() });
                        }
                    }
                    leg.state = LegState::Done("delivered to local mailboxes".into());
                } else {
                    let qid = self.rng.below(65536) as u16;
                    leg.state = LegState::Resolving(qid);
                    queries.push(DnsMessage::query(qid, &leg.domain, dns::TYPE_MX));
                }
            }
            if entry.legs.iter().all(|l| matches!(l.state, LegState::Done(_))) {
                finished.push(entry.id.clone());
            }
        }
        for id in finished {
            self.remove_entry(node, &id);
        }
        let Some(dns) = dns else { return };
        for q in queries {
            self.send_datagram(node, dns, q, "resolver: waiting for the answer".into());
        }
    }

    fn send_datagram(&mut self, from: NodeId, to: NodeId, msg: DnsMessage, from_state: String) {
        let lat = self.latency(from, to);
        let bytes = msg.encode();
        self.push(self.now + lat, Action::Datagram { from, to, msg, bytes, sent_at: self.now, from_state });
    }

    fn datagram(&mut self, from: NodeId, to: NodeId, msg: DnsMessage, bytes: Vec<u8>, sent_at: Millis, from_state: String) {
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

    fn on_dns_answer(&mut self, node: NodeId, answer: DnsMessage) {
        let mut mx: Vec<(u16, String)> = answer
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::Mx { preference, exchange } => Some((*preference, exchange.clone())),
                _ => None,
            })
            .collect();
        mx.sort();
        // No MX record: the domain's own address record is the implicit MX (RFC 5321 §5.1).
        let target = mx.first().map(|(_, h)| h.clone()).or_else(|| answer.questions.first().map(|q| q.name.clone()));
        let target_node = target.and_then(|h| self.nodes.iter().position(|n| n.actor.host.eq_ignore_ascii_case(&h)));
        let helo = self.nodes[node].actor.host.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let Some((ei, li)) = ms.queue.iter().enumerate().find_map(|(ei, e)| e.legs.iter().position(|l| l.state == LegState::Resolving(answer.id)).map(|li| (ei, li))) else {
            return;
        };
        let entry = &mut ms.queue[ei];
        let Some(target_node) = target_node else {
            entry.legs[li].state = LegState::Done("failed permanently: no mail exchanger found".into());
            let id = entry.id.clone();
            self.maybe_remove_entry(node, &id);
            return;
        };
        let leg = &mut entry.legs[li];
        leg.state = LegState::Sending;
        let job = SmtpJob { helo, mail_from: entry.mail_from.clone(), rcpt_to: leg.rcpts.clone(), message: entry.data.clone() };
        let purpose = Purpose::Relay { queue_id: entry.id.clone(), leg: li };
        self.connect(node, target_node, 25, ClientEngine::Smtp(SmtpClient::new(job)), purpose);
    }

    fn finish_leg(&mut self, node: NodeId, purpose: &Purpose, outcome: String) {
        let Purpose::Relay { queue_id, leg } = purpose else { return };
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        if let Some(e) = ms.queue.iter_mut().find(|e| &e.id == queue_id) {
            e.legs[*leg].state = LegState::Done(outcome);
        }
        self.maybe_remove_entry(node, &queue_id.clone());
    }

    /// A transient failure: the leg waits and the queue is run again later (RFC 5321
    /// §4.5.4.1 asks for at least 30 minutes; scenarios use shorter, stated intervals).
    fn defer_leg(&mut self, node: NodeId, purpose: &Purpose) {
        let Purpose::Relay { queue_id, leg } = purpose else { return };
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        if let Some(e) = ms.queue.iter_mut().find(|e| &e.id == queue_id) {
            e.legs[*leg].state = LegState::Waiting;
        }
        self.schedule(self.now + 5 * 60 * 1000, node, Task::RunQueue);
    }

    fn maybe_remove_entry(&mut self, node: NodeId, id: &str) {
        let NodeKind::MailServer(ms) = &self.nodes[node].kind else { return };
        if ms.queue.iter().any(|e| e.id == id && e.legs.iter().all(|l| matches!(l.state, LegState::Done(_)))) {
            self.remove_entry(node, id);
        }
    }

    fn remove_entry(&mut self, node: NodeId, id: &str) {
        let node_id = self.nodes[node].actor.id.clone();
        let NodeKind::MailServer(ms) = &mut self.nodes[node].kind else { return };
        let Some(pos) = ms.queue.iter().position(|e| e.id == id) else { return };
        let e = ms.queue.remove(pos);
        let outcome = e
            .legs
            .iter()
            .map(|l| match &l.state {
                LegState::Done(o) => o.clone(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join("; ");
        self.log.push(Event::QueueEntryRemoved { t: self.now, node: node_id, queue_id: e.id, outcome });
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
        .filter(|r| r.name == name && matches!((&r.data, question.qtype), (RData::Mx { .. }, dns::TYPE_MX) | (RData::A(_), dns::TYPE_A)))
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
