//! `mailsim serve`: the playground's SMTP and POP3 engines behind real TCP sockets, so that
//! real clients (Python's smtplib and poplib, curl, mutt) can talk to them.
//!
//! No protocol logic lives here: this is a driver. It moves bytes between sockets and the
//! sans-IO engines of `mailsim-proto`, acts on their events with the shared mailbox store,
//! prints each session as a transcript and keeps the same event log the playground uses.
//!
//! Limits per connection: the engines bound line lengths and message sizes; the driver adds
//! an idle timeout (`421 4.4.2`) and a cap on simultaneous connections.

use mailsim_proto::imap::server::{apply_folder_op, ImapConfig, ImapServer, ImapServerEvent};
use mailsim_proto::message::{self, Trace};
use mailsim_proto::pdu::Transmit;
use mailsim_proto::pop3::{Pop3Server, Pop3ServerEvent};
use mailsim_proto::smtp::{Reply, Role, ServerConfig, ServerEvent, SmtpServer};
use mailsim_proto::store::MailStore;
use mailsim_sim::log::{Actor, Event, EventLog};
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct Options {
    pub bind: IpAddr,
    pub smtp_port: u16,
    pub submission_port: u16,
    pub pop3_port: u16,
    pub imap_port: u16,
    pub users: Vec<(String, String)>,
    pub log: Option<PathBuf>,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_message_size: usize,
    pub quiet: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: IpAddr::from([127, 0, 0, 1]),
            smtp_port: 2525,
            submission_port: 2587,
            pop3_port: 2110,
            imap_port: 2143,
            users: vec![],
            log: None,
            idle_timeout: Duration::from_secs(300),
            max_connections: 64,
            max_message_size: 10_240_000,
            quiet: false,
        }
    }
}

/// Reads `serve`'s flags.
pub fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or_else(|| format!("{flag} needs a value"));
        let port = |v: String| v.parse::<u16>().map_err(|_| format!("{flag}: \"{v}\" is not a port number"));
        match flag {
            "--bind" => o.bind = value()?.parse().map_err(|_| format!("{flag}: not an IP address"))?,
            "--smtp-port" => o.smtp_port = port(value()?)?,
            "--submission-port" => o.submission_port = port(value()?)?,
            "--pop3-port" => o.pop3_port = port(value()?)?,
            "--imap-port" => o.imap_port = port(value()?)?,
            "--user" => {
                let v = value()?;
                let (addr, pw) = v.split_once(':').ok_or("--user takes ADDRESS:PASSWORD")?;
                if !mailsim_proto::smtp::command::valid_mailbox(addr) || pw.is_empty() {
                    return Err(format!("--user: \"{addr}\" is not an address, or the password is empty"));
                }
                o.users.push((addr.to_ascii_lowercase(), pw.to_string()));
            }
            "--log" => o.log = Some(PathBuf::from(value()?)),
            "--idle-timeout" => {
                o.idle_timeout = Duration::from_secs(value()?.parse().map_err(|_| "--idle-timeout takes seconds")?)
            }
            "--max-connections" => {
                o.max_connections = value()?.parse().map_err(|_| "--max-connections takes a number")?
            }
            "--max-message-size" => {
                o.max_message_size = value()?.parse().map_err(|_| "--max-message-size takes octets")?
            }
            "--quiet" => o.quiet = true,
            other => return Err(format!("unknown option \"{other}\" for serve")),
        }
    }
    Ok(o)
}

/// A random-enough password for the default users, from the process's hash keys.
fn fresh_password() -> String {
    let n = std::collections::hash_map::RandomState::new().build_hasher().finish();
    format!("{:012x}", n & 0xffff_ffff_ffff)
}

struct Shared {
    opts_users: Vec<(String, String)>,
    domains: Vec<String>,
    store: MailStore,
    start: Instant,
    next_conn: u32,
    next_queue: u32,
    log: Vec<Event>,
    log_path: Option<PathBuf>,
    quiet: bool,
}

impl Shared {
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    fn write_log(&self) {
        if let Some(p) = &self.log_path {
            let log = EventLog { scenario: "serve".into(), seed: 0, epoch: 0, events: self.log.clone() };
            if let Err(e) = std::fs::write(p, log.to_jsonl()) {
                eprintln!("mailsim: cannot write {}: {e}", p.display());
            }
        }
    }
}

