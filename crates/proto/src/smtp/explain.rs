//! What SMTP commands and replies mean, for the learner: one arm per command and per
//! (command answered, reply code).

use super::command::Command;
use super::reply::{Reply, SmtpReplyTo};
use crate::explain::{ex, shorten, shortened, Explanation};

pub fn command(c: &Command) -> Explanation {
    let label = shortened(c.to_string(), 72);
    match c {
        Command::Ehlo { domain } => ex(label, format!("The client greets the server, names itself ({domain}) and asks which SMTP service extensions the server supports. This is the handshake phase."), "RFC 5321 §4.1.1.1"),
        Command::Helo { domain } => ex(label, format!("The client greets the server and names itself ({domain}), the old way: no extensions will be used."), "RFC 5321 §4.1.1.1"),
        Command::Mail { from, params } => {
            let who = if from.is_empty() { "the null sender <> (used by bounces, so that a bounce never bounces)".to_string() } else { format!("<{from}>") };
            let extra: String = params.iter().map(|p| format!(" {}", mail_param(p))).collect();
            let key = |k: &str| params.iter().any(|p| p.split('=').next().is_some_and(|x| x.eq_ignore_ascii_case(k)));
            let rfc = match (key("SMTPUTF8"), key("RET") || key("ENVID"), key("BODY")) {
                (false, false, false) => "RFC 5321 §4.1.1.2",
                (true, false, _) => "RFC 5321 §4.1.1.2; RFC 6531 §3.4",
                (false, true, _) => "RFC 5321 §4.1.1.2; RFC 3461 §4.3, §4.4",
                (true, true, _) => "RFC 5321 §4.1.1.2; RFC 6531 §3.4; RFC 3461 §4.3, §4.4",
                (false, false, true) => "RFC 5321 §4.1.1.2; RFC 6152; RFC 3030 §3",
            };
            ex(label, format!("Starts a mail transaction (the transfer phase). The envelope sender is {who}: the address bounces go to, which may differ from the From: header.{extra}"), rfc)
        }
        Command::Rcpt { to, params } => {
            let extra: String = params.iter().map(|p| format!(" {}", rcpt_param(p))).collect();
            let rfc = if params.is_empty() { "RFC 5321 §4.1.1.3" } else { "RFC 5321 §4.1.1.3; RFC 3461 §4.1, §4.2" };
            ex(label, format!("Names one envelope recipient, <{to}>. The server delivers to the RCPT TO addresses, not to the To: header; Cc and Bcc recipients are RCPT TO lines too.{extra}"), rfc)
        }
        Command::Bdat { size, last } => {
            let end = if *last { " LAST says this is the final chunk: after it the message is complete and the server answers as it would after DATA's final \".\"." } else { " More chunks follow (only the one marked LAST ends the message)." };
            ex(label, format!("CHUNKING: the next {size} octets are a chunk of the message, sent right after this line. Nothing marks the end: the size does, so there is no dot-stuffing and no scanning for CRLF.CRLF, and binary data (BODY=BINARYMIME) can travel as is.{end} The server answers each chunk only after reading all of it. At a terminal, the next line you type is the chunk, sent as typed: its CRLF counts only if the size is the typed length + 2; BDAT 0 has no chunk line."), "RFC 3030 §2, §3")
        }
        Command::Data => ex(label, "Asks to send the message itself (header and body).", "RFC 5321 §4.1.1.4"),
        Command::Rset => ex(label, "Aborts the current mail transaction: sender and recipients are forgotten.", "RFC 5321 §4.1.1.5"),
        Command::Vrfy { .. } => ex(label, "Asks whether a user or mailbox exists. Most servers no longer say, to keep spammers from harvesting addresses.", "RFC 5321 §4.1.1.6, §3.5.3"),
        Command::Help { .. } => ex(label, "Asks the server for help text.", "RFC 5321 §4.1.1.8"),
        Command::Noop => ex(label, "Does nothing except get a 250 reply: used to keep a connection alive or check it.", "RFC 5321 §4.1.1.9"),
        Command::Quit => ex(label, "Asks the server to close the session: the closure phase.", "RFC 5321 §4.1.1.10"),
        Command::StartTls => ex(label, "Asks to turn this connection into a TLS connection. After the server's 220 both sides run the TLS handshake, and everything that follows is encrypted.", "RFC 3207 §4"),
        Command::Auth { mechanism, initial } => {
            let how = match (mechanism.as_str(), initial) {
                ("PLAIN", Some(i)) => {
                    use base64::Engine as _;
                    let decoded = base64::engine::general_purpose::STANDARD.decode(i).ok().map(|b| String::from_utf8_lossy(&b).replace('\0', "\\0")).unwrap_or_default();
                    format!(" The argument is base64 of \"{decoded}\" (authorization identity, user, password, separated by NUL bytes): anyone who can read these bytes has the password, which is why AUTH belongs inside TLS.")
                }
                ("LOGIN", _) => " LOGIN asks for the user name and the password one after the other, each in base64.".to_string(),
                _ => String::new(),
            };
            ex(label, format!("The client logs in with the {mechanism} mechanism, so that the server knows whose mail this is.{how}"), "RFC 4954 §4; RFC 4616")
        }
    }
}

