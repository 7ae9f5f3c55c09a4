//! The live classroom: `mailsim serve` also serves the playground over HTTP, with a live
//! stream of everything its engines say (`GET /events`, server-sent events).
//!
//! ## Routes
//! - `GET /`, `GET /<file>`: the page's release build, embedded by `build.rs`.
//! - `GET /events?token=T` (the instructor: every event) or `GET /events?session=S` (a
//!   student: their own sessions); `since=N` or the `Last-Event-ID` header resumes after entry
//!   N. Each message is one or more lines `data: {"seq":N,"event":RECORD}` (consecutive
//!   records share a message) and `id: N` (the last), where RECORD is the line `--log` writes
//!   (credentials redacted unless `--show-credentials`); a line `data: {"conn","seq","user"}`
//!   among them (no `"event"`) says whose a connection is; `event: gap` with `{"missed":N}`
//!   says the viewer fell behind the kept history (see [`feed`]).
//! - `POST /login` (form or JSON: `user`, `password`, a mail account of this server): a
//!   session for a student, `{"session":S,"user":ADDRESS}`; 403 if wrong.
//!
//! A wrong token or session is 403. Everything is on the same address as the mail servers
//! (loopback unless `--bind`).
//!
//! ## Layout
//! - [`feed`]: the ring of numbered events, who sees what, per-viewer reading.
//! - [`redact`]: attributing connections to users; removing credentials.
//! - [`http`]: request reading, responses. `assets`: the embedded page.

mod assets;
pub mod feed;
mod http;
pub mod redact;
#[cfg(test)]
mod test_events;

use feed::{Feed, Viewer};
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// `serve`'s flags for the page and the live view.
#[derive(clap::Args, Debug, Clone)]
pub struct WebOptions {
    /// The playground and the live view over HTTP on this port, same address (0: a free port).
    #[arg(long = "web-port", value_name = "PORT", default_value_t = 2080)]
    pub port: u16,
    /// No page and no live view.
    #[arg(long)]
    pub no_web: bool,
    /// Show passwords, SASL responses and proofs in the live view as the clients sent them.
    #[arg(long)]
    pub show_credentials: bool,
    /// Events kept for viewers that reconnect or fall behind.
    #[arg(long = "live-history", value_name = "EVENTS", default_value_t = 100_000)]
    pub history: usize,
}

impl Default for WebOptions {
    fn default() -> Self {
        WebOptions { port: 2080, no_web: false, show_credentials: false, history: 100_000 }
    }
}

impl WebOptions {
    /// The live feed for a server with these accounts, unless `--no-web`.
    pub fn feed(&self, accounts: &[(String, String)]) -> Option<Arc<Feed>> {
        (!self.no_web).then(|| Arc::new(Feed::new(accounts, self.show_credentials, self.history)))
    }
}

/// At most this many bytes of history are kept (message bodies can be large).
const HISTORY_BYTES: usize = 256 << 20;
/// Entries copied out of the history per write to a viewer.
const BATCH: usize = 512;
/// A viewer whose socket takes longer than this to accept a batch is dropped (it reconnects
/// and resumes).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
const HEARTBEAT: Duration = Duration::from_secs(15);
const PACE: Duration = Duration::from_millis(16);
/// Concurrent HTTP connections (viewers and page loads).
const MAX_HTTP: usize = 1024;
/// Student sessions kept at once.
const MAX_SESSIONS: usize = 10_000;
/// The page's policy: its own scripts and wasm only, and connections to this server only.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                   img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'";

/// A random token (128 bits from the process's hash keys).
fn token() -> String {
    let r = || std::collections::hash_map::RandomState::new().build_hasher().finish();
    format!("{:016x}{:016x}", r(), r())
}

/// Compares secrets in time that depends only on their lengths.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the HTTP side shares.
struct Web {
    feed: Arc<Feed>,
    token: String,
    /// Student sessions: token → address.
    sessions: Mutex<BTreeMap<String, String>>,
}

/// The page and the stream are up: where.
pub struct Started {
    pub addr: SocketAddr,
    /// The instructor's live view, token included.
    pub live_url: String,
}

