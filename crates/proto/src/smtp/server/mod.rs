//! The receiving side of one SMTP connection (RFC 5321 §4, submission per RFC 6409).
//!
//! Driven through [`Engine`](crate::engine::Engine) (see its doc for the order): `new(config, now)` queues the
//! greeting; `handle_input` feeds the client's bytes; `poll_event` reports
//! [`ServerEvent::MessageReceived`], answered with `accept_message`/`reject_message`.
//! An idle client gets `421 4.4.2` after [`ServerConfig::idle_timeout`] (RFC 5321 §4.5.3.2.7).
//! When the whole message has arrived the engine stops reading (state `Deciding`) until the
//! owner calls [`SmtpServer::accept_message`] (with the queue id it assigned) or
//! [`SmtpServer::reject_message`]; commands pipelined behind the message wait in the buffer.

//!
//! This file holds the session (state, input loop, replies); `commands` answers each
//! command, `auth` carries out AUTH PLAIN and LOGIN (RFC 4954), `config` says how the
//! server behaves.

mod auth;
mod chunking;
mod commands;
mod config;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_ext;

pub use config::{postmaster_mailbox, Role, ServerConfig, SmtpRules};

use super::command;
use super::data;
use super::reply::Reply;
use crate::codec::Decoded;
use crate::engine::{sasl_shown, Closing, Millis, Server, ServerIo};
use crate::limits::{SMTP_AUTH_LINE, SMTP_COMMAND_LINE};
use crate::pdu::{Pdu, SmtpReplyTo, Transmit};
use crate::state::{main, side, st, sub, Side, StateMachine, StateView};
use std::fmt;

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
    /// The message, dot-stuffing undone (or the BDAT chunks joined).
    pub data: Vec<u8>,
    /// MAIL FROM's parameters: BODY, SMTPUTF8, DSN's RET and ENVID.
    pub params: super::params::MailParams,
    /// Each recipient's DSN parameters (NOTIFY, ORCPT), in the order of `rcpt_to`.
    pub rcpt_params: Vec<super::params::RcptParams>,
}

