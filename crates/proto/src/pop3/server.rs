//! The server side of one POP3 session (RFC 1939 §3-§6).
//!
//! Driven through [`Engine`](crate::engine::Engine) (see its doc for the order):
//! ```text
//! new(config, now) ──> "+OK ... ready" queued     state AUTHORIZATION
//!   LoginRequested { user, pass }  ──> owner calls answer_login(verdict) (grant or deny)
//!   grant ──> state TRANSACTION
//!   QUIT in TRANSACTION ──> state UPDATE: Commit { user, deleted } ──> owner removes them
//! ```
//! A connection that drops without QUIT ([`Engine::handle_close`](crate::engine::Engine::handle_close)), an idle timeout and a
//! shutdown never reach UPDATE: nothing is deleted (RFC 1939 §6), the owner only releases
//! the maildrop lock.

use super::command::{self, Command};
use super::response::Response;
use crate::codec::Decoded;
use crate::engine::{Closing, Millis, Server, ServerIo, POP3_IDLE_TIMEOUT};
use crate::pdu::{Pdu, Pop3ReplyTo, Transmit};
use crate::state::{main, side, st, sub, Side, StateId, StateMachine, StateView};
use crate::store::{LoginError, StoredMessage};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3State {
    /// Waiting for USER/PASS (RFC 1939 §4).
    Authorization,
    /// PASS received; the owner checks it.
    CheckingPassword,
    /// Logged in, maildrop locked (§5).
    Transaction,
    /// QUIT received in TRANSACTION: deletions are applied (§6).
    Update,
    Closed,
}

/// The server's machine (RFC 1939 §3): [`Pop3State`] in table form.
pub static MACHINE: StateMachine = StateMachine {
    protocol: "POP3",
    side: Side::Server,
    title: "POP3 states (RFC 1939)",
    states: &[
        st("AUTHORIZATION", "AUTHORIZATION", "The client must identify itself (USER and PASS, or APOP)."),
        sub(
            "checking",
            "AUTHORIZATION (checking password)",
            "The server checks the password and locks the maildrop.",
            0,
        ),
        st("TRANSACTION", "TRANSACTION", "Logged in: the client lists, retrieves and marks messages for deletion."),
        st("UPDATE", "UPDATE", "After QUIT: the marked messages are removed and the lock is released."),
        sub("closed", "closed", "The session is over.", 3),
    ],
    from_any: None,
    entries: &[],
    transitions: &[
        main(0, 2, "PASS"),
        main(2, 3, "QUIT"),
        side(0, 1, "PASS / APOP"),
        side(1, 2, "+OK (maildrop locked)"),
        side(1, 0, "-ERR"),
        side(3, 4, "+OK (signing off)"),
        side(0, 4, "QUIT (nothing deleted)"),
        side(2, 4, "connection lost / timeout (nothing deleted)"),
    ],
};

impl Pop3State {
    pub fn view(self) -> StateView {
        let id = match self {
            Pop3State::Authorization => 0,
            Pop3State::CheckingPassword => 1,
            Pop3State::Transaction => 2,
            Pop3State::Update => 3,
            Pop3State::Closed => 4,
        };
        StateView::new(&MACHINE, StateId(id))
    }
}

impl fmt::Display for Pop3State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// How a POP3 server behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Config {
    pub hostname: String,
    /// The greeting's timestamp for APOP, e.g. `<1896.697170952@dbc.mtview.ca.us>`; `None`:
    /// APOP is not offered.
    pub timestamp: Option<String>,
    /// Offer STLS (RFC 2595).
    pub stls: bool,
    /// The autologout timer; `None`: never. RFC 1939 §3: at least 10 minutes.
    pub idle_timeout: Option<Millis>,
    /// Passwords may be sent before TLS (USER/PASS, AUTH PLAIN and LOGIN). Off: only after
    /// STLS, as Dovecot's `disable_plaintext_auth` (RFC 2595 §2.3).
    pub plaintext_auth: bool,
    /// TLS from the first byte (port 995, RFC 8314 §3.1).
    pub implicit_tls: bool,
}

