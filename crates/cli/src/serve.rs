//! `mailsim serve`: the playground's mail host behind real TCP sockets, so that real clients
//! (Python's smtplib, poplib and imaplib, curl, mutt, Thunderbird) can talk to it.
//!
//! No protocol or mail logic lives here: this is a thin session loop around the same
//! sans-IO [`MailHost`] the simulated world runs. Each connection is a task that feeds the
//! host what it reads and writes what the host has for it; the host's other requests (log a
//! fact, run the queue, push news to an idling IMAP session) are carried out here, on the
//! real clock. Each session is printed as a transcript, and the playground's event log is
//! appended to `--log` as it grows.
//!
//! Limits per connection: the engines bound line lengths and message sizes; this loop adds
//! an idle timeout and a cap on simultaneous connections.

use mailsim_proto::pdu::Transmit;
use mailsim_sim::host::{Ctx, HostOutput, MailHost, ServerPolicy, SessionId};
use mailsim_sim::log::{Actor, Event, EventLog};
use mailsim_sim::rng::Rng;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// `mailsim serve`'s flags.
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = "Without --user it serves alice@alice.example and bob@bob.example and prints their passwords.")]
pub struct Options {
    /// The address to listen on.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// SMTP relay (port 25's rules: mail for this server's domains, no login).
    #[arg(long, value_name = "PORT", default_value_t = 2525)]
    pub smtp_port: u16,
    /// SMTP submission (port 587's rules: login, then mail anywhere).
    #[arg(long, value_name = "PORT", default_value_t = 2587)]
    pub submission_port: u16,
    #[arg(long, value_name = "PORT", default_value_t = 2110)]
    pub pop3_port: u16,
    #[arg(long, value_name = "PORT", default_value_t = 2143)]
    pub imap_port: u16,
    /// An account (repeat for more); its domain becomes one of the server's domains.
    #[arg(long = "user", value_name = "ADDRESS:PASSWORD", value_parser = parse_user)]
    pub users: Vec<(String, String)>,
    /// Append the playground's event log (JSON lines) to FILE; the page's "Open…" plays it.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Idle timeout for every protocol, in seconds [default: each RFC's: SMTP 5 min, POP3 10 min, IMAP 30 min].
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    pub idle_timeout: Option<Duration>,
    /// Simultaneous connections in all; more are refused with 421 / -ERR / * BYE.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_connections: usize,
    /// The largest message accepted (SMTP SIZE, RFC 1870), in octets.
    #[arg(long, value_name = "OCTETS", default_value_t = 10_240_000)]
    pub max_message_size: usize,
    /// Print no transcript, only the start-up lines.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_user(v: &str) -> Result<(String, String), String> {
    let (addr, pw) = v.split_once(':').ok_or("takes ADDRESS:PASSWORD")?;
    if !mailsim_proto::smtp::command::valid_mailbox(addr) || pw.is_empty() {
        return Err(format!("\"{addr}\" is not an address, or the password is empty (ADDRESS:PASSWORD)"));
    }
    Ok((addr.to_ascii_lowercase(), pw.to_string()))
}

fn parse_secs(v: &str) -> Result<Duration, String> {
    v.parse().map(Duration::from_secs).map_err(|_| format!("\"{v}\" is not a number of seconds"))
}

