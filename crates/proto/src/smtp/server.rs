//! The receiving side of one SMTP connection (RFC 5321 §4, submission per RFC 6409).
//!
//! Driven through [`Engine`] (see its doc for the order): `new(config, now)` queues the
//! greeting; `handle_input` feeds the client's bytes; `poll_event` reports
//! [`ServerEvent::MessageReceived`], answered with `accept_message`/`reject_message`.
//! An idle client gets `421 4.4.2` after [`ServerConfig::idle_timeout`] (RFC 5321 §4.5.3.2.7).
//! When the whole message has arrived the engine stops reading (state `Deciding`) until the
//! owner calls [`SmtpServer::accept_message`] (with the queue id it assigned) or
//! [`SmtpServer::reject_message`]; commands pipelined behind the message wait in the buffer.

use super::command::{self, Command};
use super::data;
use super::reply::Reply;
use crate::codec::Decoded;
use crate::engine::{Closing, Engine, IdleTimer, Millis, SMTP_IDLE_TIMEOUT};
use crate::pdu::{Pdu, SmtpReplyTo, Transmit};
use crate::state::{main, side, st, sub, Side, StateMachine, StateView};
use base64::Engine as _;
use std::collections::VecDeque;
use std::fmt;

fn encode64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode64(s: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD.decode(s.trim()).ok().and_then(|b| String::from_utf8(b).ok())
}

/// What the server is for, which decides whom it relays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Port 587 (RFC 6409): takes mail from its own users for any destination.
    Submission,
    /// Port 25: takes mail for its own domains from anyone, relays for no one.
    Relay,
}

/// How a server behaves: its name, its domains and users, its limits.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's host name, as in its greeting and `Received:` fields.
    pub hostname: String,
    pub role: Role,
    /// Domains whose mail this server delivers to local mailboxes.
    pub local_domains: Vec<String>,
    /// Addresses that have a mailbox here.
    pub local_users: Vec<String>,
    /// The SIZE limit (RFC 1870) in octets.
    pub max_message_size: usize,
    /// Accounts that may authenticate, as (address, password); empty: AUTH is not offered.
    pub accounts: Vec<(String, String)>,
    /// Offer STARTTLS (RFC 3207).
    pub starttls: bool,
    /// TLS from the first byte (port 465, RFC 8314).
    pub implicit_tls: bool,
    /// No AUTH (538) and no MAIL on submission (530) before TLS is active.
    pub require_tls: bool,
    /// The client is on the provider's own network (Postfix's `mynetworks`): it may submit
    /// without authenticating.
    pub trusted_peer: bool,
    /// Let the owner decide on each local recipient that passes the checks (greylisting,
    /// full mailboxes): the engine emits [`ServerEvent::RecipientProposed`] and waits.
    pub ask_owner_about_recipients: bool,
    /// Also ask about remote recipients we would relay for (the owner checks their domain
    /// in DNS: 556 for a null MX, RFC 7505 §4.3).
    pub check_remote_recipients: bool,
    /// After this many protocol errors (500-504) the server gives up: 421 (RFC 5321 §4.2.3).
    pub max_errors: usize,
    /// Moved users: (address, new address, whether this server forwards): 251 or 551.
    pub forwards: Vec<(String, String, bool)>,
    /// Accounts that must change their password before they may log in: 432 (RFC 4954 §6).
    pub password_transition: Vec<String>,
    /// AUTH LOGIN is too weak for this server's policy: 534 (RFC 4954 §6).
    pub login_too_weak: bool,
    /// STARTTLS is offered but cannot start right now: 454 (RFC 3207 §4).
    pub tls_temporarily_unavailable: bool,
    /// Low on disk: a SIZE parameter cannot be accommodated now: 455 (RFC 5321 §4.1.1.11).
    pub low_disk: bool,
    /// This host takes no mail at all: 521 greeting and replies (RFC 7504).
    pub refuse_all: bool,
    /// Port 25 takes mail only over TLS: 523 (RFC 5248 §2.4, 5.7.10 Encryption Needed).
    pub require_tls_inbound: bool,
    /// Close with 421 after this long without input; `None`: never (RFC 5321 §4.5.3.2.7).
    pub idle_timeout: Option<Millis>,
}

impl ServerConfig {
    /// A relay (port 25) or submission (port 587) server with everything extra turned off.
    pub fn basic(hostname: &str, role: Role, local_domains: &[&str], local_users: &[&str]) -> Self {
        ServerConfig {
            hostname: hostname.into(),
            role,
            local_domains: local_domains.iter().map(|s| s.to_string()).collect(),
            local_users: local_users.iter().map(|s| s.to_string()).collect(),
            max_message_size: 10_240_000,
            accounts: vec![],
            starttls: false,
            implicit_tls: false,
            require_tls: false,
            trusted_peer: false,
            ask_owner_about_recipients: false,
            check_remote_recipients: false,
            max_errors: 20,
            forwards: vec![],
            password_transition: vec![],
            login_too_weak: false,
            tls_temporarily_unavailable: false,
            low_disk: false,
            refuse_all: false,
            require_tls_inbound: false,
            idle_timeout: Some(SMTP_IDLE_TIMEOUT),
        }
    }
}

impl ServerConfig {
    fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }
    fn is_local_user(&self, address: &str) -> bool {
        self.local_users.iter().any(|u| u.eq_ignore_ascii_case(address))
    }
}

/// A message the client has finished sending, waiting for the server's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The name the client gave in EHLO/HELO.
    pub helo: String,
    /// Whether the client used EHLO (the `with ESMTP` of a `Received:` field).
    pub esmtp: bool,
    /// Whether the session was encrypted (STARTTLS or implicit TLS).
    pub tls: bool,
    /// The account the client authenticated as, if it did.
    pub authenticated: Option<String>,
    /// The envelope sender (empty for the null sender `<>`).
    pub mail_from: String,
    /// The envelope recipients that were accepted.
    pub rcpt_to: Vec<String>,
    /// The message, dot-stuffing undone.
    pub data: Vec<u8>,
}