/// What one MAIL FROM parameter asks for.
fn mail_param(p: &str) -> String {
    let (key, value) = p.split_once('=').unwrap_or((p, ""));
    match key.to_ascii_uppercase().as_str() {
        "SIZE" => format!("{p} announces the message size so the server can refuse it before it is sent (RFC 1870)."),
        "BODY" if value.eq_ignore_ascii_case("BINARYMIME") => format!("{p}: the message may hold binary data, so it must travel in BDAT chunks, never with DATA (RFC 3030 §3)."),
        "BODY" => format!("{p} says whether the body holds 8-bit octets (RFC 6152)."),
        "SMTPUTF8" => "SMTPUTF8: addresses and header fields of this message may be UTF-8 (internationalized email); without it a non-ASCII address is refused with 553 5.6.7 (RFC 6531 §3.4, §3.7.4.1).".into(),
        "RET" => format!("{p}: if a delivery status notification is sent, it returns {} (RFC 3461 §4.3).", if value.eq_ignore_ascii_case("HDRS") { "only the message's header" } else { "the whole message" }),
        "ENVID" => format!("{p}: the sender's own identifier for this message, copied into every DSN as Original-Envelope-Id (RFC 3461 §4.4)."),
        _ => format!("{p} is a parameter of an extension (RFC 5321 §4.1.1.11)."),
    }
}

/// What one RCPT TO parameter asks for.
fn rcpt_param(p: &str) -> String {
    let (key, value) = p.split_once('=').unwrap_or((p, ""));
    match key.to_ascii_uppercase().as_str() {
        "NOTIFY" if value.eq_ignore_ascii_case("NEVER") => format!("{p}: send no delivery status notification for this recipient, not even a bounce (RFC 3461 §4.1)."),
        "NOTIFY" => format!("{p}: send a delivery status notification (DSN) to the sender when delivery to this recipient succeeds (SUCCESS), fails (FAILURE) or is delayed (DELAY) (RFC 3461 §4.1)."),
        "ORCPT" => format!("{p}: the recipient's original address, as the sender wrote it, kept for the DSN's Original-Recipient field even if the address is rewritten on the way (RFC 3461 §4.2)."),
        _ => format!("{p} is a parameter of an extension (RFC 5321 §4.1.1.11)."),
    }
}

