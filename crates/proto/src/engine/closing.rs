//! Why a server ends a session on its own; each protocol writes its own reply for it.

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
