//! The server side of one HTTP/1.x connection: hands each request to its owner and sends
//! the response the owner gives.

use super::message::HttpMessage;
use super::reader::MessageReader;
use crate::codec::Decoded;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use std::collections::VecDeque;

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
    closed: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<HttpServerEvent>,
}

impl Engine for HttpServer {
    type Event = HttpServerEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.input.push(bytes);
        self.process();
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
            closed: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Bytes of input searched, parsed or copied so far (see [`MessageReader::work`]).
    pub fn input_work(&self) -> usize {
        self.input.work()
    }

    fn process(&mut self) {
        while self.waiting.is_none() && !self.closed {
            match self.input.next_message() {
                Decoded::Complete(req, _) => {
                    self.waiting = Some(Waiting::of(&req));
                    self.events.push_back(HttpServerEvent::Request(req));
                }
                Decoded::Invalid(e, _) => {
                    let resp = HttpMessage::response(
                        "HTTP/1.1",
                        e.status,
                        &e.text,
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
            self.process();
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
}
