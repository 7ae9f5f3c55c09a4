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
//! - [`crate::hub`]: the host behind its lock; a session's panic is caught there.
//! - [`crate::maildir`]: the mail kept on disk (`--maildir DIR`, or the user's data dir;
//!   `--memory` keeps nothing).
//! - [`crate::eventlog`]: `--log`, appended by a writer thread.
//! - [`crate::limits`]: connections in all and per address, commands per second. The engines
//!   bound line lengths and message sizes and run the idle timers.

use crate::eventlog::LogWriter;
use crate::hub::{Hooks, Hub, Item, Out, Shared};
use crate::limits::{self, PerAddress, Throttle};
use crate::maildir::Maildir;
use crate::tls::{Conn, Tls};
use mailsim_proto::store::MailStore;
use mailsim_sim::host::{MailHost, ServerPolicy, SessionId};
use mailsim_sim::log::{Actor, Event};
use mailsim_sim::rng::Rng;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
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
    /// POP3 (port 110's rules: USER/PASS or APOP, STLS; RFC 1939, RFC 2595).
    #[arg(long, value_name = "PORT", default_value_t = 2110)]
    pub pop3_port: u16,
    /// IMAP (port 143's rules: STARTTLS, then LOGIN or AUTHENTICATE; RFC 9051).
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
    /// A protocol's line limit, CRLF included (repeat for both): imap=OCTETS [default 8192; at
    /// least 8192, RFC 7162 §4] or pop3=OCTETS [default 255; at least 255, RFC 2449 §4]; at most
    /// 1048576. SMTP keeps RFC 5321's 512-octet command lines and 1000-octet text lines.
    #[arg(long, value_name = "PROTO=OCTETS", value_parser = parse_line_limit)]
    pub max_line_length: Vec<(LineProtocol, usize)>,
    /// Print no transcript, only the start-up lines.
    #[arg(long)]
    pub quiet: bool,
    /// Keep the mail in DIR (Maildir, one folder per mailbox) [default: $XDG_DATA_HOME/mailsim
    /// or ~/.local/share/mailsim].
    #[arg(long, value_name = "DIR", conflicts_with = "memory")]
    pub maildir: Option<PathBuf>,
    /// Keep the mail in memory only: gone when the server stops.
    #[arg(long)]
    pub memory: bool,
    /// Simultaneous connections from one client address.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub max_connections_per_address: usize,
    /// Commands per second per connection, a steady rate (a client that goes faster waits
    /// before the server reads more; every command is still answered); 0: no limit.
    #[arg(long, value_name = "N", default_value_t = 500)]
    pub max_commands_per_second: u32,
    /// Commands a connection may send at once beyond that rate (the token bucket's size; the
    /// default lets RFC 5321's 100 recipients of a message be pipelined).
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_BURST,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub command_burst: u32,
    #[command(flatten)]
    pub web: crate::web::WebOptions,
    /// Test hook: a session whose input holds this text panics inside the server (the
    /// others must go on).
    #[arg(long, value_name = "TEXT", hide = true)]
    pub panic_on: Option<String>,
    /// Test hook: the step that acts on input holding this text pauses 300 ms after it
    /// released the host's lock, so that other sessions' steps come in between.
    #[arg(long, value_name = "TEXT", hide = true)]
    pub slow_step_on: Option<String>,
    /// Test hook: each write of the disk thread takes this many milliseconds more.
    #[arg(long, value_name = "MS", hide = true)]
    pub slow_disk: Option<u64>,
    #[command(flatten)]
    pub tls: crate::tls::TlsOptions,
}

fn parse_user(v: &str) -> Result<(String, String), String> {
    let (addr, pw) = v.split_once(':').ok_or("takes ADDRESS:PASSWORD")?;
    if !mailsim_proto::smtp::command::valid_mailbox(addr) || pw.is_empty() {
        return Err(format!("\"{addr}\" is not an address, or the password is empty (ADDRESS:PASSWORD)"));
    }
    Ok((addr.to_ascii_lowercase(), pw.to_string()))
}

/// A protocol whose line limit `--max-line-length` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProtocol {
    Imap,
    Pop3,
}

