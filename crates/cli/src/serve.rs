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

use crate::tls::{Conn, Tls};
use mailsim_proto::pdu::Transmit;
use mailsim_sim::host::{Ctx, HostOutput, MailHost, PlaintextAuth, ServerPolicy, SessionId};
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
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub struct Options {
    pub bind: IpAddr,
    pub smtp_port: u16,
    pub submission_port: u16,
    pub pop3_port: u16,
    pub imap_port: u16,
    /// Implicit TLS (RFC 8314 §3.3): submissions (465), imaps (993), pop3s (995).
    pub smtps_port: u16,
    pub imaps_port: u16,
    pub pop3s_port: u16,
    /// Our own certificate chain and key (PEM); without them a self-signed certificate is
    /// made in the data directory.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Where the self-signed certificate is kept; `None`: [`crate::tls::default_data_dir`].
    pub data_dir: Option<PathBuf>,
    /// Passwords in the clear before TLS from any address, not only from loopback.
    pub allow_plaintext_auth: bool,
    pub users: Vec<(String, String)>,
    pub log: Option<PathBuf>,
    /// For every protocol; `None`: each protocol's RFC default (SMTP 5, POP3 10, IMAP 30 min).
    pub idle_timeout: Option<Duration>,
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
            smtps_port: 2465,
            imaps_port: 2993,
            pop3s_port: 2995,
            tls_cert: None,
            tls_key: None,
            data_dir: None,
            allow_plaintext_auth: false,
            users: vec![],
            log: None,
            idle_timeout: None,
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
            "--smtps-port" => o.smtps_port = port(value()?)?,
            "--imaps-port" => o.imaps_port = port(value()?)?,
            "--pop3s-port" => o.pop3s_port = port(value()?)?,
            "--tls-cert" => o.tls_cert = Some(PathBuf::from(value()?)),
            "--tls-key" => o.tls_key = Some(PathBuf::from(value()?)),
            "--data-dir" => o.data_dir = Some(PathBuf::from(value()?)),
            "--allow-plaintext-auth" => o.allow_plaintext_auth = true,
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
                o.idle_timeout =
                    Some(Duration::from_secs(value()?.parse().map_err(|_| "--idle-timeout takes seconds")?))
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
    if o.tls_cert.is_some() != o.tls_key.is_some() {
        return Err("--tls-cert and --tls-key go together".into());
    }
    Ok(o)
}