type SharedRef = Arc<Mutex<Shared>>;

pub async fn run(mut o: Options) -> Result<(), String> {
    if o.users.is_empty() {
        for a in ["alice@alice.example", "bob@bob.example"] {
            o.users.push((a.into(), fresh_password()));
        }
    }
    let mut store = MailStore::default();
    let mut domains: Vec<String> = Vec::new();
    for (a, p) in &o.users {
        store.add_account(a, p);
        let d = a.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    let mut log = vec![Event::ActorJoined {
        actor: Actor {
            id: "server".into(),
            name: "mailsim serve".into(),
            host: "localhost".into(),
            ip: o.bind.to_string(),
            kind: "server".into(),
            mailboxes: store.addresses().map(str::to_string).collect(),
        },
    }];
    log.shrink_to_fit();
    let shared = Arc::new(Mutex::new(Shared {
        opts_users: o.users.clone(),
        domains,
        store,
        start: Instant::now(),
        next_conn: 1,
        next_queue: 1,
        log,
        log_path: o.log.clone(),
        quiet: o.quiet,
    }));
    let bind = |port: u16| SocketAddr::new(o.bind, port);
    let smtp = TcpListener::bind(bind(o.smtp_port))
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", bind(o.smtp_port)))?;
    let sub = TcpListener::bind(bind(o.submission_port))
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", bind(o.submission_port)))?;
    let pop = TcpListener::bind(bind(o.pop3_port))
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", bind(o.pop3_port)))?;
    let imap = TcpListener::bind(bind(o.imap_port))
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", bind(o.imap_port)))?;
    println!(
        "mailsim serve: SMTP relay on {}, submission on {}, POP3 on {}, IMAP on {}",
        bind(o.smtp_port),
        bind(o.submission_port),
        bind(o.pop3_port),
        bind(o.imap_port)
    );
    for (a, p) in &o.users {
        println!("  user {a}  password {p}");
    }
    println!("  Ctrl-C stops it.");
    let permits = Arc::new(tokio::sync::Semaphore::new(o.max_connections));
    let o = Arc::new(o);
    let accept = |listener: TcpListener, kind: Kind| {
        let (shared, permits, o) = (shared.clone(), permits.clone(), o.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else { continue };
                let (shared, o) = (shared.clone(), o.clone());
                let permit = permits.clone().try_acquire_owned();
                tokio::spawn(async move {
                    let mut stream = stream;
                    match permit {
                        Ok(_permit) => session(stream, peer, kind, shared, &o).await,
                        Err(_) => {
                            let busy: &[u8] = match kind {
                                Kind::Pop3 => b"-ERR [SYS/TEMP] too many connections, try again later\r\n",
                                Kind::Imap => b"* BYE [UNAVAILABLE] too many connections, try again later\r\n",
                                Kind::Smtp(_) => b"421 4.7.0 Too many connections, try again later\r\n",
                            };
                            let _ = stream.write_all(busy).await;
                        }
                    }
                });
            }
        })
    };
    accept(smtp, Kind::Smtp(Role::Relay));
    accept(sub, Kind::Smtp(Role::Submission));
    accept(pop, Kind::Pop3);
    accept(imap, Kind::Imap);
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    let s = shared.lock().expect("not poisoned");
    s.write_log();
    println!("\nmailsim serve: stopped ({} events logged)", s.log.len());
    Ok(())
}

#[derive(Clone, Copy)]
enum Kind {
    Smtp(Role),
    Pop3,
    Imap,
}

enum Engine {
    Smtp(SmtpServer),
    Pop3(Pop3Server),
    Imap(ImapServer),
}

impl Engine {
    fn state(&self) -> String {
        match self {
            Engine::Smtp(e) => e.state().to_string(),
            Engine::Pop3(e) => e.state().to_string(),
            Engine::Imap(e) => e.state().to_string(),
        }
    }
    fn closed(&self) -> bool {
        match self {
            Engine::Smtp(e) => e.state() == mailsim_proto::smtp::ServerState::Closed,
            Engine::Pop3(e) => e.state() == mailsim_proto::pop3::Pop3State::Closed,
            Engine::Imap(e) => e.state() == mailsim_proto::imap::server::ImapState::Logout,
        }
    }
}

