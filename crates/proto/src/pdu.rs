//! What engines hand back for the wire: [`Transmit`] = the exact bytes + the typed message
//! they encode ([`Pdu`]). The diagram label and the explanation shown to the learner are
//! derived here from the typed message (and, for replies, from the command they answer),
//! never by re-parsing strings.

use crate::dns::{self, DnsMessage};
use crate::engine::Closing;
use crate::pop3;
use crate::smtp::{Command, Reply};

/// One protocol data unit: one arrow on the sequence diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub bytes: Vec<u8>,
    pub pdu: Pdu,
}

/// Which command an SMTP reply answers; decides what the reply means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpReplyTo {
    Greeting,
    Ehlo,
    Helo,
    Mail,
    Rcpt,
    Data,
    EndOfData,
    Rset,
    Noop,
    Vrfy,
    Help,
    Quit,
    StartTls,
    Auth,
    /// A `334` challenge inside an AUTH exchange.
    AuthChallenge,
    /// A command that could not be parsed or came out of sequence.
    Error,
    /// The server ends the session on its own (idle client, shutdown, too many connections).
    Closing(Closing),
}

/// Which command a POP3 response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3ReplyTo {
    Greeting,
    User,
    Pass,
    Stat,
    List,
    Retr,
    Dele,
    Noop,
    Rset,
    Quit,
    Top,
    Uidl,
    Capa,
    Stls,
    Error,
    /// The server ends the session on its own (idle client, shutdown, too many connections).
    Closing(Closing),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    SmtpCommand(Command),
    SmtpReply {
        reply: Reply,
        to: SmtpReplyTo,
    },
    /// The message after `354`, through the terminating `.` line.
    SmtpData {
        size: usize,
        lines: usize,
    },
    /// A line typed at a terminal that is not a valid SMTP command.
    SmtpTyped {
        line: String,
    },
    /// A client's base64 line answering a `334` challenge (RFC 4954 §4).
    SmtpAuthResponse {
        line: String,
        decoded: String,
    },
    Pop3Command(pop3::Command),
    /// A line that is not a valid POP3 command.
    Pop3Typed {
        line: String,
    },
    Pop3Response {
        response: pop3::Response,
        to: Pop3ReplyTo,
    },
    Dns(DnsMessage),
    /// An IMAP command line (tag, command name, the line as sent).
    ImapCommand {
        tag: String,
        name: String,
        line: String,
    },
    /// All responses to one IMAP command: `untagged` data lines, then `status`.
    ImapResponse {
        command: String,
        status: String,
        untagged: usize,
        first: String,
    },
    /// A continuation request (`+ ...`), with its base64 decoded.
    ImapContinuation {
        text: String,
        decoded: String,
    },
    /// The server ends the session on its own with an untagged BYE (idle client, shutdown,
    /// too many connections): the whole line, CRLF excluded.
    ImapClosing {
        reason: Closing,
        line: String,
    },
    /// A client's base64 line inside AUTHENTICATE.
    ImapSaslResponse {
        line: String,
        decoded: String,
    },
    /// An HTTP request: its request line, body size, whether it carries a cookie.
    HttpRequest {
        start: String,
        body_len: usize,
        cookie: bool,
    },
    /// An HTTP response: its status line and the request it answers.
    HttpResponse {
        start: String,
        for_request: String,
        body_len: usize,
        content_type: String,
    },
}

/// What the learner reads about one arrow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// A short text for the arrow.
    pub label: String,
    /// One or two sentences.
    pub meaning: String,
    /// The section that defines it, e.g. `RFC 5321 §4.1.1.2`.
    pub rfc: String,
}