/// A number from the process's hash keys: random enough for default passwords and seeds.
fn fresh_u64() -> u64 {
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

/// What a session task is told to do with its socket.
enum Out {
    Bytes(Vec<u8>),
    /// The engine's go-ahead for STARTTLS/STLS was written: the TLS handshake comes next.
    StartTls,
    /// The engine ended the session: close after what was written.
    Close,
}

struct Peer {
    tx: mpsc::UnboundedSender<Out>,
    client: String,
    protocol: &'static str,
    port: u16,
    /// The session runs inside TLS (for the log's `tls` field).
    tls: bool,
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
                HostOutput::TlsStarted(sid) => {
                    if let Some(p) = self.peers.get_mut(&sid) {
                        p.tls = true;
                        let _ = p.tx.send(Out::StartTls);
                    }
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

    /// A new connection on `port` (which serves `service`): the host greets it, or refuses.
    fn open(
        &mut self,
        peer: SocketAddr,
        port: u16,
        service: u16,
        tls: bool,
        tx: mpsc::UnboundedSender<Out>,
    ) -> Option<SessionId> {
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
        self.peers.insert(sid, Peer { tx, client, protocol, port, tls });
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
    let tls = load_tls(&o)?;
    // Real TLS: STARTTLS/STLS on the plain ports, implicit TLS on their own; passwords in the
    // clear only from loopback (or anywhere with --allow-plaintext-auth); mail for the
    // host's own users is delivered at once; the size limit comes from the flags.
    let policy = ServerPolicy {
        tls: true,
        starttls: true,
        plaintext_auth: if o.allow_plaintext_auth { PlaintextAuth::Anywhere } else { PlaintextAuth::LoopbackOnly },
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
        (listen(o.smtps_port).await?, 465),
        (listen(o.imaps_port).await?, 993),
        (listen(o.pop3s_port).await?, 995),
    ];
    println!(
        "mailsim serve: SMTP relay on {}, submission on {}, POP3 on {}, IMAP on {} (STARTTLS on each)",
        bind(o.smtp_port),
        bind(o.submission_port),
        bind(o.pop3_port),
        bind(o.imap_port)
    );
    println!(
        "  implicit TLS: submissions on {}, IMAPS on {}, POP3S on {}",
        bind(o.smtps_port),
        bind(o.imaps_port),
        bind(o.pop3s_port)
    );
    let made = if tls.generated { "made now, self-signed" } else { "reused" };
    println!("  TLS certificate {} ({made})", tls.cert_path.display());
    println!("    SHA-256 fingerprint {}", tls.fingerprint);
    if o.allow_plaintext_auth {
        println!("  passwords are accepted before TLS from any address (--allow-plaintext-auth)");
    } else {
        println!("  passwords are accepted before TLS from loopback only; elsewhere after STARTTLS/STLS");
    }
    for (a, p) in &o.users {
        println!("  user {a}  password {p}");
    }
    println!("  Ctrl-C stops it.");
    let permits = Arc::new(tokio::sync::Semaphore::new(o.max_connections));
    for (listener, service) in listeners {
        let (shared, permits, tls) = (shared.clone(), permits.clone(), tls.clone());
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else { continue };
                let (shared, tls) = (shared.clone(), tls.clone());
                let permit = permits.clone().try_acquire_owned();
                tokio::spawn(async move {
                    let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
                    let implicit = mailsim_proto::service::by_port(service).is_some_and(|s| s.implicit_tls());
                    let mut conn = Conn::Plain(stream);
                    if implicit {
                        conn = match conn.upgrade(&tls.acceptor).await {
                            Ok(c) => c,
                            Err(e) => return handshake_failed(&shared, peer, port, &e),
                        };
                    }
                    match permit {
                        Ok(_permit) => session(conn, peer, port, service, shared, tls).await,
                        Err(_) => busy(conn, service).await,
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

/// The certificate: `--tls-cert`/`--tls-key`, or the self-signed one in the data directory.
fn load_tls(o: &Options) -> Result<Tls, String> {
    use crate::tls::Source;
    match (&o.tls_cert, &o.tls_key) {
        (Some(cert), Some(key)) => Tls::load(Source::Files { cert, key }),
        _ => {
            let dir = o.data_dir.clone().unwrap_or_else(crate::tls::default_data_dir);
            Tls::load(Source::SelfSigned { dir: &dir })
        }
    }
}

/// A TLS handshake failed (a client that does not trust the certificate, or that spoke
/// plain text to a TLS port): say so on the console, where the person running serve looks.
fn handshake_failed(shared: &Shared, peer: SocketAddr, port: u16, e: &std::io::Error) {
    if !shared.lock().expect("not poisoned").quiet {
        println!("[tls] handshake with {peer} on port {port} failed: {e}");
    }
}

/// Too many connections: the protocol's "try again later" in place of a greeting, then close.
async fn busy(mut stream: Conn, service: u16) {
    use mailsim_proto::Closing;
    let reply = match service {
        110 | 995 => mailsim_proto::pop3::closing_response(Closing::Busy),
        143 | 993 => mailsim_proto::imap::server::closing_response(Closing::Busy),
        _ => mailsim_proto::smtp::closing_reply("localhost", Closing::Busy),
    };
    let _ = stream.write_all(&reply.bytes).await;
    let _ = stream.shutdown().await;
}

async fn session(mut stream: Conn, peer: SocketAddr, port: u16, service: u16, shared: Shared, tls: Tls) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let is_tls = stream.is_tls();
    let Some(sid) = shared.lock().expect("not poisoned").open(peer, port, service, is_tls, tx) else { return };
    let mut buf = vec![0u8; 16 * 1024];
    let by_client = loop {
        // A day stands for "never" when the engine has no idle timer.
        let idle = shared.lock().expect("not poisoned").time_left(sid).unwrap_or(Duration::from_secs(86_400));
        tokio::select! {
            // What the engine said comes first: after STARTTLS's go-ahead the next bytes from
            // the client are its TLS handshake, which must not reach the engine.
            biased;
            out = rx.recv() => match out {
                Some(Out::Bytes(b)) => {
                    if stream.write_all(&b).await.is_err() {
                        break true;
                    }
                }
                Some(Out::StartTls) => {
                    let _ = stream.flush().await;
                    stream = match stream.upgrade(&tls.acceptor).await {
                        Ok(s) => s,
                        Err(e) => {
                            handshake_failed(&shared, peer, port, &e);
                            // The socket is gone with the failed handshake.
                            shared.lock().expect("not poisoned").close(sid, true);
                            return;
                        }
                    };
                    let s = shared.lock().expect("not poisoned");
                    if !s.quiet {
                        println!("[{sid}] TLS started: {}", stream.describe().unwrap_or_default());
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
    // A TLS session ends with close_notify.
    let _ = stream.shutdown().await;
    shared.lock().expect("not poisoned").close(sid, by_client);
}
