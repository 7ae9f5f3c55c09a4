//! The sending side of one SMTP connection, delivering one message (RFC 5321 §3, §4).
//!
//! Driven through [`Engine`]: `new(job)` waits for the greeting; `handle_input` feeds the
//! server's replies; `poll_transmit` gives the commands (and the mail data);
//! `poll_event` reports `TlsStarted`, `Sent` or `Failed`, then `Closed` after QUIT.
//! The client reacts to every reply: it falls back to HELO when EHLO is refused, upgrades to
//! TLS when asked to and offered (RFC 3207), logs in when it has credentials and AUTH is
//! offered (RFC 4954), names the message size when SIZE is advertised (RFC 1870), pipelines
//! MAIL/RCPT/DATA when PIPELINING is advertised and the job allows it (RFC 2920), goes on
//! with the recipients that were accepted, and quits politely after any failure.
//!
//! Replies are matched to commands through a queue of what the client is waiting for, so
//! pipelined commands and their replies line up in order.

use super::command::Command;
use super::data;
use super::reply::{self, Reply};
use crate::codec::Decoded;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use base64::Engine as _;
use std::collections::VecDeque;
use std::fmt;

/// One message to hand over: the envelope, the content, and how to go about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmtpJob {
    /// The name the client gives in EHLO.
    pub helo: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The RFC 5322 message, CRLF line endings, not dot-stuffed.
    pub message: Vec<u8>,
    /// Log in with these (user, password) when the server offers AUTH.
    pub auth: Option<(String, String)>,
    /// Use STARTTLS when the server offers it.
    pub starttls: bool,
    /// Pipeline MAIL, RCPT and DATA when the server offers PIPELINING.
    pub pipelining: bool,
}

/// What the owner learns from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server said 220 to STARTTLS: what follows is encrypted.
    TlsStarted,
    /// The server took the message (its 250 after the data) for the `accepted` recipients.
    Sent { accepted: Vec<String>, rejected: Vec<(String, Reply)>, reply: Reply },
    /// The server refused; `permanent` for a 5yz reply (bounce), else retry later.
    Failed { reply: Reply, permanent: bool, rejected: Vec<(String, Reply)> },
    /// The session is over: close the connection.
    Closed,
}

/// What the client waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    AwaitGreeting,
    AwaitEhlo,
    AwaitHelo,
    AwaitStartTls,
    AwaitAuth,
    AwaitMail,
    AwaitRcpt(usize),
    AwaitDataGo,
    AwaitDataEnd,
    AwaitQuit,
    Done,
}

/// The client's machine: [`ClientState`] in table form (same order as the enum).
pub static MACHINE: StateMachine = StateMachine {
    protocol: "SMTP",
    side: Side::Client,
    title: "SMTP dialog (client side)",
    states: &[
        st("greeting", "connected: waiting for the 220 greeting", "Connected; the server speaks first."),
        st(
            "EHLO",
            "sent EHLO: waiting for the extension list",
            "The client named itself and waits for the extensions.",
        ),
        st("HELO", "sent HELO: waiting for 250", "An old server refused EHLO: the client falls back to HELO."),
        st("STARTTLS", "sent STARTTLS: waiting for 220", "The client asked for TLS (RFC 3207)."),
        st("AUTH", "logging in (AUTH): waiting for the server", "The client sent its credentials (RFC 4954)."),
        st("MAIL", "sent MAIL FROM: waiting for 250", "The envelope sender is sent."),
        st("RCPT", "sent RCPT TO #{n}: waiting for 250", "Recipient number n is sent."),
        st("DATA", "sent DATA: waiting for 354", "The client asks to send the message."),
        st(".", "sent the message: waiting for 250", "The message and its final \".\" line are sent."),
        st("QUIT", "sent QUIT: waiting for 221", "The client ends the session."),
        st("done", "done: connection closing", "The session is over."),
    ],
    transitions: &[
        main(0, 1, "220"),
        main(1, 5, "250"),
        main(5, 6, "250"),
        main(6, 7, "250"),
        main(7, 8, "354"),
        main(8, 9, "250"),
        main(9, 10, "221"),
        side(1, 2, "500 / 502"),
        side(2, 5, "250"),
        side(1, 3, "250 (STARTTLS offered)"),
        side(3, 1, "220"),
        side(1, 4, "250 (AUTH offered)"),
        side(4, 5, "235"),
        side(6, 6, "250 (next recipient)"),
        side(6, 9, "4yz / 5yz (no recipient left)"),
        side(8, 9, "4yz / 5yz"),
        side(5, 9, "4yz / 5yz"),
    ],
};

