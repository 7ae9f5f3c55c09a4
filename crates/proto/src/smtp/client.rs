//! The sending side of one SMTP connection, delivering one message (RFC 5321 §3, §4).
//!
//! ```text
//! new(job) ──> waits for the greeting
//! loop {
//!     handle_input(bytes)          // replies from the server, any split
//!     poll_transmit() until None   // commands (and the mail data) to send
//!     poll_event() until None      // Sent / Failed, then Closed after QUIT's reply
//! }
//! ```
//! The client reacts to every reply: it falls back to HELO when EHLO is refused, names the
//! message size when the server advertises SIZE (RFC 1870), goes on with the recipients that
//! were accepted, and quits politely after any failure.

use super::command::Command;
use super::data;
use super::reply::{self, Reply};
use crate::pdu::{Pdu, Transmit};
use crate::Decoded;
use std::collections::VecDeque;
use std::fmt;

/// One message to hand over: the envelope and the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpJob {
    /// The name the client gives in EHLO.
    pub helo: String,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The RFC 5322 message, CRLF line endings, not dot-stuffed.
    pub message: Vec<u8>,
}

/// What the owner learns from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server took the message (its 250 after the data) for the `accepted` recipients.
    Sent { accepted: Vec<String>, rejected: Vec<(String, Reply)>, reply: Reply },
    /// The server refused; `permanent` for a 5yz reply (bounce), else retry later.
    Failed { reply: Reply, permanent: bool, rejected: Vec<(String, Reply)> },
    /// The session is over: close the connection.
    Closed,
}

/// Which reply the client waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    AwaitGreeting,
    AwaitEhlo,
    AwaitHelo,
    AwaitMail,
    AwaitRcpt(usize),
    AwaitDataGo,
    AwaitDataEnd,
    AwaitQuit,
    Done,
}

impl fmt::Display for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientState::AwaitGreeting => f.write_str("connected: waiting for the 220 greeting"),
            ClientState::AwaitEhlo => f.write_str("sent EHLO: waiting for the extension list"),
            ClientState::AwaitHelo => f.write_str("sent HELO: waiting for 250"),
            ClientState::AwaitMail => f.write_str("sent MAIL FROM: waiting for 250"),
            ClientState::AwaitRcpt(i) => write!(f, "sent RCPT TO #{}: waiting for 250", i + 1),
            ClientState::AwaitDataGo => f.write_str("sent DATA: waiting for 354"),
            ClientState::AwaitDataEnd => f.write_str("sent the message: waiting for 250"),
            ClientState::AwaitQuit => f.write_str("sent QUIT: waiting for 221"),
            ClientState::Done => f.write_str("done: connection closing"),
        }
    }
}

/// The client side of one SMTP connection. See the module doc for the call order.
#[derive(Debug)]
pub struct SmtpClient {
    job: SmtpJob,
    state: ClientState,
    inbuf: Vec<u8>,
    size_advertised: bool,
    accepted: Vec<String>,
    rejected: Vec<(String, Reply)>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
}

