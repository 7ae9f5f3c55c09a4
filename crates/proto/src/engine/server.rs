//! What the three server engines (SMTP, POP3, IMAP) do the same way, whatever their protocol:
//! the plumbing of a session, so that each server keeps only its protocol.
//!
//! - [`ServerIo`] is the part of the session that is not the protocol's: the input buffer
//!   and the over-long line being skipped, the queues a driver drains (what was read, what
//!   to write, events), the idle timer and whether TLS is on. Each server embeds one as `io`.
//! - [`Server`] is what a server tells the plumbing about its protocol: where its state
//!   machine is closed, how it reads its input, the reply it ends a session with. Every
//!   `Server` is an [`Engine`] through the one implementation below, so the driving order
//!   (input, timeout, close, the `poll_*` queues) is written once.
//!
//! Both are `pub` only because the public [`Engine`] is implemented through them; this module
//! is private, so outside the crate they cannot be named (the sealed-trait pattern).

use super::{Closing, Engine, IdleTimer, Millis};
use crate::codec::{find_crlf, InBuf, LineSkip};
use crate::pdu::{Pdu, Transmit};
use crate::state::StateView;
use base64::Engine as _;
use std::collections::VecDeque;

/// The protocol-free part of one server session (see the module doc).
#[derive(Debug)]
pub struct ServerIo<E> {
    /// What the client sent that is not read yet (taken by a cursor: O(command) per command).
    pub(crate) inbuf: InBuf,
    /// The rest of an over-long line being skipped up to its CRLF.
    pub(crate) skip: LineSkip,
    /// What the engine read from the client, one unit (command, data, SASL line) at a time,
    /// for drivers that log both directions ([`Engine::poll_received`]).
    pub(crate) received: VecDeque<Transmit>,
    /// What to write to the client, one PDU each ([`Engine::poll_transmit`]).
    pub(crate) transmits: VecDeque<Transmit>,
    /// What the owner must know or act on ([`Engine::poll_event`]).
    pub(crate) events: VecDeque<E>,
    /// The autologout timer, from the last input.
    pub(crate) idle: IdleTimer,
    /// Whether the session is encrypted (after STARTTLS/STLS, or implicit TLS from the start).
    pub(crate) tls: bool,
}

impl<E> ServerIo<E> {
    /// A new session at `now`: nothing read or queued yet.
    pub(crate) fn new(idle_timeout: Option<Millis>, implicit_tls: bool, now: Millis) -> Self {
        ServerIo {
            inbuf: InBuf::default(),
            skip: LineSkip::default(),
            received: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            idle: IdleTimer::new(idle_timeout, now),
            tls: implicit_tls,
        }
    }

    /// Keeps a unit read from the client, with its typed meaning, for the log.
    pub(crate) fn receive(&mut self, bytes: Vec<u8>, pdu: Pdu) {
        self.received.push_back(Transmit { bytes, pdu });
    }

    /// Takes the first `n` bytes (a line through its CRLF) and its text without the CRLF
    /// (invalid UTF-8 shown as U+FFFD).
    // Out of line, as are `next_line` and `overlong`: one copy for all their callers. Inlined,
    // the engine module was 0.3 KB larger gzipped (docs/benchmarks.md, "Branch dup12").
    #[inline(never)]
    pub(crate) fn take_line(&mut self, n: usize) -> (Vec<u8>, String) {
        let bytes: Vec<u8> = self.inbuf.take(n);
        // Without its CRLF (or the bare LF that ended a refused line).
        let text = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let line = String::from_utf8_lossy(text.strip_suffix(b"\r").unwrap_or(text)).into_owned();
        (bytes, line)
    }

    /// The next whole line, if its CRLF has arrived: see [`ServerIo::take_line`].
    #[inline(never)]
    pub(crate) fn next_line(&mut self) -> Option<(Vec<u8>, String)> {
        find_crlf(&self.inbuf).map(|n| self.take_line(n))
    }

    /// A line with no CRLF within `limit` octets: drops what came of it and skips the rest up
    /// to its CRLF, so that the line after it is read afresh; `true` if so (the caller
    /// answers it as its protocol says).
    #[inline(never)]
    pub(crate) fn overlong(&mut self, limit: usize) -> bool {
        if self.inbuf.len() < limit || find_crlf(&self.inbuf).is_some() {
            return false;
        }
        self.skip.start(&self.inbuf);
        self.inbuf.clear();
        true
    }

