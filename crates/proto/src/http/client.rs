//! The client side of one HTTP/1.x connection: a browser sending its requests one after
//! the other, following redirects and keeping cookies.

use super::message::{head_end, parse_head, HttpError, HttpMessage, HEAD_MAX};
use crate::codec::Decoded;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use std::collections::VecDeque;

/// The client's machine: one request at a time.
pub static MACHINE: StateMachine = StateMachine {
    protocol: "HTTP",
    side: Side::Client,
    title: "HTTP client",
    states: &[
        st("waiting", "waiting for the response", "A request is out."),
        st("done", "done: connection closing", "Every request was answered, or the server closes."),
    ],
    transitions: &[main(0, 1, "response (last)"), side(0, 0, "response (next request)")],
};
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpClientEvent {
    Response {
        request: HttpMessage,
        response: HttpMessage,
    },
    /// All requests answered (or the server closed): close the connection.
    Closed,
}

/// Sends its requests one after the other on one connection, each after the previous
/// response (no pipelining), and reports the responses.
#[derive(Debug)]
pub struct HttpClient {
    /// Cookies set by the server (a browser's cookie jar), sent back with later requests.
    jar: Vec<(String, String)>,
    queue: VecDeque<HttpMessage>,
    sent: Option<HttpMessage>,
    input: ResponseReader,
    done: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<HttpClientEvent>,
}

impl Engine for HttpClient {
    type Event = HttpClientEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        self.input.push(bytes);
        while let Decoded::Complete(resp, _) = self.input.next_response() {
            let Some(request) = self.sent.take() else { continue };
            if let Some(set) = resp.header("Set-Cookie") {
                if let Some((n, v)) = set.split(';').next().and_then(|c| c.split_once('=')) {
                    self.jar.retain(|(k, _)| k != n);
                    self.jar.push((n.trim().into(), v.trim().into()));
                }
            }
            // A browser follows redirects by itself (RFC 9110 §15.4): GET the new location next.
            if matches!(resp.status(), 301 | 302 | 303 | 307 | 308) {
                if let (Some(loc), Some(host)) = (resp.header("Location"), request.header("Host")) {
                    let follow = HttpMessage::request("GET", loc, request.version(), &[("Host", host)], b"");
                    self.queue.push_front(follow);
                }
            }
            let closing = resp.header("Connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
            self.events.push_back(HttpClientEvent::Response { request, response: resp });
            if closing || self.queue.is_empty() {
                self.done = true;
                self.events.push_back(HttpClientEvent::Closed);
                return;
            }
            self.next();
        }
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.done = true;
        self.input = ResponseReader::default();
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<HttpClientEvent> {
        self.events.pop_front()
    }

    fn state(&self) -> StateView {
        StateView::new(&MACHINE, StateId(u8::from(self.done)))
    }

    /// All requests answered (or the server closed).
    fn is_closed(&self) -> bool {
        self.done
    }
}

impl HttpClient {
    pub fn new(requests: Vec<HttpMessage>) -> Self {
        let mut c = HttpClient {
            jar: vec![],
            queue: requests.into(),
            sent: None,
            input: ResponseReader::default(),
            done: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        c.next();
        c
    }

    /// Adds a request (sent when the current one is answered).
    pub fn push(&mut self, req: HttpMessage) {
        self.queue.push_back(req);
        if self.sent.is_none() && !self.done {
            self.next();
        }
    }

    fn next(&mut self) {
        if let Some(mut req) = self.queue.pop_front() {
            if !self.jar.is_empty() && req.header("Cookie").is_none() {
                let cookies: Vec<String> = self.jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
                req.headers.push(("Cookie".into(), cookies.join("; ")));
            }
            let pdu = Pdu::HttpRequest {
                start: req.start.clone(),
                body_len: req.body.len(),
                cookie: req.header("Cookie").is_some(),
            };
            self.transmits.push_back(Transmit { bytes: req.encode(), pdu });
            self.sent = Some(req);
        }
    }
}

/// The client's input: responses taken from its front as they complete. The end of a head is
/// searched for only in what arrived since the last search, a head is parsed once, and its
/// body is then waited for by length: a response that arrives in many reads costs O(size) in
/// all, not a decode from its start at every read (as `pop3::response::ResponseReader`).
#[derive(Debug, Default)]
pub struct ResponseReader {
    buf: Vec<u8>,
    /// How much of `buf` was searched for the head's end without finding it.
    scanned: usize,
    /// The head read so far: the message without its body, where the head ends, where the
    /// body ends.
    head: Option<(HttpMessage, usize, usize)>,
}

impl ResponseReader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole response (or why the input is no HTTP response), taken off the input;
    /// `Incomplete` until it has all arrived. The same as [`super::decode`] on the input.
    pub fn next_response(&mut self) -> Decoded<HttpMessage, HttpError> {
        if self.head.is_none() {
            let Some(end) = head_end(&self.buf, self.scanned) else {
                self.scanned = self.buf.len();
                if self.buf.len() > HEAD_MAX {
                    let n = self.buf.len();
                    self.take(n);
                    return Decoded::Invalid(
                        HttpError { status: 431, text: "Request Header Fields Too Large".into() },
                        n,
                    );
                }
                return Decoded::Incomplete;
            };
            match parse_head(self.buf.get(..end).unwrap_or_default(), false) {
                Ok((msg, len)) => self.head = Some((msg, end, end.saturating_add(len))),
                Err(e) => {
                    self.take(end);
                    return Decoded::Invalid(e, end);
                }
            }
        }
        match self.head.take() {
            Some((msg, start, end)) if self.buf.len() >= end => {
                let body = self.buf.get(start..end).unwrap_or_default().to_vec();
                self.take(end);
                Decoded::Complete(HttpMessage { body, ..msg }, end)
            }
            head => {
                self.head = head;
                Decoded::Incomplete
            }
        }
    }

