//! SMTP command lines (RFC 5321 §4.1): one CRLF-terminated line ⇄ [`Command`].
//!
//! Verbs are case-insensitive (real clients send `ehlo` and `mail FROM:`). Bad input is not
//! an error that unwinds: [`decode`] returns [`Decoded::Invalid`] with the reply the server
//! must send (500 unknown command, 501 bad arguments, 502 not implemented).

use crate::codec::{find_crlf, Decoded};
use std::fmt;

/// The longest command line a server must accept, CRLF included (RFC 5321 §4.5.3.1.4).
pub const MAX_COMMAND_LINE: usize = crate::limits::SMTP_COMMAND_LINE;

/// One SMTP command, as typed values. `Display` gives the wire form without the CRLF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `HELO domain` (RFC 5321 §4.1.1.1): the old greeting, no extensions.
    Helo { domain: String },
    /// `EHLO domain` (RFC 5321 §4.1.1.1): greeting that asks for the extension list.
    Ehlo { domain: String },
    /// `MAIL FROM:<reverse-path> [params]` (§4.1.1.2); an empty path is the null sender `<>`.
    Mail { from: String, params: Vec<String> },
    /// `RCPT TO:<forward-path> [params]` (§4.1.1.3).
    Rcpt { to: String, params: Vec<String> },
    /// `DATA` (§4.1.1.4).
    Data,
    /// `RSET` (§4.1.1.5).
    Rset,
    /// `VRFY string` (§4.1.1.6).
    Vrfy { what: String },
    /// `HELP [string]` (§4.1.1.8).
    Help { topic: Option<String> },
    /// `NOOP [string]` (§4.1.1.9).
    Noop,
    /// `QUIT` (§4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207 §4): upgrade this connection to TLS.
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4).
    Auth { mechanism: String, initial: Option<String> },
    /// `BDAT size [LAST]` (RFC 3030 §2): the next `size` octets are a chunk of the message.
    Bdat { size: u64, last: bool },
}

/// The verbs a client may send and this server answers as commands: those of [`Command`],
/// and EXPN, which RFC 5321 §4.1.1.8 defines and this server answers with 502 (what an
/// activity's task may name, `mailsim_sim::activity`).
pub const COMMAND_NAMES: &[&str] = &[
    "MAIL", "HELO", "EHLO", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "STARTTLS", "AUTH",
];

impl Command {
    /// The command verb as sent on the wire.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Helo { .. } => "HELO",
            Command::Ehlo { .. } => "EHLO",
            Command::Mail { .. } => "MAIL",
            Command::Rcpt { .. } => "RCPT",
            Command::Data => "DATA",
            Command::Rset => "RSET",
            Command::Vrfy { .. } => "VRFY",
            Command::Help { .. } => "HELP",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
            Command::StartTls => "STARTTLS",
            Command::Auth { .. } => "AUTH",
            Command::Bdat { .. } => "BDAT",
        }
    }

    /// The wire form: the command line with its CRLF.
    pub fn encode(&self) -> Vec<u8> {
        format!("{self}\r\n").into_bytes()
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Helo { domain } => write!(f, "HELO {domain}"),
            Command::Ehlo { domain } => write!(f, "EHLO {domain}"),
            Command::Mail { from, params } => {
                write!(f, "MAIL FROM:<{from}>")?;
                params.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Command::Rcpt { to, params } => {
                write!(f, "RCPT TO:<{to}>")?;
                params.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Command::Vrfy { what } => write!(f, "VRFY {what}"),
            Command::Help { topic: Some(t) } => write!(f, "HELP {t}"),
            Command::Auth { mechanism, initial: Some(i) } => write!(f, "AUTH {mechanism} {i}"),
            Command::Auth { mechanism, initial: None } => write!(f, "AUTH {mechanism}"),
            Command::Bdat { size, last } => write!(f, "BDAT {size}{}", if *last { " LAST" } else { "" }),
            other => f.write_str(other.verb()),
        }
    }
}

/// Why a command line was refused, with the reply the server sends for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 500, 501 or 502.
    pub code: u16,
    /// The enhanced status code (RFC 3463), e.g. `5.5.4`.
    pub enhanced: &'static str,
    /// A helpful text for the learner (and the client's log).
    pub text: String,
}

impl SyntaxError {
    fn new(code: u16, enhanced: &'static str, text: impl Into<String>) -> Self {
        SyntaxError { code, enhanced, text: text.into() }
    }
}

