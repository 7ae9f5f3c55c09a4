//! A person's IMAP session, as in the lecture's slide: lines typed one after the other,
//! each sent once the previous command's tagged response has come back; an AUTHENTICATE
//! SCRAM-SHA-256 step is carried out by the client program, which computes the proof.

use super::scram::ScramClient;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use base64::Engine as _;
use std::collections::VecDeque;
use std::fmt;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What a person types at the terminal, after AUTHENTICATE SCRAM-SHA-256's `+`, to have the
/// mail client compute the next SCRAM message (nobody computes PBKDF2 and HMAC by hand).
/// Never base64, so it cannot be mistaken for a SASL response.
pub const SCRAM_HELPER: &str = "!scram";

/// Whether a typed line asks for the SCRAM helper.
pub fn is_helper(line: &str) -> bool {
    line.trim().eq_ignore_ascii_case(SCRAM_HELPER)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapStep {
    /// A command line with its tag, e.g. `a002 select inbox`.
    Line(String),
    /// `tag AUTHENTICATE SCRAM-SHA-256`, then the SCRAM exchange.
    Scram { tag: String, user: String, password: String, nonce: String },
    /// `tag IDLE`, then `DONE` as soon as the server reports a change.
    IdleUntilNews(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapClientEvent {
    /// The server's OK to STARTTLS arrived: what follows is encrypted.
    TlsStarted,
    /// The server's SCRAM signature did not verify: it does not know the password.
    ServerNotAuthenticated,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ImapClientState {
    AwaitGreeting,
    AwaitTagged,
    Authenticating,
    Done,
}

/// The client's machine: [`ImapClientState`] in table form.
pub static MACHINE: StateMachine = StateMachine {
    protocol: "IMAP",
    side: Side::Client,
    title: "IMAP client",
    states: &[
        st("greeting", "connected: waiting for the greeting", "Connected; the server speaks first."),
        st("command", "waiting for the tagged response", "A command is out; its tagged response ends it."),
        st(
            "SCRAM",
            "SCRAM exchange in progress",
            "AUTHENTICATE SCRAM-SHA-256: client and server prove they know the password.",
        ),
        st("done", "done: connection closing", "LOGOUT completed."),
    ],
    from_any: None,
    entries: &[],
    transitions: &[
        main(0, 1, "* OK"),
        main(1, 3, "OK LOGOUT"),
        side(1, 1, "tagged response (next command)"),
        side(1, 2, "AUTHENTICATE"),
        side(2, 1, "tagged OK / NO"),
    ],
};

impl ImapClientState {
    pub fn view(self) -> StateView {
        StateView::new(&MACHINE, StateId(self as u8))
    }
}

impl fmt::Display for ImapClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

#[derive(Debug)]
pub struct ImapClient {
    steps: VecDeque<ImapStep>,
    state: ImapClientState,
    tag: String,
    scram: Option<ScramClient>,
    idling: bool,
    /// Lines typed by a person (the page's terminal): each is sent as typed, FETCH in an
    /// empty mailbox included, and a line typed after a `+` continuation (`DONE` after IDLE,
    /// a literal, a SASL response) goes out as that continuation, not as a new command.
    typed: bool,
    /// The account a typed session's SCRAM helper computes for (user, password, client
    /// nonce): a line [`SCRAM_HELPER`] typed after a `+` is answered as a mail client would.
    helper: Option<(String, String, String)>,
    /// The last `* n EXISTS` heard: a mailbox known to be empty is not fetched from.
    exists: Option<u32>,
    inbuf: Vec<u8>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ImapClientEvent>,
}

/// Splits one response line off `buf`, literals included; returns (line bytes, length used).
fn response_line(buf: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..)?;
        let len = crate::codec::find_crlf(rest)?;
        let end = pos.checked_add(len)?;
        let line = rest.get(..len.saturating_sub(2))?;
        // A line ending in {n} is followed by n bytes of literal, then the line goes on.
        match super::token::literal_at_end(line) {
            Some((n, _)) => {
                let after = end.checked_add(n).filter(|&a| a <= buf.len())?;
                pos = after;
            }
            None => return Some(end),
        }
    }
}

impl Engine for ImapClient {
    type Event = ImapClientEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        // Once the session is over nothing more is read or written (a DONE went out after
        // the end: found by the imap_client fuzz target, issue 13).
        if self.state == ImapClientState::Done {
            return;
        }
        self.inbuf.extend_from_slice(bytes);
        while let Some(n) = response_line(&self.inbuf).filter(|_| self.state != ImapClientState::Done) {
            let line: Vec<u8> = self.inbuf.drain(..n).collect();
            let text = String::from_utf8_lossy(line.get(..n.saturating_sub(2)).unwrap_or_default()).into_owned();
            self.on_line(&text);
        }
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.state = ImapClientState::Done;
        self.inbuf.clear();
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<ImapClientEvent> {
        self.events.pop_front()
    }

    fn state(&self) -> StateView {
        self.state.view()
    }

    fn is_closed(&self) -> bool {
        self.state == ImapClientState::Done
    }
}

impl ImapClient {
    pub fn new(steps: Vec<ImapStep>) -> Self {
        ImapClient {
            steps: steps.into(),
            state: ImapClientState::AwaitGreeting,
            tag: String::new(),
            scram: None,
            idling: false,
            typed: false,
            helper: None,
            exists: None,
            inbuf: vec![],
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// A person's typed lines, sent one after the other as the lecture's terminal does.
    pub fn typed(lines: Vec<String>) -> Self {
        ImapClient { typed: true, ..Self::new(lines.into_iter().map(ImapStep::Line).collect()) }
    }

    /// A typed session whose SCRAM helper answers for `user` with `password` (the account of
    /// the user agent at the terminal); `nonce` is the client nonce it would draw.
    pub fn typed_with_helper(lines: Vec<String>, user: &str, password: &str, nonce: &str) -> Self {
        ImapClient { helper: Some((user.into(), password.into(), nonce.into())), ..Self::typed(lines) }
    }

    /// After a `+` continuation, the next typed line is its answer: `DONE` ends IDLE
    /// (RFC 2177 §3), [`SCRAM_HELPER`] lets the client program compute the SCRAM message,
    /// anything else is sent as typed (a literal, a SASL response).
    fn continue_typed(&mut self, payload: &str) {
        let Some(ImapStep::Line(line)) = self.steps.pop_front() else { return };
        self.idling = false;
        if is_helper(&line) && self.helper_answer(payload) {
            return;
        }
        let pdu = if line.trim().eq_ignore_ascii_case("DONE") {
            Pdu::ImapCommand { tag: String::new(), name: "DONE".into(), line: line.clone() }
        } else {
            let decoded = B64.decode(line.trim()).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default();
            Pdu::ImapSaslResponse { line: line.clone(), decoded }
        };
        self.send_line(line, pdu);
    }

    /// The SCRAM helper: after the empty `+`, client-first; after server-first, client-final
    /// with the proof; after server-final, the empty line once its signature checks (or `*`
    /// if it does not). False when there is nothing it can compute (no account, or the
    /// exchange was not started by the helper): the line then goes out as typed.
    fn helper_answer(&mut self, payload: &str) -> bool {
        let decoded = B64.decode(payload).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default();
        match (&mut self.scram, &self.helper) {
            (None, Some((user, password, nonce))) if payload.is_empty() => {
                let scram = ScramClient::new(user, password, nonce);
                let first = scram.client_first();
                self.scram = Some(scram);
                self.sasl(first);
            }
            (Some(scram), _) if decoded.starts_with("v=") => {
                if scram.verify_server_final(&decoded) {
                    self.send_line(
                        String::new(),
                        Pdu::ImapSaslResponse { line: String::new(), decoded: String::new() },
                    );
                } else {
                    self.events.push_back(ImapClientEvent::ServerNotAuthenticated);
                    self.send_line("*".into(), Pdu::ImapSaslResponse { line: "*".into(), decoded: "(cancel)".into() });
                }
            }
            (Some(scram), _) => match scram.client_final(&decoded) {
                Some(fin) => self.sasl(fin),
                None => {
                    self.send_line("*".into(), Pdu::ImapSaslResponse { line: "*".into(), decoded: "(cancel)".into() })
                }
            },
            _ => return false,
        }
        true
    }

    fn send_line(&mut self, line: String, pdu: Pdu) {
        self.transmits.push_back(Transmit { bytes: format!("{line}\r\n").into_bytes(), pdu });
    }

    fn next_step(&mut self) {
        // In an empty mailbox no sequence number names a message, `*` included (RFC 9051
        // §9): like a real client, skip FETCH, STORE, COPY and MOVE by number there.
        // A person typing is shown the server's answer instead.
        while let Some(ImapStep::Line(line)) = self.steps.front().filter(|_| !self.typed) {
            let name = line.split(' ').nth(1).unwrap_or("").to_ascii_uppercase();
            if self.exists == Some(0) && ["FETCH", "STORE", "COPY", "MOVE"].contains(&name.as_str()) {
                self.steps.pop_front();
            } else {
                break;
            }
        }
        match self.steps.pop_front() {
            Some(ImapStep::Line(line)) => {
                self.tag = line.split(' ').next().unwrap_or("").to_string();
                let name = line.split(' ').nth(1).unwrap_or("").to_ascii_uppercase();
                self.state = ImapClientState::AwaitTagged;
                self.send_line(line.clone(), Pdu::ImapCommand { tag: self.tag.clone(), name, line });
            }
            Some(ImapStep::Scram { tag, user, password, nonce }) => {
                let line = format!("{tag} AUTHENTICATE SCRAM-SHA-256");
                self.tag = tag.clone();
                self.scram = Some(ScramClient::new(&user, &password, &nonce));
                self.state = ImapClientState::Authenticating;
                self.send_line(line.clone(), Pdu::ImapCommand { tag, name: "AUTHENTICATE".into(), line });
            }
            Some(ImapStep::IdleUntilNews(tag)) => {
                let line = format!("{tag} IDLE");
                self.tag = tag.clone();
                self.state = ImapClientState::AwaitTagged;
                self.send_line(line.clone(), Pdu::ImapCommand { tag, name: "IDLE".into(), line });
            }
            None => {}
        }
    }

    fn sasl(&mut self, decoded: String) {
        let line = B64.encode(&decoded);
        self.send_line(line.clone(), Pdu::ImapSaslResponse { line, decoded });
    }

    fn on_line(&mut self, line: &str) {
        if let Some(n) = line.strip_prefix("* ").and_then(|r| r.strip_suffix(" EXISTS")).and_then(|n| n.parse().ok()) {
            self.exists = Some(n);
        }
        if self.state == ImapClientState::AwaitGreeting {
            if line.starts_with("* OK") {
                self.next_step();
            }
            return;
        }
        if let Some(rest) = line.strip_prefix('+').filter(|_| self.typed) {
            self.idling = true;
            return self.continue_typed(rest.trim());
        }
        if line.starts_with("+ idling") || (line.starts_with('+') && self.scram.is_none()) {
            self.idling = true;
            return;
        }
        if self.idling && !self.typed && line.starts_with("* ") {
            // News while idling: stop idling so the next command can run.
            self.idling = false;
            return self.send_line(
                "DONE".into(),
                Pdu::ImapCommand { tag: String::new(), name: "DONE".into(), line: "DONE".into() },
            );
        }
        if let Some(rest) = line.strip_prefix('+') {
            let payload = rest.trim();
            let decoded = B64.decode(payload).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default();
            let Some(scram) = self.scram.as_mut() else { return };
            if payload.is_empty() {
                let first = scram.client_first();
                self.sasl(first);
            } else if decoded.starts_with("v=") {
                if !scram.verify_server_final(&decoded) {
                    self.events.push_back(ImapClientEvent::ServerNotAuthenticated);
                    return self
                        .send_line("*".into(), Pdu::ImapSaslResponse { line: "*".into(), decoded: "(cancel)".into() });
                }
                self.send_line(String::new(), Pdu::ImapSaslResponse { line: String::new(), decoded: String::new() });
            } else {
                match scram.client_final(&decoded) {
                    Some(fin) => self.sasl(fin),
                    None => self
                        .send_line("*".into(), Pdu::ImapSaslResponse { line: "*".into(), decoded: "(cancel)".into() }),
                }
            }
            return;
        }
        if line.starts_with(&format!("{} ", self.tag)) {
            let ok = line.split(' ').nth(1) == Some("OK");
            self.scram = None;
            let upper = line.to_ascii_uppercase();
            if ok && upper.contains("TLS") && upper.contains("NEGOTIATION") {
                self.events.push_back(ImapClientEvent::TlsStarted);
            }
            if upper.contains("LOGOUT COMPLETED") || self.steps.is_empty() && upper.contains("LOGOUT") {
                self.state = ImapClientState::Done;
                self.events.push_back(ImapClientEvent::Closed);
                return;
            }
            self.next_step();
        }
    }
}
