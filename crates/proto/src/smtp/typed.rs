//! A person at a terminal (`telnet mail.bob.example 25`): sends the lines of a script one
//! at a time, each after the server's whole reply, exactly as typed (bad ones included).
//! After a `354` the next item is the message; after a `334`, an AUTH response; after a
//! `BDAT n` line (n > 0) the next item is its chunk, sent at once: the typed bytes, with
//! their CRLF only if n counts it (n = typed length + 2); `BDAT 0` has no chunk.

use super::command::{self, Command};
use super::reply::{self, Reply};
use crate::codec::Decoded;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, st, Side, StateId, StateMachine, StateView};
use base64::Engine as _;
use std::collections::VecDeque;
use std::fmt;

/// One thing the person types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A command line (CRLF added).
    Line(String),
    /// The message after `354`, sent dot-stuffed with its final `.` line.
    Message(Vec<u8>),
    /// The lines typed after `354` (each with its CRLF), sent as typed, then the `.` line:
    /// at a terminal the person is the client, and doubling a leading dot is their job
    /// (RFC 5321 §4.5.2). A line `.x` typed as is reaches the mailbox as `x`.
    Raw(Vec<u8>),
    /// The lines typed after `DATA` so far, the closing `.` not typed yet: after a `354` the
    /// person is still writing the message (nothing is sent); after any other reply, DATA was
    /// refused and they were commands, each sent on its own.
    Open(Vec<u8>),
}