/// [`decode`] as a server reads: a line ended by a bare LF (`nc` without `-C`, a learner's
/// `"\n"`) is refused at once (`500 5.5.2`, [`crate::codec::line_end`]) instead of waiting
/// for a CRLF that never comes. Not in [`decode`], which the page runs on logged lines.
pub fn decode_received(buf: &[u8]) -> Decoded<Command, SyntaxError> {
    match crate::codec::line_end(buf) {
        Some((n, true)) => Decoded::Invalid(SyntaxError::new(500, "5.5.2", crate::codec::BARE_LF), n),
        _ => decode(buf),
    }
}

/// Reads one command line from the start of `buf`.
///
/// Every prefix of a line that lacks its CRLF is [`Decoded::Incomplete`]; a bare LF does not
/// end a line. A complete line longer than [`MAX_COMMAND_LINE`] is refused with
/// `500 5.5.2`.
pub fn decode(buf: &[u8]) -> Decoded<Command, SyntaxError> {
    let Some(end) = find_crlf(buf) else { return Decoded::Incomplete };
    if end > MAX_COMMAND_LINE {
        let e = SyntaxError::new(500, "5.5.2", "Line too long (the limit is 512 octets, RFC 5321 section 4.5.3.1.4)");
        return Decoded::Invalid(e, end);
    }
    match parse_line(buf.get(..end.saturating_sub(2)).unwrap_or_default()) {
        Ok(cmd) => Decoded::Complete(cmd, end),
        Err(e) => Decoded::Invalid(e, end),
    }
}