impl ClientState {
    /// This state as a row of [`MACHINE`].
    pub fn view(self) -> StateView {
        let id = |i| StateId(i);
        match self {
            ClientState::AwaitGreeting => StateView::new(&MACHINE, id(0)),
            ClientState::AwaitEhlo => StateView::new(&MACHINE, id(1)),
            ClientState::AwaitHelo => StateView::new(&MACHINE, id(2)),
            ClientState::AwaitStartTls => StateView::new(&MACHINE, id(3)),
            ClientState::AwaitAuth => StateView::new(&MACHINE, id(4)),
            ClientState::AwaitMail => StateView::new(&MACHINE, id(5)),
            ClientState::AwaitRcpt(i) => StateView::with_n(&MACHINE, id(6), i as u64 + 1),
            ClientState::AwaitDataGo => StateView::new(&MACHINE, id(7)),
            ClientState::AwaitDataEnd => StateView::new(&MACHINE, id(8)),
            ClientState::AwaitQuit => StateView::new(&MACHINE, id(9)),
            ClientState::Done => StateView::new(&MACHINE, id(10)),
        }
    }
}

impl fmt::Display for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// The client side of one SMTP connection. See the module doc for the call order.
#[derive(Debug)]
pub struct SmtpClient {
    job: SmtpJob,
    /// Replies still owed by the server, oldest first.
    expect: VecDeque<ClientState>,
    inbuf: Vec<u8>,
    extensions: Vec<String>,
    tls: bool,
    auth_tried: bool,
    /// The transaction failed: consume the remaining pipelined replies, then QUIT.
    failure: Option<Reply>,
    accepted: Vec<String>,
    rejected: Vec<(String, Reply)>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
    /// The session ended (221 or 421 read, or the connection was closed).
    closed: bool,
}

impl Engine for SmtpClient {
    type Event = ClientEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.inbuf.extend_from_slice(bytes);
        loop {
            match reply::decode(&self.inbuf) {
                Decoded::Complete(r, n) => {
                    self.inbuf.drain(..n);
                    self.on_reply(r);
                }
                Decoded::Invalid(_, n) => {
                    // Not SMTP: give up on this server, politely.
                    self.inbuf.drain(..n);
                    self.expect.clear();
                    self.give_up(Reply::new(421, "garbled reply from server"));
                }
                Decoded::Incomplete => return,
            }
        }
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.closed = true;
        self.expect.clear();
        self.inbuf.clear();
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn state(&self) -> StateView {
        self.current().view()
    }

    fn is_closed(&self) -> bool {
        self.closed
    }
}

impl SmtpClient {
    pub fn new(job: SmtpJob) -> Self {
        SmtpClient::with_tls(job, false)
    }

    /// A client on a connection that is encrypted from the start (port 465).
    pub fn with_tls(job: SmtpJob, tls: bool) -> Self {
        SmtpClient {
            job,
            expect: VecDeque::from([ClientState::AwaitGreeting]),
            inbuf: Vec::new(),
            extensions: Vec::new(),
            tls,
            auth_tried: false,
            failure: None,
            accepted: Vec::new(),
            rejected: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            closed: false,
        }
    }

    fn current(&self) -> ClientState {
        self.expect.front().copied().unwrap_or(ClientState::Done)
    }

    fn command(&mut self, cmd: Command, expect: ClientState) {
        self.transmits.push_back(Transmit { bytes: cmd.encode(), pdu: Pdu::SmtpCommand(cmd) });
        self.expect.push_back(expect);
    }

    fn has_extension(&self, keyword: &str) -> bool {
        self.extensions.iter().any(|l| l.split(' ').next().is_some_and(|k| k.eq_ignore_ascii_case(keyword)))
    }

    fn offers_auth(&self, mechanism: &str) -> bool {
        self.extensions.iter().any(|l| {
            let mut words = l.split(' ');
            words.next().is_some_and(|k| k.eq_ignore_ascii_case("AUTH"))
                && words.any(|m| m.eq_ignore_ascii_case(mechanism))
        })
    }