fn parse_line_limit(v: &str) -> Result<(LineProtocol, usize), String> {
    use mailsim_proto::limits::{IMAP_LINE_MIN, LINE_MAX, POP3_LINE_MIN};
    let (proto, n) = v.split_once('=').ok_or("takes PROTO=OCTETS, as imap=65536 or pop3=1000")?;
    let n: usize = n.trim().parse().map_err(|_| format!("\"{n}\" is not a number of octets"))?;
    let (proto, min, why) = match proto.trim().to_ascii_lowercase().as_str() {
        "imap" => (LineProtocol::Imap, IMAP_LINE_MIN, "RFC 7162 §4"),
        "pop3" => (LineProtocol::Pop3, POP3_LINE_MIN, "RFC 2449 §4"),
        "smtp" => return Err("SMTP's line limits are RFC 5321's (512 octets for commands, §4.5.3.1.4; 1000 for text lines, §4.5.3.1.6) and cannot be set here".into()),
        other => return Err(format!("\"{other}\" is not imap or pop3")),
    };
    if !(min..=LINE_MAX).contains(&n) {
        return Err(format!("{n} octets: at least {min} ({why}) and at most {LINE_MAX}"));
    }
    Ok((proto, n))
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

/// Where the mail is kept: `--maildir`, else the user's data directory; `None` with
/// `--memory` (or when there is no home to keep it in).
fn store_dir(o: &Options) -> Option<PathBuf> {
    if o.memory {
        return None;
    }
    if let Some(d) = &o.maildir {
        return Some(d.clone());
    }
    let data = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()).map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".local/share"))
    })?;
    Some(data.join("mailsim"))
}

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
    // Line limits: process-wide, set before any session starts.
    for (proto, octets) in &o.max_line_length {
        match proto {
            LineProtocol::Imap => mailsim_proto::limits::set_imap_line(*octets)?,
            LineProtocol::Pop3 => mailsim_proto::limits::set_pop3_command_line(*octets)?,
        }
    }
    let tls = Tls::for_serve(&o.tls, store_dir(&o).as_deref())?;
    // Real TLS (STARTTLS on the plain ports, implicit TLS on their own), passwords in the
    // clear from loopback only unless --allow-plaintext-auth; mail for the host's own users is
    // delivered at once; the size limit comes from the flags.
    let policy = ServerPolicy {
        tls: true,
        starttls: true,
        plaintext_auth: o.tls.plaintext_auth(),
        queue_delay: 0,
        max_message_size: o.max_message_size,
        idle_timeout: o.idle_timeout.map(|d| Some(d.as_millis() as u64)),
        ..ServerPolicy::default()
    };
    let epoch =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    // The store: UIDVALIDITY from the clock, above any given before (RFC 9051 §2.3.1.1).
    let dir = store_dir(&o);
    let (mut disk, next_validity) = match &dir {
        Some(d) => {
            let (m, next) = Maildir::open(d).map_err(|e| format!("cannot keep mail in {}: {e}", d.display()))?;
            (Some(m), next)
        }
        None => (None, 0),
    };
    let mut store = MailStore::default();
    store.set_uid_validity_from(u32::try_from(epoch).unwrap_or(u32::MAX).max(next_validity));
    for (a, p) in &o.users {
        store.add_account(a, p);
    }
    let mut loaded = 0;
    if let (Some(m), Some(d)) = (&mut disk, &dir) {
        loaded = m.load(&mut store).map_err(|e| format!("cannot read the mail in {}: {e}", d.display()))?;
        store.record_changes();
    }
    let host = MailHost::with_store("server", "localhost", &domains, store, policy);
    let log = o.log.as_deref().map(LogWriter::create).transpose()?;
    let mut hub = Hub::new(host, Rng::new(fresh_u64()), epoch, log, o.quiet);
    let feed = o.web.feed(&o.users);
    hub.set_live(feed.clone());
    let mailboxes = hub.host().store().addresses().map(str::to_string).collect();
    let actor = Actor {
        id: "server".into(),
        name: "mailsim serve".into(),
        host: "localhost".into(),
        ip: o.bind.to_string(),
        kind: "server".into(),
        mailboxes,
    };
    hub.log(Event::ActorJoined { actor });
    let hook = |t: &Option<String>| t.as_ref().map(|t| t.as_bytes().to_vec());
    let hooks = Hooks {
        panic_on: hook(&o.panic_on),
        slow_step_on: hook(&o.slow_step_on),
        slow_disk: o.slow_disk.map(Duration::from_millis),
    };
    let shared = Arc::new(Shared::new(hub, disk, hooks));
    let bind = |port: u16| SocketAddr::new(o.bind, port);
    let listen = |port: u16| async move {
        TcpListener::bind(bind(port)).await.map_err(|e| format!("cannot listen on {}: {e}", bind(port)))
    };
    // (listener, the service it offers: the well-known port whose rules apply)
    let mut listeners = vec![
        (listen(o.smtp_port).await?, 25),
        (listen(o.submission_port).await?, 587),
        (listen(o.pop3_port).await?, 110),
        (listen(o.imap_port).await?, 143),
    ];
    for (port, service) in o.tls.listeners() {
        listeners.push((listen(port).await?, service));
    }
    println!(
        "mailsim serve: SMTP relay on {}, submission on {}, POP3 on {}, IMAP on {}",
        bind(o.smtp_port),
        bind(o.submission_port),
        bind(o.pop3_port),
        bind(o.imap_port)
    );
    print!("{}", tls.banner(&o.tls, o.bind));
    match &dir {
        Some(d) => println!("  mail kept in {} ({loaded} messages loaded; --memory keeps none)", d.display()),
        None => println!("  mail kept in memory only (gone when it stops)"),
    }
    for (a, p) in &o.users {
        println!("  user {a}  password {p}");
    }
    if let Some(feed) = feed {
        if let Some(started) = crate::web::start(o.bind, &o.web, feed).await {
            print!("{}", crate::web::banner(o.bind, &started, o.web.show_credentials));
        }
    }
    println!("  Ctrl-C stops it.");
    let permits = Arc::new(tokio::sync::Semaphore::new(o.max_connections));
    let per_address = PerAddress::new(o.max_connections_per_address);
    let rate = (o.max_commands_per_second, o.command_burst);
    let quiet = o.quiet;
    let (max, per) = (o.max_connections, o.max_connections_per_address);
    let refusals = Arc::new(limits::Refusals::default());
    // "2 connections are open", "1 connection from 127.0.0.1 is open".
    let open = |n: usize, from: String| match n {
        1 => format!("1 connection{from} is open"),
        n => format!("{n} connections{from} are open"),
    };
    let mut accepting = Vec::new();
    for (listener, service) in listeners {
        let (shared, permits, per_address, tls) = (shared.clone(), permits.clone(), per_address.clone(), tls.clone());
        let refusals = refusals.clone();
        accepting.push(tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        // Out of file descriptors, say: wait instead of spinning.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (shared, tls) = (shared.clone(), tls.clone());
                let permit = permits.clone().try_acquire_owned();
                let slot = per_address.enter(peer.ip());
                let refusals = refusals.clone();
                tokio::spawn(async move {
                    let port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
                    // Over a limit: why, with its flag, for the log. The refused connection
                    // holds no slot (neither is taken) while it is answered.
                    let why = match (&permit, &slot) {
                        (Ok(_), Some(_)) => None,
                        (Err(_), _) => Some(format!("--max-connections {max}: {}", open(max, String::new()))),
                        (_, None) => Some(format!(
                            "--max-connections-per-address {per}: {}",
                            open(per, format!(" from {}", peer.ip()))
                        )),
                    };
                    if why.is_some() {
                        drop((permit, slot));
                        let stream = match Conn::accept(stream, service, &tls).await {
                            Ok(s) => s,
                            Err(e) => return handshake_failed(quiet, peer, port, &e),
                        };
                        let reply = limits::busy_reply(service);
                        limits::busy(stream, &reply.bytes).await;
                        // Recorded once answered (the client first), at most ten a second.
                        if let (Some(hidden), Some(why)) = (refusals.refused(std::time::Instant::now(), peer.ip()), why)
                        {
                            let sid = shared.next_sid();
                            shared.with(None, |h| h.refused(sid, peer, port, service, &why, hidden)).await;
                        }
                        return;
                    }
                    let stream = match Conn::accept(stream, service, &tls).await {
                        Ok(s) => s,
                        Err(e) => return handshake_failed(quiet, peer, port, &e),
                    };
                    let _held = (permit, slot);
                    session(stream, peer, service, shared, rate, tls, quiet).await
                });
            }
        }));
    }
    // Later deliveries (the queue's retries) need a clock that ticks without input.
    // It also notes the refusals a flood left unrecorded, once it is over.
    let (ticker, flood) = (shared.clone(), refusals.clone());
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            ticker.with(None, |h| h.run_queue_if_due()).await;
            if let Some(left) = flood.quiet(std::time::Instant::now()) {
                let total = flood.total();
                ticker.with(None, |h| h.refusals_not_recorded(&left, total)).await;
            }
        }
    });
    stopped().await?;
    // No new connections; every open session gets its protocol's goodbye.
    for a in accepting {
        a.abort();
    }
    shared.with(None, |h| h.shutdown()).await;
    // Let the session tasks write their goodbyes and close (a client that does not read
    // gets 5 seconds).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while shared.with(None, |h| h.sessions()).await.unwrap_or(0) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let events = shared.finish().await;
    let refused = match refusals.total() {
        0 => String::new(),
        1 => ", 1 connection refused over the limits".to_string(),
        n => format!(", {n} connections refused over the limits"),
    };
    println!("\nmailsim serve: stopped ({} events logged{refused})", events + 1);
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