fn ex(label: String, meaning: impl Into<String>, rfc: &str) -> Explanation {
    Explanation { label, meaning: meaning.into(), rfc: rfc.into() }
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

impl Pdu {
    /// The protocol name shown on the diagram.
    pub fn protocol(&self) -> &'static str {
        match self {
            Pdu::SmtpCommand(_)
            | Pdu::SmtpReply { .. }
            | Pdu::SmtpData { .. }
            | Pdu::SmtpAuthResponse { .. }
            | Pdu::SmtpTyped { .. } => "SMTP",
            Pdu::Pop3Command(_) | Pdu::Pop3Response { .. } | Pdu::Pop3Typed { .. } => "POP3",
            Pdu::Dns(_) => "DNS",
            Pdu::ImapCommand { .. }
            | Pdu::ImapResponse { .. }
            | Pdu::ImapContinuation { .. }
            | Pdu::ImapClosing { .. }
            | Pdu::ImapSaslResponse { .. } => "IMAP",
            Pdu::HttpRequest { .. } | Pdu::HttpResponse { .. } => "HTTP",
        }
    }

    pub fn explain(&self) -> Explanation {
        match self {
            Pdu::SmtpCommand(c) => explain_smtp_command(c),
            Pdu::SmtpReply { reply, to } => explain_smtp_reply(reply, *to),
            Pdu::SmtpData { size, lines } => ex(
                format!("message ({size} bytes) + \".\""),
                format!(
                    "The message itself ({lines} lines): header fields (Date, From, To, Subject, Message-ID), a blank line, then the body. \
                     A line holding only \".\" ends it; a line of the message that starts with \".\" is sent with a second \".\" (dot-stuffing)."
                ),
                "RFC 5321 §4.1.1.4, §4.5.2; RFC 5322 §2.1",
            ),
            Pdu::SmtpTyped { line } => ex(
                shorten(line, 72),
                "A line typed by hand that is not a valid SMTP command (unknown verb, or arguments that do not fit the grammar). \
                 The server answers with a 5yz code and a text that says what it expected.",
                "RFC 5321 §4.1, §4.2.2",
            ),
            Pdu::SmtpAuthResponse { line, decoded } => ex(
                shorten(line, 72),
                format!(
                    "The client's answer to the challenge, in base64. Decoded it reads \"{decoded}\": base64 is an encoding, not encryption, \
                     which is why servers accept AUTH only inside TLS."
                ),
                "RFC 4954 §4; RFC 4616 (PLAIN)",
            ),
            Pdu::Pop3Command(c) => explain_pop3_command(c),
            Pdu::Pop3Typed { line } => ex(shorten(line, 72), "A line that is not a valid POP3 command (unknown keyword or bad arguments); the server answers -ERR and stays in the same state.", "RFC 1939 §3"),
            Pdu::Pop3Response { response, to } => explain_pop3_response(response, *to),
            Pdu::Dns(m) => explain_dns(m),
            Pdu::HttpRequest { start, body_len, cookie } => explain_http_request(start, *body_len, *cookie),
            Pdu::HttpResponse { start, for_request, body_len, content_type } => explain_http_response(start, for_request, *body_len, content_type),
            Pdu::ImapCommand { name, line, .. } => explain_imap_command(name, line),
            Pdu::ImapResponse { command, status, untagged, first } => explain_imap_response(command, status, *untagged, first),
            Pdu::ImapContinuation { text, decoded } => ex(
                shorten(&format!("+ {text}"), 72),
                if decoded.is_empty() {
                    "A continuation request: the server is ready for the client's next line (here, the first message of the authentication exchange).".to_string()
                } else if decoded.starts_with("v=") {
                    format!("The last SCRAM message, server-final (base64 of \"{decoded}\"): the server proves that it knows the password too; the client answers with an empty line.")
                } else {
                    format!("A continuation request carrying SCRAM's server-first message (base64 of \"{decoded}\"): the combined nonce, the salt and the iteration count for PBKDF2.")
                },
                "RFC 9051 §7.6; RFC 5802 §5",
            ),
            Pdu::ImapClosing { reason, line } => {
                let (meaning, rfc) = match reason {
                    Closing::IdleTimeout => ("The server's autologout timer ran out: it says BYE and closes the connection. A server may log out an idle client, but not before 30 minutes once the client has logged in; a client that wants to wait for news uses IDLE and renews it.", "RFC 9051 §5.4, §7.1.5"),
                    Closing::Shutdown => ("The server is shutting down: an untagged BYE says so, with the response code UNAVAILABLE, and the connection closes.", "RFC 9051 §7.1.5, §7.1"),
                    Closing::Busy => ("A BYE in place of the greeting: the server has too many connections and refuses this one (UNAVAILABLE); the client may try again later.", "RFC 9051 §7.1.5, §7.1"),
                };
                ex(shorten(line, 72), meaning, rfc)
            }
            Pdu::ImapSaslResponse { line, decoded } => ex(
                if line.is_empty() { "(empty line)".to_string() } else { shorten(line, 72) },
                if decoded.starts_with("n,,") {
                    format!("SCRAM client-first (base64 of \"{decoded}\"): the user name and a fresh client nonce. No password travels.")
                } else if decoded.starts_with("c=") {
                    format!("SCRAM client-final (base64 of \"{decoded}\"): the proof p= shows the client knows the password, computed with PBKDF2, HMAC and SHA-256 over the whole exchange.")
                } else if line.is_empty() {
                    "An empty line: the client accepts the server's proof and ends the exchange.".to_string()
                } else {
                    format!("The client's answer inside AUTHENTICATE (base64 of \"{decoded}\").")
                },
                "RFC 9051 §6.2.2; RFC 5802 §5, RFC 7677",
            ),
        }
    }
}