struct Session {
    conn: u32,
    client: String,
    port: u16,
    protocol: &'static str,
    peer: SocketAddr,
    login: Option<String>,
}

fn record(shared: &SharedRef, s: &Session, t: &Transmit, to_server: bool, state: String) {
    let mut sh = shared.lock().expect("not poisoned");
    let now = sh.now();
    let ex = t.pdu.explain();
    if !sh.quiet {
        let dir = if to_server { "C:" } else { "S:" };
        let text = String::from_utf8_lossy(&t.bytes);
        let shown: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        if shown.len() > 6 {
            println!(
                "[{} {}] {dir} {}  ({} lines, {} bytes)",
                s.conn,
                s.protocol,
                ex.label,
                shown.len(),
                t.bytes.len()
            );
        } else {
            for l in shown {
                println!("[{} {}] {dir} {l}", s.conn, s.protocol);
            }
        }
    }
    let (from, to) =
        if to_server { (s.client.clone(), "server".to_string()) } else { ("server".to_string(), s.client.clone()) };
    let (from_state, to_state) = if to_server { ("client".to_string(), state) } else { (state, "client".to_string()) };
    sh.log.push(Event::MessageSent {
        t_sent: now,
        t: now,
        conn: Some(s.conn),
        from,
        to,
        protocol: s.protocol.into(),
        port: s.port,
        raw: t.bytes.clone(),
        label: ex.label,
        meaning: ex.meaning,
        rfc: ex.rfc,
        from_state,
        to_state,
        tls: false,
    });
}

async fn session(mut stream: TcpStream, peer: SocketAddr, kind: Kind, shared: SharedRef, o: &Options) {
    let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
    let (conn, mut engine, protocol) = {
        let mut sh = shared.lock().expect("not poisoned");
        let conn = sh.next_conn;
        sh.next_conn += 1;
        let (engine, protocol) = match kind {
            Kind::Smtp(role) => {
                let mut c = ServerConfig::basic("localhost", role, &[], &[]);
                c.local_domains = sh.domains.clone();
                c.local_users = sh.store.addresses().map(str::to_string).collect();
                c.max_message_size = o.max_message_size;
                if role == Role::Submission {
                    c.accounts = sh.opts_users.clone();
                }
                (Engine::Smtp(SmtpServer::new(c)), "SMTP")
            }
            Kind::Pop3 => {
                // RFC 1939 §7: a greeting timestamp unique to this connection enables APOP.
                let ts = format!("<{}.{}.{}@localhost>", std::process::id(), conn, sh.now());
                (Engine::Pop3(Pop3Server::with_options("localhost", Some(ts), false)), "POP3")
            }
            Kind::Imap => {
                // Loopback has no real TLS: LOGIN and AUTH=PLAIN are allowed without it here.
                let n = std::collections::hash_map::RandomState::new().build_hasher().finish();
                let config = ImapConfig {
                    hostname: "localhost".into(),
                    starttls: false,
                    implicit_tls: false,
                    login_requires_tls: false,
                    accounts: sh.opts_users.clone(),
                    scram_salt: n.to_be_bytes().repeat(2),
                    scram_iterations: 4096,
                    server_nonce: format!("{n:016x}"),
                };
                (Engine::Imap(ImapServer::new(config)), "IMAP")
            }
        };
        let client = format!("client-{conn}");
        let now = sh.now();
        sh.log.push(Event::ActorJoined {
            actor: Actor {
                id: client.clone(),
                name: format!("client :{}", peer.port()),
                host: peer.ip().to_string(),
                ip: peer.ip().to_string(),
                kind: "ua".into(),
                mailboxes: vec![],
            },
        });
        sh.log.push(Event::ConnectionOpened {
            t: now,
            conn,
            client,
            client_port: peer.port(),
            server: "server".into(),
            port,
            protocol: protocol.into(),
        });
        if !sh.quiet {
            println!("[{conn} {protocol}] connection from {peer} to port {port}");
        }
        (conn, engine, protocol)
    };
    let mut s = Session { conn, client: format!("client-{conn}"), port, protocol, peer, login: None };
    let mut buf = vec![0u8; 16 * 1024];
    let by_client = loop {
        // Act on everything the engine has to say, then write its replies.
        let mut out = Vec::new();
        loop {
            let progressed = drain(&mut engine, &shared, &mut s, &mut out);
            if !progressed {
                break;
            }
        }
        for t in &out {
            if stream.write_all(&t.bytes).await.is_err() {
                break;
            }
        }
        if engine.closed() {
            break false;
        }
        match tokio::time::timeout(o.idle_timeout, stream.read(&mut buf)).await {
            Err(_) => {
                // Idle too long (RFC 5321 §4.5.3.2 suggests 5 minutes for commands).
                let bye: &[u8] = match engine {
                    Engine::Smtp(_) => b"421 4.4.2 localhost Error: timeout exceeded\r\n",
                    Engine::Pop3(_) => b"-ERR [SYS/TEMP] idle timeout, closing\r\n",
                    Engine::Imap(_) => b"* BYE Autologout; idle for too long\r\n",
                };
                let _ = stream.write_all(bye).await;
                break false;
            }
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => match &mut engine {
                Engine::Smtp(e) => e.handle_input(&buf[..n]),
                Engine::Pop3(e) => e.handle_input(&buf[..n]),
                Engine::Imap(e) => {
                    // What other sessions changed since: reported with the next response.
                    if let Some(user) = e.user().map(str::to_string) {
                        let latest = shared
                            .lock()
                            .expect("not poisoned")
                            .store
                            .folder(&user, e.folder())
                            .map(|m| m.messages.clone())
                            .unwrap_or_default();
                        e.refresh(&latest);
                    }
                    e.handle_input(&buf[..n])
                }
            },
        }
    };
    // A POP3 session that ends without QUIT deletes nothing and releases the lock.
    if let (Engine::Pop3(e), Some(addr)) = (&mut engine, s.login.take()) {
        e.connection_lost();
        shared.lock().expect("not poisoned").store.logout(&addr, &[]);
    }
    let mut sh = shared.lock().expect("not poisoned");
    let now = sh.now();
    sh.log.push(Event::ConnectionClosed {
        t: now,
        conn,
        by: if by_client { s.client.clone() } else { "server".into() },
    });
    if !sh.quiet {
        println!("[{conn} {protocol}] connection closed by the {}", if by_client { "client" } else { "server" });
    }
    sh.write_log();
    let _ = s.peer;
}

