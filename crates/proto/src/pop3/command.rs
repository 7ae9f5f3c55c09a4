//! POP3 command lines (RFC 1939 §3): a case-insensitive keyword of three or four characters,
//! arguments separated by single spaces, CRLF.

use crate::codec::{find_crlf, Decoded};
use std::fmt;

/// The longest command line, CRLF included (RFC 2449 §4).
pub const MAX_COMMAND_LINE: usize = crate::limits::POP3_COMMAND_LINE;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(String),
    Stat,
    List(Option<u32>),
    Retr(u32),
    Dele(u32),
    Noop,
    Rset,
    Quit,
    Top(u32, u32),
    Uidl(Option<u32>),
    Capa,
    /// `APOP name digest` (RFC 1939 §7): log in without sending the password.
    Apop(String, String),
    /// `STLS` (RFC 2595 §4): upgrade to TLS.
    Stls,
    /// `AUTH [mechanism [initial-response]]` (RFC 5034 §4): log in with a SASL mechanism.
    /// Without a mechanism: the list of mechanisms (a pre-RFC form many clients still send).
    Auth(Option<String>, Option<String>),
    /// A client's line in the middle of AUTH: base64 answering the server's `+` challenge,
    /// or `*` to cancel (RFC 5034 §4). Never read by [`decode`]: only the server knows it is
    /// waiting for one.
    SaslResponse(String),
    /// `LAST` (RFC 1460), removed from POP3 by RFC 1725: read, so that it can be refused with
    /// an explanation.
    Last,
}

/// The command keywords of RFC 1939 (and its extensions: CAPA, STLS, AUTH, RFC 2449, 2595,
/// 5034), and LAST (RFC 1460, answered): the verbs of [`Command`] (what an activity's task may
/// name, `mailsim_sim::activity`).
pub const COMMAND_NAMES: &[&str] = &[
    "RETR", "USER", "PASS", "APOP", "AUTH", "STAT", "LIST", "DELE", "NOOP", "RSET", "QUIT", "TOP", "UIDL", "CAPA",
    "STLS", "LAST",
];

impl Command {
    pub fn keyword(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Top(..) => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Capa => "CAPA",
            Command::Apop(..) => "APOP",
            Command::Stls => "STLS",
            Command::Auth(..) => "AUTH",
            Command::SaslResponse(_) => "",
            Command::Last => "LAST",
        }
    }

    /// Whether a positive answer to this command is multi-line (RFC 1939 §3).
    pub fn expects_multiline(&self) -> bool {
        matches!(
            self,
            Command::List(None)
                | Command::Uidl(None)
                | Command::Retr(_)
                | Command::Top(..)
                | Command::Capa
                | Command::Auth(None, _)
        )
    }

    pub fn encode(&self) -> Vec<u8> {
        format!("{self}\r\n").into_bytes()
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.keyword();
        match self {
            Command::User(s) | Command::Pass(s) => write!(f, "{k} {s}"),
            Command::List(Some(n)) | Command::Uidl(Some(n)) | Command::Retr(n) | Command::Dele(n) => {
                write!(f, "{k} {n}")
            }
            Command::Top(n, l) => write!(f, "{k} {n} {l}"),
            Command::Apop(n, d) => write!(f, "{k} {n} {d}"),
            Command::Auth(Some(m), Some(i)) => write!(f, "{k} {m} {i}"),
            Command::Auth(Some(m), None) => write!(f, "{k} {m}"),
            Command::SaslResponse(line) => f.write_str(line),
            _ => f.write_str(k),
        }
    }
}

/// Why a command line was refused: the text of the `-ERR` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Error(pub String);

/// [`decode`] as a server reads: a line ended by a bare LF (`nc` without `-C`) is refused at
/// once (`-ERR`, [`crate::codec::line_end`]) instead of waiting for a CRLF that never comes.
pub fn decode_received(buf: &[u8]) -> Decoded<Command, Pop3Error> {
    match crate::codec::line_end(buf) {
        Some((n, true)) => Decoded::Invalid(Pop3Error(crate::codec::BARE_LF.into()), n),
        _ => decode(buf),
    }
}