fn explain_smtp_command(c: &Command) -> Explanation {
    let label = shorten(&c.to_string(), 72);
    match c {
        Command::Ehlo { domain } => ex(label, format!("The client greets the server, names itself ({domain}) and asks which SMTP service extensions the server supports. This is the handshake phase."), "RFC 5321 §4.1.1.1"),
        Command::Helo { domain } => ex(label, format!("The client greets the server and names itself ({domain}), the old way: no extensions will be used."), "RFC 5321 §4.1.1.1"),
        Command::Mail { from, params } => {
            let who = if from.is_empty() { "the null sender <> (used by bounces, so that a bounce never bounces)".to_string() } else { format!("<{from}>") };
            let size = params.iter().find(|p| p.to_ascii_uppercase().starts_with("SIZE=")).map(|p| format!(" {p} announces the message size so the server can refuse it before it is sent (RFC 1870).")).unwrap_or_default();
            ex(label, format!("Starts a mail transaction (the transfer phase). The envelope sender is {who}: the address bounces go to, which may differ from the From: header.{size}"), "RFC 5321 §4.1.1.2")
        }
        Command::Rcpt { to, .. } => ex(label, format!("Names one envelope recipient, <{to}>. The server delivers to the RCPT TO addresses, not to the To: header; Cc and Bcc recipients are RCPT TO lines too."), "RFC 5321 §4.1.1.3"),
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

fn explain_smtp_reply(r: &Reply, to: SmtpReplyTo) -> Explanation {
    let first = r.lines.first().cloned().unwrap_or_default();
    let mut label = shorten(&format!("{} {first}", r.code), 72);
    if r.lines.len() > 1 {
        label = shorten(&format!("{} {first}", r.code), 60) + &format!(" (+{} lines)", r.lines.len() - 1);
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
        (Mail, 455) => ("The server understood the parameter (here SIZE) but cannot accommodate it right now: a transient failure, try later.".into(), "RFC 5321 §4.1.1.11, §4.2.3"),
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
            (format!("The server greets the client and lists the extensions it supports, one per line: {}.", exts.join(", ")), "RFC 5321 §4.1.1.1; RFC 1870, 2920, 6152, 2034")
        }
        (Helo, 250) => ("The server accepts the greeting; without EHLO no extensions are used.".into(), "RFC 5321 §4.1.1.1"),
        (Mail, 250) => ("The server accepts the envelope sender: a new mail transaction is open.".into(), "RFC 5321 §4.1.1.2"),
        (Mail, 552) => ("The announced size is above the server's limit: the message is refused before it is sent.".into(), "RFC 1870 §6.1"),
        (Rcpt, 250) => ("The server accepts this recipient: it will deliver to that mailbox or relay towards it.".into(), "RFC 5321 §4.1.1.3"),
        (Rcpt, 550) => ("No such mailbox here: a permanent failure for this recipient (5.1.1). Other recipients are not affected.".into(), "RFC 5321 §4.2.2, §3.3; RFC 3463"),
        (Rcpt, 554) => ("The server will not relay: it accepts mail only for its own domains from unauthenticated clients (5.7.1).".into(), "RFC 5321 §3.6.2, §4.2.2"),
        (Rcpt, c) if (400..500).contains(&c) => ("A transient failure for this recipient: the client should try again later.".into(), "RFC 5321 §4.2.1, §4.5.4.1"),
        (Data, 354) => ("Go ahead: the server waits for the message and will read until a line holding only \".\".".into(), "RFC 5321 §4.1.1.4"),
        (EndOfData, 250) => ("The server has taken responsibility for the message: from now on it must deliver it or send a bounce. The transaction is over.".into(), "RFC 5321 §4.1.1.4, §6.1"),
        (EndOfData, 552) => ("The message is larger than the server accepts: refused for good.".into(), "RFC 5321 §4.5.3.1.10; RFC 1870"),
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
        (Auth, 235) => ("Authentication succeeded: this session now belongs to a known user, who may send mail through this server.".into(), "RFC 4954 §6"),
        (Auth, 535) => ("Authentication failed: wrong user name or password (5.7.8).".into(), "RFC 4954 §6; RFC 3463"),
        (Auth, 538) => ("The server will not take a password over an unencrypted connection: use STARTTLS first (5.7.11).".into(), "RFC 4954 §6"),
        (Auth, 534) => ("The mechanism is too weak for this server's policy (5.7.9).".into(), "RFC 4954 §6"),
        (Auth, 504) => ("The server does not know this authentication mechanism.".into(), "RFC 4954 §4"),
        (Auth, 501) => ("The AUTH exchange was cancelled or its response could not be decoded.".into(), "RFC 4954 §4"),
        (Mail, 530) => ("Refused: this port wants the client to log in (AUTH) or to encrypt (STARTTLS) before it takes mail.".into(), "RFC 4954 §6; RFC 3207 §4; RFC 6409 §4.3"),
        (Mail, 553) => ("Refused: the envelope sender is not an address the logged-in user owns (a submission server's defence against spoofing).".into(), "RFC 6409 §4.1; RFC 5321 §4.2.2"),
        (Rcpt, 450) => ("Greylisted: the server refuses the first attempt from an unknown sender on purpose (4.2.0, a transient failure). A real mail server retries later and gets through; many spam programs never retry.".into(), "RFC 5321 §4.2.1, §4.5.4.1; RFC 6647"),
        (Rcpt, 452) | (Rcpt, 552) => ("The recipient's mailbox is full (insufficient storage).".into(), "RFC 5321 §4.2.2; RFC 3463 (4.2.2/5.2.2)"),
        (_, 500) => ("Syntax error: the command was not recognized or the line was too long.".into(), "RFC 5321 §4.2.2, §4.5.3.1.4"),
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

fn explain_pop3_command(c: &pop3::Command) -> Explanation {
    use pop3::Command::*;
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

fn explain_pop3_response(r: &pop3::Response, to: Pop3ReplyTo) -> Explanation {
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

fn explain_imap_command(name: &str, line: &str) -> Explanation {
    let label = shorten(line, 72);
    let (meaning, rfc) = match name {
        "CAPABILITY" => ("Asks which capabilities the server has (IMAP4rev2, STARTTLS, AUTH=...).", "RFC 9051 §6.1.1"),
        "NOOP" => ("Does nothing, but lets the server report changes to the selected mailbox.", "RFC 9051 §6.1.2"),
        "LOGOUT" => ("Ends the session: the server says BYE and closes the connection.", "RFC 9051 §6.1.3"),
        "STARTTLS" => ("Asks to start TLS on this connection; after the OK, both sides negotiate TLS and everything after is encrypted.", "RFC 9051 §6.2.1"),
        "AUTHENTICATE" => ("Starts a SASL authentication exchange. With SCRAM-SHA-256 the password never crosses the network: both sides prove they know it.", "RFC 9051 §6.2.2; RFC 7677"),
        "LOGIN" => ("Logs in with a user name and a password in the clear: only acceptable inside TLS.", "RFC 9051 §6.2.3"),
        "ENABLE" => ("Turns on an extension for this session; ENABLE IMAP4rev2 asks for the IMAP4rev2 behaviour (for example ESEARCH results).", "RFC 9051 §6.3.1; RFC 5161"),
        "SELECT" => ("Opens a mailbox for reading and changing; the server reports how many messages it holds, the flags, UIDVALIDITY and UIDNEXT.", "RFC 9051 §6.3.2"),
        "EXAMINE" => ("Opens a mailbox read-only: nothing can change, not even \\Seen.", "RFC 9051 §6.3.3"),
        "LIST" => ("Asks for the names of mailboxes (folders).", "RFC 9051 §6.3.9"),
        "NAMESPACE" => ("Asks how mailbox names are organized (prefix and hierarchy delimiter).", "RFC 9051 §6.3.10"),
        "FETCH" if line.to_ascii_uppercase().contains("FULL") => ("Fetches data about a message; FULL is a macro for FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY: the flags, arrival date, size, parsed header and MIME structure, without downloading the body.", "RFC 9051 §6.4.5"),
        "FETCH" if line.to_ascii_uppercase().contains("HEADER") => ("Fetches only the header of a message: a client can show the list of mails without downloading them whole.", "RFC 9051 §6.4.5"),
        "FETCH" => ("Fetches data about messages (flags, sizes, headers, bodies, structure).", "RFC 9051 §6.4.5"),
        "STORE" => ("Changes the flags of messages; +FLAGS \\Deleted marks a message for removal, which EXPUNGE or CLOSE then carries out.", "RFC 9051 §6.4.6"),
        "SEARCH" => ("Searches the mailbox on the server: only the matching message numbers come back.", "RFC 9051 §6.4.4"),
        "EXPUNGE" => ("Permanently removes the messages flagged \\Deleted.", "RFC 9051 §6.4.3"),
        "CLOSE" => ("Closes the mailbox, removing messages flagged \\Deleted, and returns to the Authenticated state.", "RFC 9051 §6.4.1"),
        "UNSELECT" => ("Closes the mailbox without removing anything.", "RFC 9051 §6.4.2"),
        "IDLE" => ("The client waits for news: while idling, the server reports changes (new mail, flags set from another device) the moment they happen, instead of the client polling.", "RFC 9051 §6.3.13; RFC 2177"),
        "DONE" => ("Ends IDLE, so the client can send commands again.", "RFC 9051 §6.3.13"),
        _ => ("A line the server could not parse as an IMAP command: it answers BAD.", "RFC 9051 §7.1.3"),
    };
    ex(label, meaning, rfc)
}

fn explain_imap_response(command: &str, status: &str, untagged: usize, first: &str) -> Explanation {
    let mut label = shorten(status, 60);
    if untagged > 0 {
        label = format!("{} (+{untagged} untagged)", shorten(status, 48));
    }
    let word = status.split(' ').nth(1).unwrap_or("");
    let (meaning, rfc): (String, &str) = match (command, word) {
        ("greeting", _) => (format!("The server greets and lists its capabilities in a response code: {}", shorten(first, 120)), "RFC 9051 §7.1.1, §7.2.2"),
        (_, "BAD") => ("BAD: the command was not understood (bad syntax, unknown command, or not allowed in this state). The text says why.".into(), "RFC 9051 §7.1.3"),
        (_, "NO") => ("NO: the command was understood but failed; the response code in brackets says why.".into(), "RFC 9051 §7.1.2, §7.1"),
        ("SELECT" | "EXAMINE", _) => ("The mailbox is selected: EXISTS gives the number of messages, FLAGS the flags in use, UIDVALIDITY and UIDNEXT the UID bookkeeping; the tagged OK says READ-WRITE or READ-ONLY.".into(), "RFC 9051 §6.3.2, §7.2"),
        ("FETCH", _) => ("The data asked for, in untagged FETCH responses (one per message), then the tagged OK. A literal {n} announces n bytes that follow verbatim.".into(), "RFC 9051 §7.5.2"),
        ("STORE", _) => ("The flags now set on each message (untagged FETCH), then OK.".into(), "RFC 9051 §6.4.6"),
        ("LOGOUT", _) => ("BYE, then OK: the server closes the connection.".into(), "RFC 9051 §6.1.3, §7.1.5"),
        ("AUTHENTICATE", _) => ("Authenticated: the session moves to the Authenticated state; the response code lists the capabilities now available.".into(), "RFC 9051 §6.2.2"),
        ("ENABLE", _) => ("The server confirms which extensions are now on (ENABLED).".into(), "RFC 9051 §6.3.1"),
        ("STARTTLS", _) => ("The server is ready: TLS negotiation starts now, and everything after it is encrypted.".into(), "RFC 9051 §6.2.1"),
        ("SEARCH", _) => ("The numbers of the matching messages (ESEARCH in IMAP4rev2, SEARCH in rev1).".into(), "RFC 9051 §7.3.4"),
        ("EXPUNGE" | "CLOSE", _) => ("Each removed message is reported with its sequence number at the time (the numbers of later messages shift down).".into(), "RFC 9051 §7.5.1"),
        ("IDLE", _) if status.contains(" OK ") => ("IDLE is over; the client may send commands again.".into(), "RFC 9051 §6.3.13"),
        ("IDLE", _) => (format!("News pushed to the idling client the moment it happened: {}. Another session changed the mailbox (for example, the laptop read a message, setting \\Seen).", shorten(first, 80)), "RFC 9051 §6.3.13, §7.5"),
        _ => ("OK: the command completed.".into(), "RFC 9051 §7.1.1"),
    };
    ex(label, meaning, rfc)
}

fn explain_http_request(start: &str, body_len: usize, cookie: bool) -> Explanation {
    let mut parts = start.split(' ');
    let (method, target, version) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let what = match (method, target) {
        ("POST", "/login") => "The browser sends the login form: user name and password, in the clear inside this request (real webmail uses HTTPS).".to_string(),
        ("POST", "/send") => "The browser sends the message as a form (to, subject, text) to the webmail front end. The browser speaks HTTP; it is the front end that will speak SMTP.".to_string(),
        ("GET", "/inbox") => "The browser pulls the list of messages: with webmail, reading mail is an HTTP GET.".to_string(),
        ("GET", t) if t.starts_with("/message/") => "The browser pulls one message.".to_string(),
        ("GET", t) => format!("The browser asks for the object {t}: HTTP pulls content, one request per object."),
        _ => format!("An HTTP {method} request for {target}."),
    };
    let conn = if version == "HTTP/1.0" {
        " HTTP/1.0: the connection closes after the response, so each object needs a new TCP connection."
    } else {
        " HTTP/1.1: the connection stays open for the next request (persistent)."
    };
    let c =
        if cookie { " The Cookie header carries the session: HTTP itself is stateless across requests." } else { "" };
    let b = if body_len > 0 { format!(" Body: {body_len} bytes.") } else { String::new() };
    ex(shorten(start, 72), format!("{what}{conn}{c}{b}"), "RFC 9110 §9.3, RFC 9112 §3, §9.3")
}

fn explain_http_response(start: &str, for_request: &str, body_len: usize, content_type: &str) -> Explanation {
    let code: u16 = start.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (meaning, rfc): (String, &str) = match code {
        200 => (format!("200 OK: the content follows ({body_len} bytes of {}). Any content type is fine: unlike SMTP, HTTP does not require 7-bit ASCII.", if content_type.is_empty() { "data" } else { content_type }), "RFC 9110 §15.3.1"),
        303 | 302 => ("A redirect: the browser is told to GET another URL (Location). Set-Cookie hands the browser a session identifier to send back.".into(), "RFC 9110 §15.4.4; RFC 6265"),
        400 => ("400 Bad Request: the request is malformed.".into(), "RFC 9110 §15.5.1; RFC 9112"),
        401 => ("401 Unauthorized: credentials are needed.".into(), "RFC 9110 §15.5.2"),
        403 => ("403 Forbidden: the server refuses (here: wrong user name or password).".into(), "RFC 9110 §15.5.4"),
        404 => ("404 Not Found: there is no such resource.".into(), "RFC 9110 §15.5.5"),
        405 => ("405 Method Not Allowed: the resource exists but not for this method; Allow lists the methods it takes.".into(), "RFC 9110 §15.5.6"),
        505 => ("505: the server does not speak this HTTP version.".into(), "RFC 9110 §15.6.6"),
        c => (format!("Status {c}."), "RFC 9110 §15"),
    };
    let label = if for_request.is_empty() {
        shorten(start, 72)
    } else {
        shorten(&format!("{start} ({})", for_request.split(' ').take(2).collect::<Vec<_>>().join(" ")), 72)
    };
    ex(label, meaning, rfc)
}

fn explain_dns(m: &DnsMessage) -> Explanation {
    let label = shorten(&m.to_string(), 72);
    if !m.response {
        let q = m.questions.first();
        let (name, t) = (q.map(|q| q.name.clone()).unwrap_or_default(), q.map(|q| q.qtype).unwrap_or(0));
        let meaning = if t == dns::TYPE_MX {
            format!("Which hosts accept mail for {name}? The sending server asks DNS for the domain's MX (mail exchanger) records, over UDP port 53.")
        } else {
            format!("What is the IP address of {name}? A DNS query for its A record, over UDP port 53.")
        };
        return ex(label, meaning, "RFC 5321 §5.1; RFC 1035 §4.1");
    }
    let mut meaning = if m.rcode == 3 {
        "The domain does not exist (NXDOMAIN): the mail cannot be delivered.".to_string()
    } else {
        let mx: Vec<String> = m
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                dns::RData::Mx { preference, exchange } => Some(format!("{exchange} (preference {preference})")),
                _ => None,
            })
            .collect();
        if mx.is_empty() {
            format!("The answer: {m}.")
        } else {
            format!(
                "Mail for {} goes to {}; lower preference values are tried first.",
                m.questions.first().map(|q| q.name.as_str()).unwrap_or(""),
                mx.join(", ")
            )
        }
    };
    if !m.additional.is_empty() {
        let extra: Vec<String> = m.additional.iter().map(|r| r.to_string()).collect();
        meaning.push_str(&format!(" The additional section already gives the address: {}.", extra.join("; ")));
    }
    ex(label, meaning, "RFC 5321 §5.1; RFC 1035 §3.3.9, §4.1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_reply_is_one_label_with_a_line_count() {
        let r =
            Reply { code: 250, lines: vec!["mail.bob.example greets x".into(), "PIPELINING".into(), "SIZE 10".into()] };
        let e = Pdu::SmtpReply { reply: r, to: SmtpReplyTo::Ehlo }.explain();
        assert!(e.label.ends_with("(+2 lines)"), "{}", e.label);
        assert!(e.meaning.contains("PIPELINING, SIZE"));
        assert_eq!(e.rfc, "RFC 5321 §4.1.1.1; RFC 1870, 2920, 6152, 2034");
    }

    #[test]
    fn every_explanation_names_an_rfc() {
        let pdus = vec![
            Pdu::SmtpCommand(Command::Quit),
            Pdu::SmtpReply { reply: Reply::new(503, "x"), to: SmtpReplyTo::Error },
            Pdu::SmtpData { size: 10, lines: 2 },
            Pdu::SmtpAuthResponse { line: "Ym9i".into(), decoded: "bob".into() },
            Pdu::SmtpCommand(Command::StartTls),
            Pdu::SmtpReply { reply: Reply::new(334, "VXNlcm5hbWU6"), to: SmtpReplyTo::AuthChallenge },
            Pdu::Pop3Command(pop3::Command::Dele(1)),
            Pdu::Pop3Response { response: pop3::Response::err("[IN-USE] locked"), to: Pop3ReplyTo::Pass },
            Pdu::Dns(DnsMessage::query(1, "bob.example", dns::TYPE_MX)),
        ];
        for p in pdus {
            let e = p.explain();
            assert!(e.rfc.starts_with("RFC "), "{e:?}");
            assert!(!e.meaning.is_empty() && !e.label.is_empty());
        }
    }
}
