//! Mail data (RFC 5321 §4.1.1.4 and §4.5.2): the message travels after `354` as CRLF lines;
//! a line holding only `.` ends it, so a line of the message that starts with `.` gets a
//! second `.` in front (dot-stuffing) and the receiver removes it.
//!
//! Only `CRLF . CRLF` ends the data: a bare LF or CR next to a dot does not (RFC 5321
//! §2.3.8), which is what keeps a receiver safe from "SMTP smuggling".

use crate::codec::{find_crlf, Decoded};

/// The longest text line in mail data, CRLF included (RFC 5321 §4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = 1000;

/// The bytes a client sends after `354`: `message` with lines dot-stuffed, a CRLF added if
/// the message does not end with one, then the terminating `.` line.
pub fn encode(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n' && out.len() >= 2 && out[out.len() - 2] == b'\r';
    }
    if !message.is_empty() && !message.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// What a receiver read: the message with dot-stuffing undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailData {
    pub message: Vec<u8>,
    /// The longest line, CRLF included (the limit is [`MAX_TEXT_LINE`]).
    pub longest_line: usize,
    /// A CR or LF appeared on its own, not as part of CRLF (RFC 5321 §2.3.8).
    pub bare_cr_or_lf: bool,
}

/// Reads mail data from the start of `buf` (which must be the start of a line) up to and
/// including the terminating `.` line. [`Decoded::Incomplete`] until that line has arrived.
pub fn decode(buf: &[u8]) -> Decoded<MailData, ()> {
    let mut pos = 0;
    let mut message = Vec::with_capacity(buf.len());
    let mut longest_line = 0;
    let mut bare_cr_or_lf = false;
    while let Some(len) = find_crlf(&buf[pos..]) {
        let line = &buf[pos..pos + len];
        pos += len;
        if line == b".\r\n" {
            return Decoded::Complete(MailData { message, longest_line, bare_cr_or_lf }, pos);
        }
        bare_cr_or_lf |= line[..len - 2].iter().any(|&b| b == b'\r' || b == b'\n');
        longest_line = longest_line.max(len);
        message.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    Decoded::Incomplete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_round_trips() {
        let msg = b"Subject: dots\r\n\r\n.A line that starts with a .\r\n.. Another one\r\n.\r\nend\r\n";
        let wire = encode(msg);
        assert_eq!(
            wire,
            b"Subject: dots\r\n\r\n..A line that starts with a .\r\n... Another one\r\n..\r\nend\r\n.\r\n".to_vec()
        );
        assert_eq!(
            decode(&wire),
            Decoded::Complete(MailData { message: msg.to_vec(), longest_line: 31, bare_cr_or_lf: false }, wire.len())
        );
    }

    #[test]
    fn adds_the_missing_final_crlf() {
        assert_eq!(encode(b"hi"), b"hi\r\n.\r\n");
        assert_eq!(encode(b""), b".\r\n");
    }

    #[test]
    fn only_crlf_dot_crlf_ends_the_data() {
        // The smuggling attempts: `\n.\r\n`, `\r\n.\n`, `\r.\r` must not end the data.
        for sneaky in [&b"a\n.\r\nMAIL FROM:<x@y.example>\r\n"[..], b"a\r\n.\nb\r\n", b"a\r.\r\nb\r\n"] {
            assert_eq!(decode(sneaky), Decoded::Incomplete, "{sneaky:?}");
        }
    }

    #[test]
    fn bare_cr_and_lf_are_noticed() {
        let Decoded::Complete(d, _) = decode(b"a\nb\r\n.\r\n") else { panic!() };
        assert!(d.bare_cr_or_lf);
        let Decoded::Complete(d, _) = decode(b"a\rb\r\n.\r\n") else { panic!() };
        assert!(d.bare_cr_or_lf);
        let Decoded::Complete(d, _) = decode(b"ab\r\n.\r\n") else { panic!() };
        assert!(!d.bare_cr_or_lf);
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let wire = encode(b"Subject: x\r\n\r\n.hidden\r\n");
        for n in 0..wire.len() {
            assert_eq!(decode(&wire[..n]), Decoded::Incomplete, "prefix {n}");
        }
    }
}