pub fn reply(r: &Reply, to: SmtpReplyTo) -> Explanation {
    let first = r.lines.first().cloned().unwrap_or_default();
    let mut label = shortened(format!("{} {first}", r.code), 72);
    if r.lines.len() > 1 {
        label =
            shortened(format!("{} {first}", r.code), 60) + &format!(" (+{} lines)", r.lines.len().saturating_sub(1));
    }
    use SmtpReplyTo::*;
    let positive = r.is_positive_completion();
    let (meaning, rfc): (String, &str) = match (to, r.code) {
        (SmtpReplyTo::Closing(crate::engine::Closing::IdleTimeout), _) => ("The client said nothing for too long: the server gives up with 421 (4.4.2, a timeout) and closes the connection. A server waits at least 5 minutes for each command.".into(), "RFC 5321 §4.5.3.2.7, §3.8"),
        (SmtpReplyTo::Closing(crate::engine::Closing::Shutdown), _) => ("The server is shutting down: 421 (4.3.2) tells the client to stop at once. A sending server keeps its message queued and tries again later.".into(), "RFC 5321 §3.8, §4.2.3; RFC 3463"),
        (SmtpReplyTo::Closing(crate::engine::Closing::Busy), _) => ("The server has too many connections and refuses this one in place of the greeting: 421 (4.7.0), try again later.".into(), "RFC 5321 §3.1, §4.2.3"),
        (Help, 211) => ("A system status reply: information about the server, for a human reader.".into(), "RFC 5321 §4.2.2, §4.2.3"),
        (Rcpt, 251) => ("The user has moved and this server will forward the message to the new address itself.".into(), "RFC 5321 §3.4, §4.2.2"),
        (Rcpt, 551) => ("The user has moved; this server will not forward, but says where to send instead. The client must try the new address itself.".into(), "RFC 5321 §3.4, §4.2.2"),
        (Rcpt, 556) => ("The recipient's domain publishes a null MX: it accepts no mail at all, so the server refuses at once (5.1.10).".into(), "RFC 7505 §4.3; RFC 7504"),
        (Mail, 452) => ("The declared SIZE fits under the server's fixed limit but there is not enough free storage for it right now: \"452 insufficient system storage\" (4.3.1), a transient failure. The client sends RSET or QUIT and tries again later; a size over the fixed limit would be 552 instead, for good.".into(), "RFC 1870 §6.1, §6.2; RFC 5321 §4.2.2"),
        (Rcpt, 455) | (Mail, 455) => ("The server knows the parameter but cannot accommodate it right now (in Mailsim: NOTIFY=SUCCESS on a server short of disk): a transient failure, try later or without it. 455 is for a parameter whose own definition names no other code; SIZE's does (452, RFC 1870 §6.1), DSN's NOTIFY's does not (RFC 3461).".into(), "RFC 5321 §4.1.1.11, §4.2.3"),
        (Mail, 523) => ("Encryption needed: this server takes mail only over TLS, so the client must send STARTTLS first (5.7.10).".into(), "RFC 5248 §2.4; RFC 3207"),
        (Auth, 432) => ("The credentials were right, but the account must change its password before it may log in (4.7.12).".into(), "RFC 4954 §6"),
        (Auth, 454) => ("A temporary authentication failure: try again later (4.7.0).".into(), "RFC 4954 §6"),
        (StartTls, 454) => ("TLS is offered but cannot start right now: the client may continue without it, or try later.".into(), "RFC 3207 §4"),
        (Greeting, 521) | (Error, 521) => ("This host does not accept mail at all: every command but QUIT gets 521 (5.3.2).".into(), "RFC 7504 §3"),
        (_, 421) => ("The server is closing the connection (here: too many errors). A 421 can answer any command; the client must stop.".into(), "RFC 5321 §3.8, §4.2.3"),
        (EndOfData, 451) => ("The server hit a local error (it could not store the message): a transient failure, the sender keeps the message and retries.".into(), "RFC 5321 §4.2.3"),
        (Greeting, 220) => ("The server is ready: an SMTP session opens with a 220 greeting that names the server (the start of the handshake).".into(), "RFC 5321 §4.2, §3.1"),
        (Greeting, _) => ("The server refuses service on this connection; the client should QUIT.".into(), "RFC 5321 §3.1"),
        (Ehlo, 250) => {
            let exts: Vec<&str> = r.lines.iter().skip(1).map(|l| l.split(' ').next().unwrap_or("")).collect();
            let newer = exts.iter().any(|e| ["DSN", "SMTPUTF8", "CHUNKING"].contains(e));
            let more = if newer { " SMTPUTF8 = internationalized addresses and header fields (RFC 6531); CHUNKING = the BDAT command and BINARYMIME = binary bodies (RFC 3030); DSN = delivery status notifications on request (RFC 3461); ENHANCEDSTATUSCODES = a code like 5.1.1 after each reply code (RFC 2034, 3463)." } else { "" };
            let rfc = if newer { "RFC 5321 §4.1.1.1; RFC 1870, 2920, 6152, 2034, 6531 §3.2, 3030 §2-3, 3461 §4" } else { "RFC 5321 §4.1.1.1; RFC 1870, 2920, 6152, 2034" };
            (format!("The server greets the client and lists the extensions it supports, one per line: {}.{more}", exts.join(", ")), rfc)
        }
        (Bdat, 250) => ("The chunk was read whole and kept; the client may send the next one.".into(), "RFC 3030 §2"),
        (Bdat, 503) => ("Bad sequence: BDAT needs MAIL FROM and at least one accepted RCPT TO first, and DATA and BDAT may not be mixed in one transaction. The server still read the chunk (and threw it away), so the session stays in step.".into(), "RFC 3030 §2; RFC 5321 §4.3.2"),
        (Bdat, c) if c >= 400 => ("The chunk was read (a server must read the whole chunk before it answers) and the message is refused: the transaction is over, further chunks are read and thrown away.".into(), "RFC 3030 §2, §4.2"),
        (Mail, 553) | (Rcpt, 553) if first.starts_with("5.6.7") => ("The address is not US-ASCII, but the client did not say SMTPUTF8 on MAIL FROM: refused (5.6.7, non-ASCII addresses not permitted). With SMTPUTF8 the same address is accepted.".into(), "RFC 6531 §3.4, §3.7.4.1; RFC 5248"),
        (Data, 503) if first.contains("BDAT") || first.contains("BINARYMIME") => ("DATA cannot be used here: the transaction already sent BDAT chunks, or announced BODY=BINARYMIME, which may travel only in BDAT chunks.".into(), "RFC 3030 §2, §3"),
        (Helo, 250) => ("The server accepts the greeting; without EHLO no extensions are used.".into(), "RFC 5321 §4.1.1.1"),
        (Mail, 250) => ("The server accepts the envelope sender: a new mail transaction is open.".into(), "RFC 5321 §4.1.1.2"),
        (Mail, 552) => ("The announced size is above the server's fixed limit: the message is refused for good before it is sent (5.3.4). Tables that list \"554 Message too big for system\" quote RFC 4468's example reply to BURL (a message fetched from an IMAP server); that phrase is the title of the enhanced code 5.3.4 (RFC 3463), and for SIZE= or DATA the reply code is 552, \"exceeded storage allocation\".".into(), "RFC 1870 §6.1, §6.2; RFC 5321 §4.2.2; RFC 3463 §3.4; RFC 4468 §6"),
        (Rcpt, 250) => ("The server accepts this recipient: it will deliver to that mailbox or relay towards it.".into(), "RFC 5321 §4.1.1.3"),
        (Rcpt, 550) if first.starts_with("5.1.2") => ("The recipient's domain does not exist in DNS: a permanent failure for this recipient (5.1.2, bad destination system address). Other recipients are not affected.".into(), "RFC 5321 §5.1, §4.2.2; RFC 3463 §3.2"),
        (Rcpt, 550) => ("No such mailbox here: a permanent failure for this recipient (5.1.1). Other recipients are not affected.".into(), "RFC 5321 §4.2.2, §3.3; RFC 3463"),
        (Rcpt, 554) => ("The server will not relay: it accepts mail only for its own domains from unauthenticated clients (5.7.1).".into(), "RFC 5321 §3.6.2, §4.2.2"),
        (Rcpt, c) if (400..500).contains(&c) => ("A transient failure for this recipient: the client should try again later.".into(), "RFC 5321 §4.2.1, §4.5.4.1"),
        (Data, 354) => ("Go ahead: the server waits for the message and will read until a line holding only \".\".".into(), "RFC 5321 §4.1.1.4"),
        (EndOfData, 250) => ("The server has taken responsibility for the message: from now on it must deliver it or send a bounce. The transaction is over.".into(), "RFC 5321 §4.1.1.4, §6.1"),
        (EndOfData, 552) => ("The message is larger than the server accepts: refused for good (5.3.4, \"Message too big for system\" is the enhanced code's title; the reply code is 552, \"exceeded storage allocation\").".into(), "RFC 5321 §4.2.2, §4.5.3.1.10; RFC 1870 §6.2; RFC 3463 §3.4"),
        (EndOfData, c) if c >= 500 => ("The server refuses the message permanently: the sender's server will bounce it.".into(), "RFC 5321 §4.2.1"),
        (EndOfData, _) => ("The server cannot take the message now: the sender's server keeps it queued and tries again later.".into(), "RFC 5321 §4.2.1, §4.5.4.1"),
        (Rset, 250) => ("The transaction is reset.".into(), "RFC 5321 §4.1.1.5"),
        (Noop, 250) => ("OK: nothing happened, the connection is alive.".into(), "RFC 5321 §4.1.1.9"),
        (Vrfy, 252) => ("The server will neither confirm nor deny that the user exists, but will accept mail for it.".into(), "RFC 5321 §3.5.3"),
        (Help, 214) => ("Help for a human reader: here, the commands this server understands. Programs never need it.".into(), "RFC 5321 §4.1.1.8"),
        (Quit, 221) => ("The server says goodbye and closes the connection: the closure phase is done.".into(), "RFC 5321 §4.1.1.10"),
        (StartTls, 220) => ("The server is ready for the TLS handshake. Both sides forget what they learned so far (the client will send EHLO again), and everything after this is encrypted.".into(), "RFC 3207 §4, §4.2"),
        (StartTls, _) => ("STARTTLS refused: the connection stays unencrypted.".into(), "RFC 3207 §4"),
        (AuthChallenge, 334) => {
            use base64::Engine as _;
            let text = r.lines.first().cloned().unwrap_or_default();
            let decoded = base64::engine::general_purpose::STANDARD.decode(&text).ok().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let what = if text.is_empty() { "an empty challenge: send the credentials".to_string() } else { format!("base64 for \"{decoded}\"") };
            (format!("A server challenge (334): {what}. The next line the client sends is its answer, not a command."), "RFC 4954 §4")
        }
        (Auth, 503) if first.contains("HELO") => ("HELO asks for plain SMTP, without extensions, and AUTH is one (listed in the EHLO reply only): greet with EHLO, then log in.".into(), "RFC 4954 §3; RFC 5321 §2.2.1, §4.1.1.1"),
        (Auth, 235) => ("Authentication succeeded: this session now belongs to a known user, who may send mail through this server.".into(), "RFC 4954 §6"),
        (Auth, 535) => ("Authentication failed: wrong user name or password (5.7.8).".into(), "RFC 4954 §6; RFC 3463"),
        (Auth, 538) => ("The server will not take a password over an unencrypted connection: use STARTTLS first (5.7.11).".into(), "RFC 4954 §6"),
        (Auth, 534) => ("The mechanism is too weak for this server's policy (5.7.9).".into(), "RFC 4954 §6"),
        (Auth, 504) => ("The server does not know this authentication mechanism.".into(), "RFC 4954 §4"),
        (Auth, 501) => ("The AUTH exchange was cancelled or its response could not be decoded.".into(), "RFC 4954 §4"),
        (Mail, 530) => ("Refused: this port wants the client to log in (AUTH) or to encrypt (STARTTLS) before it takes mail.".into(), "RFC 4954 §6; RFC 3207 §4; RFC 6409 §4.3"),
        (Mail, 553) => ("Refused: the envelope sender is not an address the logged-in user owns (a submission server's defence against spoofing).".into(), "RFC 6409 §4.1; RFC 5321 §4.2.2"),
        (Rcpt, 450) => ("Greylisted: the server refuses the first attempt from an unknown sender on purpose (4.2.0, a transient failure). A real mail server retries later and gets through; many spam programs never retry.".into(), "RFC 5321 §4.2.1, §4.5.4.1; RFC 6647"),
        (Rcpt, 452) if first.starts_with("4.5.3") => ("Too many recipients in this transaction (4.5.3): the client sends the rest in another transaction. A server must take at least 100.".into(), "RFC 5321 §4.5.3.1.8, §4.5.3.1.10"),
        (Rcpt, 452) | (Rcpt, 552) => ("The recipient's mailbox is full (insufficient storage).".into(), "RFC 5321 §4.2.2; RFC 3463 (4.2.2/5.2.2)"),
        (_, 500) => ("Syntax error: an unknown command, or a line too long or ended by a bare LF.".into(), "RFC 5321 §4.2.2, §4.5.3.1.4"),
        (_, 501) => ("Syntax error in the parameters or arguments: the text says what was expected.".into(), "RFC 5321 §4.2.2"),
        (_, 502) => ("The command exists in SMTP but this server does not implement it.".into(), "RFC 5321 §4.2.2"),
        (_, 503) => ("Bad sequence of commands: SMTP commands must come in order (EHLO, MAIL, RCPT, DATA).".into(), "RFC 5321 §4.1.4, §4.3.2"),
        (_, 504) => ("A parameter of the command is not implemented.".into(), "RFC 5321 §4.2.2"),
        (_, 555) => ("The server does not recognize a MAIL FROM or RCPT TO parameter.".into(), "RFC 5321 §4.1.1.11"),
        (_, c) if positive => (format!("Positive completion ({c}): the requested action was done."), "RFC 5321 §4.2.1"),
        (_, c) if c < 500 => (format!("Transient failure ({c}): trying again later may work."), "RFC 5321 §4.2.1"),
        (_, c) => (format!("Permanent failure ({c}): the same request will fail again."), "RFC 5321 §4.2.1"),
    };
    ex(label, meaning, rfc)
}