    /// After the greeting (or after TLS, or after AUTH): the next step of the handshake, or
    /// the transaction.
    fn proceed(&mut self) {
        if self.job.starttls && !self.tls && self.has_extension("STARTTLS") {
            return self.command(Command::StartTls, ClientState::AwaitStartTls);
        }
        if let Some((user, pass)) = self.job.auth.clone() {
            if !self.auth_tried && self.offers_auth("PLAIN") {
                self.auth_tried = true;
                let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"));
                return self.command(
                    Command::Auth { mechanism: "PLAIN".into(), initial: Some(token) },
                    ClientState::AwaitAuth,
                );
            }
        }
        self.transaction();
    }

    fn transaction(&mut self) {
        let params = if self.has_extension("SIZE") { vec![format!("SIZE={}", self.job.message.len())] } else { vec![] };
        self.command(Command::Mail { from: self.job.mail_from.clone(), params }, ClientState::AwaitMail);
        if self.job.rcpt_to.is_empty() {
            return;
        }
        if self.job.pipelining && self.has_extension("PIPELINING") {
            // RFC 2920 §3.1: MAIL, all RCPTs and DATA in one go; DATA ends the group.
            for i in 0..self.job.rcpt_to.len() {
                self.rcpt(i);
            }
            self.command(Command::Data, ClientState::AwaitDataGo);
        }
    }

    fn pipelined(&self) -> bool {
        self.job.pipelining && self.has_extension("PIPELINING")
    }

    fn rcpt(&mut self, i: usize) {
        self.command(Command::Rcpt { to: self.job.rcpt_to[i].clone(), params: vec![] }, ClientState::AwaitRcpt(i));
    }

    /// Reports the failure and quits (after the replies still owed, if pipelined).
    fn fail(&mut self, reply: Reply) {
        if self.failure.is_none() {
            self.failure = Some(reply);
        }
        if self.expect.is_empty() {
            let reply = self.failure.take().expect("set above");
            self.give_up(reply);
        }
    }

    fn give_up(&mut self, reply: Reply) {
        let permanent = reply.is_permanent_failure();
        self.events.push_back(ClientEvent::Failed { reply, permanent, rejected: std::mem::take(&mut self.rejected) });
        self.command(Command::Quit, ClientState::AwaitQuit);
    }