/// Logs what the engine read and will send, and acts on its events. True if anything happened.
fn drain(engine: &mut Engine, shared: &SharedRef, s: &mut Session, out: &mut Vec<Transmit>) -> bool {
    let mut any = false;
    match engine {
        Engine::Smtp(e) => {
            while let Some(t) = e.poll_received() {
                any = true;
                record(shared, s, &t, true, e.state().to_string());
            }
            while let Some(t) = e.poll_transmit() {
                any = true;
                record(shared, s, &t, false, e.state().to_string());
                out.push(t);
            }
            while let Some(ev) = e.poll_event() {
                any = true;
                match ev {
                    ServerEvent::MessageReceived(m) => match take_message(shared, s, m) {
                        Ok(qid) => e.accept_message(&qid),
                        Err(r) => e.reject_message(r),
                    },
                    ServerEvent::RecipientProposed { .. } => e.decide_recipient(None),
                    ServerEvent::TlsStarted | ServerEvent::Closed => {}
                }
            }
        }
        Engine::Imap(_) => {}
        Engine::Pop3(e) => {
            while let Some(t) = e.poll_received() {
                any = true;
                record(shared, s, &t, true, e.state().to_string());
            }
            while let Some(t) = e.poll_transmit() {
                any = true;
                record(shared, s, &t, false, e.state().to_string());
                out.push(t);
            }
            while let Some(ev) = e.poll_event() {
                any = true;
                let mut sh = shared.lock().expect("not poisoned");
                match ev {
                    Pop3ServerEvent::LoginRequested { user, pass } => {
                        s.login = e.answer_login(sh.store.login_user(&user, &pass))
                    }
                    Pop3ServerEvent::Commit { deleted, .. } => {
                        let addr = s.login.take().unwrap_or_default();
                        for uid in sh.store.logout(&addr, &deleted) {
                            let now = sh.now();
                            sh.log.push(Event::MessageDeleted {
                                t: now,
                                node: "server".into(),
                                mailbox: addr.clone(),
                                uid,
                            });
                        }
                    }
                    Pop3ServerEvent::ApopRequested { user, digest, timestamp } => {
                        s.login = e.answer_login(sh.store.login_apop(&user, &digest, &timestamp))
                    }
                    // serve has no TLS: STLS is not offered, so this never fires.
                    Pop3ServerEvent::TlsStarted | Pop3ServerEvent::Closed => {}
                }
            }
        }
    }
    if let Engine::Imap(e) = engine {
        while let Some(t) = e.poll_received() {
            any = true;
            record(shared, s, &t, true, e.state().to_string());
        }
        while let Some(t) = e.poll_transmit() {
            any = true;
            record(shared, s, &t, false, e.state().to_string());
            out.push(t);
        }
        while let Some(ev) = e.poll_event() {
            any = true;
            let mut sh = shared.lock().expect("not poisoned");
            let now = sh.now();
            match ev {
                ImapServerEvent::LoggedIn { user } => {
                    let mb = sh.store.mailbox(&user).cloned().unwrap_or_default();
                    e.set_mailbox(mb.messages, mb.uid_validity, mb.uid_next);
                }
                ImapServerEvent::Folder { user, op } => {
                    let unix = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as i64)
                        .unwrap_or(0);
                    let r = apply_folder_op(&mut sh.store, &user, &op, unix);
                    e.folder_result(r);
                }
                ImapServerEvent::Stored { user, folder, uid, flags } => {
                    sh.store.set_folder_flags(&user, &folder, uid, &flags);
                    if folder == "INBOX" {
                        sh.log.push(Event::FlagsChanged { t: now, node: "server".into(), mailbox: user, uid, flags });
                    }
                }
                ImapServerEvent::Expunged { user, folder, uids } => {
                    for uid in sh.store.expunge_folder(&user, &folder, &uids) {
                        if folder == "INBOX" {
                            sh.log.push(Event::MessageDeleted {
                                t: now,
                                node: "server".into(),
                                mailbox: user.clone(),
                                uid,
                            });
                        }
                    }
                }
                ImapServerEvent::TlsStarted | ImapServerEvent::Closed => {}
            }
        }
    }
    let _ = engine.state();
    any
}