/// The mail data after `354`, through the final `.` line.
pub fn data(size: usize, lines: usize) -> Explanation {
    ex(
        format!("message ({size} bytes) + \".\""),
        format!(
            "The message itself ({lines} lines): header fields such as From, To, Subject and Date (each SMTP server that takes the message adds a Received: line on top), a blank line, then the body. \
             A line holding only \".\" ends it; a line of the message that starts with \".\" is sent with a second \".\" (dot-stuffing)."
        ),
        "RFC 5321 §4.1.1.4, §4.5.2, §4.4; RFC 5322 §2.1",
    )
}

/// The lines typed after `354` at a terminal, sent as typed: the person is the client, and
/// dot-stuffing is the client's job (RFC 5321 §4.5.2).
pub fn typed_data(size: usize, lines: usize, dotted: usize) -> Explanation {
    let dots = match dotted {
        0 => "No line starts with \".\", so nothing needed doubling.".to_string(),
        n => format!(
            "{n} line{} start{} with \".\": the server removes that first dot (a line \".x\" is stored as \"x\", \"..x\" as \".x\"). \
             A mail program doubles the dot of such lines before sending (dot-stuffing); at a terminal the person must.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        ),
    };
    ex(
        format!("message ({size} bytes) + \".\""),
        format!(
            "The message typed by hand ({lines} lines), sent exactly as typed, then the line holding only \".\" that ends it. {dots}"
        ),
        "RFC 5321 §4.5.2, §4.1.1.4",
    )
}

/// A line typed at a terminal that is not a valid command.
pub fn typed(line: &str) -> Explanation {
    ex(
        shorten(line, 72),
        "Not a valid SMTP command: an unknown verb, bad arguments, a line over 512 octets or ended by a bare LF (not CRLF). \
         The server answers with a 5yz code and a text that says which.",
        "RFC 5321 §4.1, §4.2.2",
    )
}

/// A client's base64 line answering a `334` challenge.
pub fn auth_response(line: &str, decoded: &str) -> Explanation {
    ex(
        shorten(line, 72),
        format!(
            "The client's answer to the challenge, in base64. Decoded it reads \"{decoded}\": base64 is an encoding, not encryption, \
             which is why servers accept AUTH only inside TLS."
        ),
        "RFC 4954 §4; RFC 4616 (PLAIN)",
    )
}