/// Runs `mailsim serve` until Ctrl-C or SIGTERM.
pub fn main(opts: Options) -> std::process::ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mailsim: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(opts)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailsim: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A number from the process's hash keys: random enough for default passwords and seeds.
fn fresh_u64() -> u64 {
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

/// What a session task is told to do with its socket.
enum Out {
    Bytes(Vec<u8>),
    /// The engine ended the session: close after what was written.
    Close,
}

struct Peer {
    tx: mpsc::UnboundedSender<Out>,
    client: String,
    protocol: &'static str,
    port: u16,
}

/// The host, the real clock and what carries its output: sockets, the log file, stdout.
struct Server {
    host: MailHost,
    rng: Rng,
    start: Instant,
    /// Unix seconds at `start`.
    epoch: i64,
    next_conn: u32,
    peers: BTreeMap<SessionId, Peer>,
    events: usize,
    log: Option<std::fs::File>,
    quiet: bool,
}

impl Server {
    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Appends one event to the log file (JSON lines, the playground's format).
    fn log(&mut self, e: Event) {
        self.events += 1;
        if let Some(f) = &mut self.log {
            let line = serde_json::to_string(&e).expect("events serialize");
            if let Err(err) = writeln!(f, "{line}") {
                eprintln!("mailsim: cannot write the log: {err}");
                self.log = None;
            }
        }
    }

    /// Calls the host with the clock and RNG, then carries out what it asks for.
    fn call<R>(&mut self, f: impl FnOnce(&mut MailHost, &mut Ctx) -> R) -> R {
        let now = self.now();
        let mut ctx = Ctx { now, epoch: self.epoch, rng: &mut self.rng };
        let r = f(&mut self.host, &mut ctx);
        let outputs: Vec<HostOutput> = std::iter::from_fn(|| self.host.poll_output()).collect();
        for o in outputs {
            match o {
                HostOutput::Log(e) => {
                    if let (Event::MessageQueued { queue_id, rcpt_to, .. }, false) = (&e, self.quiet) {
                        println!("[queue] {queue_id} queued for {}", rcpt_to.join(", "));
                    }
                    self.log(e)
                }
                HostOutput::Touched(sid) => self.pump(sid),
                // No TLS on loopback (the policy offers none), and no network beyond it: mail
                // for other domains stays in the queue.
                HostOutput::TlsStarted(_) | HostOutput::WakeAt(_) | HostOutput::Relay { .. } => {}
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
    fn run_queue_if_due(&mut self) {
        if self.host.poll_timeout().is_some_and(|t| t <= self.now()) {
            self.call(|h, ctx| h.run_queue(ctx));
        }
    }

    /// Logs what session `sid` read and sends what it has to say, acting on its events, until
    /// nothing is left; closes it if its engine ended it.
    fn pump(&mut self, sid: SessionId) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.host.poll_received(sid) {
                progressed = true;
                self.record(sid, &t, true);
            }
            while let Some(t) = self.host.poll_transmit(sid) {
                progressed = true;
                self.record(sid, &t, false);
                if let Some(p) = self.peers.get(&sid) {
                    let _ = p.tx.send(Out::Bytes(t.bytes));
                }
            }
            progressed |= self.call(|h, ctx| h.drive(ctx, sid));
            if !progressed {
                break;
            }
        }
        if self.host.session_closed(sid) {
            if let Some(p) = self.peers.get(&sid) {
                let _ = p.tx.send(Out::Close);
            }
        }
    }

    fn record(&mut self, sid: SessionId, t: &Transmit, to_server: bool) {
        let Some(p) = self.peers.get(&sid) else { return };
        let (client, protocol, port) = (p.client.clone(), p.protocol, p.port);
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
            tls: false,
        });
    }

    /// A new connection on `port` (which serves `service`): the host greets it, or refuses.
    fn open(&mut self, peer: SocketAddr, port: u16, service: u16, tx: mpsc::UnboundedSender<Out>) -> Option<SessionId> {
        let sid = self.next_conn;
        self.next_conn += 1;
        let ip = peer.ip().to_string();
        let protocol = self.call(|h, ctx| h.accept(ctx, sid, service, &ip))?;
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
        let (t, server) = (self.now(), "server".to_string());
        let opened = Event::ConnectionOpened {
            t,
            conn: sid,
            client: client.clone(),
            client_port: peer.port(),
            server,
            port,
            protocol: protocol.into(),
        };
        self.log(opened);
        if !self.quiet {
            println!("[{sid} {protocol}] connection from {peer} to port {port}");
        }
        self.peers.insert(sid, Peer { tx, client, protocol, port });
        self.pump(sid);
        Some(sid)
    }

    fn input(&mut self, sid: SessionId, bytes: &[u8]) {
        let now = self.now();
        self.host.handle_input(now, sid, bytes);
        self.pump(sid);
        self.run_queue_if_due();
    }

    /// How long session `sid` may stay silent before its idle timer runs out.
    fn time_left(&self, sid: SessionId) -> Option<Duration> {
        let deadline = self.host.session_timeout(sid)?;
        Some(Duration::from_millis(deadline.saturating_sub(self.now())))
    }

    /// The idle timer ran out: the engine writes its own 421 / -ERR / BYE and ends.
    fn timeout(&mut self, sid: SessionId) {
        let now = self.now();
        self.host.handle_timeout(now, sid);
        self.pump(sid);
    }

    /// The service is stopping: every session gets its protocol's goodbye.
    fn shutdown(&mut self) {
        let now = self.now();
        for sid in self.host.shutdown(now) {
            self.pump(sid);
        }
    }

    fn close(&mut self, sid: SessionId, by_client: bool) {
        let now = self.now();
        self.host.close_session(now, sid);
        let Some(p) = self.peers.remove(&sid) else { return };
        let by = if by_client { p.client.clone() } else { "server".into() };
        let t = self.now();
        self.log(Event::ConnectionClosed { t, conn: sid, by });
        if let Some(f) = &mut self.log {
            let _ = f.flush();
        }
        if !self.quiet {
            let who = if by_client { "client" } else { "server" };
            println!("[{sid} {}] connection closed by the {who}", p.protocol);
        }
    }
}

type Shared = Arc<Mutex<Server>>;

pub async fn run(mut o: Options) -> Result<(), String> {
    if o.users.is_empty() {
        for a in ["alice@alice.example", "bob@bob.example"] {
            o.users.push((a.into(), format!("{:012x}", fresh_u64() & 0xffff_ffff_ffff)));
        }
    }
    let mut domains: Vec<&str> = Vec::new();
    for (a, _) in &o.users {
        let d = a.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        if !domains.contains(&d) {
            domains.push(d);
        }
    }
    let accounts: Vec<(&str, &str)> = o.users.iter().map(|(a, p)| (a.as_str(), p.as_str())).collect();
    // On loopback: no TLS, so plaintext logins are allowed; mail for the host's own users is
    // delivered at once; the size limit comes from the flags.
    let policy = ServerPolicy {
        tls: false,
        queue_delay: 0,
        max_message_size: o.max_message_size,
        idle_timeout: o.idle_timeout.map(|d| Some(d.as_millis() as u64)),
        ..ServerPolicy::default()
    };
    let host = MailHost::new("server", "localhost", &domains, &accounts, policy);
    let mut log = match &o.log {
        Some(p) => Some(std::fs::File::create(p).map_err(|e| format!("cannot write {}: {e}", p.display()))?),
        None => None,
    };
    let epoch =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    if let Some(f) = &mut log {
        let header = EventLog { scenario: "serve".into(), seed: 0, epoch: 0, events: vec![] }.to_jsonl();
        f.write_all(header.as_bytes()).map_err(|e| e.to_string())?;
    }
    let mut server = Server {
        host,
        rng: Rng::new(fresh_u64()),
        start: Instant::now(),
        epoch,
        next_conn: 1,
        peers: BTreeMap::new(),
        events: 0,
        log,
        quiet: o.quiet,
    };
    let mailboxes = server.host.store().addresses().map(str::to_string).collect();
    let actor = Actor {
        id: "server".into(),
        name: "mailsim serve".into(),
        host: "localhost".into(),
        ip: o.bind.to_string(),
        kind: "server".into(),
        mailboxes,
    };
    server.log(Event::ActorJoined { actor });
    let shared: Shared = Arc::new(Mutex::new(server));
    let bind = |port: u16| SocketAddr::new(o.bind, port);
    let listen = |port: u16| async move {
        TcpListener::bind(bind(port)).await.map_err(|e| format!("cannot listen on {}: {e}", bind(port)))
    };
    // (listener, the service it offers: the well-known port whose rules apply)
    let listeners = [
        (listen(o.smtp_port).await?, 25),
        (listen(o.submission_port).await?, 587),
        (listen(o.pop3_port).await?, 110),
        (listen(o.imap_port).await?, 143),
    ];
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
    for (listener, service) in listeners {
        let (shared, permits) = (shared.clone(), permits.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else { continue };
                let shared = shared.clone();
                let permit = permits.clone().try_acquire_owned();
                tokio::spawn(async move {
                    match permit {
                        Ok(_permit) => session(stream, peer, service, shared).await,
                        Err(_) => busy(stream, service).await,
                    }
                });
            }
        });
    }
    // Later deliveries (the queue's retries) need a clock that ticks without input.
    let ticker = shared.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            ticker.lock().expect("not poisoned").run_queue_if_due();
        }
    });
    stopped().await?;
    shared.lock().expect("not poisoned").shutdown();
    // Let the session tasks write their goodbyes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut s = shared.lock().expect("not poisoned");
    if let Some(f) = &mut s.log {
        let _ = f.flush();
    }
    println!("\nmailsim serve: stopped ({} events logged)", s.events + 1);
    Ok(())
}

