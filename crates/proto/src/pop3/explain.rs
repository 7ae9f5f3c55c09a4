//! What POP3 commands and responses mean, for the learner.

use super::command::Command;
use super::response::{Pop3ReplyTo, Response};
use crate::explain::{ex, shorten, Explanation};

pub fn command(c: &Command) -> Explanation {
    use Command::*;
    let label = c.to_string();
    match c {
        User(u) => ex(label, format!("Names the maildrop to open ({u}). POP3 sends it in the clear unless the connection is encrypted."), "RFC 1939 §7 (USER)"),
        Pass(_) => ex(label, "Sends the password, in the clear: this is why POP3 is run over TLS (port 995, or STLS) in practice.", "RFC 1939 §7 (PASS)"),
        Stat => ex(label, "Asks how many messages the maildrop holds and their total size.", "RFC 1939 §5 (STAT)"),
        List(None) => ex(label, "Asks for the scan listing: each message's number and size.", "RFC 1939 §5 (LIST)"),
        List(Some(_)) => ex(label, "Asks for the size of one message.", "RFC 1939 §5 (LIST)"),
        Retr(n) => ex(label, format!("Downloads message {n}, whole."), "RFC 1939 §5 (RETR)"),
        Dele(n) => ex(label, format!("Marks message {n} as deleted. Nothing is removed yet: that happens in the UPDATE state, after QUIT."), "RFC 1939 §5 (DELE)"),
        Noop => ex(label, "Does nothing; the server answers +OK.", "RFC 1939 §5 (NOOP)"),
        Rset => ex(label, "Unmarks every message marked as deleted in this session.", "RFC 1939 §5 (RSET)"),
        Quit => ex(label, "Ends the session. In the TRANSACTION state this moves the server to UPDATE, where marked messages are really removed.", "RFC 1939 §6 (QUIT)"),
        Top(n, l) => ex(label, format!("Asks for the header of message {n} and the first {l} lines of its body."), "RFC 1939 §7 (TOP)"),
        Uidl(_) => ex(label, "Asks for the unique-id listing: stable ids that let a client remember what it already downloaded (download-and-keep).", "RFC 1939 §7 (UIDL)"),
        Capa => ex(label, "Asks which optional POP3 features the server supports.", "RFC 2449 §5"),
        Apop(..) => ex(label, "Logs in without sending the password: the digest is MD5 of the timestamp from the server's greeting followed by the password. (MD5 is weak today; TLS is the real answer.)", "RFC 1939 §7 (APOP)"),
        Stls => ex(label, "Asks to start TLS on this POP3 connection; after +OK, everything is encrypted.", "RFC 2595 §4"),
    }
}

pub fn response(r: &Response, to: Pop3ReplyTo) -> Explanation {
    use Pop3ReplyTo::*;
    let mut label = shorten(&r.status_line(), 72);
    if let Some(body) = &r.body {
        let lines = body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
        label = shorten(&r.status_line(), 60) + &format!(" (+{lines} lines, .)");
    }
    if let Pop3ReplyTo::Closing(why) = to {
        let (meaning, rfc) = match why {
            crate::engine::Closing::IdleTimeout => ("The client was idle longer than the server's autologout timer (at least 10 minutes): the server closes the connection without entering the UPDATE state, so nothing marked with DELE is removed.", "RFC 1939 §3; RFC 2449 §8 (SYS/TEMP)"),
            crate::engine::Closing::Shutdown => ("The server is shutting down and closes the connection without entering the UPDATE state: nothing marked with DELE is removed.", "RFC 1939 §3, §6; RFC 2449 §8 (SYS/TEMP)"),
            crate::engine::Closing::Busy => ("-ERR in place of the +OK greeting: the server has too many connections and refuses this one; SYS/TEMP says trying again later may work.", "RFC 1939 §4; RFC 2449 §8; RFC 3206 §4"),
        };
        return ex(label, meaning, rfc);
    }
    if !r.ok {
        let rfc = if r.text.starts_with('[') { "RFC 1939 §3; RFC 2449 §8, RFC 3206" } else { "RFC 1939 §3" };
        return ex(label, format!("-ERR: the command failed ({}). The session stays in the same state.", r.text), rfc);
    }
    let (meaning, rfc) = match to {
        Greeting if r.text.ends_with('>') => (
            "The POP3 server is ready; the session is in the AUTHORIZATION state. The <…> at the end is the APOP timestamp: a client may log in with APOP user MD5(timestamp + password) instead of sending the password with USER/PASS.",
            "RFC 1939 §4, §7 (APOP)",
        ),
        Greeting => ("The POP3 server is ready; the session is in the AUTHORIZATION state.", "RFC 1939 §4"),
        User => ("The server takes the user name and waits for PASS.", "RFC 1939 §7 (USER)"),
        Pass => ("Logged in: the maildrop is locked for this session and the server is in the TRANSACTION state.", "RFC 1939 §7 (PASS), §5"),
        Stat => ("The drop listing: number of messages, then their total size in octets.", "RFC 1939 §5 (STAT)"),
        List => ("The scan listing: one line per message (number, size in octets), ended by a line holding only \".\".", "RFC 1939 §5 (LIST)"),
        Retr => ("The whole message follows, byte-stuffed (a line starting with \".\" gets another \".\"), ended by a line holding only \".\".", "RFC 1939 §3, §5 (RETR)"),
        Dele => ("The message is marked as deleted; it will be removed at QUIT.", "RFC 1939 §5 (DELE)"),
        Noop => ("+OK: the connection is alive.", "RFC 1939 §5 (NOOP)"),
        Rset => ("Deletion marks are removed.", "RFC 1939 §5 (RSET)"),
        Quit => ("The server has applied the deletions (UPDATE state), released the maildrop and closes the connection.", "RFC 1939 §6"),
        Top => ("The header and the requested number of body lines follow.", "RFC 1939 §7 (TOP)"),
        Uidl => ("Unique ids follow.", "RFC 1939 §7 (UIDL)"),
        Capa => ("The list of capabilities follows, one per line.", "RFC 2449 §5"),
        Stls => ("The server is ready for TLS: the handshake starts now and the rest of the session is encrypted.", "RFC 2595 §4"),
        Error | Pop3ReplyTo::Closing(_) => ("+OK", "RFC 1939 §3"),
    };
    ex(label, meaning, rfc)
}

/// A line that is not a valid POP3 command.
pub fn typed(line: &str) -> Explanation {
    ex(
        shorten(line, 72),
        "A line that is not a valid POP3 command (unknown keyword or bad arguments); the server answers -ERR and stays in the same state.",
        "RFC 1939 §3",
    )
}
