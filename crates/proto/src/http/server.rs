//! The server side of one HTTP/1.x connection: hands each request to its owner and sends
//! the response the owner gives.

use super::message::HttpMessage;
use super::reader::MessageReader;
use crate::codec::Decoded;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use std::collections::VecDeque;

/// Input a connection may hold while a request waits for its answer (pipelined requests,
/// RFC 9112 §9.3.2): room for one more request of the largest size. A client that sends more
/// before reading its answers gets the waiting request's answer with `Connection: close`, and
/// the connection closes after it (RFC 9112 §9.6); what it held is dropped unread (the client
/// retries unanswered requests, §9.3.2). An owner that can stop reading its socket while
/// [`HttpServer::wants_input`] is false never gets there: TCP pushes back on the client.
pub const PIPELINE_BYTES: usize = super::message::HEAD_MAX + crate::limits::HTTP_BODY;

/// Requests one pipelined run may hold: the first, and those found already waiting when the
/// previous answer goes out. The answer to the last carries `Connection: close` (RFC 9112
/// §9.6) and the connection reads no further. A client that waits for each answer before
/// sending its next request never runs into it.
pub const PIPELINE_REQUESTS: usize = 100;

/// The server's machine (one connection, RFC 9112 §9.3 persistence).
pub static MACHINE: StateMachine = StateMachine {
    protocol: "HTTP",
    side: Side::Server,
    title: "HTTP connection (server side)",
    states: &[
        st(
            "idle",
            "waiting for a request",
            "The connection is open; the next request may come (HTTP/1.1 persistence).",
        ),
        st("working", "working on the request", "A request arrived; the server prepares the response."),
        st("closed", "closed", "The connection closes (HTTP/1.0, Connection: close, or a bad request)."),
    ],
    from_any: None,
    entries: &[],
    transitions: &[
        main(0, 1, "request"),
        main(1, 0, "response, keep-alive"),
        main(1, 2, "close"),
        side(0, 2, "4xx/5xx (bad request)"),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpServerEvent {
    /// Answer with [`HttpServer::respond`].
    Request(HttpMessage),
    /// The server closed the connection (HTTP/1.0, or `Connection: close`).
    Closed,
}

#[derive(Debug)]
pub struct HttpServer {
    /// The requests, read as they complete (each once, however the bytes were cut).
    input: MessageReader,
    /// The request handed to the owner and not answered yet.
    waiting: Option<Waiting>,
    /// Requests in this run: the first read from new input, then those already in the input
    /// when the previous answer went.
    pipelined: usize,
    /// No further request is read: the connection closes after the waiting answer.
    stopped: bool,
    /// [`PIPELINE_BYTES`] and [`PIPELINE_REQUESTS`], unless made with other limits.
    max_held: usize,
    max_run: usize,
    closed: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<HttpServerEvent>,
}

impl Engine for HttpServer {
    type Event = HttpServerEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        if self.closed || self.stopped {
            return;
        }
        if self.waiting.is_some() && self.input.pending().saturating_add(bytes.len()) > self.max_held {
            return self.stop();
        }
        self.input.push(bytes);
        self.process(false);
        if self.waiting.is_some() && self.input.pending() > self.max_held {
            self.stop();
        }
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.closed = true;
        self.input = MessageReader::requests();
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<HttpServerEvent> {
        self.events.pop_front()
    }

    fn state(&self) -> StateView {
        let id = if self.closed {
            2
        } else if self.waiting.is_some() {
            1
        } else {
            0
        };
        StateView::new(&MACHINE, StateId(id))
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}

impl HttpServer {
    pub fn new() -> Self {
        HttpServer {
            input: MessageReader::requests(),
            waiting: None,
            pipelined: 0,
            stopped: false,
            max_held: PIPELINE_BYTES,
            max_run: PIPELINE_REQUESTS,
            closed: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// A server holding at most `bytes` behind an unanswered request and answering at most
    /// `requests` (at least 1) in one pipelined run, instead of [`PIPELINE_BYTES`] and
    /// [`PIPELINE_REQUESTS`].
    pub fn with_pipeline_limits(bytes: usize, requests: usize) -> Self {
        HttpServer { max_held: bytes, max_run: requests.max(1), ..Self::new() }
    }

    /// Input held and not yet handed over as a request.
    pub fn held(&self) -> usize {
        self.input.pending()
    }

    /// Bytes of input searched, parsed or copied so far (see [`MessageReader::work`]).
    pub fn input_work(&self) -> usize {
        self.input.work()
    }

    /// Whether the owner should read more from the connection: false while a request waits
    /// for its answer with [`PIPELINE_BYTES`] already held after it (backpressure), and once
    /// no further request will be read.
    pub fn wants_input(&self) -> bool {
        let held_full = self.waiting.is_some() && self.input.pending() >= self.max_held;
        !(self.closed || self.stopped || held_full)
    }

    /// Reads no further requests: the waiting request's answer closes the connection.
    fn stop(&mut self) {
        self.stopped = true;
        self.input.clear();
        if let Some(w) = self.waiting.as_mut() {
            w.close = true;
        }
    }

    /// Hands over the next request if it has all arrived; `answered`: called as an answer went
    /// out (a request found then was pipelined behind it).
    fn process(&mut self, answered: bool) {
        while self.waiting.is_none() && !self.closed && !self.stopped {
            match self.input.next_message() {
                Decoded::Complete(req, _) => {
                    self.pipelined = if answered { self.pipelined.saturating_add(1) } else { 1 };
                    self.waiting = Some(Waiting::of(&req));
                    self.events.push_back(HttpServerEvent::Request(req));
                    if self.pipelined >= self.max_run {
                        self.stop();
                    }
                }
                Decoded::Invalid(e, _) => {
                    // The status line has the status's own reason phrase ("Bad Request"), as
                    // servers send it; the body says why.
                    let resp = HttpMessage::response(
                        "HTTP/1.1",
                        e.status,
                        e.text.split(':').next().unwrap_or_default(),
                        &[("Connection", "close"), ("Content-Type", "text/plain")],
                        format!("{}\n", e.text).as_bytes(),
                    );
                    self.send(resp, String::new());
                    self.closed = true;
                    self.events.push_back(HttpServerEvent::Closed);
                }
                Decoded::Incomplete => return,
            }
        }
    }

    /// The owner's answer to the request it was given.
    pub fn respond(&mut self, mut resp: HttpMessage) {
        let Some(Waiting { start, close, http10 }) = self.waiting.take() else { return };
        if close && resp.header("Connection").is_none() {
            resp.headers.insert(0, ("Connection".into(), "close".into()));
        }
        if http10 {
            resp.start = resp.start.replacen("HTTP/1.1", "HTTP/1.0", 1);
        }
        self.send(resp, start);
        if close {
            self.closed = true;
            self.events.push_back(HttpServerEvent::Closed);
        } else {
            self.process(true);
        }
    }

    /// Sends `resp`, the answer to the request whose start line is `for_request`.
    fn send(&mut self, resp: HttpMessage, for_request: String) {
        let bytes = resp.encode();
        let pdu = Pdu::HttpResponse {
            start: resp.start.clone(),
            for_request,
            body_len: resp.body.len(),
            content_type: resp.header("Content-Type").unwrap_or("").into(),
        };
        self.transmits.push_back(Transmit { bytes, pdu });
    }
}

/// What the answer to a request needs of it (not its body: the owner has the request).
#[derive(Debug)]
struct Waiting {
    /// Its start line (`GET /inbox HTTP/1.1`).
    start: String,
    /// Whether the connection closes after the response (RFC 9112 §9.3, §9.6).
    close: bool,
    /// An HTTP/1.0 request gets an HTTP/1.0 response.
    http10: bool,
}

impl Waiting {
    fn of(req: &HttpMessage) -> Self {
        let http10 = req.version() == "HTTP/1.0";
        let connection = |v: &str| req.header("Connection").is_some_and(|c| c.eq_ignore_ascii_case(v));
        let close = http10 && !connection("keep-alive") || connection("close");
        Waiting { start: req.start.clone(), close, http10 }
    }
}

impl Default for HttpServer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::reader::tests::requests;

    /// What the server says and reports for `wire` cut into pieces of `size`, each request
    /// answered as soon as it is handed over; and the work its reader did.
    fn serve(wire: &[u8], size: usize) -> (Vec<Vec<u8>>, Vec<HttpServerEvent>, usize) {
        let mut s = HttpServer::new();
        let (mut out, mut events) = (vec![], vec![]);
        for piece in wire.chunks(size) {
            s.handle_input(0, piece);
            while let Some(ev) = s.poll_event() {
                if let HttpServerEvent::Request(r) = &ev {
                    let body = [r.start.as_bytes(), b" ", &r.body.len().to_be_bytes()].concat();
                    s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], &body));
                }
                events.push(ev);
            }
            out.extend(std::iter::from_fn(|| s.poll_transmit()).map(|t| t.bytes));
        }
        (out, events, s.input_work())
    }

    /// The same requests in pieces of 1 to 7 bytes and of 4 KB: the same requests handed
    /// over, the same responses, the same close (after the HTTP/1.0 one, RFC 9112 §9.3).
    #[test]
    fn requests_in_any_pieces_get_the_same_answers() {
        let wire = requests();
        let whole = serve(&wire, wire.len());
        assert_eq!(whole.0.len(), 6);
        assert_eq!(whole.1.len(), 7, "six requests and the close");
        assert_eq!(whole.1.last(), Some(&HttpServerEvent::Closed));
        for size in (1..=7).chain([4096]) {
            let got = serve(&wire, size);
            assert_eq!((&got.0, &got.1), (&whole.0, &whole.1), "pieces of {size}");
        }
        // A bad request after good ones: the same answer (400) and close, whatever the pieces.
        let (good, last) = (requests(), HttpMessage::request("GET", "/old", "HTTP/1.0", &[], b"").encode());
        assert!(good.ends_with(&last));
        let wire = [&good[..good.len() - last.len()], b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"].concat();
        let whole = serve(&wire, wire.len());
        assert!(whole.0.last().is_some_and(|r| r.starts_with(b"HTTP/1.1 400 ")));
        for size in (1..=7).chain([4096]) {
            let got = serve(&wire, size);
            assert_eq!((&got.0, &got.1), (&whole.0, &whole.1), "pieces of {size}");
        }
    }

    /// The server's input costs O(size) however it is cut: a byte at a time, its reader does
    /// no more than 4 bytes of work per byte of input.
    #[test]
    fn a_request_in_one_byte_pieces_costs_linear_work() {
        let wire = requests();
        for size in [1, 2, 4096] {
            let (_, _, work) = serve(&wire, size);
            assert!(work <= 4 * wire.len(), "pieces of {size}: {work} for {} bytes", wire.len());
        }
    }

    /// One 200 for a first good request, then `head` (with a body and a smuggled request after
    /// it), in pieces of `size`: what goes out and what is handed over.
    fn refused(head: &str, size: usize) -> (Vec<String>, Vec<HttpServerEvent>, bool) {
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        let wire = format!("GET /first HTTP/1.1\r\nHost: x\r\n\r\n{head}\r\n\r\n5\r\nhello\r\n0\r\n\r\n{smuggled}");
        let mut s = HttpServer::new();
        let (mut out, mut events) = (vec![], vec![]);
        for piece in wire.as_bytes().chunks(size).chain([smuggled.as_bytes()]) {
            s.handle_input(0, piece);
            while let Some(ev) = s.poll_event() {
                if matches!(ev, HttpServerEvent::Request(_)) {
                    s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], b"ok"));
                }
                events.push(ev);
            }
            out.extend(
                std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()),
            );
        }
        (out, events, s.is_closed() && s.state().to_string() == "closed")
    }

    /// A body framed by Transfer-Encoding other than chunked alone is not read (RFC 9112 §6.1:
    /// 501 for a coding not understood; §6.3: 400 with Content-Length too, in either order, or
    /// when chunked is not the last coding; §7.1: 400 for chunked twice; §6.1: 400 in HTTP/1.0),
    /// and differing or malformed Content-Lengths are 400 (§6.3): the answer closes the
    /// connection, and nothing after it (the body, a request hidden in it) is read as a
    /// request, however the bytes are cut.
    #[test]
    fn ambiguous_framing_is_refused_and_closes_the_connection() {
        let h = "Host: x";
        for (head, status) in [
            (format!("POST /send HTTP/1.1\r\n{h}\r\ntransfer-encoding: gzip, Chunked"), 501),
            (format!("PUT /x HTTP/1.1\r\n{h}\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked"), 501),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nTransfer-Encoding: chunked, gzip"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nTransfer-Encoding: chunked, chunked"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nTransfer-Encoding: identity"), 400),
            ("POST /send HTTP/1.0\r\nTransfer-Encoding: chunked".to_string(), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nContent-Length: 5\r\nContent-Length: 6"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nContent-Length: 5, 6"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nContent-Length: +5"), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nContent-Length: "), 400),
            (format!("POST /send HTTP/1.1\r\n{h}\r\nContent-Length: 99999999999999999999999"), 413),
            (format!("GET /x HTTP/1.1\r\n{h}\r\nX-Old: a\r\n folded"), 400),
            (format!("GET /x HTTP/1.1\r\n{h}\r\nX-Old : a"), 400),
            ("GET /x HTTP/1.1\r\nX-No-Host: a".to_string(), 400),
        ] {
            let whole = refused(&head, usize::MAX);
            assert_eq!(whole.0.len(), 2, "{head}: {:?}", whole.0);
            assert!(whole.0[0].starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
            let reason = match status {
                400 => "Bad Request",
                413 => "Content Too Large",
                _ => "Not Implemented",
            };
            assert!(whole.0[1].starts_with(&format!("HTTP/1.1 {status} {reason}\r\n")), "{head}: {}", whole.0[1]);
            assert!(whole.0[1].ends_with("\n") && whole.0[1].contains("\r\n\r\n"), "{head}: a body says why");
            assert!(whole.0[1].contains("\r\nConnection: close\r\n"), "{head}");
            // Its reason phrase and body are ASCII: RFC 9112 §4 allows obs-text (bytes over
            // 0x7F) in a reason phrase only for old servers, and the body is text/plain with
            // no charset; the RFC is cited as "section", not as a UTF-8 '§'.
            assert!(whole.0[1].is_ascii(), "{head}: {}", whole.0[1]);
            assert!(
                matches!(&whole.1[..], [HttpServerEvent::Request(r), HttpServerEvent::Closed] if r.target() == "/first")
            );
            assert!(whole.2, "{head}: closed");
            for size in [1, 2, 7] {
                assert_eq!(refused(&head, size), whole, "{head} in pieces of {size}");
            }
        }
        // The same value twice is one length (RFC 9112 §6.3); a leading zero is a digit.
        for cl in ["5, 5", "5\r\nContent-Length: 5", "005"] {
            let wire = format!(
                "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: {cl}\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
            );
            for size in [1, wire.len()] {
                let (out, events, _) = serve(wire.as_bytes(), size);
                assert_eq!(out.len(), 2, "{cl}");
                assert!(matches!(&events[0], HttpServerEvent::Request(r) if r.body == b"hello"), "{cl}");
            }
        }
    }

    /// What the server answers to `wire` in pieces of `size`, each request answered with its
    /// target, its body and its length; and whether it closed.
    fn chunked_answers(wire: &str, size: usize) -> (Vec<String>, Vec<HttpServerEvent>, bool) {
        let mut s = HttpServer::new();
        let (mut out, mut events) = (vec![], vec![]);
        for piece in wire.as_bytes().chunks(size) {
            s.handle_input(0, piece);
            while let Some(ev) = s.poll_event() {
                if let HttpServerEvent::Request(r) = &ev {
                    let body = format!(
                        "{} {:?} {:?}",
                        r.target(),
                        String::from_utf8_lossy(&r.body),
                        r.header("Content-Length")
                    );
                    s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], body.as_bytes()));
                }
                events.push(ev);
            }
            out.extend(
                std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()),
            );
        }
        (out, events, s.is_closed())
    }

    /// A chunked request body is decoded (RFC 9112 §7.1: a recipient MUST be able to): its
    /// extensions ignored, its trailer fields read and discarded, handed over with the decoded
    /// length as Content-Length and no Transfer-Encoding (§7.1.3); the request pipelined after
    /// it is answered exactly once, in order; the same whole and in pieces of 1, 2 and 7 bytes.
    /// Over the body limit (one chunk, or the sum) is 413, malformed is 400: either closes the
    /// connection and the request after it is not answered.
    #[test]
    fn chunked_request_bodies_are_decoded() {
        let head = "POST /send HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        let next = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
        let body = "5;note=\"a b\"\r\nhello\r\n7\r\n, world\r\n0\r\nX-Checksum: 1\r\n\r\n";
        let wire = format!("{head}{body}{next}");
        let whole = chunked_answers(&wire, wire.len());
        assert_eq!(whole.0.len(), 2, "{:?}", whole.0);
        assert!(whole.0[0].ends_with("/send \"hello, world\" Some(\"12\")"), "{}", whole.0[0]);
        assert!(whole.0[1].ends_with("/next \"\" None"), "{}", whole.0[1]);
        let HttpServerEvent::Request(r) = &whole.1[0] else { panic!("{:?}", whole.1) };
        assert!(r.header("Transfer-Encoding").is_none() && r.header("X-Checksum").is_none());
        assert!(!whole.2);
        for size in [1, 2, 7] {
            assert_eq!(chunked_answers(&wire, size), whole, "pieces of {size}");
        }
        let limit = crate::limits::HTTP_BODY;
        let half = "h".repeat(limit / 2 + 1);
        for (body, status) in [
            (format!("{:x}\r\n", limit + 1), 413),
            (format!("{:x}\r\n{half}\r\n{:x}\r\n{half}\r\n0\r\n\r\n", half.len(), half.len()), 413),
            ("ffffffffffffffffffffffff\r\n".to_string(), 413),
            ("5\r\nhelloGET\r\n0\r\n\r\n".to_string(), 400),
            ("5\nhello\r\n0\r\n\r\n".to_string(), 400),
            ("zz\r\n".to_string(), 400),
            ("0\r\nnot a field\r\n\r\n".to_string(), 400),
        ] {
            let wire = format!("{head}{body}{next}");
            let whole = chunked_answers(&wire, wire.len());
            assert_eq!(whole.0.len(), 1, "{body:.40}: {:?}", whole.0);
            assert!(whole.0[0].starts_with(&format!("HTTP/1.1 {status} ")), "{body:.40}: {}", whole.0[0]);
            assert!(whole.0[0].contains("\r\nConnection: close\r\n") && whole.2, "{body:.40}");
            for size in [1, 2, 7] {
                assert_eq!(chunked_answers(&wire, size), whole, "{body:.40} in pieces of {size}");
            }
        }
    }

    fn get(target: &str) -> Vec<u8> {
        format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes()
    }

    fn answer(s: &mut HttpServer) -> Vec<String> {
        let mut out = vec![];
        while let Some(ev) = s.poll_event() {
            if let HttpServerEvent::Request(r) = ev {
                s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], r.target().as_bytes()));
            }
        }
        out.extend(std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()));
        out
    }

    /// While a request waits for its answer, what the client sends after it is held up to
    /// PIPELINE_BYTES (`wants_input` false there: an owner stops reading); beyond, the waiting
    /// answer says `Connection: close` and the connection closes after it, the rest unread
    /// (RFC 9112 §9.6, §9.3.2). Under the bound, every pipelined request is answered in order.
    #[test]
    fn input_held_behind_an_unanswered_request_is_bounded() {
        let mut s = HttpServer::new();
        s.handle_input(0, &get("/first"));
        let pipelined: Vec<u8> = (0..50).flat_map(|i| get(&format!("/p{i}"))).collect();
        s.handle_input(0, &pipelined);
        assert!(s.wants_input());
        let out = answer(&mut s);
        assert_eq!(out.len(), 51);
        assert!(out
            .iter()
            .zip(["/first".to_string()].into_iter().chain((0..50).map(|i| format!("/p{i}"))))
            .all(|(o, t)| o.ends_with(&t)));
        assert!(!s.is_closed() && out.iter().all(|o| !o.contains("Connection: close")));

        for piece in [64 * 1024, 1, PIPELINE_BYTES] {
            let mut s = HttpServer::new();
            s.handle_input(0, &get("/first"));
            assert!(matches!(s.poll_event(), Some(HttpServerEvent::Request(_))));
            let filler =
                [b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\n".as_slice(), &[b'x'; 999_999]]
                    .concat();
            let mut held = 0;
            let mut rest = [filler.as_slice(), &vec![b'y'; PIPELINE_BYTES]].concat();
            rest.truncate(PIPELINE_BYTES);
            for p in rest.chunks(piece.min(64 * 1024)) {
                s.handle_input(0, p);
                held += p.len();
            }
            assert_eq!(held, PIPELINE_BYTES);
            assert!(!s.wants_input() && !s.is_closed(), "pieces of {piece}: the bound reached, reading pauses");
            s.handle_input(0, b"G");
            assert!(!s.wants_input() && s.poll_event().is_none(), "over the bound: nothing more is read");
            s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], b"first"));
            let out: Vec<_> = std::iter::from_fn(|| s.poll_transmit()).collect();
            assert_eq!(out.len(), 1);
            assert!(out[0].bytes.starts_with(b"HTTP/1.1 200 OK\r\nConnection: close\r\n"));
            assert_eq!(s.poll_event(), Some(HttpServerEvent::Closed));
            assert!(s.is_closed() && s.poll_event().is_none(), "the held request is not handed over");
        }
        // Sent in one read past the bound: the same.
        let mut s = HttpServer::new();
        s.handle_input(0, &[get("/first"), vec![b'z'; PIPELINE_BYTES + 1]].concat());
        assert!(!s.wants_input());
        assert_eq!(answer(&mut s).len(), 1);
        assert!(s.is_closed());
    }

    /// One run of pipelined requests is answered up to PIPELINE_REQUESTS, the last answer with
    /// `Connection: close`; a client that waits for each answer is never cut off.
    #[test]
    fn a_run_of_pipelined_requests_is_bounded_in_count() {
        let mut s = HttpServer::new();
        let wire: Vec<u8> = (0..PIPELINE_REQUESTS + 50).flat_map(|i| get(&format!("/{i}"))).collect();
        for size in [1, wire.len()] {
            let (out, events, _) = serve(&wire, size);
            assert_eq!(out.len(), if size == 1 { PIPELINE_REQUESTS + 50 } else { PIPELINE_REQUESTS }, "{size}");
            let closes = events.iter().filter(|e| **e == HttpServerEvent::Closed).count();
            assert_eq!(closes, usize::from(size > 1));
        }
        s.handle_input(0, &wire);
        let out = answer(&mut s);
        assert_eq!(out.len(), PIPELINE_REQUESTS);
        assert!(out
            .last()
            .is_some_and(|o| o.contains("Connection: close") && o.ends_with(&format!("/{}", PIPELINE_REQUESTS - 1))));
        assert!(s.is_closed());
        let mut s = HttpServer::new();
        for i in 0..PIPELINE_REQUESTS * 2 {
            s.handle_input(0, &get(&format!("/{i}")));
            assert_eq!(answer(&mut s).len(), 1);
        }
        assert!(!s.is_closed());
        // Other limits: three in a run, then the close; 40 bytes held, then the close.
        let mut s = HttpServer::with_pipeline_limits(PIPELINE_BYTES, 3);
        s.handle_input(0, &wire);
        assert_eq!(answer(&mut s).len(), 3);
        assert!(s.is_closed());
        let mut s = HttpServer::with_pipeline_limits(40, 100);
        s.handle_input(0, &wire[..get("/0").len() + 40]);
        assert!(!s.wants_input() && s.held() == 40);
        s.handle_input(0, b"x");
        assert_eq!((answer(&mut s).len(), s.is_closed(), s.held()), (1, true, 0));
    }
}
