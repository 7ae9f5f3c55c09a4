//! The three phases of an SMTP dialog as the lecture names them: the handshake (greeting,
//! EHLO, STARTTLS, AUTH), the transfer (from MAIL FROM through the end of the data) and the
//! closure (QUIT and 221). A diagram marks where each one starts.

use super::command::{self, Command};
use crate::codec::Decoded;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Handshake,
    Transfer,
    Closure,
}

impl Phase {
    /// What a connection is in before anything opens another phase.
    pub const FIRST: Phase = Phase::Handshake;

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Handshake => "handshake",
            Phase::Transfer => "transfer",
            Phase::Closure => "closure",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The phase that a unit sent on an SMTP connection starts, if it starts one: a client's
/// `MAIL FROM` starts the transfer (RFC 5321 §3.3), its `QUIT` the closure (§4.1.1.10).
/// Anything else continues the phase the connection is in. `raw` is the whole unit as sent,
/// read with the command codec; `to_server` says which way it went.
pub fn phase_of(raw: &[u8], to_server: bool) -> Option<Phase> {
    if !to_server {
        return None;
    }
    match command::decode(raw) {
        Decoded::Complete(Command::Mail { .. }, n) if n == raw.len() => Some(Phase::Transfer),
        Decoded::Complete(Command::Quit, n) if n == raw.len() => Some(Phase::Closure),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_and_quit_open_phases_and_nothing_else_does() {
        for (raw, to_server, want) in [
            (&b"MAIL FROM:<a@a.example> SIZE=10\r\n"[..], true, Some(Phase::Transfer)),
            (b"mail from:<>\r\n", true, Some(Phase::Transfer)),
            (b"QUIT\r\n", true, Some(Phase::Closure)),
            (b"quit\r\n", true, Some(Phase::Closure)),
            (b"QUIT\r\n", false, None),
            (b"221 2.0.0 bye\r\n", false, None),
            (b"EHLO x.example\r\n", true, None),
            (b"RCPT TO:<b@b.example>\r\n", true, None),
            (b"QUIT\r\n.\r\n", true, None),
            (b"Subject: QUIT\r\n\r\nQUIT\r\n.\r\n", true, None),
            (b"quit now\r\n", true, None),
            (b"", true, None),
        ] {
            assert_eq!(phase_of(raw, to_server), want, "{:?}", String::from_utf8_lossy(raw));
        }
        assert_eq!(Phase::FIRST.to_string(), "handshake");
    }
}