/// A whole message arrived: local recipients get it now; others go to the outgoing queue,
/// which this server logs but never delivers (no mail leaves the machine).
fn take_message(shared: &SharedRef, s: &Session, m: mailsim_proto::smtp::ReceivedMessage) -> Result<String, Reply> {
    let mut sh = shared.lock().expect("not poisoned");
    let qid = format!("Q{:06}", sh.next_queue);
    sh.next_queue += 1;
    let now = sh.now();
    let unix =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let _ = &unix;
    let with = if m.authenticated.is_some() {
        "ESMTPA"
    } else if m.esmtp {
        "ESMTP"
    } else {
        "SMTP"
    };
    let ip = s.peer.ip().to_string();
    let single = (m.rcpt_to.len() == 1).then(|| m.rcpt_to[0].as_str());
    let trace = Trace { helo: &m.helo, peer_ip: &ip, by: "localhost", with, id: &qid, for_rcpt: single, date: unix };
    let data = message::prepend_field(&message::received_field(&trace), &m.data);
    let subject = message::header(&data, "Subject").unwrap_or_default();
    let from = message::header(&data, "From").unwrap_or_default();
    let mut remote = Vec::new();
    for r in &m.rcpt_to {
        let with_path = message::prepend_field(&format!("Return-Path: <{}>\r\n", m.mail_from), &data);
        match sh.store.deliver_at(r, with_path.clone(), unix, &[]) {
            Some(uid) => sh.log.push(Event::MessageStored {
                t: now,
                node: "server".into(),
                mailbox: r.to_ascii_lowercase(),
                uid,
                from: from.clone(),
                subject: subject.clone(),
                raw: with_path,
            }),
            None => remote.push(r.clone()),
        }
    }
    if !remote.is_empty() {
        if !sh.quiet {
            println!(
                "[{} queue] {qid} for {} queued; this server does not deliver outside its own domains",
                s.conn,
                remote.join(", ")
            );
        }
        sh.log.push(Event::MessageQueued {
            t: now,
            node: "server".into(),
            queue_id: qid.clone(),
            mail_from: m.mail_from.clone(),
            rcpt_to: remote,
            size: data.len(),
            subject,
        });
    }
    Ok(qid)
}