    fn on_reply(&mut self, r: Reply) {
        if r.code == 421 {
            // The server is closing the connection (RFC 5321 §3.8): no QUIT, just stop.
            let waiting_for_quit = self.expect.front() == Some(&ClientState::AwaitQuit);
            self.expect.clear();
            if !waiting_for_quit {
                let reply = self.failure.take().unwrap_or(r);
                let rejected = std::mem::take(&mut self.rejected);
                self.events.push_back(ClientEvent::Failed { permanent: reply.is_permanent_failure(), reply, rejected });
            }
            self.closed = true;
            self.events.push_back(ClientEvent::Closed);
            return;
        }
        let Some(waiting) = self.expect.pop_front() else { return };
        if self.failure.is_some() && waiting != ClientState::AwaitQuit {
            // Draining the replies to commands pipelined before the failure.
            return self.fail(r);
        }
        match waiting {
            ClientState::AwaitGreeting if r.code == 220 => {
                let domain = self.job.helo.clone();
                self.command(Command::Ehlo { domain }, ClientState::AwaitEhlo);
            }
            ClientState::AwaitEhlo if r.is_positive_completion() => {
                self.extensions = r.lines.iter().skip(1).cloned().collect();
                self.proceed();
            }
            ClientState::AwaitEhlo if matches!(r.code, 500 | 502) => {
                // An old server that knows only HELO (RFC 5321 §4.1.4).
                let domain = self.job.helo.clone();
                self.command(Command::Helo { domain }, ClientState::AwaitHelo);
            }
            ClientState::AwaitHelo if r.is_positive_completion() => self.transaction(),
            ClientState::AwaitStartTls if r.code == 220 => {
                // RFC 3207 §4.2: start over with EHLO inside TLS.
                self.tls = true;
                self.extensions.clear();
                self.events.push_back(ClientEvent::TlsStarted);
                let domain = self.job.helo.clone();
                self.command(Command::Ehlo { domain }, ClientState::AwaitEhlo);
            }
            ClientState::AwaitAuth if r.code == 235 => self.transaction(),
            ClientState::AwaitMail if r.is_positive_completion() => {
                if self.job.rcpt_to.is_empty() {
                    self.fail(Reply::new(554, "no recipients to send to"));
                } else if !self.pipelined() {
                    self.rcpt(0);
                }
            }
            ClientState::AwaitRcpt(i) => {
                let to = self.job.rcpt_to[i].clone();
                if r.is_positive_completion() {
                    self.accepted.push(to);
                } else {
                    self.rejected.push((to, r.clone()));
                }
                let last = i + 1 == self.job.rcpt_to.len();
                if !self.pipelined() {
                    if !last {
                        self.rcpt(i + 1);
                    } else if self.accepted.is_empty() {
                        self.fail(r);
                    } else {
                        self.command(Command::Data, ClientState::AwaitDataGo);
                    }
                }
            }
            ClientState::AwaitDataGo if r.code == 354 => {
                if self.accepted.is_empty() {
                    // Pipelined and every recipient refused, yet the server said 354: send an
                    // empty message's end so the server gets out of DATA (RFC 2920 §3.1).
                    self.transmits
                        .push_back(Transmit { bytes: b".\r\n".to_vec(), pdu: Pdu::SmtpData { size: 0, lines: 0 } });
                    self.expect.push_back(ClientState::AwaitDataEnd);
                    let last = self
                        .rejected
                        .last()
                        .map(|(_, r)| r.clone())
                        .unwrap_or_else(|| Reply::new(554, "no valid recipients"));
                    return self.fail(last);
                }
                let bytes = data::encode(&self.job.message);
                let lines = self.job.message.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
                self.transmits
                    .push_back(Transmit { pdu: Pdu::SmtpData { size: self.job.message.len(), lines }, bytes });
                self.expect.push_back(ClientState::AwaitDataEnd);
            }
            ClientState::AwaitDataGo if self.accepted.is_empty() && !self.rejected.is_empty() => {
                // Pipelined: every recipient was refused, so DATA was too. Report the recipients' reason.
                let last = self.rejected.last().map(|(_, r)| r.clone()).expect("not empty");
                self.fail(last);
            }
            ClientState::AwaitDataEnd if r.is_positive_completion() => {
                let accepted = std::mem::take(&mut self.accepted);
                let rejected = std::mem::take(&mut self.rejected);
                self.events.push_back(ClientEvent::Sent { accepted, rejected, reply: r });
                self.command(Command::Quit, ClientState::AwaitQuit);
            }
            ClientState::AwaitQuit => {
                self.expect.clear();
                self.closed = true;
                self.events.push_back(ClientEvent::Closed);
            }
            ClientState::Done => {}
            _ => self.fail(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::server::{Role, ServerConfig, ServerEvent, SmtpServer};

    fn job(rcpts: &[&str]) -> SmtpJob {
        SmtpJob {
            helo: "mail.alice.example".into(),
            mail_from: "alice@alice.example".into(),
            rcpt_to: rcpts.iter().map(|s| s.to_string()).collect(),
            message: b"Subject: hi\r\n\r\n.leading dot\r\n".to_vec(),
            ..Default::default()
        }
    }

    fn server() -> SmtpServer {
        SmtpServer::new(ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &["bob@bob.example"]), 0)
    }

    /// Drives a client and a server against each other in memory until both are quiet.
    fn pair(job: SmtpJob) -> (Vec<ClientEvent>, Vec<ReceivedMessage>, Vec<String>) {
        pair_with(job, server())
    }

    fn pair_with(job: SmtpJob, s: SmtpServer) -> (Vec<ClientEvent>, Vec<ReceivedMessage>, Vec<String>) {
        use crate::smtp::server::ReceivedMessage as _R;
        let (mut c, mut s) = (SmtpClient::new(job), s);
        let (mut cev, mut received, mut wire) = (vec![], vec![], vec![]);
        for _ in 0..100 {
            let mut quiet = true;
            while let Some(t) = s.poll_transmit() {
                quiet = false;
                wire.push(format!("S: {}", String::from_utf8_lossy(&t.bytes)));
                c.handle_input(0, &t.bytes);
            }
            while let Some(t) = c.poll_transmit() {
                quiet = false;
                wire.push(format!("C: {}", String::from_utf8_lossy(&t.bytes)));
                s.handle_input(0, &t.bytes);
            }
            while let Some(e) = s.poll_event() {
                match e {
                    ServerEvent::MessageReceived(m) => {
                        let _: &_R = &m;
                        received.push(m);
                        s.accept_message("Q1");
                        quiet = false;
                    }
                    ServerEvent::RecipientProposed { rcpt, .. } => {
                        s.decide_recipient(
                            (rcpt == "bob@bob.example").then(|| Reply::enhanced(450, "4.2.0", "greylisted")),
                        );
                        quiet = false;
                    }
                    _ => {}
                }
            }
            while let Some(e) = c.poll_event() {
                cev.push(e);
            }
            if quiet {
                break;
            }
        }
        (cev, received, wire)
    }
    use crate::smtp::server::ReceivedMessage;

    #[test]
    fn delivers_a_message_end_to_end() {
        let (events, received, wire) = pair(job(&["bob@bob.example"]));
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].data, b"Subject: hi\r\n\r\n.leading dot\r\n");
        assert!(matches!(&events[0], ClientEvent::Sent { accepted, .. } if accepted == &["bob@bob.example"]));
        assert_eq!(events[1], ClientEvent::Closed);
        assert!(wire.iter().any(|l| l.starts_with("C: MAIL FROM:<alice@alice.example> SIZE=29")), "{wire:?}");
        assert!(wire.iter().any(|l| l == "C: Subject: hi\r\n\r\n..leading dot\r\n.\r\n"), "{wire:?}");
    }