/// A terminal's typed lines as a script: after a `DATA` line, the lines up to a line holding
/// only `.` are the message ([`Typed::Raw`]); lines after a `DATA` with no `.` yet are
/// [`Typed::Open`]. Whether they really were a message is known only from DATA's reply.
pub fn group(lines: impl IntoIterator<Item = String>) -> Vec<Typed> {
    let mut script = Vec::new();
    let mut message: Option<String> = None;
    for l in lines {
        match &mut message {
            Some(m) if l == "." => {
                script.push(Typed::Raw(std::mem::take(m).into_bytes()));
                message = None;
            }
            Some(m) => {
                m.push_str(&l);
                m.push_str("\r\n");
            }
            None => {
                let data = l.trim().eq_ignore_ascii_case("DATA");
                script.push(Typed::Line(l));
                if data {
                    message = Some(String::new());
                }
            }
        }
    }
    if let Some(m) = message {
        script.push(Typed::Open(m.into_bytes()));
    }
    script
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedEvent {
    /// The server closed the session (221 or 421): close the connection.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedState {
    Waiting,
    Done,
}

/// The terminal's machine: [`TypedState`] in table form.
pub static MACHINE: StateMachine = StateMachine {
    protocol: "SMTP",
    side: Side::Terminal,
    title: "SMTP at a terminal",
    states: &[
        st(
            "waiting",
            "terminal: waiting for the server's reply",
            "A person types the next line once the reply is complete.",
        ),
        st("over", "terminal: session over", "The server said 221 or 421."),
    ],
    from_any: None,
    entries: &[],
    transitions: &[main(0, 1, "221 / 421")],
};

impl TypedState {
    pub fn view(self) -> StateView {
        StateView::new(&MACHINE, StateId(if self == TypedState::Waiting { 0 } else { 1 }))
    }
}

impl fmt::Display for TypedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

#[derive(Debug)]
pub struct TypedSession {
    script: VecDeque<Typed>,
    inbuf: Vec<u8>,
    last: Option<Reply>,
    done: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TypedEvent>,
}

impl Engine for TypedSession {
    type Event = TypedEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        if self.done {
            return;
        }
        self.inbuf.extend_from_slice(bytes);
        loop {
            let r = match reply::decode(&self.inbuf) {
                Decoded::Complete(r, n) => {
                    self.inbuf.drain(..n);
                    r
                }
                Decoded::Invalid(_, n) => {
                    self.inbuf.drain(..n);
                    continue;
                }
                Decoded::Incomplete => return,
            };
            if matches!(r.code, 221 | 421) {
                self.done = true;
                self.events.push_back(TypedEvent::Closed);
                return;
            }
            self.last = Some(r);
            self.type_next();
        }
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.done = true;
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<TypedEvent> {
        self.events.pop_front()
    }

    fn state(&self) -> StateView {
        if self.done { TypedState::Done } else { TypedState::Waiting }.view()
    }

    fn is_closed(&self) -> bool {
        self.done
    }
}

impl TypedSession {
    pub fn new(script: Vec<Typed>) -> Self {
        TypedSession {
            script: script.into(),
            inbuf: vec![],
            last: None,
            done: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    fn type_next(&mut self) {
        let after = self.last.as_ref().map(|r| r.code);
        loop {
            match self.script.front() {
                // DATA was refused (503, 554, ...): what was typed after it were commands, as at
                // a real terminal, each sent after the previous reply (a second DATA starts a
                // message again).
                Some(Typed::Raw(_) | Typed::Open(_)) if after != Some(354) => {
                    let (m, closed) = match self.script.pop_front() {
                        Some(Typed::Raw(m)) => (m, true),
                        Some(Typed::Open(m)) => (m, false),
                        _ => return,
                    };
                    let mut lines: Vec<String> = String::from_utf8_lossy(&m)
                        .split('\n')
                        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
                        .collect();
                    lines.pop(); // the empty piece after the last CRLF
                    if closed {
                        lines.push(".".into());
                    }
                    for t in group(lines).into_iter().rev() {
                        self.script.push_front(t);
                    }
                }
                // After 354 the message is still being typed: nothing to send until its `.`.
                Some(Typed::Open(_)) => return,
                _ => break,
            }
        }
        let Some(item) = self.script.pop_front() else { return };
        let t = match item {
            Typed::Message(m) => {
                let lines = m.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
                Transmit { bytes: super::data::encode(&m), pdu: Pdu::SmtpData { size: m.len(), lines } }
            }
            // Held back above: never sent before its `.`.
            Typed::Open(_) => return,
            Typed::Raw(m) => {
                let typed = m.split(|&b| b == b'\n').filter(|l| !l.is_empty());
                let (lines, dotted) = (typed.clone().count(), typed.filter(|l| l.starts_with(b".")).count());
                let mut bytes = m.clone();
                bytes.extend_from_slice(b".\r\n");
                Transmit { bytes, pdu: Pdu::SmtpTypedData { size: m.len(), lines, dotted } }
            }
            Typed::Line(line) if after == Some(334) => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(line.trim())
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).replace('\0', "\\0"))
                    .unwrap_or_else(|| "(not base64)".into());
                Transmit { bytes: format!("{line}\r\n").into_bytes(), pdu: Pdu::SmtpAuthResponse { line, decoded } }
            }
            Typed::Line(line) => {
                let mut bytes = format!("{line}\r\n").into_bytes();
                let pdu = match command::decode(&bytes) {
                    Decoded::Complete(Command::Bdat { size, last }, _) => {
                        // RFC 3030 §2: the chunk follows the BDAT line at once, with no reply
                        // in between. `BDAT 0` has no chunk; otherwise the next item is it.
                        if size > 0 {
                            match self.script.pop_front() {
                                Some(Typed::Message(m) | Typed::Raw(m) | Typed::Open(m)) => bytes.extend_from_slice(&m),
                                Some(Typed::Line(l)) => bytes.extend_from_slice(&chunk(&l, size)),
                                None => {}
                            }
                        }
                        Pdu::SmtpCommand(Command::Bdat { size, last })
                    }
                    Decoded::Complete(cmd, _) => Pdu::SmtpCommand(cmd),
                    _ => Pdu::SmtpTyped { line },
                };
                Transmit { bytes, pdu }
            }
        };
        self.transmits.push_back(t);
    }
}