fn parse_line(line: &[u8]) -> Result<Command, SyntaxError> {
    // RFC 6531 §3.3: UTF-8 may appear in the addresses of MAIL and RCPT (whether the
    // SMTPUTF8 parameter allows it is the server's check); elsewhere only US-ASCII.
    let not_ascii = || SyntaxError::new(500, "5.5.2", "Command line contains a byte that is not printable US-ASCII");
    if line.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(not_ascii());
    }
    let line = std::str::from_utf8(line).map_err(|_| not_ascii())?;
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    if !line.is_ascii() && !["MAIL", "RCPT"].iter().any(|v| verb.eq_ignore_ascii_case(v)) {
        return Err(not_ascii());
    }
    let rest_trimmed = rest.trim();
    let no_args = |cmd: Command, name: &str| {
        if rest_trimmed.is_empty() {
            Ok(cmd)
        } else {
            Err(SyntaxError::new(501, "5.5.4", format!("Syntax: {name} (no parameters allowed)")))
        }
    };
    match verb.to_ascii_uppercase().as_str() {
        "HELO" | "EHLO" => {
            let upper = verb.to_ascii_uppercase();
            if rest_trimmed.is_empty() || rest_trimmed.contains(' ') || !valid_helo_name(rest_trimmed) {
                return Err(SyntaxError::new(
                    501,
                    "5.5.4",
                    format!("Syntax: {upper} hostname (for example {upper} client.example)"),
                ));
            }
            let domain = rest_trimmed.to_string();
            Ok(if upper == "HELO" { Command::Helo { domain } } else { Command::Ehlo { domain } })
        }
        "MAIL" => {
            let (from, params) = path_argument(rest, "FROM:").ok_or_else(|| path_error(rest, "MAIL FROM:"))?;
            if !from.is_empty() && !valid_mailbox(&from) {
                return Err(SyntaxError::new(501, "5.1.7", format!("Bad sender address syntax: <{from}>")));
            }
            Ok(Command::Mail { from, params })
        }
        "RCPT" => {
            let (to, params) = path_argument(rest, "TO:").ok_or_else(|| path_error(rest, "RCPT TO:"))?;
            if !(to.eq_ignore_ascii_case("postmaster") || valid_mailbox(&to)) {
                return Err(SyntaxError::new(501, "5.1.3", format!("Bad recipient address syntax: <{to}>")));
            }
            Ok(Command::Rcpt { to, params })
        }
        "DATA" => no_args(Command::Data, "DATA"),
        "RSET" => no_args(Command::Rset, "RSET"),
        "QUIT" => no_args(Command::Quit, "QUIT"),
        "NOOP" => Ok(Command::Noop),
        "HELP" => Ok(Command::Help { topic: (!rest_trimmed.is_empty()).then(|| rest_trimmed.to_string()) }),
        "VRFY" => {
            if rest_trimmed.is_empty() {
                Err(SyntaxError::new(501, "5.5.4", "Syntax: VRFY user-or-address"))
            } else {
                Ok(Command::Vrfy { what: rest_trimmed.to_string() })
            }
        }
        "STARTTLS" => no_args(Command::StartTls, "STARTTLS"),
        "AUTH" => {
            let mut words = rest_trimmed.split(' ').filter(|w| !w.is_empty());
            let mechanism = words.next().map(str::to_ascii_uppercase).unwrap_or_default();
            let initial = words.next().map(str::to_string);
            if mechanism.is_empty() || words.next().is_some() {
                return Err(SyntaxError::new(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]"));
            }
            Ok(Command::Auth { mechanism, initial })
        }
        "BDAT" => {
            // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]
            let mut words = rest.split(' ');
            let size = words.next().filter(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
            let last = match words.next() {
                None => Some(false),
                Some(w) if w.eq_ignore_ascii_case("LAST") => Some(true),
                Some(_) => None,
            };
            match (size.and_then(|s| s.parse::<u64>().ok()), last, words.next()) {
                (Some(size), Some(last), None) => Ok(Command::Bdat { size, last }),
                _ => Err(SyntaxError::new(
                    501,
                    "5.5.4",
                    "Syntax: BDAT <chunk size in octets> [LAST] (RFC 3030 section 2)",
                )),
            }
        }
        "EXPN" | "TURN" | "ETRN" | "ATRN" | "SEND" | "SOML" | "SAML" => Err(SyntaxError::new(
            502,
            "5.5.1",
            format!("{} is a known SMTP command that this server does not implement", verb.to_ascii_uppercase()),
        )),
        _ => Err(SyntaxError::new(500, "5.5.1", format!("Command unrecognized: \"{}\"", truncate(verb, 40)))),
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Parses `FROM:<path> params` / `TO:<path> params`. Tolerates spaces after the colon, as
/// widely deployed servers do, and drops an obsolete source route (`<@a,@b:user@c>`) as
/// RFC 5321 §4.1.1.3 says a server must accept and may ignore.
fn path_argument(rest: &str, keyword: &str) -> Option<(String, Vec<String>)> {
    if !rest.get(..keyword.len())?.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let after = rest.get(keyword.len()..)?.trim_start();
    let (inside, tail) = after.strip_prefix('<')?.split_once('>')?;
    // `Reverse-path [SP Mail-parameters]` (RFC 5321 §4.1.1.2, §4.1.1.3): after the path, a
    // space or the end (text right after it would move away from it when written back).
    if !(tail.is_empty() || tail.starts_with(' ')) {
        return None;
    }
    let mut path = inside;
    if path.starts_with('@') {
        path = path.split_once(':')?.1;
    }
    let params = tail.split(' ').filter(|p| !p.is_empty()).map(str::to_string).collect();
    Some((path.to_string(), params))
}

/// The 501 for a MAIL or RCPT argument that [`path_argument`] refused, saying what is wrong
/// (RFC 5321 §4.1.1.2, §4.1.1.3: `MAIL FROM:<path> [SP params]`, one space, no space before
/// the colon).
fn path_error(rest: &str, command: &str) -> SyntaxError {
    let keyword = command.get(5..).unwrap_or_default();
    let word = keyword.trim_end_matches(':');
    let starts = |s: &str, w: &str| s.get(..w.len()).is_some_and(|k| k.eq_ignore_ascii_case(w));
    let after = rest.get(keyword.len()..).unwrap_or_default().trim_start();
    let trimmed = rest.trim_start();
    let why = if starts(rest, keyword) {
        if !after.starts_with('<') {
            "the angle brackets are required"
        } else if !after.contains('>') {
            "the closing > is missing"
        } else {
            "a space between the > and a parameter"
        }
    } else if starts(trimmed, word) && trimmed.get(word.len()..).unwrap_or_default().trim_start().starts_with(':') {
        "one space after the verb, none before the colon"
    } else if starts(trimmed, word) {
        "the colon is missing"
    } else {
        return SyntaxError::new(501, "5.5.4", format!("Syntax: {command}<address> ({keyword} is missing)"));
    };
    SyntaxError::new(501, "5.5.4", format!("Syntax: {command}<address> ({why})"))
}

/// `Local-part "@" Domain` (RFC 5321 §4.1.2): a dot-atom or quoted local part and a domain
/// name or address literal.
pub fn valid_mailbox(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    let local_ok = if local.starts_with('"') {
        local.len() >= 2 && local.ends_with('"')
    } else {
        !local.is_empty()
            && local.split('.').all(|atom| {
                !atom.is_empty()
                    && atom
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b) || b >= 0x80)
            })
    };
    local_ok && local.len() <= 64 && valid_domain(domain)
}

/// A domain name (letters, digits, hyphens, dot-separated labels) or an address literal.
pub fn valid_domain(d: &str) -> bool {
    if d.starts_with('[') {
        return d.ends_with(']') && d.len() > 2;
    }
    !d.is_empty()
        && d.len() <= 255
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b >= 0x80)
        })
}