    #[test]
    fn goes_on_with_the_accepted_recipients_and_reports_the_rest() {
        let (events, received, _) = pair(job(&["nobody@bob.example", "bob@bob.example"]));
        assert_eq!(received[0].rcpt_to, vec!["bob@bob.example"]);
        let ClientEvent::Sent { rejected, .. } = &events[0] else { panic!("{events:?}") };
        assert_eq!(rejected[0].0, "nobody@bob.example");
        assert_eq!(rejected[0].1.code, 550);
    }

    #[test]
    fn all_recipients_refused_is_a_permanent_failure() {
        let (events, received, wire) = pair(job(&["nobody@bob.example"]));
        assert!(received.is_empty());
        assert!(matches!(&events[0], ClientEvent::Failed { permanent: true, reply, .. } if reply.code == 550));
        assert!(wire.iter().any(|l| l == "C: QUIT\r\n"));
    }

    #[test]
    fn falls_back_to_helo() {
        let mut c = SmtpClient::new(job(&["bob@bob.example"]));
        c.handle_input(0, b"220 old.example\r\n");
        assert_eq!(c.poll_transmit().unwrap().bytes, b"EHLO mail.alice.example\r\n");
        c.handle_input(0, b"502 5.5.1 what?\r\n");
        assert_eq!(c.poll_transmit().unwrap().bytes, b"HELO mail.alice.example\r\n");
        c.handle_input(0, b"250 old.example\r\n");
        assert_eq!(c.poll_transmit().unwrap().bytes, b"MAIL FROM:<alice@alice.example>\r\n");
    }

    #[test]
    fn replies_split_at_every_byte_give_the_same_commands() {
        let replies = b"220 s\r\n250-s\r\n250 SIZE 100\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n";
        let run = |cut: usize| {
            let mut c = SmtpClient::new(job(&["bob@bob.example"]));
            let mut out = Vec::new();
            for part in [&replies[..cut], &replies[cut..]] {
                c.handle_input(0, part);
                while let Some(t) = c.poll_transmit() {
                    out.extend(t.bytes);
                }
            }
            (out, std::iter::from_fn(|| c.poll_event()).collect::<Vec<_>>())
        };
        let whole = run(replies.len());
        assert_eq!(whole.1.len(), 2);
        for cut in 0..replies.len() {
            assert_eq!(run(cut), whole, "cut {cut}");
        }
    }

    fn submission() -> SmtpServer {
        let mut c =
            ServerConfig::basic("mail.alice.example", Role::Submission, &["alice.example"], &["alice@alice.example"]);
        c.accounts = vec![("alice@alice.example".into(), "pw".into())];
        c.starttls = true;
        c.require_tls = true;
        SmtpServer::new(c, 0)
    }