/// Reads one command line from the start of `buf`.
pub fn decode(buf: &[u8]) -> Decoded<Command, Pop3Error> {
    let Some(end) = find_crlf(buf) else { return Decoded::Incomplete };
    // MAX_COMMAND_LINE unless the driver raised it (`mailsim serve`).
    let max = crate::limits::pop3_command_line();
    if end > max {
        return Decoded::Invalid(
            Pop3Error(format!("command line too long (the limit is {max} octets, RFC 2449 section 4)")),
            end,
        );
    }
    match parse(&buf[..end - 2]) {
        Ok(c) => Decoded::Complete(c, end),
        Err(e) => Decoded::Invalid(Pop3Error(e), end),
    }
}

fn parse(line: &[u8]) -> Result<Command, String> {
    let line = std::str::from_utf8(line).map_err(|_| "command line is not text".to_string())?;
    let mut parts = line.split(' ');
    let keyword = parts.next().unwrap_or("").to_ascii_uppercase();
    let args: Vec<&str> = parts.collect();
    let num = |s: &str| -> Result<u32, String> {
        match s.parse::<u32>() {
            Ok(n) if n > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(format!("\"{s}\" is not a message number (1, 2, 3, ...)")),
        }
    };
    let arity = |want: &[usize], usage: &str| -> Result<(), String> {
        if want.contains(&args.len()) && args.iter().all(|a| !a.is_empty()) {
            Ok(())
        } else if args.iter().any(|a| a.is_empty()) {
            // `retr 1 ` or `list  2`: RFC 1939 §3 separates words by one space, none after.
            Err(format!("usage: {usage} (one space between words, none at the end)"))
        } else {
            Err(format!("usage: {usage}"))
        }
    };
    Ok(match keyword.as_str() {
        "USER" => {
            arity(&[1], "USER name")?;
            Command::User(args[0].to_string())
        }
        "PASS" => {
            // The password is the rest of the line, spaces included (RFC 1939 §7).
            let pass = line.get(5..).unwrap_or("");
            if pass.is_empty() {
                return Err("usage: PASS password".into());
            }
            Command::Pass(pass.to_string())
        }
        "STAT" => arity(&[0], "STAT").map(|_| Command::Stat)?,
        "LIST" => {
            arity(&[0, 1], "LIST [message-number]")?;
            Command::List(args.first().map(|a| num(a)).transpose()?)
        }
        "RETR" => {
            arity(&[1], "RETR message-number")?;
            Command::Retr(num(args[0])?)
        }
        "DELE" => {
            arity(&[1], "DELE message-number")?;
            Command::Dele(num(args[0])?)
        }
        "NOOP" => arity(&[0], "NOOP").map(|_| Command::Noop)?,
        "RSET" => arity(&[0], "RSET").map(|_| Command::Rset)?,
        "QUIT" => arity(&[0], "QUIT").map(|_| Command::Quit)?,
        "TOP" => {
            arity(&[2], "TOP message-number lines")?;
            let lines = args[1].parse::<u32>().map_err(|_| format!("\"{}\" is not a number of lines", args[1]))?;
            Command::Top(num(args[0])?, lines)
        }
        "UIDL" => {
            arity(&[0, 1], "UIDL [message-number]")?;
            Command::Uidl(args.first().map(|a| num(a)).transpose()?)
        }
        "CAPA" => arity(&[0], "CAPA").map(|_| Command::Capa)?,
        "APOP" => {
            arity(&[2], "APOP name digest")?;
            if args[1].len() != 32 || !args[1].bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(
                    "the APOP digest is 32 hexadecimal digits (MD5 of the greeting's timestamp and the password)"
                        .into(),
                );
            }
            Command::Apop(args[0].to_string(), args[1].to_ascii_lowercase())
        }
        "STLS" => arity(&[0], "STLS").map(|_| Command::Stls)?,
        "AUTH" => {
            arity(&[0, 1, 2], "AUTH [mechanism [initial-response]]")?;
            let mechanism = args.first().map(|m| m.to_ascii_uppercase());
            Command::Auth(mechanism, args.get(1).map(|s| s.to_string()))
        }
        "LAST" => arity(&[0], "LAST").map(|_| Command::Last)?,
        "" => return Err("empty command line".into()),
        _ => return Err(format!("unknown command \"{}\"", keyword.chars().take(20).collect::<String>())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name of [`COMMAND_NAMES`] is a command the parser knows, and every [`Command`]'s
    /// verb is listed.
    #[test]
    fn the_command_names_are_the_parsers() {
        for name in COMMAND_NAMES {
            let e = parse(format!("{name} x").as_bytes()).err().unwrap_or_default();
            assert!(!e.starts_with("unknown command"), "{name}: {e}");
        }
        for line in [
            "USER bob",
            "PASS pw",
            "APOP bob 0123456789abcdef0123456789abcdef",
            "AUTH PLAIN",
            "STAT",
            "LIST",
            "RETR 1",
            "DELE 1",
            "NOOP",
            "RSET",
            "QUIT",
            "TOP 1 0",
            "UIDL",
            "CAPA",
            "STLS",
            "LAST",
        ] {
            let verb = parse(line.as_bytes()).map(|c| c.keyword()).unwrap_or_default();
            assert!(COMMAND_NAMES.contains(&verb), "{line}: {verb}");
        }
    }

    #[test]
    fn decodes_and_round_trips() {
        for (line, cmd) in [
            ("USER bob", Command::User("bob".into())),
            ("PASS open sesame", Command::Pass("open sesame".into())),
            ("STAT", Command::Stat),
            ("LIST", Command::List(None)),
            ("LIST 2", Command::List(Some(2))),
            ("RETR 1", Command::Retr(1)),
            ("DELE 1", Command::Dele(1)),
            ("TOP 1 0", Command::Top(1, 0)),
            ("UIDL", Command::Uidl(None)),
            ("CAPA", Command::Capa),
            ("QUIT", Command::Quit),
            ("AUTH", Command::Auth(None, None)),
            ("AUTH PLAIN", Command::Auth(Some("PLAIN".into()), None)),
            ("AUTH PLAIN AGJvYgBzZWNyZXQ=", Command::Auth(Some("PLAIN".into()), Some("AGJvYgBzZWNyZXQ=".into()))),
            ("LAST", Command::Last),
        ] {
            assert_eq!(decode(format!("{line}\r\n").as_bytes()), Decoded::Complete(cmd.clone(), line.len() + 2));
            assert_eq!(cmd.to_string(), line);
        }
        assert_eq!(decode(b"retr 1\r\n"), Decoded::Complete(Command::Retr(1), 8));
    }

    #[test]
    fn bad_lines_are_invalid_with_a_helpful_text() {
        for line in [
            "RETR\r\n",
            "RETR x\r\n",
            "RETR 0\r\n",
            "DELE -1\r\n",
            "LIST 1 2\r\n",
            "FOO\r\n",
            "\r\n",
            "STAT 1\r\n",
            "TOP 1\r\n",
            "AUTH PLAIN x y\r\n",
            "AUTH  PLAIN\r\n",
            "LAST 1\r\n",
        ] {
            assert!(matches!(decode(line.as_bytes()), Decoded::Invalid(_, n) if n == line.len()), "{line:?}");
        }
        let Decoded::Invalid(Pop3Error(t), _) = decode(b"RETR x\r\n") else { panic!() };
        assert!(t.contains("not a message number"));
        // A space too many (typed by hand) says so, not only the usage.
        for line in ["retr 1 \r\n", "list  2\r\n", "user bob \r\n"] {
            let Decoded::Invalid(Pop3Error(t), _) = decode(line.as_bytes()) else { panic!("{line:?}") };
            assert!(t.ends_with("(one space between words, none at the end)"), "{line:?}: {t}");
        }
        let Decoded::Invalid(Pop3Error(t), _) = decode(b"RETR\r\n") else { panic!() };
        assert_eq!(t, "usage: RETR message-number");
    }

    #[test]
    fn every_truncated_prefix_is_incomplete() {
        for line in ["USER bob\r\n", "RETR 1\r\n", "QUIT\r\n"] {
            for n in 0..line.len() {
                assert_eq!(decode(&line.as_bytes()[..n]), Decoded::Incomplete);
            }
        }
    }
}