impl SmtpClient {
    pub fn new(job: SmtpJob) -> Self {
        SmtpClient {
            job,
            state: ClientState::AwaitGreeting,
            inbuf: Vec::new(),
            size_advertised: false,
            accepted: Vec::new(),
            rejected: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn state(&self) -> ClientState {
        self.state
    }

    pub fn handle_input(&mut self, bytes: &[u8]) {
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
                    let r = Reply::new(421, "garbled reply from server");
                    self.fail(r);
                }
                Decoded::Incomplete => return,
            }
        }
    }

    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn command(&mut self, cmd: Command, next: ClientState) {
        self.transmits.push_back(Transmit { bytes: cmd.encode(), pdu: Pdu::SmtpCommand(cmd) });
        self.state = next;
    }

    fn mail(&mut self) {
        let params = if self.size_advertised { vec![format!("SIZE={}", self.job.message.len())] } else { vec![] };
        self.command(Command::Mail { from: self.job.mail_from.clone(), params }, ClientState::AwaitMail);
    }

    fn rcpt(&mut self, i: usize) {
        self.command(Command::Rcpt { to: self.job.rcpt_to[i].clone(), params: vec![] }, ClientState::AwaitRcpt(i));
    }

    fn fail(&mut self, reply: Reply) {
        let permanent = reply.is_permanent_failure();
        self.events.push_back(ClientEvent::Failed { reply, permanent, rejected: std::mem::take(&mut self.rejected) });
        self.command(Command::Quit, ClientState::AwaitQuit);
    }

    fn on_reply(&mut self, r: Reply) {
        match self.state {
            ClientState::AwaitGreeting if r.code == 220 => {
                let domain = self.job.helo.clone();
                self.command(Command::Ehlo { domain }, ClientState::AwaitEhlo);
            }
            ClientState::AwaitEhlo if r.is_positive_completion() => {
                self.size_advertised = r.lines.iter().skip(1).any(|l| l.split(' ').next().is_some_and(|k| k.eq_ignore_ascii_case("SIZE")));
                self.mail();
            }
            ClientState::AwaitEhlo if matches!(r.code, 500 | 502) => {
                // An old server that knows only HELO (RFC 5321 §4.1.4).
                let domain = self.job.helo.clone();
                self.command(Command::Helo { domain }, ClientState::AwaitHelo);
            }
            ClientState::AwaitHelo if r.is_positive_completion() => self.mail(),
            ClientState::AwaitMail if r.is_positive_completion() => {
                if self.job.rcpt_to.is_empty() {
                    self.fail(Reply::new(554, "no recipients to send to"));
                } else {
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
                if i + 1 < self.job.rcpt_to.len() {
                    self.rcpt(i + 1);
                } else if self.accepted.is_empty() {
                    self.fail(r);
                } else {
                    self.command(Command::Data, ClientState::AwaitDataGo);
                }
            }
            ClientState::AwaitDataGo if r.code == 354 => {
                let bytes = data::encode(&self.job.message);
                let lines = self.job.message.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
                self.transmits.push_back(Transmit { pdu: Pdu::SmtpData { size: self.job.message.len(), lines }, bytes });
                self.state = ClientState::AwaitDataEnd;
            }
            ClientState::AwaitDataEnd if r.is_positive_completion() => {
                let accepted = std::mem::take(&mut self.accepted);
                let rejected = std::mem::take(&mut self.rejected);
                self.events.push_back(ClientEvent::Sent { accepted, rejected, reply: r });
                self.command(Command::Quit, ClientState::AwaitQuit);
            }
            ClientState::AwaitQuit => {
                self.state = ClientState::Done;
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
        }
    }

    fn server() -> SmtpServer {
        SmtpServer::new(ServerConfig {
            hostname: "mail.bob.example".into(),
            role: Role::Relay,
            local_domains: vec!["bob.example".into()],
            local_users: vec!["bob@bob.example".into()],
            max_message_size: 10_000,
        })
    }

    /// Drives a client and a server against each other in memory until both are quiet.
    fn pair(job: SmtpJob) -> (Vec<ClientEvent>, Vec<ReceivedMessage>, Vec<String>) {
        use crate::smtp::server::ReceivedMessage as _R;
        let (mut c, mut s) = (SmtpClient::new(job), server());
        let (mut cev, mut received, mut wire) = (vec![], vec![], vec![]);
        for _ in 0..100 {
            let mut quiet = true;
            while let Some(t) = s.poll_transmit() {
                quiet = false;
                wire.push(format!("S: {}", String::from_utf8_lossy(&t.bytes)));
                c.handle_input(&t.bytes);
            }
            while let Some(t) = c.poll_transmit() {
                quiet = false;
                wire.push(format!("C: {}", String::from_utf8_lossy(&t.bytes)));
                s.handle_input(&t.bytes);
            }
            while let Some(e) = s.poll_event() {
                if let ServerEvent::MessageReceived(m) = e {
                    let _: &_R = &m;
                    received.push(m);
                    s.accept_message("Q1");
                    quiet = false;
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
        c.handle_input(b"220 old.example\r\n");
        assert_eq!(c.poll_transmit().unwrap().bytes, b"EHLO mail.alice.example\r\n");
        c.handle_input(b"502 5.5.1 what?\r\n");
        assert_eq!(c.poll_transmit().unwrap().bytes, b"HELO mail.alice.example\r\n");
        c.handle_input(b"250 old.example\r\n");
        assert_eq!(c.poll_transmit().unwrap().bytes, b"MAIL FROM:<alice@alice.example>\r\n");
    }

    #[test]
    fn replies_split_at_every_byte_give_the_same_commands() {
        let replies = b"220 s\r\n250-s\r\n250 SIZE 100\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n";
        let run = |cut: usize| {
            let mut c = SmtpClient::new(job(&["bob@bob.example"]));
            let mut out = Vec::new();
            for part in [&replies[..cut], &replies[cut..]] {
                c.handle_input(part);
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
}
