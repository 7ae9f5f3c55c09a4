//! The live stream: an `EventSource` on `/events`, and what it delivered since the view last
//! looked ([`Shared`]).
//!
//! The browser reconnects by itself after a dropped connection, sending the last id it saw
//! (`Last-Event-ID`); the server resumes after it. If the stream is closed for good (the server
//! stopped, or refused), a probe (`/events?…&check=1`) tells a refusal (403) from an absent
//! server, and in the second case a new stream is opened after the last id (`since=`).

use super::model::{parse, Received};
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::js_sys;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    Connecting,
    Open,
    Reconnecting,
    /// 403: a wrong token, or a session the server does not know.
    Refused,
}

type Listener = Closure<dyn FnMut(web_sys::MessageEvent)>;

/// What the stream's callbacks leave for the view.
pub struct Shared {
    /// The messages' text, left in JavaScript until a frame takes what it reads (each message
    /// a batch of records, one a line).
    texts: js_sys::Array,
    /// Records taken from `texts` and not yet read, one a line (a burst is read over several
    /// frames, at most [`per_frame`] records in each). Messages are taken in only as far as
    /// the frame reads: a burst's text is not copied into the wasm memory at once and then
    /// again at each frame, only what a frame reads and the rest of its last message.
    backlog: String,
    missed: u64,
    /// The last id received (where a new stream resumes).
    last_id: u64,
    status: Status,
    query: String,
    source: Option<web_sys::EventSource>,
    /// The listeners, kept alive while the source is.
    listeners: Vec<Listener>,
    retry: Option<Timeout>,
    closed: bool,
    /// Called when something arrived or the status changed (the view asks for a frame).
    pub wake: Option<Rc<dyn Fn()>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            texts: js_sys::Array::new(),
            backlog: String::new(),
            missed: 0,
            last_id: 0,
            status: Status::Connecting,
            query: String::new(),
            source: None,
            listeners: vec![],
            retry: None,
            closed: false,
            wake: None,
        }
    }
}

/// At most this many records are read in an animation frame that comes on time (every
/// [`FRAME_MS`]); the rest wait for the next.
pub const PER_FRAME: usize = 300;
const FRAME_MS: f64 = 1000.0 / 60.0;
/// A late frame reads at most this many times [`PER_FRAME`] (at eight, the frames that read
/// 2,400 records held up to 48-60 ms of script on the loaded machine, at four 32-45 ms,
/// against 26-40 ms at 300 a frame: docs/benchmarks.md, branch `live9`).
const MOST_LATE: f64 = 4.0;

/// How many records a frame reads, `since_ms` after the last frame that read: [`PER_FRAME`]
/// for each frame's time that passed, up to [`MOST_LATE`] frames' worth. On a busy machine
/// the page's frames come 100 to 250 ms apart (it waits for a core), and at 300 records a
/// frame a class's burst was read over some 25 such frames: the arrows came on screen 0.5 to
/// 1.3 s (p50) after their records had arrived. A late frame now reads what the frames it
/// missed would have read, up to four frames' worth; a frame that comes on time reads as
/// before.
pub fn per_frame(since_ms: f64) -> usize {
    (PER_FRAME as f64 * (since_ms / FRAME_MS).clamp(1.0, MOST_LATE)).round() as usize
}

/// Whether a line is an event's record (`{"seq":N,"event":…}`), not a login's owner line.
fn is_record(line: &str) -> bool {
    line.strip_prefix("{\"seq\":")
        .is_some_and(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()).starts_with(",\"event\":"))
}

/// The sequence number of `{"seq":N,…`.
fn seq_of(record: &str) -> Option<u64> {
    let digits = record.strip_prefix("{\"seq\":")?;
    digits[..digits.bytes().take_while(u8::is_ascii_digit).count()].parse().ok()
}

impl Shared {
    /// Moves the texts received into the backlog, in order, until it holds at least `want`
    /// records.
    fn take_texts(&mut self, want: usize) {
        let mut records = if self.backlog.is_empty() { 0 } else { self.backlog.matches('\n').count() + 1 };
        while records < want && self.texts.length() > 0 {
            let Some(text) = self.texts.shift().as_string() else { continue };
            records += text.matches('\n').count() + 1;
            if !self.backlog.is_empty() {
                self.backlog.push('\n');
            }
            self.backlog.push_str(&text);
        }
    }