impl Pop3Config {
    /// No APOP, no STLS, the 10-minute autologout timer, passwords allowed in the clear.
    pub fn new(hostname: &str) -> Self {
        Pop3Config {
            hostname: hostname.into(),
            timestamp: None,
            stls: false,
            idle_timeout: Some(POP3_IDLE_TIMEOUT),
            plaintext_auth: true,
            implicit_tls: false,
        }
    }
}

/// The response a server sends when it ends a session on its own: an idle client, a
/// service shutting down, or (in place of the greeting) too many connections.
pub fn closing_response(why: Closing) -> Transmit {
    let response = Response::err(match why {
        Closing::IdleTimeout => "[SYS/TEMP] idle timeout, closing",
        Closing::Shutdown => "[SYS/TEMP] server shutting down",
        Closing::Busy => "[SYS/TEMP] too many connections, try again later",
    });
    Transmit { bytes: response.encode(), pdu: Pdu::Pop3Response { response, to: Pop3ReplyTo::Closing(why) } }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3ServerEvent {
    /// Check `user`/`pass` and call [`Pop3Server::grant`] or [`Pop3Server::deny`].
    LoginRequested { user: String, pass: String },
    /// Check an APOP login: is `digest` the [`super::apop::apop_digest`] of `timestamp` and the user's
    /// password? Then [`Pop3Server::grant`] or [`Pop3Server::deny`].
    ApopRequested { user: String, digest: String, timestamp: String },
    /// The +OK to STLS went out: from here on the connection is encrypted.
    TlsStarted,
    /// UPDATE state: remove these UIDs from `user`'s mailbox and release the lock.
    Commit { user: String, deleted: Vec<u32> },
    /// The session is over (after QUIT's reply or a lost connection before login).
    Closed,
}

#[derive(Debug, Clone)]
struct DropMessage {
    uid: u32,
    data: Vec<u8>,
    deleted: bool,
}

#[derive(Debug)]
pub struct Pop3Server {
    config: Pop3Config,
    state: Pop3State,
    /// Input, queues, idle timer and TLS: the plumbing every server shares.
    io: ServerIo<Pop3ServerEvent>,
    user: Option<String>,
    maildrop: Vec<DropMessage>,
    /// An AUTH exchange waiting for the client's next line.
    sasl: Option<auth::SaslStep>,
    /// What the answer to the login being checked replies to (PASS, APOP or AUTH).
    reply_to: Pop3ReplyTo,
    /// The mailbox's UIDVALIDITY: part of each UIDL unique-id when known.
    uid_validity: Option<u32>,
}

impl Server for Pop3Server {
    type Event = Pop3ServerEvent;
    const CLOSED: Pop3ServerEvent = Pop3ServerEvent::Closed;

    fn io(&self) -> &ServerIo<Pop3ServerEvent> {
        &self.io
    }

    fn io_mut(&mut self) -> &mut ServerIo<Pop3ServerEvent> {
        &mut self.io
    }

    fn view(&self) -> StateView {
        self.state.view()
    }

    fn closed(&self) -> bool {
        self.state == Pop3State::Closed
    }

    /// Closed without UPDATE: nothing is deleted (RFC 1939 §6).
    fn set_closed(&mut self) {
        self.state = Pop3State::Closed;
    }

    fn process(&mut self) {
        self.read_input();
    }

    fn closing(&self, why: Closing) -> Transmit {
        closing_response(why)
    }
}

impl Pop3Server {
    /// A new session at `now`: the greeting is queued (with the APOP timestamp if any).
    pub fn new(config: Pop3Config, now: Millis) -> Self {
        let mut s = Pop3Server {
            io: ServerIo::new(config.idle_timeout, config.implicit_tls, now),
            sasl: None,
            reply_to: Pop3ReplyTo::Pass,
            uid_validity: None,
            state: Pop3State::Authorization,
            user: None,
            maildrop: Vec::new(),
            config,
        };
        let ts = s.config.timestamp.as_ref().map(|t| format!(" {t}")).unwrap_or_default();
        let greeting = Response::ok(format!("{} POP3 server ready{ts}", s.config.hostname));
        s.send(greeting, Pop3ReplyTo::Greeting);
        s
    }

    pub fn config(&self) -> &Pop3Config {
        &self.config
    }

    /// The service is stopping: `-ERR [SYS/TEMP]` and close, without UPDATE.
    pub fn shutdown(&mut self, _now: Millis) {
        self.close_with(Closing::Shutdown);
    }

    /// The user who is logged in (or who sent USER).
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The maildrop's UIDVALIDITY (RFC 9051 §2.3.1.1), set before the login is granted: each
    /// UIDL unique-id is then the message's UID and the UIDVALIDITY in hexadecimal (Dovecot's
    /// `%08Xu%08Xv`), so ids stay the same across sessions and restarts and never come back
    /// for another message, even if the mailbox is re-created.
    pub fn set_uid_validity(&mut self, uid_validity: u32) {
        self.uid_validity = Some(uid_validity);
    }

    /// The UIDL unique-id of a message (RFC 1939 §7: 1 to 70 characters 0x21 to 0x7E).
    fn unique_id(&self, uid: u32) -> String {
        match self.uid_validity {
            Some(v) => format!("{uid:08X}{v:08X}"),
            None => uid.to_string(),
        }
    }

    /// Whether the session is encrypted (after STLS, or from the start on port 995).
    pub fn is_tls(&self) -> bool {
        self.io.tls
    }

    /// The password was right: `maildrop` is the mailbox as of now (locked for us).
    pub fn grant(&mut self, maildrop: Vec<StoredMessage>) {
        if self.state != Pop3State::CheckingPassword {
            return;
        }
        self.maildrop =
            maildrop.into_iter().map(|m| DropMessage { uid: m.uid, data: m.data, deleted: false }).collect();
        self.state = Pop3State::Transaction;
        let (n, size) = self.totals();
        let user = self.user.clone().unwrap_or_default();
        self.send(
            Response::ok(format!("{user}'s maildrop has {n} message{} ({size} octets)", plural(n))),
            self.reply_to,
        );
        self.read_input();
    }

    /// The login failed; `text` should say why (with an RFC 3206 code such as `[AUTH]`).
    /// Answers a USER/PASS or APOP login with the store's verdict: grants the maildrop, or
    /// denies with the response code a client can act on (RFC 2449 §8, RFC 3206). Returns the
    /// address logged in, if any.
    pub fn answer_login(&mut self, verdict: Result<(String, Vec<StoredMessage>), LoginError>) -> Option<String> {
        match verdict {
            Ok((address, maildrop)) => {
                self.grant(maildrop);
                Some(address)
            }
            Err(LoginError::BadCredentials) => {
                self.deny("[AUTH] invalid user name or password");
                None
            }
            Err(LoginError::InUse) => {
                self.deny("[IN-USE] maildrop is locked by another session");
                None
            }
        }
    }

    pub fn deny(&mut self, text: &str) {
        if self.state != Pop3State::CheckingPassword {
            return;
        }
        self.state = Pop3State::Authorization;
        self.user = None;
        self.send(Response::err(text), self.reply_to);
        self.read_input();
    }

    fn send(&mut self, response: Response, to: Pop3ReplyTo) {
        self.io.transmits.push_back(Transmit { bytes: response.encode(), pdu: Pdu::Pop3Response { response, to } });
    }

    fn totals(&self) -> (usize, usize) {
        self.maildrop.iter().filter(|m| !m.deleted).fold((0, 0), |(n, s), m| (n + 1, s + m.data.len()))
    }

    /// Reads commands (or an AUTH exchange's lines) while the state takes them.
    fn read_input(&mut self) {
        while matches!(self.state, Pop3State::Authorization | Pop3State::Transaction) {
            if self.io.skip.skip_in(&mut self.io.inbuf) {
                return;
            }
            if self.sasl.is_some() {
                if !self.read_sasl_line() {
                    return;
                }
                continue;
            }
            match command::decode_received(&self.io.inbuf) {
                Decoded::Complete(cmd, n) => {
                    let bytes: Vec<u8> = self.io.inbuf.take(n);
                    self.io.receive(bytes, Pdu::Pop3Command(cmd.clone()));
                    self.on_command(cmd);
                }
                Decoded::Invalid(e, n) => {
                    let (bytes, line) = self.io.take_line(n);
                    self.io.receive(bytes, Pdu::Pop3Typed { line });
                    self.send(Response::err(e.0), Pop3ReplyTo::Error);
                }
                Decoded::Incomplete => {
                    // A line with no CRLF within the limit: -ERR, and the rest of it is skipped
                    // up to its CRLF so that the next line is a fresh command.
                    let max = crate::limits::pop3_command_line();
                    if self.io.overlong(max) {
                        let text = format!("command line too long (the limit is {max} octets, RFC 2449 section 4)");
                        self.send(Response::err(text), Pop3ReplyTo::Error);
                        continue;
                    }
                    return;
                }
            }
        }
    }

    /// The message `n` (1-based) if it exists and is not marked deleted.
    fn message(&self, n: u32) -> Result<&DropMessage, Response> {
        match self.maildrop.get((n as usize).wrapping_sub(1)) {
            None => Err(Response::err(format!("no such message: there are {} in the maildrop", self.maildrop.len()))),
            Some(m) if m.deleted => Err(Response::err(format!("message {n} already deleted"))),
            Some(m) => Ok(m),
        }
    }

    fn on_command(&mut self, cmd: Command) {
        use Pop3State::*;
        let to = reply_to(&cmd);
        let response = match (self.state, cmd) {
            (_, Command::Capa) => Response::multi("Capability list follows", self.capabilities()),
            (_, Command::Last) => Response::err(
                "LAST is obsolete: RFC 1725 removed it from POP3 (1994). Use UIDL to tell which messages are new",
            ),
            (Authorization, Command::Stls) if self.config.stls && !self.io.tls => {
                // RFC 2595 §4: the session starts over inside TLS; what was sent before (a
                // USER name, pipelined commands) is forgotten.
                self.user = None;
                self.io.start_tls(Pop3ServerEvent::TlsStarted);
                Response::ok("Begin TLS negotiation")
            }
            (Authorization, Command::Stls) => {
                Response::err("STLS is not available here (not offered, or TLS is already active)")
            }
            (Authorization, Command::Apop(name, digest)) => match self.config.timestamp.clone() {
                None => Response::err("APOP is not offered: the greeting had no timestamp"),
                Some(timestamp) => {
                    self.user = Some(name.clone());
                    self.state = CheckingPassword;
                    self.reply_to = Pop3ReplyTo::Pass;
                    self.io.events.push_back(Pop3ServerEvent::ApopRequested { user: name, digest, timestamp });
                    return;
                }
            },
            (Authorization, Command::User(_)) if !self.plaintext_ok() => {
                self.refuse_plaintext().unwrap_or_else(|| Response::err("use STLS first"))
            }
            (Authorization, Command::Auth(mechanism, initial)) => match self.on_auth(mechanism, initial) {
                Some(r) => r,
                None => return,
            },
            (Authorization, Command::User(name)) => {
                let r = Response::ok(format!("{name} accepted: send PASS"));
                self.user = Some(name);
                r
            }
            (Authorization, Command::Pass(pass)) => match self.user.clone() {
                None => Response::err("send USER first"),
                Some(user) => {
                    self.state = CheckingPassword;
                    self.reply_to = Pop3ReplyTo::Pass;
                    self.io.events.push_back(Pop3ServerEvent::LoginRequested { user, pass });
                    return;
                }
            },
            (Authorization, Command::Quit) => {
                self.state = Closed;
                self.io.events.push_back(Pop3ServerEvent::Closed);
                Response::ok(format!("{} POP3 server signing off", self.config.hostname))
            }
            (Transaction, Command::Stat) => {
                let (n, size) = self.totals();
                Response::ok(format!("{n} {size}"))
            }
            (Transaction, Command::List(None)) => {
                let (n, size) = self.totals();
                let mut body = Vec::new();
                for (i, m) in self.maildrop.iter().enumerate().filter(|(_, m)| !m.deleted) {
                    body.extend(format!("{} {}\r\n", i + 1, m.data.len()).into_bytes());
                }
                Response::multi(format!("{n} message{} ({size} octets)", plural(n)), body)
            }
            (Transaction, Command::List(Some(n))) => match self.message(n) {
                Ok(m) => Response::ok(format!("{n} {}", m.data.len())),
                Err(e) => e,
            },
            (Transaction, Command::Uidl(None)) => {
                let mut body = Vec::new();
                for (i, m) in self.maildrop.iter().enumerate().filter(|(_, m)| !m.deleted) {
                    body.extend(format!("{} {}\r\n", i + 1, self.unique_id(m.uid)).into_bytes());
                }
                Response::multi("unique-id listing follows", body)
            }
            (Transaction, Command::Uidl(Some(n))) => match self.message(n) {
                Ok(m) => Response::ok(format!("{n} {}", self.unique_id(m.uid))),
                Err(e) => e,
            },
            (Transaction, Command::Retr(n)) => match self.message(n) {
                Ok(m) => Response::multi(format!("{} octets", m.data.len()), m.data.clone()),
                Err(e) => e,
            },
            (Transaction, Command::Top(n, lines)) => match self.message(n) {
                Ok(m) => Response::multi("top of message follows", top(&m.data, lines as usize)),
                Err(e) => e,
            },
            (Transaction, Command::Dele(n)) => match self.message(n) {
                Ok(_) => {
                    self.maildrop[n as usize - 1].deleted = true;
                    Response::ok(format!("message {n} deleted"))
                }
                Err(e) => e,
            },
            (Transaction, Command::Noop) => Response::ok(""),
            (Transaction, Command::Rset) => {
                self.maildrop.iter_mut().for_each(|m| m.deleted = false);
                let (n, size) = self.totals();
                Response::ok(format!("maildrop has {n} message{} ({size} octets)", plural(n)))
            }
            (Transaction, Command::Quit) => {
                self.state = Update;
                let deleted: Vec<u32> = self.maildrop.iter().filter(|m| m.deleted).map(|m| m.uid).collect();
                let left = self.maildrop.len() - deleted.len();
                let user = self.user.clone().unwrap_or_default();
                let summary = match (deleted.len(), left) {
                    (_, 0) => "maildrop empty".to_string(),
                    (d, l) => format!("{d} deleted, {l} left"),
                };
                self.io.events.push_back(Pop3ServerEvent::Commit { user, deleted });
                self.io.events.push_back(Pop3ServerEvent::Closed);
                self.state = Closed;
                Response::ok(format!("{} POP3 server signing off ({summary})", self.config.hostname))
            }
            (Authorization, _) => Response::err("not logged in: send USER and PASS first"),
            (_, Command::User(_) | Command::Pass(_) | Command::Apop(..) | Command::Auth(..)) => {
                Response::err("already logged in")
            }
            _ => Response::err("command not valid in this state"),
        };
        self.send(response, to);
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The header, the blank line and the first `lines` lines of the body (RFC 1939 §7 TOP).
fn top(data: &[u8], lines: usize) -> Vec<u8> {
    let split = data.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4).unwrap_or(data.len());
    let mut out = data[..split].to_vec();
    let mut rest = &data[split..];
    for _ in 0..lines {
        match crate::codec::find_crlf(rest) {
            Some(n) => {
                out.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
            }
            None => {
                out.extend_from_slice(rest);
                break;
            }
        }
    }
    out
}

fn reply_to(cmd: &Command) -> Pop3ReplyTo {
    match cmd {
        Command::User(_) => Pop3ReplyTo::User,
        Command::Pass(_) => Pop3ReplyTo::Pass,
        Command::Stat => Pop3ReplyTo::Stat,
        Command::List(_) => Pop3ReplyTo::List,
        Command::Retr(_) => Pop3ReplyTo::Retr,
        Command::Dele(_) => Pop3ReplyTo::Dele,
        Command::Noop => Pop3ReplyTo::Noop,
        Command::Rset => Pop3ReplyTo::Rset,
        Command::Quit => Pop3ReplyTo::Quit,
        Command::Top(..) => Pop3ReplyTo::Top,
        Command::Uidl(_) => Pop3ReplyTo::Uidl,
        Command::Capa => Pop3ReplyTo::Capa,
        Command::Apop(..) => Pop3ReplyTo::Pass,
        Command::Stls => Pop3ReplyTo::Stls,
        Command::Auth(None, _) => Pop3ReplyTo::AuthList,
        Command::Auth(..) | Command::SaslResponse(_) => Pop3ReplyTo::Auth,
        Command::Last => Pop3ReplyTo::Error,
    }
}

mod auth;
#[cfg(test)]
mod tests;