/// Listens for the page and the stream on `bind`; `None` (after printing why) if the port is
/// taken, so that the mail servers run anyway.
pub async fn start(bind: IpAddr, o: &WebOptions, feed: Arc<Feed>) -> Option<Started> {
    let addr = SocketAddr::new(bind, o.port);
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mailsim: no live view: cannot listen on {addr}: {e} (choose another with --web-port)");
            return None;
        }
    };
    let addr = listener.local_addr().unwrap_or(addr);
    let web = Arc::new(Web { feed, token: token(), sessions: Mutex::new(BTreeMap::new()) });
    let host = if bind.is_unspecified() { "127.0.0.1".to_string() } else { bind.to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let live_url = format!("http://{host}:{}/?token={}#/live", addr.port(), web.token);
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_HTTP));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
            let web = web.clone();
            tokio::spawn(async move {
                connection(stream, web).await;
                drop(permit);
            });
        }
    });
    Some(Started { addr, live_url })
}

/// What `serve` prints about the page at start.
pub fn banner(bind: IpAddr, s: &Started, show_credentials: bool) -> String {
    let mut out = format!("  live view (instructor, keep the link to yourself): {}\n", s.live_url);
    out.push_str(&format!(
        "  students open http://{}:{}/#/live and log in with their mail account\n",
        if bind.is_unspecified() { "THIS-MACHINE".to_string() } else { bind.to_string() },
        s.addr.port()
    ));
    if !assets::embedded() {
        out.push_str("  (this binary has no page built in: see the README's classroom recipe)\n");
    }
    if show_credentials {
        out.push_str("  warning: --show-credentials: the live view shows passwords as the clients send them\n");
    }
    if !bind.is_loopback() {
        out.push_str(&format!(
            "  warning: --bind {bind}: the mail servers and the live page are open to the network. Anyone who can \
             reach this machine can connect; the users' passwords above are all that protects their mail.\n"
        ));
    }
    out
}

async fn connection(mut stream: TcpStream, web: Arc<Web>) {
    let req = match tokio::time::timeout(Duration::from_secs(10), http::read(&mut stream)).await {
        Ok(Ok(r)) => r,
        Ok(Err(http::Bad::Status(code, reason))) => {
            let _ = stream.write_all(&http::text(code, reason, reason)).await;
            return linger(stream).await;
        }
        Ok(Err(http::Bad::Gone)) | Err(_) => return,
    };
    let reply = match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/events") => return events(stream, &req, web).await,
        ("POST", "/login") => match login(&req, &web) {
            Ok(r) => r,
            Err(r) => {
                // A wrong password costs the guesser a moment.
                tokio::time::sleep(Duration::from_millis(300)).await;
                r
            }
        },
        ("GET" | "HEAD", path) => match assets::get(path) {
            Some((body, ty)) => {
                let cache = if path.ends_with(".wasm") || path.ends_with(".js") || path.ends_with(".css") {
                    "public, max-age=3600"
                } else {
                    "no-cache"
                };
                let extra = [("Cache-Control", cache), ("Content-Security-Policy", CSP)];
                let mut r = http::response(200, "OK", ty, &extra, body);
                if req.method == "HEAD" {
                    r.truncate(r.len() - body.len());
                }
                r
            }
            None => http::text(404, "Not Found", "not found"),
        },
        _ => http::response(405, "Method Not Allowed", "text/plain", &[("Allow", "GET, HEAD, POST")], b""),
    };
    let _ = stream.write_all(&reply).await;
    // A request pipelined after this one is not read: closing without reading it would reset
    // the connection and could destroy the answer (RFC 9112 §9.6).
    linger(stream).await;
}

/// Closes after a refusal without losing it: what the client still sends (a body not read) is
/// read and dropped for a moment after our side is shut, since closing with unread input
/// resets the connection and the reset can destroy the answer in flight (RFC 9112 §9.6).
async fn linger(mut stream: TcpStream) {
    use tokio::io::AsyncReadExt;
    let _ = stream.shutdown().await;
    let mut buf = [0u8; 4096];
    let mut left: usize = 64 * 1024;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while left > 0 {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => left = left.saturating_sub(n),
            _ => return,
        }
    }
}

/// The response to `POST /login`: a session, or (`Err`) the refusal.
fn login(req: &http::Request, web: &Web) -> Result<Vec<u8>, Vec<u8>> {
    let body = String::from_utf8_lossy(&req.body);
    let fields: Vec<(String, String)> = if body.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        ["user", "password"].iter().map(|k| (k.to_string(), v[k].as_str().unwrap_or("").to_string())).collect()
    } else {
        http::form(&body)
    };
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let Some(address) = web.feed.check_login(get("user"), get("password")) else {
        return Err(http::text(403, "Forbidden", "wrong user name or password"));
    };
    let session = token();
    let mut sessions = web.sessions.lock().expect("not poisoned");
    if sessions.len() >= MAX_SESSIONS {
        // Forget one at random (the keys are random): its student logs in again.
        sessions.pop_first();
    }
    sessions.insert(session.clone(), address.clone());
    let body = serde_json::json!({ "session": session, "user": address }).to_string();
    Ok(http::response(200, "OK", "application/json", &[("Cache-Control", "no-store")], body.as_bytes()))
}