    /// The last id received, read or not (where a new stream resumes).
    fn last_seen(&mut self) -> u64 {
        self.take_texts(usize::MAX);
        self.backlog.split('\n').filter_map(seq_of).fold(self.last_id, u64::max)
    }
}

/// Tells the view that something changed (outside any borrow of `shared`).
fn wake(shared: &Rc<RefCell<Shared>>) {
    let w = shared.borrow().wake.clone();
    if let Some(w) = w {
        w();
    }
}

fn data(e: &web_sys::MessageEvent) -> String {
    e.data().as_string().unwrap_or_default()
}

/// Opens the stream with `query` (`token=…` or `session=…`), after id `since`.
pub fn connect(shared: &Rc<RefCell<Shared>>, query: &str, since: u64) {
    let url = if since > 0 { format!("events?{query}&since={since}") } else { format!("events?{query}") };
    let Ok(source) = web_sys::EventSource::new(&url) else { return };
    let mut listeners: Vec<(&str, Listener)> = Vec::new();
    let s = shared.clone();
    listeners.push((
        "message",
        Closure::new(move |e: web_sys::MessageEvent| {
            // The text stays in JavaScript; its ids are read when it is (`drain`).
            s.borrow().texts.push(&e.data());
            wake(&s);
        }),
    ));
    let s = shared.clone();
    listeners.push((
        "gap",
        Closure::new(move |e: web_sys::MessageEvent| {
            let v: serde_json::Value = serde_json::from_str(&data(&e)).unwrap_or_default();
            s.borrow_mut().missed += v["missed"].as_u64().unwrap_or(0);
            wake(&s);
        }),
    ));
    let s = shared.clone();
    listeners.push((
        "open",
        Closure::new(move |_| {
            s.borrow_mut().status = Status::Open;
            wake(&s);
        }),
    ));
    let s = shared.clone();
    let src = source.clone();
    listeners.push((
        "error",
        Closure::new(move |_| {
            // CONNECTING: the browser retries by itself. CLOSED: find out why.
            if src.ready_state() == web_sys::EventSource::CLOSED {
                probe(&s);
            } else {
                s.borrow_mut().status = Status::Reconnecting;
            }
            wake(&s);
        }),
    ));
    for (name, l) in &listeners {
        let _ = source.add_event_listener_with_callback(name, l.as_ref().unchecked_ref());
    }
    let mut s = shared.borrow_mut();
    s.query = query.to_string();
    s.source = Some(source);
    s.listeners = listeners.into_iter().map(|(_, l)| l).collect();
    s.closed = false;
}

/// The stream closed for good: refused (stop), or try again in two seconds.
fn probe(shared: &Rc<RefCell<Shared>>) {
    let query = {
        let mut s = shared.borrow_mut();
        if let Some(src) = s.source.take() {
            src.close();
        }
        s.query.clone()
    };
    let shared = shared.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let refused = match status_of(&format!("events?{query}&check=1")).await {
            Some(code) => code == 403,
            None => false,
        };
        {
            let mut s = shared.borrow_mut();
            if s.closed {
                return;
            }
            if refused {
                s.status = Status::Refused;
            } else {
                s.status = Status::Reconnecting;
                let again = shared.clone();
                s.retry = Some(Timeout::new(2000, move || {
                    let (q, since) = {
                        let mut s = again.borrow_mut();
                        (s.query.clone(), s.last_seen())
                    };
                    connect(&again, &q, since);
                }));
            }
        }
        wake(&shared);
    });
}

async fn status_of(url: &str) -> Option<u16> {
    let window = web_sys::window()?;
    let r = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url)).await.ok()?;
    Some(r.dyn_into::<web_sys::Response>().ok()?.status())
}

/// Stops the stream (the view is gone).
pub fn close(shared: &Rc<RefCell<Shared>>) {
    let mut s = shared.borrow_mut();
    s.closed = true;
    s.retry = None;
    s.wake = None;
    if let Some(src) = s.source.take() {
        src.close();
    }
}