    /// Drops the first `n` bytes: a new message starts there.
    fn take(&mut self, n: usize) {
        self.buf.drain(..n.min(self.buf.len()));
        self.scanned = 0;
        self.head = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn responses() -> Vec<u8> {
        let big: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let mut wire = Vec::new();
        for (status, reason, headers, body) in [
            (
                200,
                "OK",
                vec![("Content-Type", "text/html"), ("Set-Cookie", "session=abc; HttpOnly")],
                &b"<p>hi</p>"[..],
            ),
            (303, "See Other", vec![("Location", "/inbox")], b""),
            (200, "OK", vec![("Content-Type", "text/plain")], &big[..]),
            (204, "No Content", vec![], b""),
            (200, "OK", vec![("Connection", "close")], b"bye\r\n\r\n"),
        ] {
            let mut h = headers.clone();
            let len = body.len().to_string();
            h.push(("Content-Length", &len));
            wire.extend(HttpMessage::response("HTTP/1.1", status, reason, &h, body).encode());
        }
        wire
    }

    /// Everything a reader gives for `wire` cut into pieces of `size` bytes.
    fn read_in_pieces(wire: &[u8], size: usize) -> Vec<Decoded<HttpMessage, HttpError>> {
        let mut r = ResponseReader::default();
        let mut out = Vec::new();
        for piece in wire.chunks(size) {
            r.push(piece);
            loop {
                match r.next_response() {
                    Decoded::Incomplete => break,
                    d => out.push(d),
                }
            }
        }
        out
    }

    /// The same responses split at 1..7 bytes and 4 KB give what decoding them whole gives.
    #[test]
    fn responses_split_anywhere_read_the_same() {
        let wire = responses();
        let mut whole = Vec::new();
        let mut rest = &wire[..];
        while let Decoded::Complete(m, n) = super::super::decode(rest, false) {
            whole.push(Decoded::Complete(m, n));
            rest = rest.get(n..).unwrap_or_default();
        }
        assert_eq!(whole.len(), 5);
        assert!(rest.is_empty());
        for size in (1..=7).chain([4096, wire.len()]) {
            assert_eq!(read_in_pieces(&wire, size), whole, "pieces of {size}");
        }
        // A bad response and one whose head is too long, as decode says.
        let bad = b"SMTP 220 hello\r\n\r\n";
        assert_eq!(read_in_pieces(bad, 3), vec![super::super::decode(bad, false)]);
        let long = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'x'; HEAD_MAX]].concat();
        assert!(matches!(read_in_pieces(&long, 4096).as_slice(), [Decoded::Invalid(e, _)] if e.status == 431));
    }

    /// The client's engine reads the same events whatever the pieces.
    #[test]
    fn the_client_follows_redirects_and_keeps_cookies_whatever_the_pieces() {
        let req = |t: &str| HttpMessage::request("GET", t, "HTTP/1.1", &[("Host", "webmail.example")], b"");
        let wire = responses();
        let run = |size: usize| {
            let mut c = HttpClient::new(vec![req("/"), req("/a"), req("/b"), req("/c")]);
            let mut sent = Vec::new();
            for piece in wire.chunks(size) {
                c.handle_input(0, piece);
            }
            while let Some(t) = c.poll_transmit() {
                sent.push(String::from_utf8_lossy(&t.bytes).into_owned());
            }
            let mut events = Vec::new();
            while let Some(e) = c.poll_event() {
                events.push(e);
            }
            (sent, events, c.is_closed())
        };
        let whole = run(wire.len());
        assert_eq!(whole.1.len(), 6, "five responses and the close");
        assert!(
            whole.0.iter().any(|r| r.starts_with("GET /inbox ") && r.contains("Cookie: session=abc")),
            "{:?}",
            whole.0
        );
        assert!(whole.2);
        for size in (1..=7).chain([4096]) {
            assert_eq!(run(size), whole, "pieces of {size}");
        }
    }
}
