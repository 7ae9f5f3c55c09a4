//! The [`Engine`] trait: what every client and server engine offers its driver (the
//! simulated world, `mailsim serve`, a test), sans-IO in the style of quinn-proto.

use crate::pdu::Transmit;
use crate::state::StateView;

mod closing;
mod server;
mod timer;

pub use closing::Closing;
pub(crate) use server::{sasl_shown, Server, ServerIo};
pub(crate) use timer::IdleTimer;
pub use timer::{Millis, IMAP_IDLE_TIMEOUT, POP3_IDLE_TIMEOUT, SMTP_IDLE_TIMEOUT};

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

/// An [`Engine`] without its event type: what a driver needs to move bytes and time through
/// engines of different protocols held side by side (`&mut dyn Wire`). Every engine is one.
/// Events stay typed: read them from the concrete engine.
pub trait Wire {
    fn handle_input(&mut self, now: Millis, bytes: &[u8]);
    fn handle_timeout(&mut self, now: Millis);
    fn handle_close(&mut self, now: Millis);
    fn poll_transmit(&mut self) -> Option<Transmit>;
    fn poll_received(&mut self) -> Option<Transmit>;
    fn poll_timeout(&self) -> Option<Millis>;
    fn state(&self) -> StateView;
    fn is_closed(&self) -> bool;
}

impl<E: Engine> Wire for E {
    fn handle_input(&mut self, now: Millis, bytes: &[u8]) {
        Engine::handle_input(self, now, bytes)
    }
    fn handle_timeout(&mut self, now: Millis) {
        Engine::handle_timeout(self, now)
    }
    fn handle_close(&mut self, now: Millis) {
        Engine::handle_close(self, now)
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Engine::poll_transmit(self)
    }
    fn poll_received(&mut self) -> Option<Transmit> {
        Engine::poll_received(self)
    }
    fn poll_timeout(&self) -> Option<Millis> {
        Engine::poll_timeout(self)
    }
    fn state(&self) -> StateView {
        Engine::state(self)
    }
    fn is_closed(&self) -> bool {
        Engine::is_closed(self)
    }
}