/// A TLS handshake failed (a client that does not trust the certificate, or plain text on
/// a TLS port): said on the console, where the person running serve looks.
fn handshake_failed(quiet: bool, peer: SocketAddr, port: u16, e: &std::io::Error) {
    if !quiet {
        println!("[tls] handshake with {peer} on port {port} failed: {e}");
    }
}

/// Writes `bytes` and flushes them: over TLS, what the socket could not take at once stays in
/// the TLS layer until a flush (tokio-rustls), and the client would wait for a reply's tail
/// while the server waits for its next command.
pub async fn write_out<W: tokio::io::AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

/// What is still queued for the socket, written (the last reply before a close).
async fn write_rest(stream: &mut Conn, rx: &mut mpsc::UnboundedReceiver<Item>) {
    while let Ok(item) = rx.try_recv() {
        if let Some(Out::Bytes(b)) = item.ready().await {
            if write_out(stream, &b).await.is_err() {
                return;
            }
        }
    }
}

/// Carries out one instruction of the hub on the socket, once it may be (its disk wait);
/// `Some(by_client)` ends the session.
async fn carry(stream: &mut Conn, item: Option<Item>, tls: &Tls, sid: SessionId, quiet: bool) -> Option<bool> {
    let out = match item {
        Some(item) => item.ready().await?,
        None => return Some(false),
    };
    match out {
        // Flushed (see write_out): a reply left in the TLS layer reaches the client only with
        // the next write; the client waits for it, the session for the client.
        Out::Bytes(b) => write_out(stream, &b).await.is_err().then_some(true),
        // After STARTTLS's go-ahead: the handshake, then the same session inside TLS.
        Out::StartTls => {
            let peer = stream.peer_addr();
            let port = stream.local_port();
            match stream.upgrade(&tls.acceptor).await {
                Ok(()) => {
                    if !quiet {
                        println!("[{sid}] TLS started: {}", stream.describe().unwrap_or_default());
                    }
                    None
                }
                Err(e) => {
                    if let Some(peer) = peer {
                        handshake_failed(quiet, peer, port, &e);
                    }
                    Some(true)
                }
            }
        }
        Out::Close => Some(false),
    }
}

