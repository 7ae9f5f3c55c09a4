//! The server side of one HTTP/1.x connection: hands each request to its owner and sends
//! the response the owner gives.

use super::message::{decode, HttpMessage};
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

#[derive(Debug, Default)]
pub struct HttpServer {
    inbuf: Vec<u8>,
    waiting: Option<HttpMessage>,
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
        self.inbuf.extend_from_slice(bytes);
        self.process();
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.closed = true;
        self.inbuf.clear();
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
        Self::default()
    }

    fn process(&mut self) {
        while self.waiting.is_none() && !self.closed {
            match decode(&self.inbuf, true) {
                Decoded::Complete(req, n) => {
                    self.inbuf.drain(..n);
                    self.waiting = Some(req.clone());
                    self.events.push_back(HttpServerEvent::Request(req));
                }
                Decoded::Invalid(e, n) => {
                    self.inbuf.drain(..n);
                    let resp = HttpMessage::response(
                        "HTTP/1.1",
                        e.status,
                        &e.text,
                        &[("Connection", "close"), ("Content-Type", "text/plain")],
                        format!("{}\n", e.text).as_bytes(),
                    );
                    self.send(resp, None);
                    self.closed = true;
                    self.events.push_back(HttpServerEvent::Closed);
                }
                Decoded::Incomplete => return,
            }
        }
    }

    /// The owner's answer to the request it was given.
    pub fn respond(&mut self, mut resp: HttpMessage) {
        let Some(req) = self.waiting.take() else { return };
        let close = req.version() == "HTTP/1.0"
            && !req.header("Connection").is_some_and(|c| c.eq_ignore_ascii_case("keep-alive"))
            || req.header("Connection").is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if close && resp.header("Connection").is_none() {
            resp.headers.insert(0, ("Connection".into(), "close".into()));
        }
        if req.version() == "HTTP/1.0" {
            resp.start = resp.start.replacen("HTTP/1.1", "HTTP/1.0", 1);
        }
        self.send(resp, Some(&req));
        if close {
            self.closed = true;
            self.events.push_back(HttpServerEvent::Closed);
        } else {
            self.process();
        }
    }

    fn send(&mut self, resp: HttpMessage, req: Option<&HttpMessage>) {
        let bytes = resp.encode();
        let pdu = Pdu::HttpResponse {
            start: resp.start.clone(),
            for_request: req.map(|r| r.start.clone()).unwrap_or_default(),
            body_len: resp.body.len(),
            content_type: resp.header("Content-Type").unwrap_or("").into(),
        };
        self.transmits.push_back(Transmit { bytes, pdu });
    }
}
