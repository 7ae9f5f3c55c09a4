//! What POP3 commands and responses mean, for the learner.

use super::command::Command;
use super::response::{Pop3ReplyTo, Response};
use crate::explain::{ex, shorten, shortened, Explanation};

pub fn command(c: &Command) -> Explanation {
    use Command::*;
    let label = c.to_string();
    match c {
        User(u) => ex(label, format!("Names the maildrop to open ({u}). POP3 sends it in the clear unless the connection is encrypted."), "RFC 1939 §7 (USER)"),
        Pass(_) => ex(label, "Sends the password as typed: outside TLS anyone on the path can read it, which is why POP3 is run inside TLS (port 995, or after STLS) in practice.", "RFC 1939 §7 (PASS)"),
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
        Auth(None, _) => ex(label, "A bare AUTH: asks which SASL mechanisms the server offers. Not in RFC 5034 (CAPA's SASL line is the standard way), but older clients such as Outlook send it and servers answer with the list.", "RFC 5034 §4; RFC 2449 §6.9 (SASL)"),
        Auth(Some(m), initial) => {
            let how = match (m.as_str(), initial) {
                ("PLAIN", Some(_)) => " The initial response is base64 of authzid NUL user NUL password: the password is only encoded, not hidden, so PLAIN belongs inside TLS.",
                ("PLAIN", None) => " The server answers with an empty challenge \"+ \"; the client then sends base64 of authzid NUL user NUL password.",
                ("LOGIN", _) => " LOGIN asks for the user name and then the password, each as a base64 line after a \"+\" challenge.",
                _ => "",
            };
            ex(label, format!("Logs in with the SASL mechanism {m}, the standard way to add login methods to POP3.{how}"), "RFC 5034 §4; RFC 4616 (PLAIN)")
        }
        SaslResponse(line) if line == "*" => ex("*".to_string(), "The client cancels the AUTH exchange; the server answers -ERR and waits for another command.", "RFC 5034 §4"),
        SaslResponse(line) => {
            let decoded = base64_text(line).map(|t| format!(" It decodes to \"{}\".", t.replace('\0', "\\0"))).unwrap_or_default();
            ex(shorten(line, 72), format!("The client's answer to the server's SASL challenge, in base64.{decoded} Base64 is an encoding, not encryption: anyone on the wire can read it unless the connection is inside TLS."), "RFC 5034 §4")
        }
        Last => ex(label, "Asks for the highest message number accessed in this session. LAST was in RFC 1460 but RFC 1725 removed it: servers answer -ERR, and clients use UIDL to recognise messages already downloaded.", "RFC 1725 §Appendix; RFC 1939 §7 (UIDL)"),
    }
}

fn base64_text(s: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s.trim()).ok()?;
    String::from_utf8(bytes).ok().filter(|t| !t.is_empty())
}

pub fn response(r: &Response, to: Pop3ReplyTo) -> Explanation {
    use Pop3ReplyTo::*;
    if r.challenge {
        let decoded = base64_text(&r.text).map(|t| format!(" It decodes to \"{t}\".")).unwrap_or_default();
        return ex(
            shortened(r.status_line(), 72),
            format!(
                "A SASL challenge: the server waits for the client's next base64 line (or \"*\" to cancel).{decoded}"
            ),
            "RFC 5034 §4",
        );
    }
    let mut label = shortened(r.status_line(), 72);
    if let Some(body) = &r.body {
        let lines = body.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count();
        label = shortened(r.status_line(), 60) + &format!(" (+{lines} lines, .)");
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
        if r.text.starts_with("LAST is obsolete") {
            return ex(
                label,
                "-ERR: LAST was removed from POP3 by RFC 1725; the client should use UIDL instead.",
                "RFC 1725; RFC 1939 §7 (UIDL)",
            );
        }
        if r.text.contains("Plaintext authentication disallowed") {
            return ex(label, "-ERR [AUTH]: this server takes passwords only inside TLS. The client should send STLS (or connect to port 995) and log in again there.", "RFC 2595 §2.3, §4; RFC 3206 §4 (AUTH)");
        }
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
        Uidl => ("The unique-ids: one per message, never reused for another message of this maildrop, so a client that keeps mail on the server knows what it has already downloaded. Here each id is the message's UID then the mailbox's UIDVALIDITY, in hexadecimal.", "RFC 1939 §7 (UIDL)"),
        Capa => ("The list of capabilities follows, one per line.", "RFC 2449 §5"),
        Stls => ("The server is ready for TLS: the handshake starts now and the rest of the session is encrypted.", "RFC 2595 §4"),
        Auth => ("Logged in through SASL: the maildrop is locked for this session and the server is in the TRANSACTION state.", "RFC 5034 §4; RFC 1939 §5"),
        AuthChallenge => ("A SASL challenge: the server waits for the client's next base64 line.", "RFC 5034 §4"),
        AuthList => ("The SASL mechanisms this server offers, one per line (the same list as CAPA's SASL line).", "RFC 5034 §4; RFC 2449 §6.9"),
        Error | Pop3ReplyTo::Closing(_) => ("+OK", "RFC 1939 §3"),
    };
    ex(label, meaning, rfc)
}

/// A line that is not a valid POP3 command.
pub fn typed(line: &str) -> Explanation {
    ex(
        shorten(line, 72),
        "Not a valid POP3 command (unknown keyword, bad arguments, a bare LF ending); the server answers -ERR, state unchanged.",
        "RFC 1939 §3",
    )
}