/// Waits for Ctrl-C, or for SIGTERM where there is one.
async fn stopped() -> Result<(), String> {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.map_err(|e| e.to_string()),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
}

/// Too many connections: the protocol's "try again later" in place of a greeting, then close.
async fn busy(mut stream: TcpStream, service: u16) {
    use mailsim_proto::Closing;
    let reply = match service {
        110 => mailsim_proto::pop3::closing_response(Closing::Busy),
        143 => mailsim_proto::imap::server::closing_response(Closing::Busy),
        _ => mailsim_proto::smtp::closing_reply("localhost", Closing::Busy),
    };
    let _ = stream.write_all(&reply.bytes).await;
}

async fn session(mut stream: TcpStream, peer: SocketAddr, service: u16, shared: Shared) {
    let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let Some(sid) = shared.lock().expect("not poisoned").open(peer, port, service, tx) else { return };
    let mut buf = vec![0u8; 16 * 1024];
    let by_client = loop {
        // A day stands for "never" when the engine has no idle timer.
        let idle = shared.lock().expect("not poisoned").time_left(sid).unwrap_or(Duration::from_secs(86_400));
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Bytes(b)) => {
                    if stream.write_all(&b).await.is_err() {
                        break true;
                    }
                }
                Some(Out::Close) | None => break false,
            },
            read = tokio::time::timeout(idle, stream.read(&mut buf)) => match read {
                // The idle timer ran out: the engine says goodbye (then Out::Close comes).
                Err(_) => shared.lock().expect("not poisoned").timeout(sid),
                Ok(Ok(0)) | Ok(Err(_)) => break true,
                Ok(Ok(n)) => shared.lock().expect("not poisoned").input(sid, &buf[..n]),
            },
        }
    };
    // Write what is still queued for the socket (the last reply before a close).
    while let Ok(Out::Bytes(b)) = rx.try_recv() {
        let _ = stream.write_all(&b).await;
    }
    shared.lock().expect("not poisoned").close(sid, by_client);
}
