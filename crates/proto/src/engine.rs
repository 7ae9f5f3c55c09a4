//! The [`Engine`] trait: what every client and server engine offers its driver (the
//! simulated world, `mailsim serve`, a test), sans-IO in the style of quinn-proto.

use crate::pdu::Transmit;
use crate::state::StateView;

/// Milliseconds of time as the driver counts it (virtual in the world, wall-clock in
/// `serve`). Engines never read a clock: `now` is always an argument.
pub type Millis = u64;

/// One end of one connection, as a sans-IO state machine.
///
/// ## Driving order
/// ```text
/// engine = Engine::new(..., now)          // a server queues its greeting
/// loop {
///     drain: poll_received()  until None  // what it read, typed (servers; for logging)
///            poll_transmit()  until None  // bytes to write, in order, one PDU each
///            poll_event()     until None  // facts the owner acts on; the owner's answers
///                                         // (accept_message, answer_login, ...) may queue
///                                         // more: drain again until all three are empty
///     if is_closed() { close the connection; stop }
///     wait for bytes, the peer closing, or the deadline poll_timeout():
///         bytes          -> handle_input(now, bytes)
///         peer closed    -> handle_close(now); stop
///         deadline       -> handle_timeout(now)   // the engine writes its own 421 / -ERR / BYE
/// }
/// ```
/// To stop a server on purpose (the service is shutting down), call the server's
/// `shutdown(now)`, drain, and close.
///
/// `state()` may be read at any time: it is the state the learner sees, and its `Display`
/// is the text the event log stores.
pub trait Engine {
    /// What the engine tells its owner (a message arrived, a login to check, closed...).
    type Event;

    /// Bytes arrived from the peer, split anywhere.
    fn handle_input(&mut self, now: Millis, bytes: &[u8]);

    /// The deadline from [`Engine::poll_timeout`] has passed (calling it early does nothing).
    /// A server whose client has been idle too long writes its timeout reply and closes.
    fn handle_timeout(&mut self, now: Millis);

    /// The peer closed or dropped the connection. The engine sends nothing more and
    /// becomes closed; nothing is committed (a POP3 session never reaches UPDATE).
    fn handle_close(&mut self, now: Millis);

    /// The next unit to write to the peer: its exact bytes and its typed meaning.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<Transmit>;

    /// The next unit read from the peer, typed (the servers report what they read, for
    /// drivers that log both directions). By default none.
    #[must_use]
    fn poll_received(&mut self) -> Option<Transmit> {
        None
    }

    /// The next thing the owner must know or act on.
    #[must_use]
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// When [`Engine::handle_timeout`] should be called, if ever.
    #[must_use]
    fn poll_timeout(&self) -> Option<Millis> {
        None
    }

    /// Where the engine stands in its protocol's state machine.
    fn state(&self) -> StateView;

    /// The session is over: close the connection once everything is drained.
    fn is_closed(&self) -> bool;
}

/// Why a server ends a session on its own: the three replies a driver may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The client said nothing for too long (the idle timer ran out).
    IdleTimeout,
    /// The service is stopping.
    Shutdown,
    /// Too many connections: the server refuses this one in place of its greeting.
    Busy,
}

/// The idle timer of a server engine: a deadline measured from the last input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdleTimer {
    pub limit: Option<Millis>,
    pub last: Millis,
}

impl IdleTimer {
    pub fn new(limit: Option<Millis>, now: Millis) -> Self {
        IdleTimer { limit, last: now }
    }

    pub fn touch(&mut self, now: Millis) {
        self.last = self.last.max(now);
    }

    pub fn deadline(&self) -> Option<Millis> {
        self.limit.map(|l| self.last.saturating_add(l))
    }

    pub fn expired(&self, now: Millis) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }
}

/// Five minutes: RFC 5321 §4.5.3.2.7's server timeout.
pub const SMTP_IDLE_TIMEOUT: Millis = 5 * 60 * 1000;
/// Ten minutes: RFC 1939 §3's shortest allowed autologout timer.
pub const POP3_IDLE_TIMEOUT: Millis = 10 * 60 * 1000;
/// Thirty minutes: RFC 9051 §5.4's shortest allowed autologout timer after login.
pub const IMAP_IDLE_TIMEOUT: Millis = 30 * 60 * 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_timer_counts_from_the_last_input() {
        let mut t = IdleTimer::new(Some(100), 5);
        assert_eq!(t.deadline(), Some(105));
        t.touch(50);
        assert!(!t.expired(149) && t.expired(150));
        t.touch(10);
        assert_eq!(t.deadline(), Some(150), "time never goes back");
        assert_eq!(IdleTimer::new(None, 0).deadline(), None);
    }
}