/// What happened on the connection that the owner must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// The end of the mail data arrived; call `accept_message` or `reject_message`.
    MessageReceived(ReceivedMessage),
    /// A recipient passed the server's own checks; call `decide_recipient` (only with
    /// `ask_owner_about_recipients`).
    RecipientProposed { mail_from: String, rcpt: String },
    /// The 220 reply to STARTTLS went out: from here on the connection is encrypted.
    TlsStarted,
    /// The session ended (after QUIT's 221): the connection may be closed.
    Closed,
}

/// Where the session stands (RFC 5321 §4.1.4, §4.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// Greeting sent; waiting for EHLO or HELO.
    Greeted,
    /// Client identified; no transaction open.
    Ready,
    /// MAIL accepted; waiting for RCPT.
    MailFrom,
    /// At least one RCPT accepted; more RCPT or DATA may follow.
    RcptTo,
    /// Receiving the message after 354.
    Data,
    /// The message arrived; the server decides whether to take it.
    Deciding,
    /// A recipient is being checked by the owner (greylisting, quota).
    CheckingRecipient,
    /// In the middle of an AUTH exchange (RFC 4954): the next line is a response.
    Authenticating,
    /// 221 sent: the session is over.
    Closed,
}

/// The server's machine: [`ServerState`] in table form (same order as the enum).
pub static MACHINE: StateMachine = StateMachine {
    protocol: "SMTP",
    side: Side::Server,
    title: "SMTP dialog (server side)",
    states: &[
        st("Greeted", "greeted: waiting for EHLO/HELO", "The 220 greeting is sent; the client must identify itself."),
        st("Ready", "ready: waiting for MAIL FROM", "The client is known; no mail transaction is open."),
        st("MAIL", "transaction open: waiting for RCPT TO", "MAIL FROM was accepted: a transaction is open."),
        st("RCPT", "recipients known: waiting for RCPT TO or DATA", "At least one recipient was accepted."),
        st(
            "DATA",
            "receiving the message (until CRLF.CRLF)",
            "After 354 the server reads the message up to a line holding only \".\".",
        ),
        sub(
            "deciding",
            "message received: deciding",
            "The whole message arrived; the server decides whether to take it.",
            4,
        ),
        sub(
            "checking",
            "checking the recipient",
            "The server checks a recipient (greylisting, quota) before answering RCPT.",
            3,
        ),
        sub(
            "AUTH",
            "AUTH exchange: waiting for the client's response",
            "Inside AUTH (RFC 4954): the next line answers a 334 challenge.",
            1,
        ),
        st("Closed", "closed", "221 or 421 was sent: the session is over."),
    ],
    transitions: &[
        main(0, 1, "EHLO"),
        main(1, 2, "MAIL"),
        main(2, 3, "RCPT"),
        main(3, 4, "DATA"),
        main(4, 1, "."),
        main(1, 8, "QUIT"),
        side(0, 1, "HELO"),
        side(1, 0, "STARTTLS (220: start over inside TLS)"),
        side(1, 7, "AUTH"),
        side(7, 1, "235 / 535 / *"),
        side(2, 6, "RCPT (owner checks)"),
        side(3, 6, "RCPT (owner checks)"),
        side(6, 3, "250 (accepted)"),
        side(6, 2, "4yz/5yz (refused)"),
        side(4, 5, "CRLF.CRLF"),
        side(5, 1, "250 queued / 4yz / 5yz"),
        side(2, 1, "RSET"),
        side(3, 1, "RSET"),
        side(0, 8, "QUIT / 421"),
        side(2, 8, "QUIT / 421"),
        side(3, 8, "QUIT / 421"),
        side(4, 8, "421 (timeout)"),
    ],
};

impl ServerState {
    /// This state as a row of [`MACHINE`].
    pub fn view(self) -> StateView {
        let id = match self {
            ServerState::Greeted => 0,
            ServerState::Ready => 1,
            ServerState::MailFrom => 2,
            ServerState::RcptTo => 3,
            ServerState::Data => 4,
            ServerState::Deciding => 5,
            ServerState::CheckingRecipient => 6,
            ServerState::Authenticating => 7,
            ServerState::Closed => 8,
        };
        StateView::new(&MACHINE, crate::state::StateId(id))
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// The server side of one SMTP connection. See the module doc for the call order.
#[derive(Debug)]
pub struct SmtpServer {
    config: ServerConfig,
    state: ServerState,
    inbuf: Vec<u8>,
    helo: Option<(String, bool)>,
    mail_from: String,
    rcpt_to: Vec<String>,
    tls: bool,
    authenticated: Option<String>,
    auth: AuthStep,
    pending_rcpt: Option<String>,
    errors: usize,
    /// The message being received went over the size limit: its bytes are being dropped
    /// until the end-of-data line, then the answer is 552.
    oversized: bool,
    /// What the engine read from the client, one unit (command, data, AUTH line) at a time.
    received: VecDeque<Transmit>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ServerEvent>,
    idle: IdleTimer,
}

/// Where an AUTH exchange stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AuthStep {
    None,
    /// `334 ` sent after `AUTH PLAIN`: waiting for base64(authzid NUL authcid NUL password).
    PlainResponse,
    /// `334 VXNlcm5hbWU6` ("Username:") sent.
    LoginUser,
    /// `334 UGFzc3dvcmQ6` ("Password:") sent, for this user.
    LoginPass(String),
}

/// The reply a server sends when it ends a session on its own (RFC 5321 §3.8, §4.5.3.2):
/// an idle client, a service shutting down, or (in place of the greeting) too many
/// connections. A driver that refuses a connection without an engine sends
/// `closing_reply(host, Closing::Busy)`.
pub fn closing_reply(hostname: &str, why: Closing) -> Transmit {
    let reply = match why {
        Closing::IdleTimeout => Reply::enhanced(421, "4.4.2", format!("{hostname} Error: timeout exceeded")),
        Closing::Shutdown => Reply::enhanced(421, "4.3.2", format!("{hostname} Service shutting down")),
        Closing::Busy => Reply::enhanced(421, "4.7.0", "Too many connections, try again later"),
    };
    Transmit { bytes: reply.encode(), pdu: Pdu::SmtpReply { reply, to: SmtpReplyTo::Closing(why) } }
}

impl Engine for SmtpServer {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Millis, bytes: &[u8]) {
        if self.state == ServerState::Closed {
            return;
        }
        self.idle.touch(now);
        self.inbuf.extend_from_slice(bytes);
        self.process();
    }