/// Moves what arrived into `r`, at most `most` records: whether anything changed, the
/// stream's status, and whether records are left for the next frame.
pub fn drain(shared: &Rc<RefCell<Shared>>, r: &mut Received, most: usize) -> (bool, Status, bool) {
    let most = most.max(1);
    let (chunk, more, missed, status) = {
        let mut s = shared.borrow_mut();
        s.take_texts(most);
        let cut = s.backlog.match_indices('\n').nth(most - 1).map(|(i, _)| i);
        let chunk = match cut {
            Some(i) => {
                let rest = s.backlog.split_off(i + 1);
                let mut chunk = std::mem::replace(&mut s.backlog, rest);
                chunk.pop();
                chunk
            }
            None => std::mem::take(&mut s.backlog),
        };
        let missed = std::mem::take(&mut s.missed);
        (chunk, !s.backlog.is_empty() || s.texts.length() > 0, missed, s.status)
    };
    let changed = !chunk.is_empty() || missed > 0;
    if !chunk.is_empty() {
        // A login's owner line (`{"conn","seq","user"}`) comes among the records.
        let (records, owners): (Vec<&str>, Vec<&str>) = chunk.split('\n').partition(|l| is_record(l));
        let (batch, _bad) = parse(&records);
        let mut last = batch.iter().map(|(seq, _)| *seq).max().unwrap_or(0);
        r.add(batch);
        for o in owners {
            let v: serde_json::Value = serde_json::from_str(o).unwrap_or_default();
            if let (Some(conn), Some(user)) = (v["conn"].as_u64(), v["user"].as_str()) {
                r.own(conn as u32, user.to_string());
                last = last.max(v["seq"].as_u64().unwrap_or(0));
            }
        }
        let mut s = shared.borrow_mut();
        s.last_id = s.last_id.max(last);
    }
    r.missed += missed;
    (changed, status, more)
}

/// `POST /login`: (session, address), or what to tell the student.
pub async fn login(user: &str, password: &str) -> Result<(String, String), String> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let body = serde_json::json!({ "user": user, "password": password }).to_string();
    init.set_body(&JsValue::from_str(&body));
    let r = JsFuture::from(window.fetch_with_str_and_init("login", &init))
        .await
        .map_err(|_| "The server did not answer: is mailsim serve running?".to_string())?;
    let r: web_sys::Response = r.dyn_into().map_err(|_| "no response".to_string())?;
    if r.status() == 403 {
        return Err("Wrong user name or password.".into());
    }
    if !r.ok() {
        return Err(format!("The server answered HTTP {}: this page works when mailsim serve serves it.", r.status()));
    }
    let text = JsFuture::from(r.text().map_err(|_| "no body")?).await.ok().and_then(|t| t.as_string());
    let v: serde_json::Value = serde_json::from_str(&text.unwrap_or_default()).unwrap_or_default();
    match (v["session"].as_str(), v["user"].as_str()) {
        (Some(s), Some(u)) => Ok((s.to_string(), u.to_string())),
        _ => Err("The server's answer could not be read.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A login's owner line, which comes among the records, is not read as one.
    #[test]
    fn owner_lines_are_told_from_records() {
        assert!(is_record(r#"{"seq":12,"event":{"event":"message_sent"}}"#));
        assert!(!is_record(r#"{"conn":3,"seq":13,"user":"s1@class.example"}"#));
        assert!(!is_record(r#"{"seq":13,"conn":3,"user":"s1@class.example"}"#));
    }

    /// A frame on time reads 300 records; a late one what the frames it missed would have
    /// read, up to four frames' worth (a frame after a quiet spell too).
    #[test]
    fn a_late_frame_reads_for_the_frames_it_missed() {
        for (since, most) in
            [(0.0, 300), (10.0, 300), (FRAME_MS, 300), (2.0 * FRAME_MS, 600), (50.0, 900), (100.0, 1200), (1e9, 1200)]
        {
            assert_eq!(per_frame(since), most, "{since} ms after the last frame");
        }
    }
}
