//! The server side of one POP3 session (RFC 1939 §3-§6).
//!
//! ```text
//! new() ──> "+OK ... ready" queued            state AUTHORIZATION
//! handle_input(bytes); poll_transmit(); poll_event()
//!   LoginRequested { user, pass }  ──> owner calls grant(maildrop) or deny(text)
//!   grant ──> state TRANSACTION
//!   QUIT in TRANSACTION ──> state UPDATE: Commit { user, deleted } ──> owner removes them
//! ```
//! A connection that drops without QUIT never reaches UPDATE: nothing is deleted.

use super::command::{self, Command};
use super::response::Response;
use crate::pdu::{Pdu, Pop3ReplyTo, Transmit};
use crate::store::{LoginError, StoredMessage};
use crate::Decoded;
use std::collections::VecDeque;
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

impl fmt::Display for Pop3State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pop3State::Authorization => "AUTHORIZATION",
            Pop3State::CheckingPassword => "AUTHORIZATION (checking password)",
            Pop3State::Transaction => "TRANSACTION",
            Pop3State::Update => "UPDATE",
            Pop3State::Closed => "closed",
        })
    }
}

/// The APOP digest (RFC 1939 §7): MD5 of the greeting's timestamp followed by the password,
/// in lower-case hex.
pub fn apop_digest(timestamp: &str, password: &str) -> String {
    use md5::{Digest, Md5};
    let d = Md5::digest(format!("{timestamp}{password}").as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3ServerEvent {
    /// Check `user`/`pass` and call [`Pop3Server::grant`] or [`Pop3Server::deny`].
    LoginRequested { user: String, pass: String },
    /// Check an APOP login: is `digest` the [`apop_digest`] of `timestamp` and the user's
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
    hostname: String,
    /// The greeting's timestamp for APOP, e.g. `<1896.697170952@dbc.mtview.ca.us>`.
    timestamp: Option<String>,
    stls: bool,
    tls: bool,
    state: Pop3State,
    inbuf: Vec<u8>,
    user: Option<String>,
    maildrop: Vec<DropMessage>,
    received: VecDeque<Transmit>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Pop3ServerEvent>,
}

impl Pop3Server {
    pub fn new(hostname: &str) -> Self {
        Self::with_options(hostname, None, false)
    }

    /// A server that offers APOP (its greeting carries `timestamp`) and, if `stls`, STLS.
    pub fn with_options(hostname: &str, timestamp: Option<String>, stls: bool) -> Self {
        let mut s = Pop3Server {
            hostname: hostname.to_string(),
            timestamp: timestamp.clone(),
            stls,
            tls: false,
            state: Pop3State::Authorization,
            inbuf: Vec::new(),
            user: None,
            maildrop: Vec::new(),
            received: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        let ts = timestamp.map(|t| format!(" {t}")).unwrap_or_default();
        s.send(Response::ok(format!("{hostname} POP3 server ready{ts}")), Pop3ReplyTo::Greeting);
        s
    }

    pub fn state(&self) -> Pop3State {
        self.state
    }

    /// The user who is logged in (or who sent USER).
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.state == Pop3State::Closed {
            return;
        }
        self.inbuf.extend_from_slice(bytes);
        self.process();
    }

    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next command read from the client (for drivers that log both directions).
    #[must_use]
    pub fn poll_received(&mut self) -> Option<Transmit> {
        self.received.pop_front()
    }

    #[must_use]
    pub fn poll_event(&mut self) -> Option<Pop3ServerEvent> {
        self.events.pop_front()
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
            Pop3ReplyTo::Pass,
        );
        self.process();
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
        self.send(Response::err(text), Pop3ReplyTo::Pass);
        self.process();
    }

    /// The peer went away. Before QUIT nothing is committed (RFC 1939 §6); the owner must
    /// still release the maildrop lock if it granted one.
    pub fn connection_lost(&mut self) {
        self.state = Pop3State::Closed;
    }

    fn send(&mut self, response: Response, to: Pop3ReplyTo) {
        self.transmits.push_back(Transmit { bytes: response.encode(), pdu: Pdu::Pop3Response { response, to } });
    }

    fn totals(&self) -> (usize, usize) {
        self.maildrop.iter().filter(|m| !m.deleted).fold((0, 0), |(n, s), m| (n + 1, s + m.data.len()))
    }

    fn process(&mut self) {
        while matches!(self.state, Pop3State::Authorization | Pop3State::Transaction) {
            match command::decode(&self.inbuf) {
                Decoded::Complete(cmd, n) => {
                    let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                    self.received.push_back(Transmit { bytes, pdu: Pdu::Pop3Command(cmd.clone()) });
                    self.on_command(cmd);
                }
                Decoded::Invalid(e, n) => {
                    let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                    let line = String::from_utf8_lossy(&bytes[..n.saturating_sub(2)]).into_owned();
                    self.received.push_back(Transmit { bytes, pdu: Pdu::Pop3Typed { line } });
                    self.send(Response::err(e.0), Pop3ReplyTo::Error);
                }
                Decoded::Incomplete => {
                    if self.inbuf.len() > 4 * super::MAX_COMMAND_LINE {
                        self.inbuf.clear();
                        self.send(Response::err("command line too long"), Pop3ReplyTo::Error);
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
            (_, Command::Capa) => {
                let stls = if self.stls && !self.tls { "STLS\r\n" } else { "" };
                Response::multi(
                    "Capability list follows",
                    format!("USER\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n{stls}IMPLEMENTATION Mailsim\r\n")
                        .into_bytes(),
                )
            }
            (Authorization, Command::Stls) if self.stls && !self.tls => {
                self.tls = true;
                self.inbuf.clear();
                self.events.push_back(Pop3ServerEvent::TlsStarted);
                Response::ok("Begin TLS negotiation")
            }
            (Authorization, Command::Stls) => {
                Response::err("STLS is not available here (not offered, or TLS is already active)")
            }
            (Authorization, Command::Apop(name, digest)) => match self.timestamp.clone() {
                None => Response::err("APOP is not offered: the greeting had no timestamp"),
                Some(timestamp) => {
                    self.user = Some(name.clone());
                    self.state = CheckingPassword;
                    self.events.push_back(Pop3ServerEvent::ApopRequested { user: name, digest, timestamp });
                    return;
                }
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
                    self.events.push_back(Pop3ServerEvent::LoginRequested { user, pass });
                    return;
                }
            },
            (Authorization, Command::Quit) => {
                self.state = Closed;
                self.events.push_back(Pop3ServerEvent::Closed);
                Response::ok(format!("{} POP3 server signing off", self.hostname))
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
                    body.extend(format!("{} {}\r\n", i + 1, m.uid).into_bytes());
                }
                Response::multi("unique-id listing follows", body)
            }
            (Transaction, Command::Uidl(Some(n))) => match self.message(n) {
                Ok(m) => Response::ok(format!("{n} {}", m.uid)),
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
                self.events.push_back(Pop3ServerEvent::Commit { user, deleted });
                self.events.push_back(Pop3ServerEvent::Closed);
                self.state = Closed;
                Response::ok(format!("{} POP3 server signing off ({summary})", self.hostname))
            }
            (Authorization, _) => Response::err("not logged in: send USER and PASS first"),
            (_, Command::User(_) | Command::Pass(_)) => Response::err("already logged in"),
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
        match crate::find_crlf(rest) {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drop_of(msgs: &[&str]) -> Vec<StoredMessage> {
        msgs.iter()
            .enumerate()
            .map(|(i, m)| StoredMessage { uid: i as u32 + 10, data: m.as_bytes().to_vec(), ..Default::default() })
            .collect()
    }

    fn out(s: &mut Pop3Server) -> String {
        let mut v = Vec::new();
        while let Some(t) = s.poll_transmit() {
            v.extend(t.bytes);
        }
        String::from_utf8(v).unwrap()
    }

    fn logged_in(msgs: &[&str]) -> Pop3Server {
        let mut s = Pop3Server::new("mail.bob.example");
        s.handle_input(b"USER bob\r\nPASS secret\r\n");
        assert_eq!(s.poll_event(), Some(Pop3ServerEvent::LoginRequested { user: "bob".into(), pass: "secret".into() }));
        s.grant(drop_of(msgs));
        out(&mut s);
        s
    }

    #[test]
    fn rfc1939_example_session() {
        let mut s = logged_in(&["From: a\r\n\r\nhello\r\n", "From: b\r\n\r\n.dot\r\n"]);
        s.handle_input(b"STAT\r\nLIST\r\nRETR 2\r\nDELE 1\r\nRETR 1\r\nLIST 1\r\nUIDL\r\nQUIT\r\n");
        let o = out(&mut s);
        assert_eq!(
            o,
            "+OK 2 35\r\n+OK 2 messages (35 octets)\r\n1 18\r\n2 17\r\n.\r\n+OK 17 octets\r\nFrom: b\r\n\r\n..dot\r\n.\r\n\
             +OK message 1 deleted\r\n-ERR message 1 already deleted\r\n-ERR message 1 already deleted\r\n\
             +OK unique-id listing follows\r\n2 11\r\n.\r\n+OK mail.bob.example POP3 server signing off (1 deleted, 1 left)\r\n"
        );
        assert_eq!(s.poll_event(), Some(Pop3ServerEvent::Commit { user: "bob".into(), deleted: vec![10] }));
        assert_eq!(s.poll_event(), Some(Pop3ServerEvent::Closed));
    }

    #[test]
    fn deletions_wait_for_quit_and_rset_undoes_them() {
        let mut s = logged_in(&["a\r\n", "b\r\n"]);
        s.handle_input(b"DELE 1\r\nRSET\r\nDELE 2\r\n");
        assert_eq!(s.poll_event(), None, "nothing is committed before QUIT");
        s.connection_lost();
        assert_eq!(s.poll_event(), None);
        assert_eq!(s.state(), Pop3State::Closed);
    }

    #[test]
    fn wrong_state_and_bad_arguments_get_err() {
        let mut s = Pop3Server::new("h");
        out(&mut s);
        s.handle_input(b"STAT\r\nPASS x\r\nRETR 1\r\nFOO\r\nCAPA\r\n");
        let o = out(&mut s);
        assert_eq!(o.matches("-ERR").count(), 4, "{o}");
        assert!(o.contains("+OK Capability list follows\r\nUSER\r\n"));
        s.handle_input(b"USER bob\r\nPASS bad\r\n");
        assert!(matches!(s.poll_event(), Some(Pop3ServerEvent::LoginRequested { .. })));
        s.deny("[AUTH] invalid user name or password");
        assert!(out(&mut s).ends_with("-ERR [AUTH] invalid user name or password\r\n"));
        assert_eq!(s.state(), Pop3State::Authorization);
    }

    #[test]
    fn top_gives_headers_and_some_lines() {
        let mut s = logged_in(&["Subject: x\r\n\r\nl1\r\nl2\r\nl3\r\n"]);
        s.handle_input(b"TOP 1 1\r\nTOP 1 0\r\n");
        assert_eq!(out(&mut s), "+OK top of message follows\r\nSubject: x\r\n\r\nl1\r\n.\r\n+OK top of message follows\r\nSubject: x\r\n\r\n.\r\n");
    }

    #[test]
    fn input_split_at_every_byte_gives_the_same_output() {
        let input = b"STAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n";
        let run = |cut: usize| {
            let mut s = logged_in(&["Subject: x\r\n\r\n.hi\r\n"]);
            s.handle_input(&input[..cut]);
            s.handle_input(&input[cut..]);
            (out(&mut s), std::iter::from_fn(|| s.poll_event()).collect::<Vec<_>>())
        };
        let whole = run(input.len());
        for cut in 0..input.len() {
            assert_eq!(run(cut), whole);
        }
    }
}

#[cfg(test)]
mod apop_tests {
    use super::*;

    /// RFC 1939 §7's example: the digest of "<1896.697170952@dbc.mtview.ca.us>tanstaaf".
    #[test]
    fn rfc1939_apop_example_and_stls() {
        assert_eq!(apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
        let mut s = Pop3Server::with_options("dbc", Some("<1896.697170952@dbc.mtview.ca.us>".into()), true);
        let greet: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert_eq!(greet, "+OK dbc POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
        s.handle_input(b"STLS\r\n");
        assert_eq!(s.poll_event(), Some(Pop3ServerEvent::TlsStarted));
        s.handle_input(b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
        assert_eq!(
            s.poll_event(),
            Some(Pop3ServerEvent::ApopRequested {
                user: "mrose".into(),
                digest: "c4c9334bac560ecc979e58001b3e22fb".into(),
                timestamp: "<1896.697170952@dbc.mtview.ca.us>".into()
            })
        );
        s.grant(vec![]);
        let out: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert!(
            out.contains("+OK Begin TLS negotiation\r\n")
                && out.ends_with("+OK mrose's maildrop has 0 messages (0 octets)\r\n"),
            "{out}"
        );
    }
}