    #[test]
    fn starttls_then_auth_then_pipelined_transaction() {
        let mut j = job(&["bob@bob.example", "carol@carol.example"]);
        j.starttls = true;
        j.auth = Some(("alice@alice.example".into(), "pw".into()));
        j.pipelining = true;
        let (events, received, wire) = pair_with(j, submission());
        let cmds: Vec<&str> =
            wire.iter().filter(|l| l.starts_with("C: ")).map(|l| l[3..].split([' ', '\r']).next().unwrap()).collect();
        assert_eq!(cmds, ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA", "Subject:", "QUIT"]);
        assert!(
            wire[2].contains("STARTTLS") && !wire[2].contains("AUTH"),
            "AUTH is offered only inside TLS: {}",
            wire[2]
        );
        assert!(wire.iter().any(|l| l.starts_with("S: 250-") && l.contains("AUTH PLAIN LOGIN")));
        assert!(wire.iter().any(|l| l == "C: AUTH PLAIN AGFsaWNlQGFsaWNlLmV4YW1wbGUAcHc=\r\n"), "{wire:?}");
        assert_eq!(events[0], ClientEvent::TlsStarted);
        assert!(matches!(&events[1], ClientEvent::Sent { accepted, .. } if accepted.len() == 2));
        assert_eq!(received[0].authenticated.as_deref(), Some("alice@alice.example"));
        assert!(received[0].tls);
    }

    #[test]
    fn wrong_password_is_a_permanent_failure() {
        let mut j = job(&["bob@bob.example"]);
        j.starttls = true;
        j.auth = Some(("alice@alice.example".into(), "wrong".into()));
        let (events, received, wire) = pair_with(j, submission());
        assert!(received.is_empty());
        assert!(wire.iter().any(|l| l.starts_with("S: 535 5.7.8")));
        assert!(
            matches!(&events[1], ClientEvent::Failed { permanent: true, reply, .. } if reply.code == 535),
            "{events:?}"
        );
        assert_eq!(wire.last().map(|l| &l[..6]), Some("S: 221"));
    }

    #[test]
    fn no_auth_on_submission_is_530() {
        let mut s =
            ServerConfig::basic("mail.alice.example", Role::Submission, &["alice.example"], &["alice@alice.example"]);
        s.accounts = vec![("alice@alice.example".into(), "pw".into())];
        let (events, _, _) = pair_with(job(&["bob@bob.example"]), SmtpServer::new(s, 0));
        assert!(matches!(&events[0], ClientEvent::Failed { reply, .. } if reply.code == 530), "{events:?}");
    }

    #[test]
    fn greylisting_is_a_transient_failure_even_when_pipelined() {
        let mut relay = ServerConfig::basic("mail.bob.example", Role::Relay, &["bob.example"], &["bob@bob.example"]);
        relay.ask_owner_about_recipients = true;
        for pipelining in [false, true] {
            let mut j = job(&["bob@bob.example"]);
            j.pipelining = pipelining;
            let (events, received, wire) = pair_with(j, SmtpServer::new(relay.clone(), 0));
            assert!(received.is_empty());
            assert!(
                matches!(&events[0], ClientEvent::Failed { permanent: false, reply, .. } if reply.code == 450),
                "{events:?} {wire:?}"
            );
            assert_eq!(wire.last().map(|l| &l[..6]), Some("S: 221"), "{wire:?}");
        }
    }

    #[test]
    fn auth_login_and_cancel_on_the_server() {
        let mut s = submission();
        s.handle_input(0, b"EHLO c\r\nSTARTTLS\r\n");
        s.handle_input(0, b"EHLO c\r\nAUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n");
        let out: Vec<String> =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8(t.bytes).unwrap()).collect();
        assert_eq!(out[out.len() - 3], "334 VXNlcm5hbWU6\r\n");
        assert_eq!(out[out.len() - 2], "334 UGFzc3dvcmQ6\r\n");
        assert_eq!(out[out.len() - 1], "235 2.7.0 Authentication successful\r\n");
        let mut s = submission();
        s.handle_input(0, b"EHLO c\r\nAUTH PLAIN\r\nSTARTTLS\r\nMAIL FROM:<x@y.example>\r\n");
        s.handle_input(0, b"EHLO c\r\nAUTH PLAIN\r\n*\r\nAUTH CRAM-MD5\r\n");
        let codes: Vec<u16> = std::iter::from_fn(|| s.poll_transmit())
            .filter_map(|t| if let Pdu::SmtpReply { reply, .. } = t.pdu { Some(reply.code) } else { None })
            .collect();
        // 538 before TLS; the MAIL pipelined behind STARTTLS is discarded (RFC 3207 §4.2).
        assert_eq!(codes, vec![220, 250, 538, 220, 250, 334, 501, 504]);
    }
}
