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
use super::params::{Body, Ret};
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
    /// MAIL FROM's parameters as the message came: SMTPUTF8 (sent only to a server that
    /// offers it; mail that needs it fails for a server that does not, RFC 6531 §3.2),
    /// BODY=BINARYMIME (sent with BDAT, RFC 3030 §3), RET and ENVID (to a DSN server).
    pub params: super::params::MailParams,
    /// Each recipient's NOTIFY and ORCPT (RFC 3461 §4), in the order of `rcpt_to`; passed on
    /// when the server offers DSN.
    pub rcpt_params: Vec<super::params::RcptParams>,
}

/// What the owner learns from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The server said 220 to STARTTLS: what follows is encrypted.
    TlsStarted,
    /// The server took the message (its 250 after the data) for the `accepted` recipients.
    /// `dsn`: the server offered DSN and got the NOTIFY/ORCPT parameters, so it is now the
    /// one to send delivery notifications (else the sender reports "relayed", RFC 3461 §4.2).
    Sent { accepted: Vec<String>, rejected: Vec<(String, Reply)>, reply: Reply, dsn: bool },
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
            "sending EHLO, then waiting for the extension list",
            "The client names itself and waits for the extensions.",
        ),
        st("HELO", "sending HELO, then waiting for 250", "An old server refused EHLO: the client falls back to HELO."),
        st("STARTTLS", "sending STARTTLS, then waiting for 220", "The client asks for TLS (RFC 3207)."),
        st("AUTH", "logging in (AUTH): waiting for the server", "The client sends its credentials (RFC 4954)."),
        st("MAIL", "sending MAIL FROM, then waiting for 250", "The client sends the envelope sender."),
        st("RCPT", "sending RCPT TO #{n}, then waiting for 250", "The client sends recipient number n."),
        st("DATA", "sending DATA, then waiting for 354", "The client asks to send the message."),
        st(".", "sending the message, then waiting for 250", "The client sends the message and its final \".\" line."),
        st("QUIT", "sending QUIT, then waiting for 221", "The client ends the session."),
        st("done", "done: connection closing", "The session is over."),
    ],
    from_any: None,
    entries: &[],
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
            ClientState::AwaitRcpt(i) => StateView::with_n(&MACHINE, id(6), (i as u64).saturating_add(1)),
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

    /// Whether this message needs SMTPUTF8: a non-ASCII address or header (RFC 6531 §3.2).
    fn needs_smtputf8(&self) -> bool {
        let header_end = self.job.message.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(self.job.message.len());
        !self.job.mail_from.is_ascii()
            || self.job.rcpt_to.iter().any(|r| !r.is_ascii())
            || !self.job.message.get(..header_end).unwrap_or_default().is_ascii()
    }

    /// BDAT instead of DATA: for BODY=BINARYMIME, which may not travel with DATA (RFC 3030 §3).
    fn chunked(&self) -> bool {
        self.job.params.body == Body::BinaryMime
    }

    /// Keeps only the recipients in `keep` (and their parameters), for another transaction.
    fn only_recipients(&mut self, keep: &[String]) {
        let aligned = self.job.rcpt_params.len() == self.job.rcpt_to.len();
        let (mut to, mut params) = (vec![], vec![]);
        for (i, r) in self.job.rcpt_to.iter().enumerate() {
            if keep.contains(r) {
                to.push(r.clone());
                if let Some(p) = self.job.rcpt_params.get(i).filter(|_| aligned) {
                    params.push(p.clone());
                }
            }
        }
        self.job.rcpt_to = to;
        self.job.rcpt_params = params;
    }

    fn transaction(&mut self) {
        let p = self.job.params.clone();
        if p.smtputf8 && !self.has_extension("SMTPUTF8") && self.needs_smtputf8() {
            // RFC 6531 §3.2: such mail must not go to a server without SMTPUTF8: it bounces.
            let text = "SMTPUTF8 is required, but was not offered by the host (RFC 6531 section 3.2)";
            return self.give_up(Reply::enhanced(550, "5.6.7", text));
        }
        if self.chunked() && !(self.has_extension("CHUNKING") && self.has_extension("BINARYMIME")) {
            let text =
                "BINARYMIME is required, but CHUNKING and BINARYMIME were not offered by the host (RFC 3030 section 3)";
            return self.give_up(Reply::enhanced(554, "5.6.3", text));
        }
        let mut params =
            if self.has_extension("SIZE") { vec![format!("SIZE={}", self.job.message.len())] } else { vec![] };
        match p.body {
            Body::EightBitMime if self.has_extension("8BITMIME") => params.push("BODY=8BITMIME".into()),
            Body::BinaryMime => params.push("BODY=BINARYMIME".into()),
            _ => {}
        }
        if p.smtputf8 && self.has_extension("SMTPUTF8") {
            params.push("SMTPUTF8".into());
        }
        if self.has_extension("DSN") {
            match p.ret {
                Some(Ret::Full) => params.push("RET=FULL".into()),
                Some(Ret::Hdrs) => params.push("RET=HDRS".into()),
                None => {}
            }
            if let Some(id) = &p.envid {
                params.push(format!("ENVID={}", super::params::xtext_encode(id)));
            }
        }
        self.command(Command::Mail { from: self.job.mail_from.clone(), params }, ClientState::AwaitMail);
        if self.job.rcpt_to.is_empty() {
            return;
        }
        if self.job.pipelining && self.has_extension("PIPELINING") {
            // RFC 2920 §3.1: MAIL, all RCPTs and DATA in one go; DATA ends the group.
            for i in 0..self.job.rcpt_to.len() {
                self.rcpt(i);
            }
            self.body_command();
        }
    }

    /// DATA (the message follows the 354), or the whole message as one BDAT LAST chunk.
    fn body_command(&mut self) {
        if !self.chunked() {
            return self.command(Command::Data, ClientState::AwaitDataGo);
        }
        let cmd = Command::Bdat { size: self.job.message.len() as u64, last: true };
        let mut bytes = cmd.encode();
        bytes.extend_from_slice(&self.job.message);
        self.transmits.push_back(Transmit { bytes, pdu: Pdu::SmtpCommand(cmd) });
        self.expect.push_back(ClientState::AwaitDataEnd);
    }

    fn pipelined(&self) -> bool {
        self.job.pipelining && self.has_extension("PIPELINING")
    }

    fn rcpt(&mut self, i: usize) {
        let to = self.job.rcpt_to.get(i).cloned().unwrap_or_default();
        let params = match self.job.rcpt_params.get(i) {
            Some(p) if self.has_extension("DSN") => super::params::rcpt_wire(p),
            _ => vec![],
        };
        self.command(Command::Rcpt { to, params }, ClientState::AwaitRcpt(i));
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
                let to = self.job.rcpt_to.get(i).cloned().unwrap_or_default();
                if r.is_positive_completion() {
                    self.accepted.push(to);
                } else {
                    self.rejected.push((to, r.clone()));
                }
                let next = i.saturating_add(1);
                let last = next >= self.job.rcpt_to.len();
                if !self.pipelined() {
                    if !last {
                        self.rcpt(next);
                    } else if self.accepted.is_empty() {
                        self.fail(r);
                    } else {
                        self.body_command();
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
                let mut rejected = std::mem::take(&mut self.rejected);
                // RFC 5321 §4.5.3.1.10: recipients refused because the transaction already had
                // as many as the server takes (452 4.5.3) are sent again, in a new transaction
                // on this connection. Each transaction delivers at least one, so this ends.
                let again: Vec<String> =
                    rejected.iter().filter(|(_, why)| too_many_recipients(why)).map(|(to, _)| to.clone()).collect();
                rejected.retain(|(_, why)| !too_many_recipients(why));
                let dsn = self.has_extension("DSN");
                self.events.push_back(ClientEvent::Sent { accepted, rejected, reply: r, dsn });
                if again.is_empty() {
                    self.command(Command::Quit, ClientState::AwaitQuit);
                } else {
                    self.only_recipients(&again);
                    self.transaction();
                }
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

/// 452 with the enhanced status 4.5.3: the transaction has too many recipients (RFC 5321
/// §4.5.3.1.10, RFC 3463), as opposed to 452 for lack of storage, which another transaction
/// right away would not cure.
fn too_many_recipients(r: &Reply) -> bool {
    r.code == 452 && r.lines.first().is_some_and(|l| l.starts_with("4.5.3"))
}

#[cfg(test)]
mod tests;
