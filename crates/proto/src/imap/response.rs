//! IMAP server responses as the server builds them (RFC 9051 §7): lines of bytes, in which
//! a literal (`{n}` CRLF and n octets) is carried as bytes, so that `n` counts the octets
//! of any body, 8-bit or not; and the status of a tagged response.

use std::fmt;

/// The status of a tagged (or untagged) status response (RFC 9051 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The command completed.
    Ok,
    /// The command was understood but failed.
    No,
    /// The command was not understood (syntax, unknown, wrong state).
    Bad,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
        })
    }
}

/// One response line, without its final CRLF; a literal inside it carries its own CRLF and
/// bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line(Vec<u8>);

impl Line {
    pub fn new(text: impl AsRef<str>) -> Self {
        Line(text.as_ref().as_bytes().to_vec())
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.0.extend_from_slice(text.as_bytes());
        self
    }

    /// Appends a literal: `{n}` CRLF, then the `n` octets as they are.
    pub fn literal(&mut self, octets: &[u8]) -> &mut Self {
        self.0.extend_from_slice(format!("{{{}}}\r\n", octets.len()).as_bytes());
        self.0.extend_from_slice(octets);
        self
    }

    /// Appends another line's bytes (a part built on its own, literal included).
    pub fn append(&mut self, other: &Line) -> &mut Self {
        self.0.extend_from_slice(&other.0);
        self
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The line as text for the diagram (bytes that are not UTF-8 shown as U+FFFD).
    pub fn to_text(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// The line on the wire: its bytes and CRLF.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
        out.extend_from_slice(b"\r\n");
    }
}

impl From<String> for Line {
    fn from(s: String) -> Self {
        Line(s.into_bytes())
    }
}

impl From<&str> for Line {
    fn from(s: &str) -> Self {
        Line::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_counts_octets_not_characters() {
        let body = [b'a', 0xE9, b'\r', b'\n'];
        let mut l = Line::new("* 1 FETCH (BODY[] ");
        l.literal(&body).push(")");
        let mut out = Vec::new();
        l.encode_into(&mut out);
        assert_eq!(out, b"* 1 FETCH (BODY[] {4}\r\na\xE9\r\n)\r\n");
        assert_eq!(l.to_text(), "* 1 FETCH (BODY[] {4}\r\na\u{FFFD}\r\n)");
        let utf8 = "é".as_bytes();
        assert!(Line::default().literal(utf8).as_bytes().starts_with(b"{2}"));
        assert_eq!(Status::No.to_string(), "NO");
    }
}
