//! What engines hand back for the wire: [`Transmit`] = the exact bytes + the typed message
//! they encode ([`Pdu`]). The diagram label and the explanation shown to the learner are
//! derived from the typed message (and, for replies, from the command they answer) by each
//! protocol's `explain` module, never by re-parsing strings.

use crate::dns::DnsMessage;
use crate::engine::Closing;
pub use crate::explain::Explanation;
use crate::pop3;
pub use crate::pop3::response::Pop3ReplyTo;
pub use crate::smtp::reply::SmtpReplyTo;
use crate::smtp::{Command, Reply};

/// One protocol data unit: one arrow on the sequence diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub bytes: Vec<u8>,
    pub pdu: Pdu,
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
    /// The lines a person typed after `354`, sent as typed (no dot-stuffing), through the
    /// `.` line; `dotted` of them start with a dot, which the server removes.
    SmtpTypedData {
        size: usize,
        lines: usize,
        dotted: usize,
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
    /// A valid POP3 command as a person typed it: the label keeps the line's case (`user bob`
    /// stays `user bob`; keywords are case-insensitive, RFC 1939 §3).
    Pop3Line {
        cmd: pop3::Command,
        line: String,
    },
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

impl Pdu {
    /// The protocol name shown on the diagram.
    pub fn protocol(&self) -> &'static str {
        match self {
            Pdu::SmtpCommand(_)
            | Pdu::SmtpReply { .. }
            | Pdu::SmtpData { .. }
            | Pdu::SmtpTypedData { .. }
            | Pdu::SmtpAuthResponse { .. }
            | Pdu::SmtpTyped { .. } => "SMTP",
            Pdu::Pop3Command(_) | Pdu::Pop3Line { .. } | Pdu::Pop3Response { .. } | Pdu::Pop3Typed { .. } => "POP3",
            Pdu::Dns(_) => "DNS",
            Pdu::ImapCommand { .. }
            | Pdu::ImapResponse { .. }
            | Pdu::ImapContinuation { .. }
            | Pdu::ImapClosing { .. }
            | Pdu::ImapSaslResponse { .. } => "IMAP",
            Pdu::HttpRequest { .. } | Pdu::HttpResponse { .. } => "HTTP",
        }
    }

    /// What the learner reads about this unit: each protocol's `explain` module.
    pub fn explain(&self) -> Explanation {
        use crate::{dns, http, imap, pop3, smtp};
        match self {
            Pdu::SmtpCommand(c) => smtp::explain::command(c),
            Pdu::SmtpReply { reply, to } => smtp::explain::reply(reply, *to),
            Pdu::SmtpData { size, lines } => smtp::explain::data(*size, *lines),
            Pdu::SmtpTypedData { size, lines, dotted } => smtp::explain::typed_data(*size, *lines, *dotted),
            Pdu::SmtpTyped { line } => smtp::explain::typed(line),
            Pdu::SmtpAuthResponse { line, decoded } => smtp::explain::auth_response(line, decoded),
            Pdu::Pop3Command(c) => pop3::explain::command(c),
            Pdu::Pop3Line { cmd, line } => {
                Explanation { label: crate::explain::shorten(line, 72), ..pop3::explain::command(cmd) }
            }
            Pdu::Pop3Typed { line } => pop3::explain::typed(line),
            Pdu::Pop3Response { response, to } => pop3::explain::response(response, *to),
            Pdu::Dns(m) => dns::explain(m),
            Pdu::HttpRequest { start, body_len, cookie } => http::explain::request(start, *body_len, *cookie),
            Pdu::HttpResponse { start, for_request, body_len, content_type } => {
                http::explain::response(start, for_request, *body_len, content_type)
            }
            Pdu::ImapCommand { name, line, .. } => imap::explain::command(name, line),
            Pdu::ImapResponse { command, status, untagged, first } => {
                imap::explain::response(command, status, *untagged, first)
            }
            Pdu::ImapContinuation { text, decoded } => imap::explain::continuation(text, decoded),
            Pdu::ImapClosing { reason, line } => imap::explain::closing(*reason, line),
            Pdu::ImapSaslResponse { line, decoded } => imap::explain::sasl(line, decoded),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns;

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
            Pdu::SmtpTypedData { size: 10, lines: 2, dotted: 1 },
            Pdu::SmtpAuthResponse { line: "Ym9i".into(), decoded: "bob".into() },
            Pdu::SmtpCommand(Command::StartTls),
            Pdu::SmtpReply { reply: Reply::new(334, "VXNlcm5hbWU6"), to: SmtpReplyTo::AuthChallenge },
            Pdu::Pop3Command(pop3::Command::Dele(1)),
            Pdu::Pop3Line { cmd: pop3::Command::Dele(1), line: "dele 1".into() },
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