    fn handle_timeout(&mut self, now: Millis) {
        if self.idle.expired(now) {
            self.close_with(Closing::IdleTimeout);
        }
    }

    fn handle_close(&mut self, _now: Millis) {
        self.state = ServerState::Closed;
        self.inbuf.clear();
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// What the engine read, one unit (command, mail data, AUTH line) at a time, for drivers
    /// that log both directions (`mailsim serve`); the world knows what its client sent.
    fn poll_received(&mut self) -> Option<Transmit> {
        self.received.pop_front()
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        if self.state == ServerState::Closed {
            None
        } else {
            self.idle.deadline()
        }
    }

    fn state(&self) -> StateView {
        self.state.view()
    }

    fn is_closed(&self) -> bool {
        self.state == ServerState::Closed
    }
}

impl SmtpServer {
    /// The most recipients one transaction may name (RFC 5321 §4.5.3.1.8 asks for ≥ 100).
    pub const MAX_RECIPIENTS: usize = 100;

    /// A new connection at `now`: the 220 greeting is queued for sending.
    pub fn new(config: ServerConfig, now: Millis) -> Self {
        let mut s = SmtpServer {
            idle: IdleTimer::new(config.idle_timeout, now),
            state: ServerState::Greeted,
            inbuf: Vec::new(),
            helo: None,
            mail_from: String::new(),
            rcpt_to: Vec::new(),
            tls: config.implicit_tls,
            authenticated: None,
            auth: AuthStep::None,
            pending_rcpt: None,
            errors: 0,
            oversized: false,
            received: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            config,
        };
        if s.config.refuse_all {
            let r = Reply::enhanced(521, "5.3.2", format!("{} does not accept mail", s.config.hostname));
            s.send(r, SmtpReplyTo::Greeting);
        } else {
            let greeting = Reply::new(220, format!("{} ESMTP Mailsim ready", s.config.hostname));
            s.send(greeting, SmtpReplyTo::Greeting);
        }
        s
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Whether the session is encrypted (after STARTTLS, or from the start on port 465).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The account the client authenticated as.
    pub fn authenticated(&self) -> Option<&str> {
        self.authenticated.as_deref()
    }

    /// The owner's answer to [`ServerEvent::RecipientProposed`]: `None` accepts the
    /// recipient, `Some(reply)` refuses it with that reply (e.g. 450 greylisted, 452 full).
    pub fn decide_recipient(&mut self, refusal: Option<Reply>) {
        if self.state != ServerState::CheckingRecipient {
            return;
        }
        let to = self.pending_rcpt.take().unwrap_or_default();
        self.state = if self.rcpt_to.is_empty() { ServerState::MailFrom } else { ServerState::RcptTo };
        match refusal {
            None => {
                self.send(Reply::enhanced(250, "2.1.5", format!("Recipient <{to}> OK")), SmtpReplyTo::Rcpt);
                self.rcpt_to.push(to);
                self.state = ServerState::RcptTo;
            }
            Some(r) => self.send(r, SmtpReplyTo::Rcpt),
        }
        self.process();
    }

    /// Takes responsibility for the received message (RFC 5321 §4.1.1.4, §6.1): replies 250.
    pub fn accept_message(&mut self, queue_id: &str) {
        if self.state == ServerState::Deciding {
            self.send(Reply::enhanced(250, "2.0.0", format!("OK: queued as {queue_id}")), SmtpReplyTo::EndOfData);
            self.end_transaction();
            self.process();
        }
    }

    /// Refuses the received message with `reply` (4yz or 5yz).
    pub fn reject_message(&mut self, reply: Reply) {
        if self.state == ServerState::Deciding {
            self.send(reply, SmtpReplyTo::EndOfData);
            self.end_transaction();
            self.process();
        }
    }

    /// The service is stopping: `421 4.3.2` and the session ends (RFC 5321 §3.8).
    pub fn shutdown(&mut self, _now: Millis) {
        self.close_with(Closing::Shutdown);
    }

    /// Writes the reply that ends the session for `why`, and closes.
    fn close_with(&mut self, why: Closing) {
        if self.state == ServerState::Closed {
            return;
        }
        let t = closing_reply(&self.config.hostname, why);
        self.transmits.push_back(t);
        self.state = ServerState::Closed;
        self.inbuf.clear();
        self.events.push_back(ServerEvent::Closed);
    }

    fn send(&mut self, reply: Reply, to: SmtpReplyTo) {
        let protocol_error = (500..=504).contains(&reply.code);
        self.transmits.push_back(Transmit { bytes: reply.encode(), pdu: Pdu::SmtpReply { reply, to } });
        if protocol_error {
            self.errors += 1;
            if self.errors >= self.config.max_errors && self.state != ServerState::Closed {
                let r = Reply::enhanced(
                    421,
                    "4.7.0",
                    format!("{} Error: too many errors, closing connection", self.config.hostname),
                );
                self.transmits.push_back(Transmit {
                    bytes: r.encode(),
                    pdu: Pdu::SmtpReply { reply: r, to: SmtpReplyTo::Error },
                });
                self.state = ServerState::Closed;
                self.inbuf.clear();
                self.events.push_back(ServerEvent::Closed);
            }
        }
    }

    fn end_transaction(&mut self) {
        self.mail_from.clear();
        self.rcpt_to.clear();
        self.state = if self.helo.is_some() { ServerState::Ready } else { ServerState::Greeted };
    }

    fn process(&mut self) {
        loop {
            match self.state {
                ServerState::Closed | ServerState::Deciding | ServerState::CheckingRecipient => return,
                ServerState::Authenticating => match crate::codec::find_crlf(&self.inbuf) {
                    Some(n) => {
                        let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                        let line = String::from_utf8_lossy(&bytes[..n - 2]).into_owned();
                        let decoded = base64::engine::general_purpose::STANDARD
                            .decode(line.trim())
                            .ok()
                            .map(|b| String::from_utf8_lossy(&b).replace('\0', "\\0"))
                            .unwrap_or_default();
                        self.received
                            .push_back(Transmit { bytes, pdu: Pdu::SmtpAuthResponse { line: line.clone(), decoded } });
                        self.on_auth_response(&line);
                    }
                    None => return,
                },
                ServerState::Data if self.oversized => {
                    // Skip to the end-of-data line without keeping the message.
                    match self.inbuf.windows(5).position(|w| w == b"\r\n.\r\n") {
                        Some(i) => {
                            self.inbuf.drain(..i + 5);
                            self.oversized = false;
                            self.received.push_back(Transmit {
                                bytes: b"(message over the size limit, dropped)\r\n.\r\n".to_vec(),
                                pdu: Pdu::SmtpData { size: 0, lines: 0 },
                            });
                            let limit = self.config.max_message_size;
                            self.send(
                                Reply::enhanced(
                                    552,
                                    "5.3.4",
                                    format!("Message size exceeds fixed limit of {limit} octets"),
                                ),
                                SmtpReplyTo::EndOfData,
                            );
                            self.end_transaction();
                        }
                        None => {
                            let keep = self.inbuf.len().saturating_sub(4);
                            self.inbuf.drain(..keep);
                            return;
                        }
                    }
                }
                ServerState::Data => match data::decode(&self.inbuf) {
                    Decoded::Complete(md, n) => {
                        let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                        let lines = md.message.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
                        self.received
                            .push_back(Transmit { bytes, pdu: Pdu::SmtpData { size: md.message.len(), lines } });
                        self.on_data(md);
                    }
                    _ => {
                        if self.inbuf.len() > self.config.max_message_size + 64 * 1024 {
                            // Bounded memory: a client may not make us hold more than the limit.
                            let keep = self.inbuf.len().saturating_sub(4);
                            self.inbuf.drain(..keep);
                            self.oversized = true;
                        }
                        return;
                    }
                },
                _ => match command::decode(&self.inbuf) {
                    Decoded::Complete(cmd, n) => {
                        let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                        self.received.push_back(Transmit { bytes, pdu: Pdu::SmtpCommand(cmd.clone()) });
                        self.on_command(cmd);
                    }
                    Decoded::Invalid(e, n) => {
                        let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                        let line = String::from_utf8_lossy(&bytes[..n.saturating_sub(2)]).into_owned();
                        self.received.push_back(Transmit { bytes, pdu: Pdu::SmtpTyped { line } });
                        self.send(Reply::enhanced(e.code, e.enhanced, e.text), SmtpReplyTo::Error);
                    }
                    Decoded::Incomplete => {
                        if self.inbuf.len() > 4 * command::MAX_COMMAND_LINE {
                            // A client that never ends its line: drop what it sent so far.
                            self.inbuf.clear();
                            self.send(Reply::enhanced(500, "5.5.2", "Line too long"), SmtpReplyTo::Error);
                        }
                        return;
                    }
                },
            }
        }
    }

    fn on_data(&mut self, md: data::MailData) {
        if md.message.len() > self.config.max_message_size {
            let limit = self.config.max_message_size;
            self.send(
                Reply::enhanced(552, "5.3.4", format!("Message size exceeds fixed limit of {limit} octets")),
                SmtpReplyTo::EndOfData,
            );
            self.end_transaction();
        } else if md.bare_cr_or_lf {
            // RFC 5321 §2.3.8: a bare CR or LF is not a line ending. Receivers that treat it as
            // one can be tricked into ending DATA early (SMTP smuggling), so refuse the message.
            let r = Reply::enhanced(
                554,
                "5.5.2",
                "Message refused: it contains a bare CR or LF, which RFC 5321 §2.3.8 forbids",
            );
            self.send(r, SmtpReplyTo::EndOfData);
            self.end_transaction();
        } else if md.longest_line > data::MAX_TEXT_LINE {
            self.send(
                Reply::enhanced(
                    500,
                    "5.5.2",
                    "Line too long: text lines are limited to 1000 octets (RFC 5321 §4.5.3.1.6)",
                ),
                SmtpReplyTo::EndOfData,
            );
            self.end_transaction();
        } else {
            let (helo, esmtp) = self.helo.clone().unwrap_or_default();
            self.state = ServerState::Deciding;
            self.events.push_back(ServerEvent::MessageReceived(ReceivedMessage {
                helo,
                esmtp,
                tls: self.tls,
                authenticated: self.authenticated.clone(),
                mail_from: self.mail_from.clone(),
                rcpt_to: self.rcpt_to.clone(),
                data: md.message,
            }));
        }
    }

    fn bad_sequence(&mut self, text: &str) {
        self.send(Reply::enhanced(503, "5.5.1", text), SmtpReplyTo::Error);
    }

    fn on_command(&mut self, cmd: Command) {
        if self.config.refuse_all && cmd != Command::Quit {
            let r = Reply::enhanced(521, "5.3.2", format!("{} does not accept mail", self.config.hostname));
            return self.send(r, SmtpReplyTo::Error);
        }
        match cmd {
            Command::Ehlo { domain } => {
                let mut lines = vec![
                    format!("{} greets {domain}", self.config.hostname),
                    "PIPELINING".into(),
                    format!("SIZE {}", self.config.max_message_size),
                    "8BITMIME".into(),
                    "ENHANCEDSTATUSCODES".into(),
                ];
                if self.config.starttls && !self.tls {
                    lines.push("STARTTLS".into());
                }
                // Like Postfix's smtpd_tls_auth_only: AUTH is offered only where it may be used.
                if !self.config.accounts.is_empty() && (self.tls || !self.config.require_tls) {
                    lines.push("AUTH PLAIN LOGIN".into());
                }
                self.helo = Some((domain, true));
                self.end_transaction();
                self.send(Reply { code: 250, lines }, SmtpReplyTo::Ehlo);
            }
            Command::Helo { domain } => {
                let text = format!("{} greets {domain}", self.config.hostname);
                self.helo = Some((domain, false));
                self.end_transaction();
                self.send(Reply::new(250, text), SmtpReplyTo::Helo);
            }
            Command::Mail { from, params } => {
                if self.helo.is_none() {
                    return self.bad_sequence("Send EHLO or HELO first");
                }
                if self.state != ServerState::Ready {
                    return self
                        .bad_sequence("Nested MAIL command: a transaction is already open (send RSET to start over)");
                }
                if self.config.require_tls && !self.tls {
                    return self
                        .send(Reply::enhanced(530, "5.7.0", "Must issue a STARTTLS command first"), SmtpReplyTo::Mail);
                }
                if self.config.require_tls_inbound && !self.tls {
                    return self.send(
                        Reply::enhanced(
                            523,
                            "5.7.10",
                            "Encryption Needed: this server takes mail only over TLS (STARTTLS first)",
                        ),
                        SmtpReplyTo::Mail,
                    );
                }
                if self.config.role == Role::Submission && self.authenticated.is_none() && !self.config.trusted_peer {
                    return self.send(
                        Reply::enhanced(
                            530,
                            "5.7.0",
                            "Authentication required: the submission port takes mail only from logged-in users",
                        ),
                        SmtpReplyTo::Mail,
                    );
                }
                if let Some(user) = &self.authenticated {
                    if !from.eq_ignore_ascii_case(user) {
                        let r = Reply::enhanced(
                            553,
                            "5.7.1",
                            format!("<{from}>: Sender address rejected: not owned by user {user}"),
                        );
                        return self.send(r, SmtpReplyTo::Mail);
                    }
                }
                for p in &params {
                    let (key, value) = p.split_once('=').unwrap_or((p, ""));
                    if key.eq_ignore_ascii_case("SIZE") {
                        match value.parse::<usize>() {
                            Ok(n) if self.config.low_disk => {
                                let r = Reply::enhanced(455, "4.3.1", format!("Server unable to accommodate parameters: not enough free disk space for SIZE={n} right now"));
                                return self.send(r, SmtpReplyTo::Mail);
                            }
                            Ok(n) if n > self.config.max_message_size => {
                                let limit = self.config.max_message_size;
                                let r = Reply::enhanced(
                                    552,
                                    "5.3.4",
                                    format!("Message size {n} exceeds fixed limit of {limit} octets"),
                                );
                                return self.send(r, SmtpReplyTo::Mail);
                            }
                            Ok(_) => {}
                            Err(_) => {
                                return self.send(
                                    Reply::enhanced(501, "5.5.4", "Syntax: SIZE=<number of octets>"),
                                    SmtpReplyTo::Error,
                                )
                            }
                        }
                    } else if !(key.eq_ignore_ascii_case("BODY")
                        && ["7BIT", "8BITMIME"].iter().any(|b| value.eq_ignore_ascii_case(b)))
                    {
                        let r = Reply::enhanced(
                            555,
                            "5.5.4",
                            format!("MAIL FROM parameter not recognized or not implemented: {p}"),
                        );
                        return self.send(r, SmtpReplyTo::Mail);
                    }
                }
                let text = format!("Sender <{from}> OK");
                self.mail_from = from;
                self.state = ServerState::MailFrom;
                self.send(Reply::enhanced(250, "2.1.0", text), SmtpReplyTo::Mail);
            }
            Command::Rcpt { to, params } => {
                if !matches!(self.state, ServerState::MailFrom | ServerState::RcptTo) {
                    return self.bad_sequence("Need MAIL FROM before RCPT TO");
                }
                if let Some(p) = params.first() {
                    let r = Reply::enhanced(
                        555,
                        "5.5.4",
                        format!("RCPT TO parameter not recognized or not implemented: {p}"),
                    );
                    return self.send(r, SmtpReplyTo::Rcpt);
                }
                if self.rcpt_to.len() >= Self::MAX_RECIPIENTS {
                    return self.send(Reply::enhanced(452, "4.5.3", "Too many recipients"), SmtpReplyTo::Rcpt);
                }
                if let Some((_, new, forward)) =
                    self.config.forwards.iter().find(|(a, _, _)| a.eq_ignore_ascii_case(&to)).cloned()
                {
                    if !forward {
                        let r = Reply::enhanced(551, "5.1.6", format!("User not local; please try <{new}>"));
                        return self.send(r, SmtpReplyTo::Rcpt);
                    }
                    self.rcpt_to.push(to);
                    self.state = ServerState::RcptTo;
                    return self.send(
                        Reply::enhanced(251, "2.1.5", format!("User not local; will forward to <{new}>")),
                        SmtpReplyTo::Rcpt,
                    );
                }
                let reply = self.check_recipient(&to);
                let ask = if self.is_local(&to) {
                    self.config.ask_owner_about_recipients
                } else {
                    self.config.check_remote_recipients
                };
                if reply.is_positive_completion() && ask {
                    self.state = ServerState::CheckingRecipient;
                    self.events.push_back(ServerEvent::RecipientProposed {
                        mail_from: self.mail_from.clone(),
                        rcpt: to.clone(),
                    });
                    self.pending_rcpt = Some(to);
                    return;
                }
                if reply.is_positive_completion() {
                    self.rcpt_to.push(to);
                    self.state = ServerState::RcptTo;
                }
                self.send(reply, SmtpReplyTo::Rcpt);
            }
            Command::Data => match self.state {
                ServerState::RcptTo => {
                    self.state = ServerState::Data;
                    self.send(Reply::new(354, "End data with <CR><LF>.<CR><LF>"), SmtpReplyTo::Data);
                }
                ServerState::MailFrom => {
                    self.send(Reply::enhanced(554, "5.5.1", "No valid recipients"), SmtpReplyTo::Data)
                }
                _ => self.bad_sequence("Need MAIL FROM and RCPT TO before DATA"),
            },
            Command::Rset => {
                self.end_transaction();
                self.send(Reply::enhanced(250, "2.0.0", "OK: transaction reset"), SmtpReplyTo::Rset);
            }
            Command::Noop => self.send(Reply::enhanced(250, "2.0.0", "OK"), SmtpReplyTo::Noop),
            Command::Vrfy { .. } => self.send(
                Reply::enhanced(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"),
                SmtpReplyTo::Vrfy,
            ),
            Command::Help { topic: Some(t) } if t.eq_ignore_ascii_case("STATUS") => {
                let lines = vec![
                    format!("2.0.0 {} system status", self.config.hostname),
                    format!(
                        "2.0.0 accepting mail for {}; session: {} error(s) so far",
                        self.config.local_domains.join(", "),
                        self.errors
                    ),
                    "2.0.0 end of status".into(),
                ];
                self.send(Reply { code: 211, lines }, SmtpReplyTo::Help);
            }
            Command::Help { .. } => {
                let lines = vec![
                    "2.0.0 Commands: HELO EHLO MAIL RCPT DATA STARTTLS AUTH".into(),
                    "2.0.0 RSET NOOP VRFY HELP QUIT".into(),
                    "2.0.0 HELP STATUS gives the server's status; see RFC 5321".into(),
                ];
                self.send(Reply { code: 214, lines }, SmtpReplyTo::Help);
            }
            Command::StartTls => {
                if !self.config.starttls {
                    return self.send(
                        Reply::enhanced(502, "5.5.1", "STARTTLS is not offered on this port"),
                        SmtpReplyTo::StartTls,
                    );
                }
                if self.tls {
                    return self.send(Reply::enhanced(554, "5.5.1", "TLS is already active"), SmtpReplyTo::StartTls);
                }
                if self.config.tls_temporarily_unavailable {
                    return self.send(
                        Reply::enhanced(454, "4.7.0", "TLS not available due to temporary reason"),
                        SmtpReplyTo::StartTls,
                    );
                }
                if !matches!(self.state, ServerState::Greeted | ServerState::Ready) {
                    return self.bad_sequence("STARTTLS is not allowed during a mail transaction");
                }
                self.send(Reply::enhanced(220, "2.0.0", "Ready to start TLS"), SmtpReplyTo::StartTls);
                // RFC 3207 §4.2: forget everything learned before TLS, and drop any bytes the
                // client pipelined behind STARTTLS (they were not protected: CVE-2011-0411).
                self.inbuf.clear();
                self.tls = true;
                self.helo = None;
                self.authenticated = None;
                self.end_transaction();
                self.events.push_back(ServerEvent::TlsStarted);
            }
            Command::Auth { mechanism, initial } => self.on_auth(&mechanism, initial),
            Command::Quit => {
                let text = format!("{} closing connection", self.config.hostname);
                self.send(Reply::enhanced(221, "2.0.0", text), SmtpReplyTo::Quit);
                self.state = ServerState::Closed;
                self.events.push_back(ServerEvent::Closed);
            }
        }
    }

    fn is_local(&self, to: &str) -> bool {
        to.rsplit_once('@').is_some_and(|(_, d)| self.config.is_local_domain(d))
    }

    fn on_auth(&mut self, mechanism: &str, initial: Option<String>) {
        if self.helo.is_none() {
            return self.bad_sequence("Send EHLO first");
        }
        if self.config.accounts.is_empty() {
            return self
                .send(Reply::enhanced(503, "5.5.1", "Authentication is not enabled on this port"), SmtpReplyTo::Auth);
        }
        if self.authenticated.is_some() {
            return self.bad_sequence("Already authenticated");
        }
        if self.state != ServerState::Ready {
            return self.bad_sequence("AUTH is not permitted during a mail transaction");
        }
        if self.config.require_tls && !self.tls {
            let r = Reply::enhanced(
                538,
                "5.7.11",
                "Encryption required for requested authentication mechanism: use STARTTLS first",
            );
            return self.send(r, SmtpReplyTo::Auth);
        }
        match (mechanism, initial) {
            ("PLAIN", Some(resp)) => self.check_plain(&resp),
            ("PLAIN", None) => {
                self.auth = AuthStep::PlainResponse;
                self.state = ServerState::Authenticating;
                self.send(Reply::new(334, ""), SmtpReplyTo::AuthChallenge);
            }
            ("LOGIN", _) if self.config.login_too_weak => self.send(
                Reply::enhanced(534, "5.7.9", "Authentication mechanism is too weak: use PLAIN inside TLS"),
                SmtpReplyTo::Auth,
            ),
            ("LOGIN", Some(user)) => match decode64(&user) {
                Some(u) => self.ask_password(u),
                None => {
                    self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth)
                }
            },
            ("LOGIN", None) => {
                self.auth = AuthStep::LoginUser;
                self.state = ServerState::Authenticating;
                self.send(Reply::new(334, encode64(b"Username:")), SmtpReplyTo::AuthChallenge);
            }
            _ => self.send(
                Reply::enhanced(
                    504,
                    "5.5.4",
                    format!("Unrecognized authentication type {mechanism}: this server offers PLAIN and LOGIN"),
                ),
                SmtpReplyTo::Auth,
            ),
        }
    }

    fn ask_password(&mut self, user: String) {
        self.auth = AuthStep::LoginPass(user);
        self.state = ServerState::Authenticating;
        self.send(Reply::new(334, encode64(b"Password:")), SmtpReplyTo::AuthChallenge);
    }

    fn on_auth_response(&mut self, line: &str) {
        let step = std::mem::replace(&mut self.auth, AuthStep::None);
        self.state = ServerState::Ready;
        if line == "*" {
            return self
                .send(Reply::enhanced(501, "5.0.0", "Authentication cancelled by the client"), SmtpReplyTo::Auth);
        }
        match step {
            AuthStep::PlainResponse => self.check_plain(line),
            AuthStep::LoginUser => match decode64(line) {
                Some(u) => self.ask_password(u),
                None => {
                    self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth)
                }
            },
            AuthStep::LoginPass(user) => match decode64(line) {
                Some(pass) => self.finish_auth(&user, &pass),
                None => {
                    self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth)
                }
            },
            AuthStep::None => {}
        }
    }