fn valid_helo_name(d: &str) -> bool {
    valid_domain(d.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        match decode(line.as_bytes()) {
            Decoded::Complete(c, n) => {
                assert_eq!(n, line.len());
                c
            }
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn bad(line: &str) -> SyntaxError {
        match decode(line.as_bytes()) {
            Decoded::Invalid(e, n) => {
                assert_eq!(n, line.len());
                e
            }
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    #[test]
    fn decodes_the_commands_of_the_walkthrough() {
        assert_eq!(ok("EHLO alice.example\r\n"), Command::Ehlo { domain: "alice.example".into() });
        assert_eq!(ok("helo client\r\n"), Command::Helo { domain: "client".into() });
        assert_eq!(
            ok("MAIL FROM:<alice@alice.example>\r\n"),
            Command::Mail { from: "alice@alice.example".into(), params: vec![] }
        );
        assert_eq!(
            ok("mail FROM: <a@b.example> SIZE=1000\r\n"),
            Command::Mail { from: "a@b.example".into(), params: vec!["SIZE=1000".into()] }
        );
        assert_eq!(ok("MAIL FROM:<>\r\n"), Command::Mail { from: "".into(), params: vec![] });
        assert_eq!(ok("rcpt to:<bob@bob.example>\r\n"), Command::Rcpt { to: "bob@bob.example".into(), params: vec![] });
        assert_eq!(
            ok("RCPT TO:<@relay.example:bob@bob.example>\r\n"),
            Command::Rcpt { to: "bob@bob.example".into(), params: vec![] }
        );
        assert_eq!(ok("RCPT TO:<Postmaster>\r\n"), Command::Rcpt { to: "Postmaster".into(), params: vec![] });
        assert_eq!(ok("DATA\r\n"), Command::Data);
        assert_eq!(ok("quit\r\n"), Command::Quit);
        assert_eq!(ok("NOOP hello\r\n"), Command::Noop);
        assert_eq!(ok("VRFY bob\r\n"), Command::Vrfy { what: "bob".into() });
        assert_eq!(ok("HELP\r\n"), Command::Help { topic: None });
        assert_eq!(ok("starttls\r\n"), Command::StartTls);
        assert_eq!(
            ok("auth plain AGFsaWNlAHNlY3JldA==\r\n"),
            Command::Auth { mechanism: "PLAIN".into(), initial: Some("AGFsaWNlAHNlY3JldA==".into()) }
        );
        assert_eq!(ok("AUTH LOGIN\r\n"), Command::Auth { mechanism: "LOGIN".into(), initial: None });
    }

    #[test]
    fn display_is_the_wire_form_and_round_trips() {
        for line in [
            "EHLO alice.example",
            "MAIL FROM:<alice@alice.example>",
            "MAIL FROM:<>",
            "RCPT TO:<bob@bob.example> NOTIFY=NEVER",
            "DATA",
            "QUIT",
            "RSET",
            "VRFY bob",
            "HELP DATA",
            "STARTTLS",
            "AUTH PLAIN",
            "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
            "BDAT 0 LAST",
            "BDAT 1000",
            "MAIL FROM:<caf\u{e9}@\u{e9}cole.example> SMTPUTF8",
        ] {
            let c = ok(&format!("{line}\r\n"));
            assert_eq!(c.to_string(), line);
            assert_eq!(c.encode(), format!("{line}\r\n").into_bytes());
        }
    }

    #[test]
    fn bad_input_gets_the_prescribed_code() {
        assert_eq!(bad("FOO bar\r\n").code, 500);
        assert_eq!(bad("EHLO\r\n").code, 501);
        assert_eq!(bad("MAIL alice@alice.example\r\n").code, 501);
        assert_eq!(bad("MAIL FROM:alice@alice.example\r\n").code, 501);
        assert_eq!(bad("RCPT TO:<not an address>\r\n").code, 501);
        assert_eq!(bad("DATA now\r\n").code, 501);
        assert_eq!(bad("EXPN staff\r\n").code, 502);
        assert_eq!(bad("AUTH\r\n").code, 501);
        assert_eq!(bad("STARTTLS now\r\n").code, 501);
        assert_eq!(bad("\r\n").code, 500);
        assert_eq!(bad("NOOP caf\u{e9}\r\n").code, 500);
        assert_eq!(bad("MAIL FROM:<\u{1}@x.example>\r\n").code, 500);
        assert!(matches!(decode(b"MAIL FROM:<caf\xe9@x.example>\r\n"), Decoded::Invalid(e, _) if e.code == 500));
        assert_eq!(
            ok("RCPT TO:<\u{70b9}@\u{4f8b}.example> NOTIFY=NEVER\r\n"),
            Command::Rcpt { to: "\u{70b9}@\u{4f8b}.example".into(), params: vec!["NOTIFY=NEVER".into()] }
        );
        assert_eq!(bad("BDAT\r\n").code, 501);
        assert_eq!(bad("BDAT 10 MORE\r\n").code, 501);
        assert_eq!(bad("BDAT -1\r\n").code, 501);
        assert_eq!(bad("BDAT 99999999999999999999999\r\n").code, 501);
        let long = format!("NOOP {}\r\n", "x".repeat(600));
        let e = bad(&long);
        assert_eq!((e.code, e.enhanced), (500, "5.5.2"));
    }

    /// Every name of [`COMMAND_NAMES`] is a command the parser knows (it answers other than
    /// 500 "unknown"), and every [`Command`]'s verb is listed. (MAIL first: an activity's error
    /// names the first as an example.)
    #[test]
    fn the_command_names_are_the_parsers() {
        for name in COMMAND_NAMES {
            let known = match parse_line(format!("{name} x").as_bytes()) {
                Ok(c) => c.verb() == *name,
                Err(e) => e.code != 500,
            };
            assert!(known, "{name}");
        }
        for line in [
            "HELO x",
            "EHLO x",
            "MAIL FROM:<>",
            "RCPT TO:<a@b>",
            "DATA",
            "BDAT 1",
            "RSET",
            "VRFY x",
            "HELP",
            "NOOP",
            "QUIT",
            "STARTTLS",
            "AUTH PLAIN",
        ] {
            let verb = parse_line(line.as_bytes()).map(|c| c.verb()).unwrap_or_default();
            assert!(COMMAND_NAMES.contains(&verb), "{line}: {verb}");
        }
    }

    /// A typed MAIL or RCPT that is refused says what is wrong with it, not always "the angle
    /// brackets are required" (qa10 typed `RCPT  TO:<bob@bob.example>` and was told that).
    #[test]
    fn a_refused_path_says_what_is_wrong() {
        for (line, why) in [
            ("MAIL FROM:alice@alice.example", "MAIL FROM:<address> (the angle brackets are required)"),
            (
                "MAIL  FROM:<alice@alice.example>",
                "MAIL FROM:<address> (one space after the verb, none before the colon)",
            ),
            (
                "MAIL FROM :<alice@alice.example>",
                "MAIL FROM:<address> (one space after the verb, none before the colon)",
            ),
            ("RCPT TO:<bob@bob.example", "RCPT TO:<address> (the closing > is missing)"),
            ("RCPT TO:<bob@bob.example>NOTIFY=NEVER", "RCPT TO:<address> (a space between the > and a parameter)"),
            ("rcpt to bob", "RCPT TO:<address> (the colon is missing)"),
            ("MAIL alice@alice.example", "MAIL FROM:<address> (FROM: is missing)"),
        ] {
            let e = bad(&format!("{line}\r\n"));
            assert_eq!((e.code, e.text.as_str()), (501, format!("Syntax: {why}").as_str()), "{line}");
        }
        // A space after the colon is let through, as Postfix does.
        assert!(matches!(ok("MAIL FROM: <alice@alice.example>\r\n"), Command::Mail { .. }));
    }

    #[test]
    fn every_truncated_prefix_is_incomplete() {
        for line in [
            "EHLO alice.example\r\n",
            "MAIL FROM:<alice@alice.example>\r\n",
            "RCPT TO:<bob@bob.example>\r\n",
            "DATA\r\n",
            "QUIT\r\n",
            "FOO\r\n",
        ] {
            for n in 0..line.len() {
                assert_eq!(decode(&line.as_bytes()[..n]), Decoded::Incomplete, "prefix {n} of {line:?}");
            }
        }
    }

    #[test]
    fn a_bare_lf_does_not_end_a_command() {
        assert_eq!(decode(b"QUIT\n"), Decoded::Incomplete);
        assert!(matches!(decode(b"QUIT\nQUIT\r\n"), Decoded::Invalid(_, 11)));
    }
}