impl ReceivedMessage {
    /// The DSN parameters of recipient `rcpt` (the defaults if it has none).
    pub fn rcpt_params_of(&self, rcpt: &str) -> super::params::RcptParams {
        self.rcpt_to
            .iter()
            .position(|r| r.eq_ignore_ascii_case(rcpt))
            .and_then(|i| self.rcpt_params.get(i).cloned())
            .unwrap_or_default()
    }
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
    /// Reading the octets of a BDAT chunk (RFC 3030 §2).
    Chunk,
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
        sub(
            "BDAT",
            "reading a BDAT chunk (exactly its size in octets)",
            "After BDAT n the server reads exactly n octets, then answers (RFC 3030 §2).",
            3,
        ),
    ],
    from_any: None,
    entries: &[],
    transitions: &[
        main(0, 1, "EHLO"),
        main(1, 2, "MAIL"),
        main(2, 3, "RCPT"),
        main(3, 4, "DATA"),
        main(4, 1, "final . then 250"),
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
        side(3, 9, "BDAT n"),
        side(9, 3, "250 (chunk read)"),
        side(9, 5, "BDAT n LAST: chunk read"),
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
            ServerState::Chunk => 9,
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
    /// Input, queues, idle timer and TLS: the plumbing every server shares.
    io: ServerIo<ServerEvent>,
    helo: Option<(String, bool)>,
    mail_from: String,
    rcpt_to: Vec<String>,
    mail_params: super::params::MailParams,
    rcpt_params: Vec<super::params::RcptParams>,
    /// The BDAT chunks of this transaction so far (RFC 3030 §2), joined as they arrive.
    bdat: Option<data::DataReader>,
    /// The BDAT chunk being read.
    chunk: Option<chunking::Chunk>,
    pending_rcpt_params: super::params::RcptParams,
    authenticated: Option<String>,
    auth: AuthStep,
    pending_rcpt: Option<String>,
    errors: usize,
    /// The message being received, read incrementally (O(size) over any split), and the
    /// bytes as they came (for the log), while they are within the size limit.
    data: Option<(data::DataReader, Vec<u8>)>,
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

impl Server for SmtpServer {
    type Event = ServerEvent;
    const CLOSED: ServerEvent = ServerEvent::Closed;

    fn io(&self) -> &ServerIo<ServerEvent> {
        &self.io
    }

    fn io_mut(&mut self) -> &mut ServerIo<ServerEvent> {
        &mut self.io
    }

    fn view(&self) -> StateView {
        self.state.view()
    }

    fn closed(&self) -> bool {
        self.state == ServerState::Closed
    }

    fn set_closed(&mut self) {
        self.state = ServerState::Closed;
    }

    fn process(&mut self) {
        self.read_input();
    }

    fn closing(&self, why: Closing) -> Transmit {
        closing_reply(&self.config.hostname, why)
    }
}

impl SmtpServer {
    /// The most recipients one transaction may name (RFC 5321 §4.5.3.1.8 asks for ≥ 100).
    pub const MAX_RECIPIENTS: usize = crate::limits::SMTP_MAX_RECIPIENTS;

    /// A new connection at `now`: the 220 greeting is queued for sending.
    pub fn new(config: ServerConfig, now: Millis) -> Self {
        let mut s = SmtpServer {
            io: ServerIo::new(config.idle_timeout, config.implicit_tls, now),
            state: ServerState::Greeted,
            helo: None,
            mail_from: String::new(),
            rcpt_to: Vec::new(),
            mail_params: Default::default(),
            rcpt_params: Vec::new(),
            bdat: None,
            chunk: None,
            pending_rcpt_params: Default::default(),
            authenticated: None,
            auth: AuthStep::None,
            pending_rcpt: None,
            errors: 0,
            data: None,
            config,
        };
        if s.config.rules.refuse_all {
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
        self.io.tls
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
                self.rcpt_params.push(std::mem::take(&mut self.pending_rcpt_params));
                self.state = ServerState::RcptTo;
            }
            Some(r) => self.send(r, SmtpReplyTo::Rcpt),
        }
        self.read_input();
    }

    /// Takes responsibility for the received message (RFC 5321 §4.1.1.4, §6.1): replies 250.
    pub fn accept_message(&mut self, queue_id: &str) {
        if self.state == ServerState::Deciding {
            self.send(Reply::enhanced(250, "2.0.0", format!("OK: queued as {queue_id}")), SmtpReplyTo::EndOfData);
            self.end_transaction();
            self.read_input();
        }
    }

    /// Refuses the received message with `reply` (4yz or 5yz).
    pub fn reject_message(&mut self, reply: Reply) {
        if self.state == ServerState::Deciding {
            self.send(reply, SmtpReplyTo::EndOfData);
            self.end_transaction();
            self.read_input();
        }
    }

    /// The service is stopping: `421 4.3.2` and the session ends (RFC 5321 §3.8).
    pub fn shutdown(&mut self, _now: Millis) {
        self.close_with(Closing::Shutdown);
    }

    fn send(&mut self, reply: Reply, to: SmtpReplyTo) {
        let protocol_error = (500..=504).contains(&reply.code);
        self.io.transmits.push_back(Transmit { bytes: reply.encode(), pdu: Pdu::SmtpReply { reply, to } });
        if protocol_error {
            self.errors = self.errors.saturating_add(1);
            if self.errors >= self.config.rules.max_errors {
                let r = Reply::enhanced(
                    421,
                    "4.7.0",
                    format!("{} Error: too many errors, closing connection", self.config.hostname),
                );
                self.end_with(Transmit { bytes: r.encode(), pdu: Pdu::SmtpReply { reply: r, to: SmtpReplyTo::Error } });
            }
        }
    }

    fn end_transaction(&mut self) {
        self.mail_from.clear();
        self.rcpt_to.clear();
        self.rcpt_params.clear();
        self.mail_params = Default::default();
        self.bdat = None;
        self.state = if self.helo.is_some() { ServerState::Ready } else { ServerState::Greeted };
    }

    /// How much of a message the server keeps before it drops it (and answers 552 at its
    /// end): the SIZE limit and some slack, so that a message a little over the limit is
    /// still shown whole.
    fn data_keep(&self) -> usize {
        self.config.max_message_size.saturating_add(64 * 1024)
    }

    /// A command or AUTH line with no CRLF within `limit` octets: answer `reply` and skip
    /// the rest of the line up to its CRLF (RFC 5321 §4.5.3.1.10: "500 Line too long").
    fn line_too_long(&mut self, limit: usize, reply: Reply) -> bool {
        let inbuf = &self.io.inbuf;
        if inbuf.len() < limit {
            return false;
        }
        let shown = inbuf.get(..inbuf.len().min(80)).unwrap_or_default();
        let line = format!("{}… ({} octets so far)", String::from_utf8_lossy(shown), inbuf.len());
        if !self.io.overlong(limit) {
            return false;
        }
        self.io.receive(line.clone().into_bytes(), Pdu::SmtpTyped { line });
        self.send(reply, SmtpReplyTo::Error);
        true
    }

    /// Reads commands, AUTH lines, mail data and BDAT chunks as the state says.
    fn read_input(&mut self) {
        loop {
            if !matches!(self.state, ServerState::Data | ServerState::Chunk) && self.io.skip.skip_in(&mut self.io.inbuf)
            {
                return;
            }
            match self.state {
                ServerState::Closed | ServerState::Deciding | ServerState::CheckingRecipient => return,
                ServerState::Chunk => {
                    if !self.read_chunk() {
                        return;
                    }
                }
                ServerState::Authenticating => match self.io.next_line() {
                    Some((bytes, line)) => {
                        let decoded = sasl_shown(&line);
                        self.io.receive(bytes, Pdu::SmtpAuthResponse { line: line.clone(), decoded });
                        self.on_auth_response(&line);
                    }
                    None => {
                        // RFC 4954 §4: AUTH lines may be 12,288 octets; longer is 500 5.5.6 (§6).
                        // (The reply is made only when the line is that long: this arm runs
                        // at the end of every read.)
                        if self.io.inbuf.len() >= SMTP_AUTH_LINE
                            && self.line_too_long(
                                SMTP_AUTH_LINE,
                                Reply::enhanced(500, "5.5.6", "Authentication Exchange line is too long"),
                            )
                        {
                            self.auth = AuthStep::None;
                            self.state = if self.helo.is_some() { ServerState::Ready } else { ServerState::Greeted };
                            continue;
                        }
                        return;
                    }
                },
                ServerState::Data => {
                    let keep = self.data_keep();
                    let (reader, raw) = self.data.get_or_insert_with(|| (data::DataReader::new(keep), Vec::new()));
                    let inbuf = &mut self.io.inbuf;
                    let end = reader.feed(inbuf);
                    let used = end.unwrap_or(inbuf.len());
                    if !reader.dropped() {
                        raw.extend_from_slice(inbuf.get(..used).unwrap_or_default());
                    } else {
                        *raw = Vec::new();
                    }
                    inbuf.consume(used);
                    if end.is_none() {
                        return;
                    }
                    let Some((reader, bytes)) = self.data.take() else { return };
                    if reader.dropped() {
                        self.io.receive(
                            b"(message over the size limit, dropped)\r\n.\r\n".to_vec(),
                            Pdu::SmtpData { size: 0, lines: 0 },
                        );
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
                        continue;
                    }
                    let md = reader.finish();
                    let lines = md.message.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
                    self.io.receive(bytes, Pdu::SmtpData { size: md.message.len(), lines });
                    self.on_data(md);
                }
                _ => match command::decode_received(&self.io.inbuf) {
                    Decoded::Complete(command::Command::Bdat { size, last }, n) => {
                        // The command and its chunk are one unit (logged when the chunk is read).
                        let line: Vec<u8> = self.io.inbuf.take(n);
                        self.on_bdat(size, last, line);
                    }
                    Decoded::Complete(cmd, n) => {
                        let bytes: Vec<u8> = self.io.inbuf.take(n);
                        self.io.receive(bytes, Pdu::SmtpCommand(cmd.clone()));
                        self.on_command(cmd);
                    }
                    Decoded::Invalid(e, n) => {
                        let (bytes, line) = self.io.take_line(n);
                        self.io.receive(bytes, Pdu::SmtpTyped { line });
                        self.send(Reply::enhanced(e.code, e.enhanced, e.text), SmtpReplyTo::Error);
                    }
                    Decoded::Incomplete => {
                        // A client that does not end its line: 500, and the rest of it is skipped.
                        // Every read ends here once the input is used up, so the reply is made
                        // only when the line is that long (two `format!`s a read before).
                        if self.io.inbuf.len() < SMTP_COMMAND_LINE {
                            return;
                        }
                        let text = format!(
                            "Line too long (the limit is {SMTP_COMMAND_LINE} octets, RFC 5321 section 4.5.3.1.4)"
                        );
                        if self.line_too_long(SMTP_COMMAND_LINE, Reply::enhanced(500, "5.5.2", text)) {
                            continue;
                        }
                        return;
                    }
                },
            }
        }
    }
}