    /// The reply that starts TLS has been queued: from here on the session is encrypted, and
    /// whatever the client pipelined behind the command is dropped, as it was sent in the
    /// clear (RFC 3207 §4.2, RFC 2595 §4, RFC 9051 §6.2.1; CVE-2011-0411). `started` is the
    /// protocol's TlsStarted event.
    pub(crate) fn start_tls(&mut self, started: E) {
        self.inbuf.clear();
        self.tls = true;
        self.events.push_back(started);
    }
}

/// A SASL response line as the log shows it: its base64 decoded, NULs as `\0` (empty if it is
/// not base64).
pub(crate) fn sasl_shown(line: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(line.trim())
        .ok()
        .map(|b| String::from_utf8_lossy(&b).replace('\0', "\\0"))
        .unwrap_or_default()
}

/// A server engine as the shared plumbing sees it: its [`ServerIo`] and the few things that
/// depend on its protocol. Implementing it makes the server an [`Engine`].
pub trait Server {
    /// What the server tells its owner.
    type Event;
    /// The event that says the session is over.
    const CLOSED: Self::Event;

    fn io(&self) -> &ServerIo<Self::Event>;
    fn io_mut(&mut self) -> &mut ServerIo<Self::Event>;

    /// Where the server stands in its protocol's state machine.
    fn view(&self) -> StateView;

    /// Whether the state machine is in its closed state.
    fn closed(&self) -> bool;

    /// Moves the state machine to its closed state (and drops what is in progress).
    fn set_closed(&mut self);

    /// Reads what the input buffer holds, as far as the protocol's state allows.
    fn process(&mut self);

    /// The reply this protocol ends a session with, for `why`.
    fn closing(&self, why: Closing) -> Transmit;

    /// Ends the session on the server's side: writes `last`, closes, tells the owner.
    /// Nothing once closed.
    fn end_with(&mut self, last: Transmit) {
        if self.closed() {
            return;
        }
        self.io_mut().transmits.push_back(last);
        self.set_closed();
        let io = self.io_mut();
        io.inbuf.clear();
        io.events.push_back(Self::CLOSED);
    }

    /// Ends the session for `why` with the protocol's reply (idle timeout, shutdown).
    fn close_with(&mut self, why: Closing) {
        if !self.closed() {
            let last = self.closing(why);
            self.end_with(last);
        }
    }
}

impl<S: Server> Engine for S {
    type Event = S::Event;

    fn handle_input(&mut self, now: Millis, bytes: &[u8]) {
        if self.closed() {
            return;
        }
        let io = self.io_mut();
        io.idle.touch(now);
        io.inbuf.extend_from_slice(bytes);
        self.process();
    }

    /// After the idle timer: the protocol's timeout reply (SMTP `421 4.4.2`, RFC 5321
    /// §4.5.3.2.7; POP3 `-ERR [SYS/TEMP]` without UPDATE, RFC 1939 §3; IMAP `* BYE
    /// Autologout`, RFC 9051 §5.4), and close.
    fn handle_timeout(&mut self, now: Millis) {
        if self.io().idle.expired(now) {
            self.close_with(Closing::IdleTimeout);
        }
    }

    /// The peer went away: closed, nothing more is sent and nothing committed (a POP3
    /// session never reaches UPDATE: the owner must still release the maildrop lock).
    fn handle_close(&mut self, _now: Millis) {
        self.set_closed();
        self.io_mut().inbuf.clear();
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.io_mut().transmits.pop_front()
    }

    /// What the engine read, one unit (command, mail data, SASL line) at a time, for drivers
    /// that log both directions (`mailsim serve`); the world knows what its client sent.
    fn poll_received(&mut self) -> Option<Transmit> {
        self.io_mut().received.pop_front()
    }

    fn poll_event(&mut self) -> Option<S::Event> {
        self.io_mut().events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        if self.closed() {
            None
        } else {
            self.io().idle.deadline()
        }
    }

    fn state(&self) -> StateView {
        self.view()
    }

    fn is_closed(&self) -> bool {
        self.closed()
    }
}