/// Who the request is from, by its token or session.
fn viewer(req: &http::Request, web: &Web) -> Option<Viewer> {
    if let Some(t) = req.param("token") {
        return same(t, &web.token).then_some(Viewer::Instructor);
    }
    let s = req.param("session")?;
    let sessions = web.sessions.lock().expect("not poisoned");
    sessions.iter().find(|(k, _)| same(k, s)).map(|(_, user)| Viewer::Student(user.clone()))
}

/// The SSE message for a batch of entries: one `data:` line each (the page splits them at the
/// line ends: a record is one line), so that a burst costs the page a few messages rather than
/// one per record; its id is the last one that moves the viewer's cursor. An `owner` entry is
/// a line among the records (`{"conn","seq","user"}`, no `"event"`): as a message of its own
/// it split its batch, and a class's 400 logins were 400 more events, each some 28 µs
/// of the page's main thread (docs/benchmarks.md, branch live13).
fn messages(out: &mut Vec<u8>, items: &[(Arc<feed::Entry>, bool)]) {
    if items.is_empty() {
        return;
    }
    let mut id = None;
    for (e, with_id) in items {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(e.data.as_bytes());
        out.push(b'\n');
        if *with_id {
            id = Some(e.seq);
        }
    }
    if let Some(seq) = id {
        out.extend_from_slice(format!("id: {seq}\n").as_bytes());
    }
    out.push(b'\n');
}

/// The event stream for one viewer, until it goes away.
async fn events(mut stream: TcpStream, req: &http::Request, web: Arc<Web>) {
    let Some(viewer) = viewer(req, &web) else {
        let _ = stream.write_all(&http::text(403, "Forbidden", "wrong or missing token")).await;
        return;
    };
    if req.param("check").is_some() {
        // The page asks whether its token is still good (after its stream closed).
        let _ = stream.write_all(&http::response(204, "No Content", "text/plain", &[], b"")).await;
        return;
    }
    if let (Viewer::Student(user), Ok(peer)) = (&viewer, stream.peer_addr()) {
        // Their page is at this address: the refusals from it are theirs from now on.
        web.feed.student_at(user, &peer.ip().to_string());
    }
    let resume = req.header("last-event-id").or(req.param("since"));
    let mut cursor: u64 = resume.and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    cursor = cursor.min(web.feed.last());
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
                Connection: close\r\nX-Accel-Buffering: no\r\n\r\nretry: 1000\n\n";
    let mut wake = web.feed.subscribe();
    let mut out = head.as_bytes().to_vec();
    let mut last_write: Option<tokio::time::Instant> = None;
    loop {
        let batch = web.feed.read(&viewer, cursor, BATCH);
        if batch.missed > 0 {
            out.extend_from_slice(format!("event: gap\ndata: {{\"missed\":{}}}\n\n", batch.missed).as_bytes());
        }
        messages(&mut out, &batch.items);
        let moved = batch.cursor != cursor;
        cursor = batch.cursor;
        if !out.is_empty() {
            match tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&out)).await {
                Ok(Ok(())) => {
                    out.clear();
                    last_write = Some(tokio::time::Instant::now());
                }
                _ => return,
            }
        }
        if moved {
            continue;
        }
        // Caught up: wait for news, with a comment now and then so that a dead peer shows.
        wake.borrow_and_update();
        if web.feed.last() > cursor {
            continue;
        }
        match tokio::time::timeout(HEARTBEAT, wake.changed()).await {
            Ok(Ok(())) => {
                // While news keeps coming, one write a frame at most: what else arrives in the
                // meantime goes in the same message (after a quiet spell, at once).
                if let Some(t) = last_write {
                    tokio::time::sleep_until(t + PACE).await;
                }
            }
            Ok(Err(_)) => return,
            Err(_) => out.extend_from_slice(b": keep-alive\n\n"),
        }
    }
}

#[cfg(test)]
mod tests;