/// One connection: what the client sends goes to the hub, what the hub has for it goes to
/// the socket, until either side ends it.
async fn session(
    mut stream: Conn,
    peer: SocketAddr,
    service: u16,
    shared: Arc<Shared>,
    rate: (u32, u32),
    tls: Tls,
    quiet: bool,
) {
    let sid: SessionId = shared.next_sid();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (port, is_tls) = (stream.local_port(), stream.is_tls());
    if shared.with(Some(sid), |h| h.open(sid, peer, port, service, is_tls, tx)).await != Some(true) {
        // Refused, or failed before its greeting: write what it was told, then close.
        write_rest(&mut stream, &mut rx).await;
        // (Ends TLS with close_notify.)
        let _ = stream.shutdown().await;
        return;
    }
    let mut throttle = Throttle::new(rate.0, rate.1);
    let mut buf = vec![0u8; 16 * 1024];
    let by_client = 'session: loop {
        // A day stands for "never" when the engine has no idle timer.
        let idle = shared.with(Some(sid), |h| h.time_left(sid)).await.flatten().unwrap_or(Duration::from_secs(86_400));
        tokio::select! {
            // What the hub said comes first: after STARTTLS's go-ahead the next bytes from the
            // client are its TLS handshake, which must not reach the engine.
            biased;
            out = rx.recv() => if let Some(by_client) = carry(&mut stream, out, &tls, sid, quiet).await {
                break by_client;
            },
            read = tokio::time::timeout(idle, stream.read(&mut buf)) => match read {
                // The idle timer ran out: the engine says goodbye (then Out::Close comes).
                Err(_) => {
                    shared.with(Some(sid), |h| h.timeout(sid)).await;
                }
                Ok(Ok(0)) | Ok(Err(_)) => break true,
                Ok(Ok(n)) => {
                    let commands = shared.input(sid, &buf[..n]).await.unwrap_or(0);
                    // Too fast: answer what was asked, but read nothing more for a while.
                    if let Some(wait) = throttle.spend(commands) {
                        let until = tokio::time::Instant::now() + wait;
                        loop {
                            tokio::select! {
                                out = rx.recv() => if let Some(by_client) = carry(&mut stream, out, &tls, sid, quiet).await {
                                    break 'session by_client;
                                },
                                _ = tokio::time::sleep_until(until) => break,
                            }
                        }
                    }
                }
            },
        }
    };
    // Write what is still queued for the socket (the last reply before a close).
    write_rest(&mut stream, &mut rx).await;
    // A TLS session ends with close_notify.
    let _ = stream.shutdown().await;
    shared.with(Some(sid), |h| h.close(sid, by_client)).await;
    if !by_client {
        // A lingering close: read what the client still sends until it closes too (briefly),
        // so the kernel does not answer unread input with a reset that can destroy the last
        // reply before the client has read it (RFC 9293 §3.6; what Apache and nginx do).
        let linger = async {
            while let Ok(n) = stream.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), linger).await;
    }
}