/// A typed line as a BDAT chunk: exactly the typed bytes, plus the terminal's CRLF only
/// when the size counts it (`size` = typed length + 2), as in `BDAT 13 LAST` + `Subject: hi`.
pub fn chunk(line: &str, size: u64) -> Vec<u8> {
    let mut bytes = line.as_bytes().to_vec();
    if u64::try_from(bytes.len()).ok().and_then(|n| n.checked_add(2)) == Some(size) {
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

/// A convenience for scripts: `lines(["EHLO x", "QUIT"])`.
pub fn lines<const N: usize>(l: [&str; N]) -> Vec<Typed> {
    l.iter().map(|s| Typed::Line(s.to_string())).collect()
}

impl From<Command> for Typed {
    fn from(c: Command) -> Self {
        Typed::Line(c.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::server::{Role, ServerConfig, SmtpServer};

    #[test]
    fn types_one_line_per_reply_including_bad_ones() {
        let mut s = SmtpServer::new(ServerConfig::basic("h.example", Role::Relay, &["h.example"], &["u@h.example"]), 0);
        let mut c = TypedSession::new(lines(["helo", "EHLO me.example", "frob", "QUIT"]));
        let mut sent = vec![];
        for _ in 0..20 {
            while let Some(t) = s.poll_transmit() {
                c.handle_input(0, &t.bytes);
            }
            while let Some(t) = c.poll_transmit() {
                sent.push((String::from_utf8(t.bytes.clone()).unwrap(), t.pdu.explain().label));
                s.handle_input(0, &t.bytes);
            }
        }
        assert_eq!(
            sent.iter().map(|(b, _)| b.as_str()).collect::<String>(),
            "helo\r\nEHLO me.example\r\nfrob\r\nQUIT\r\n"
        );
        assert_eq!(sent[2].1, "frob", "an invalid line is shown as typed");
        assert_eq!(c.poll_event(), Some(TypedEvent::Closed));
    }

    #[test]
    fn a_bdat_line_takes_the_next_line_as_its_chunk() {
        let (replies, messages) = run(lines([
            "EHLO me.example",
            "MAIL FROM:<a@me.example>",
            "RCPT TO:<u@h.example>",
            "BDAT 13 LAST",
            "Subject: hi",
        ]));
        assert_eq!(messages, [b"Subject: hi\r\n".to_vec()]);
        assert!(replies.last().unwrap().starts_with("250 2.0.0 OK: queued as Q1"), "{replies:?}");
    }

    /// Runs a typed script against a relay; returns every server reply and the messages.
    fn run(script: Vec<Typed>) -> (Vec<String>, Vec<Vec<u8>>) {
        let mut s = SmtpServer::new(ServerConfig::basic("h.example", Role::Relay, &["h.example"], &["u@h.example"]), 0);
        let mut c = TypedSession::new(script);
        let (mut replies, mut messages) = (vec![], vec![]);
        for _ in 0..20 {
            while let Some(t) = s.poll_transmit() {
                replies.push(String::from_utf8(t.bytes.clone()).unwrap());
                c.handle_input(0, &t.bytes);
            }
            while let Some(t) = c.poll_transmit() {
                s.handle_input(0, &t.bytes);
            }
            if let Some(crate::smtp::ServerEvent::MessageReceived(m)) = s.poll_event() {
                messages.push(m.data.clone());
                s.accept_message("Q1");
            }
        }
        (replies, messages)
    }

    fn typed(l: &[&str]) -> Vec<Typed> {
        group(l.iter().map(|s| s.to_string()))
    }

    /// DATA typed too early is refused (503), and what the person types next are commands,
    /// each answered on its own, as at a real terminal: not a message held back until a `.`
    /// and then sent in one block. A second DATA, once accepted (354), starts the message.
    #[test]
    fn lines_after_a_refused_data_are_commands() {
        let (replies, messages) = run(typed(&[
            "EHLO me.example",
            "DATA",
            "MAIL FROM:<a@me.example>",
            "RCPT TO:<u@h.example>",
            "DATA",
            "Subject: hi",
            "",
            ".hello",
            ".",
            "QUIT",
        ]));
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(codes, ["220", "250", "503", "250", "250", "354", "250", "221"], "{replies:?}");
        assert_eq!(messages, [b"Subject: hi\r\n\r\nhello\r\n".to_vec()]);
        // Refused twice (no recipient yet, then no valid one): still commands, one at a time.
        let (replies, _) = run(typed(&[
            "EHLO me.example",
            "MAIL FROM:<a@me.example>",
            "DATA",
            "RCPT TO:<nobody@h.example>",
            "DATA",
            "NOOP",
            ".",
        ]));
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        // DATA with no recipient: 554 no valid recipients (RFC 5321 §3.3 allows 503 or 554).
        assert_eq!(codes, ["220", "250", "250", "554", "550", "554", "250", "500"], "{replies:?}");
    }

    /// The page sends what is typed so far: after a 354 the lines of an unfinished message
    /// are held back until its `.`; after a refused DATA they are commands, answered at once.
    #[test]
    fn an_unfinished_message_waits_and_a_refused_data_does_not() {
        let (replies, messages) = run(typed(&[
            "EHLO me.example",
            "MAIL FROM:<a@me.example>",
            "RCPT TO:<u@h.example>",
            "DATA",
            "Subject: hi",
        ]));
        assert!(replies.last().unwrap().starts_with("354"), "{replies:?}");
        assert!(messages.is_empty());
        let (replies, _) = run(typed(&["EHLO me.example", "DATA", "MAIL FROM:<a@me.example>"]));
        assert!(replies.last().unwrap().starts_with("250 2.1.0"), "MAIL answered after the 503: {replies:?}");
    }

    /// At a terminal the person is the client: typed DATA lines go out as typed (no
    /// dot-stuffing), so `.dot line` is stored as `dot line` and `..two` as `.two`.
    #[test]
    fn typed_data_lines_are_not_dot_stuffed() {
        let mut script = lines(["EHLO me.example", "MAIL FROM:<a@me.example>", "RCPT TO:<u@h.example>", "DATA"]);
        script.push(Typed::Raw(b"Subject: dots\r\n\r\n.dot line\r\n..two\r\n".to_vec()));
        let (replies, messages) = run(script);
        assert!(replies.last().unwrap().starts_with("250 2.0.0 OK: queued as Q1"), "{replies:?}");
        assert_eq!(messages, [b"Subject: dots\r\n\r\ndot line\r\n.two\r\n".to_vec()]);
        let mut c = TypedSession::new(vec![Typed::Raw(b".a\r\nb\r\n".to_vec())]);
        c.handle_input(0, b"354 go ahead\r\n");
        let t = c.poll_transmit().unwrap();
        assert_eq!(t.bytes, b".a\r\nb\r\n.\r\n");
        assert_eq!(t.pdu, Pdu::SmtpTypedData { size: 7, lines: 2, dotted: 1 });
        assert!(t.pdu.explain().meaning.contains("1 line starts with"), "{:?}", t.pdu.explain());
    }

    #[test]
    fn a_chunk_is_the_typed_bytes_and_bdat_0_has_none() {
        let head = ["EHLO me.example", "MAIL FROM:<a@me.example>", "RCPT TO:<u@h.example>"];
        // `BDAT 5` + `hello`: five octets, no CRLF sent after them, so no empty command.
        let mut script = lines(head);
        script.extend(lines(["BDAT 5", "hello", "BDAT 0 LAST", "NOOP"]));
        let (replies, messages) = run(script);
        let tail: Vec<&str> = replies.iter().skip(4).map(|r| r.split(' ').next().unwrap()).collect();
        assert_eq!(tail, ["250", "250", "250"], "chunk, BDAT 0 LAST, NOOP: {replies:?}");
        assert!(replies[4].contains("5 octets"), "{replies:?}");
        assert!(replies[5].starts_with("250 2.0.0 OK: queued as Q1"), "BDAT 0 LAST is answered at once: {replies:?}");
        assert_eq!(messages, [b"hello".to_vec()]);
        // `BDAT 0 LAST` alone (nothing typed after it) is answered too.
        let mut script = lines(head);
        script.extend(lines(["BDAT 0 LAST"]));
        let (replies, _) = run(script);
        assert!(replies.last().unwrap().starts_with("250 2.0.0 OK: queued as Q1"), "{replies:?}");
        assert_eq!(chunk("hi", 4), b"hi\r\n");
        assert_eq!(chunk("hi", 2), b"hi");
        assert_eq!(chunk("hi", 3), b"hi");
    }
}
