//! SMTP replies (RFC 5321 §4.2): `code SP text CRLF`, or several lines `code - text CRLF`
//! ending with `code SP text CRLF`. A multi-line reply is one [`Reply`].

use crate::codec::{find_crlf, Decoded};
use crate::engine::Closing;
use std::fmt;

/// One SMTP reply: a three-digit code and one or more text lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// A one-line reply.
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Reply { code, lines: vec![text.into()] }
    }

    /// A reply with an enhanced status code (RFC 3463) in front of its text.
    pub fn enhanced(code: u16, status: &str, text: impl AsRef<str>) -> Self {
        Reply::new(code, format!("{status} {}", text.as_ref()))
    }

    /// `2yz`: the requested action was completed.
    pub fn is_positive_completion(&self) -> bool {
        (200..300).contains(&self.code)
    }
    /// `3yz`: go on (354 after DATA, 334 in AUTH).
    pub fn is_positive_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }
    /// `4yz`: not done, but trying again later may work.
    pub fn is_transient_failure(&self) -> bool {
        (400..500).contains(&self.code)
    }
    /// `5yz`: not done, and the same request will fail again.
    pub fn is_permanent_failure(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The text of all lines, joined by spaces.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// The wire form: every line with its CRLF.
    pub fn encode(&self) -> Vec<u8> {
        format!("{self}\r\n").into_bytes()
    }
}

/// The wire form without the final CRLF (lines separated by CRLF).
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            if i > 0 {
                f.write_str("\r\n")?;
            }
            // RFC 5321 §4.2 lets an empty text go without its space, but a 334 challenge
            // keeps it: `continue-req = "334" SP [base64] CRLF` (RFC 4954 §4, §8).
            if line.is_empty() && i == last && self.code != 334 {
                write!(f, "{}", self.code)?;
            } else {
                write!(f, "{}{sep}{line}", self.code)?;
            }
        }
        Ok(())
    }
}

/// Why bytes from a server are not a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyError(pub String);

/// Reads one whole reply (all its lines) from the start of `buf`.
pub fn decode(buf: &[u8]) -> Decoded<Reply, ReplyError> {
    let mut pos = 0usize;
    let mut code = None;
    let mut lines = Vec::new();
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some(len) = find_crlf(rest) else { return Decoded::Incomplete };
        let line = rest.get(..len.saturating_sub(2)).unwrap_or_default();
        pos = pos.saturating_add(len);
        let bad = |why: &str| Decoded::Invalid(ReplyError(why.to_string()), pos);
        let this: Option<u16> = match line.get(..3) {
            Some(digits @ [b'2'..=b'5', b'0'..=b'9', b'0'..=b'9']) => {
                std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok())
            }
            _ => None,
        };
        let Some(this) = this else {
            return bad("a reply line must start with a three-digit code from 200 to 599");
        };
        if code.is_some_and(|c| c != this) {
            return bad("the lines of a multi-line reply must all carry the same code");
        }
        code = Some(this);
        let text = String::from_utf8_lossy(line.get(4..).unwrap_or_default()).into_owned();
        match line.get(3) {
            None | Some(b' ') => {
                lines.push(text);
                return Decoded::Complete(Reply { code: this, lines }, pos);
            }
            Some(b'-') => lines.push(text),
            Some(_) => return bad("the code must be followed by a space or a hyphen"),
        }
    }
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
    /// The answer to a BDAT chunk that is not the last (RFC 3030 §2); the last chunk's
    /// answer is [`SmtpReplyTo::EndOfData`].
    Bdat,
    /// A `334` challenge inside an AUTH exchange.
    AuthChallenge,
    /// A command that could not be parsed or came out of sequence.
    Error,
    /// The server ends the session on its own (idle client, shutdown, too many connections).
    Closing(Closing),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_334_challenge_keeps_its_space() {
        assert_eq!(Reply::new(334, "").encode(), b"334 \r\n");
        assert_eq!(Reply::new(250, "").encode(), b"250\r\n");
        // The client reads both forms as an empty challenge.
        for wire in [&b"334 \r\n"[..], b"334\r\n"] {
            let Decoded::Complete(r, n) = decode(wire) else { panic!("{wire:?}") };
            assert_eq!((r.code, r.text(), n), (334, String::new(), wire.len()));
        }
    }

    #[test]
    fn one_and_multi_line_replies_round_trip() {
        let wire = "250-mail.bob.example greets alice.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n";
        let Decoded::Complete(r, n) = decode(wire.as_bytes()) else { panic!() };
        assert_eq!(n, wire.len());
        assert_eq!(r.code, 250);
        assert_eq!(r.lines.len(), 3);
        assert_eq!(r.encode(), wire.as_bytes());
        let one = Reply::enhanced(250, "2.1.0", "Sender <a@b.example> OK");
        assert_eq!(one.encode(), b"250 2.1.0 Sender <a@b.example> OK\r\n");
        assert_eq!(decode(b"221\r\n"), Decoded::Complete(Reply::new(221, ""), 5));
    }

    #[test]
    fn every_truncated_prefix_is_incomplete() {
        let wire = b"250-mail.bob.example\r\n250 SIZE 10240000\r\n";
        for n in 0..wire.len() {
            assert_eq!(decode(&wire[..n]), Decoded::Incomplete, "prefix {n}");
        }
    }

    #[test]
    fn malformed_replies_are_invalid() {
        assert!(matches!(decode(b"hello\r\n"), Decoded::Invalid(..)));
        assert!(matches!(decode(b"250-a\r\n251 b\r\n"), Decoded::Invalid(..)));
        assert!(matches!(decode(b"250_x\r\n"), Decoded::Invalid(..)));
        assert!(matches!(decode(b"199 x\r\n"), Decoded::Invalid(..)));
    }
}
