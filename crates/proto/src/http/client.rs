//! The client side of one HTTP/1.x connection: a browser sending its requests one after
//! the other, following redirects and keeping cookies.

use super::message::HttpMessage;
use super::reader::MessageReader;
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
    from_any: None,
    entries: &[],
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
    /// The responses, read as they complete.
    input: MessageReader,
    done: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<HttpClientEvent>,
}

impl Engine for HttpClient {
    type Event = HttpClientEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        self.input.push(bytes);
        while let Decoded::Complete(resp, _) = self.input.next_message() {
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
        self.input = MessageReader::responses();
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
            input: MessageReader::responses(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::reader::tests::responses;

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