    /// `authzid NUL authcid NUL passwd`, base64 (RFC 4616 §2).
    fn check_plain(&mut self, b64: &str) {
        let decoded = if b64 == "=" { Some(String::new()) } else { decode64(b64) };
        let Some(decoded) = decoded else {
            return self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth);
        };
        let parts: Vec<&str> = decoded.split('\0').collect();
        match parts.as_slice() {
            [authz, user, pass] if authz.is_empty() || authz == user => {
                let (user, pass) = (user.to_string(), pass.to_string());
                self.finish_auth(&user, &pass)
            }
            _ => self.send(
                Reply::enhanced(501, "5.5.2", "PLAIN response must be authzid NUL authcid NUL password"),
                SmtpReplyTo::Auth,
            ),
        }
    }

    fn finish_auth(&mut self, user: &str, pass: &str) {
        let account = self.config.accounts.iter().find(|(a, p)| {
            (a.eq_ignore_ascii_case(user) || a.split('@').next().is_some_and(|l| l.eq_ignore_ascii_case(user)))
                && p == pass
        });
        match account {
            Some((address, _)) if self.config.password_transition.iter().any(|a| a.eq_ignore_ascii_case(address)) => {
                self.send(
                    Reply::enhanced(
                        432,
                        "4.7.12",
                        "A password transition is needed: change your password in webmail, then try again",
                    ),
                    SmtpReplyTo::Auth,
                )
            }
            Some((address, _)) => {
                self.authenticated = Some(address.clone());
                self.send(Reply::enhanced(235, "2.7.0", "Authentication successful"), SmtpReplyTo::Auth);
            }
            None => self.send(Reply::enhanced(535, "5.7.8", "Authentication credentials invalid"), SmtpReplyTo::Auth),
        }
    }

    fn check_recipient(&self, to: &str) -> Reply {
        let domain = to.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if to.eq_ignore_ascii_case("postmaster") || self.config.is_local_domain(domain) {
            if to.eq_ignore_ascii_case("postmaster") || self.config.is_local_user(to) {
                Reply::enhanced(250, "2.1.5", format!("Recipient <{to}> OK"))
            } else {
                Reply::enhanced(550, "5.1.1", format!("<{to}>: Recipient address rejected: no such user here"))
            }
        } else if self.authenticated.is_some() || self.config.trusted_peer {
            Reply::enhanced(250, "2.1.5", format!("Recipient <{to}> OK (will relay)"))
        } else {
            Reply::enhanced(
                554,
                "5.7.1",
                format!("<{to}>: Relay access denied: {} is not a domain of this server", domain),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn config(role: Role) -> ServerConfig {
        let mut c = ServerConfig::basic("mail.bob.example", role, &["bob.example"], &["bob@bob.example"]);
        c.max_message_size = 1000;
        c.accounts = vec![("bob@bob.example".into(), "pw".into())];
        c.trusted_peer = role == Role::Submission;
        c
    }

    fn drain(s: &mut SmtpServer) -> String {
        let mut out = Vec::new();
        while let Some(t) = s.poll_transmit() {
            out.extend(t.bytes);
        }
        String::from_utf8(out).unwrap()
    }

    fn codes(s: &mut SmtpServer) -> Vec<u16> {
        let mut out = Vec::new();
        while let Some(t) = s.poll_transmit() {
            if let Pdu::SmtpReply { reply, .. } = t.pdu {
                out.push(reply.code)
            }
        }
        out
    }

    const SESSION: &str = "EHLO alice.example\r\nMAIL FROM:<alice@alice.example>\r\nRCPT TO:<bob@bob.example>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n";

    #[test]
    fn a_whole_session_with_pipelined_commands() {
        let mut s = SmtpServer::new(config(Role::Relay), 0);
        assert!(drain(&mut s).starts_with("220 mail.bob.example"));
        s.handle_input(0, SESSION.as_bytes());
        assert_eq!(codes(&mut s), vec![250, 250, 250, 354]);
        assert_eq!(s.state(), ServerState::Deciding.view());
        let Some(ServerEvent::MessageReceived(m)) = s.poll_event() else { panic!() };
        assert_eq!(m.data, b"Subject: hi\r\n\r\n.dot\r\n");
        assert_eq!(
            (m.mail_from.as_str(), m.rcpt_to.clone(), m.esmtp),
            ("alice@alice.example", vec!["bob@bob.example".to_string()], true)
        );
        s.accept_message("Q1");
        assert_eq!(drain(&mut s), "250 2.0.0 OK: queued as Q1\r\n221 2.0.0 mail.bob.example closing connection\r\n");
        assert_eq!(s.poll_event(), Some(ServerEvent::Closed));
        assert_eq!(s.state(), ServerState::Closed.view());
    }

    #[test]
    fn input_split_at_every_byte_gives_the_same_replies_and_events() {
        let whole = {
            let mut s = SmtpServer::new(config(Role::Relay), 0);
            s.handle_input(0, SESSION.as_bytes());
            let ev = s.poll_event();
            s.accept_message("Q1");
            (drain(&mut s), ev, s.poll_event())
        };
        for cut in 0..=SESSION.len() {
            let mut s = SmtpServer::new(config(Role::Relay), 0);
            s.handle_input(0, &SESSION.as_bytes()[..cut]);
            s.handle_input(0, &SESSION.as_bytes()[cut..]);
            let ev = s.poll_event();
            s.accept_message("Q1");
            assert_eq!((drain(&mut s), ev, s.poll_event()), whole, "cut at {cut}");
        }
        // And one byte at a time.
        let mut s = SmtpServer::new(config(Role::Relay), 0);
        for b in SESSION.as_bytes() {
            s.handle_input(0, std::slice::from_ref(b));
        }
        let ev = s.poll_event();
        s.accept_message("Q1");
        assert_eq!((drain(&mut s), ev, s.poll_event()), whole);
    }

    #[test]
    fn sequence_errors_are_503() {
        let mut s = SmtpServer::new(config(Role::Relay), 0);
        codes(&mut s);
        s.handle_input(0, b"MAIL FROM:<a@a.example>\r\nEHLO x.example\r\nRCPT TO:<bob@bob.example>\r\nDATA\r\nMAIL FROM:<a@a.example>\r\nMAIL FROM:<a@a.example>\r\nDATA\r\n");
        assert_eq!(codes(&mut s), vec![503, 250, 503, 503, 250, 503, 554]);
    }

    #[test]
    fn recipients_are_checked_by_role() {
        let mut relay = SmtpServer::new(config(Role::Relay), 0);
        relay.handle_input(0, b"EHLO x.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<nobody@bob.example>\r\nRCPT TO:<carol@carol.example>\r\nRCPT TO:<Bob@Bob.Example>\r\n");
        let out = drain(&mut relay);
        assert!(out.contains("550 5.1.1 <nobody@bob.example>"), "{out}");
        assert!(out.contains("554 5.7.1 <carol@carol.example>: Relay access denied"), "{out}");
        assert!(out.ends_with("250 2.1.5 Recipient <Bob@Bob.Example> OK\r\n"), "{out}");
        let mut sub = SmtpServer::new(config(Role::Submission), 0);
        sub.handle_input(0, b"EHLO x.example\r\nMAIL FROM:<bob@bob.example>\r\nRCPT TO:<carol@carol.example>\r\n");
        assert_eq!(codes(&mut sub), vec![220, 250, 250, 250]);
    }

    #[test]
    fn size_limits_are_enforced() {
        let mut s = SmtpServer::new(config(Role::Relay), 0);
        s.handle_input(0, b"EHLO x.example\r\nMAIL FROM:<a@a.example> SIZE=5000\r\nMAIL FROM:<a@a.example> SIZE=500 BODY=8BITMIME\r\nRCPT TO:<bob@bob.example>\r\nDATA\r\n");
        assert_eq!(codes(&mut s), vec![220, 250, 552, 250, 250, 354]);
        let big = format!("{}\r\n.\r\n", "x".repeat(998).repeat(2).chars().collect::<String>());
        s.handle_input(0, big.as_bytes());
        let out = drain(&mut s);
        assert!(out.starts_with("552 5.3.4"), "{out}");
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.state(), ServerState::Ready.view());
    }

    #[test]
    fn an_endless_message_is_dropped_with_bounded_memory() {
        let mut s = SmtpServer::new(config(Role::Relay), 0);
        s.handle_input(0, b"EHLO x.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<bob@bob.example>\r\nDATA\r\n");
        codes(&mut s);
        let chunk = "y".repeat(999) + "\r\n";
        for _ in 0..200 {
            s.handle_input(0, chunk.as_bytes());
            assert!(s.inbuf.len() < 70 * 1024, "the buffer stays bounded");
        }
        s.handle_input(0, b"\r\n.\r\nNOOP\r\n");
        assert_eq!(codes(&mut s), vec![552, 250]);
        assert_eq!(s.poll_event(), None, "nothing was accepted");
    }

    #[test]
    fn other_commands() {
        let mut s = SmtpServer::new(config(Role::Relay), 0);
        s.handle_input(0, b"noop\r\nvrfy bob\r\nhelp\r\nhelo old.example\r\nrset\r\nbogus\r\nquit\r\nNOOP\r\n");
        assert_eq!(codes(&mut s), vec![220, 250, 252, 214, 250, 250, 500, 221]);
    }
}
