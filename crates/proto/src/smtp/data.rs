//! Mail data (RFC 5321 §4.1.1.4 and §4.5.2): the message travels after `354` as CRLF lines;
//! a line holding only `.` ends it, so a line of the message that starts with `.` gets a
//! second `.` in front (dot-stuffing) and the receiver removes it.
//!
//! Only `CRLF . CRLF` ends the data: a bare LF or CR next to a dot does not (RFC 5321
//! §2.3.8), which is what keeps a receiver safe from "SMTP smuggling".
//!
//! **Bare LF (or CR) in a message: refused.** RFC 5321 §2.3.8 says CR and LF may only be
//! sent together as CRLF, and §4.1.1.4 that the data is CRLF-terminated lines. A receiver
//! may either normalize (Postfix's `smtpd_forbid_bare_newline = normalize`) or refuse
//! (`= reject`); Mailsim refuses the whole message at its end with `554 5.5.2` (the server
//! in `smtp::server`), so a message is never silently changed and the learner sees why.
//! The reader itself keeps bare CR/LF bytes as they are and only reports them.
//!
//! Mail is bytes: 8-bit and invalid UTF-8 octets pass through untouched (RFC 6152
//! 8BITMIME); nothing here decodes text.

use crate::codec::Decoded;

/// The longest text line in mail data, CRLF included (RFC 5321 §4.5.3.1.6).
pub const MAX_TEXT_LINE: usize = crate::limits::SMTP_TEXT_LINE;

/// The bytes a client sends after `354`: `message` with lines dot-stuffed, a CRLF added if
/// the message does not end with one, then the terminating `.` line.
pub fn encode(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len().saturating_add(16));
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n' && out.len() >= 2 && out.get(out.len().saturating_sub(2)) == Some(&b'\r');
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
    let mut reader = DataReader::new(usize::MAX);
    match reader.feed(buf) {
        Some(n) => Decoded::Complete(reader.finish(), n),
        None => Decoded::Incomplete,
    }
}

/// Mail data read as it arrives, in one pass: every byte is looked at once, however the
/// bytes are split across reads (the end-of-data line `CRLF . CRLF` may be split anywhere),
/// so a message costs O(its size). Dot-stuffing is undone on the way. Past `keep` octets
/// the message is no longer kept (memory stays bounded), but the data is still read to its
/// end so that the reply comes at the right place ([`DataReader::dropped`]).
///
/// Bare CR and bare LF (RFC 5321 §2.3.8) are kept as they are and noticed
/// ([`MailData::bare_cr_or_lf`]); they never end a line or the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataReader {
    message: Vec<u8>,
    keep: usize,
    /// The next byte starts a line.
    line_start: bool,
    /// This line started with a `.` (not kept: stuffing, or the end-of-data line).
    dot_first: bool,
    /// The last byte was a CR whose LF may still come.
    pending_cr: bool,
    /// Octets of this line so far as sent (dot and CR included), and as kept.
    line_len: usize,
    content_len: usize,
    longest_line: usize,
    bare_cr_or_lf: bool,
    dropped: bool,
}

/// Octets of message that a BDAT chunk carries (RFC 3030 §2): no dot-stuffing and no end
/// line, the chunk's size says where it ends. [`DataReader::feed_raw`] keeps them with the
/// same bound and the same line checks (longest line, bare CR or LF) as DATA, across any
/// number of chunks, in one pass.
impl DataReader {
    /// Takes `bytes` as they are (a BDAT chunk, or part of one).
    pub fn feed_raw(&mut self, bytes: &[u8]) {
        self.store(bytes);
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.pending_cr {
                self.pending_cr = false;
                if rest.first() == Some(&b'\n') {
                    self.line_len = self.line_len.saturating_add(1);
                    self.longest_line = self.longest_line.max(self.line_len);
                    self.line_len = 0;
                    rest = rest.get(1..).unwrap_or_default();
                    continue;
                }
                self.bare_cr_or_lf = true;
            }
            let run = rest.iter().position(|&c| c == b'\r' || c == b'\n').unwrap_or(rest.len());
            self.line_len = self.line_len.saturating_add(run);
            match rest.get(run) {
                Some(b'\r') => self.pending_cr = true,
                Some(_) => self.bare_cr_or_lf = true,
                None => {}
            }
            if run < rest.len() {
                self.line_len = self.line_len.saturating_add(1);
            }
            rest = rest.get(run.saturating_add(1)..).unwrap_or_default();
        }
    }

    /// What the chunks held (after the chunk marked LAST): a CR at the very end is a bare
    /// CR, and a last line without CRLF still counts for the longest line.
    pub fn finish_raw(mut self) -> MailData {
        if self.pending_cr {
            self.bare_cr_or_lf = true;
        }
        self.longest_line = self.longest_line.max(self.line_len);
        self.finish()
    }
}

impl DataReader {
    /// A reader that keeps at most `keep` octets of the message.
    pub fn new(keep: usize) -> Self {
        DataReader {
            message: Vec::new(),
            keep,
            line_start: true,
            dot_first: false,
            pending_cr: false,
            line_len: 0,
            content_len: 0,
            longest_line: 0,
            bare_cr_or_lf: false,
            dropped: false,
        }
    }

    fn store(&mut self, bytes: &[u8]) {
        if self.dropped {
            return;
        }
        if self.message.len().saturating_add(bytes.len()) > self.keep {
            self.dropped = true;
            self.message = Vec::new();
        } else {
            self.message.extend_from_slice(bytes);
        }
    }

    /// Reads `bytes`; `Some(n)` when the end-of-data line ended at `bytes[n - 1]` (the rest
    /// is not mail data), `None` when more is needed.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut i = 0usize;
        while let Some(&b) = bytes.get(i) {
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    i = i.saturating_add(1);
                    self.line_len = self.line_len.saturating_add(1);
                    if self.dot_first && self.content_len == 0 {
                        return Some(i);
                    }
                    self.longest_line = self.longest_line.max(self.line_len);
                    self.store(b"\r\n");
                    (self.line_start, self.dot_first, self.line_len, self.content_len) = (true, false, 0, 0);
                    continue;
                }
                // A CR on its own.
                self.bare_cr_or_lf = true;
                self.store(b"\r");
                self.content_len = self.content_len.saturating_add(1);
            }
            if std::mem::take(&mut self.line_start) && b == b'.' {
                self.dot_first = true;
                self.line_len = self.line_len.saturating_add(1);
                i = i.saturating_add(1);
                continue;
            }
            match b {
                b'\r' => {
                    self.pending_cr = true;
                    self.line_len = self.line_len.saturating_add(1);
                    i = i.saturating_add(1);
                }
                b'\n' => {
                    self.bare_cr_or_lf = true;
                    self.store(b"\n");
                    self.content_len = self.content_len.saturating_add(1);
                    self.line_len = self.line_len.saturating_add(1);
                    i = i.saturating_add(1);
                }
                _ => {
                    let rest = bytes.get(i..).unwrap_or_default();
                    let run = rest.iter().position(|&c| c == b'\r' || c == b'\n').unwrap_or(rest.len());
                    self.store(rest.get(..run).unwrap_or_default());
                    self.content_len = self.content_len.saturating_add(run);
                    self.line_len = self.line_len.saturating_add(run);
                    i = i.saturating_add(run);
                }
            }
        }
        None
    }

    /// Octets of message kept so far.
    pub fn len(&self) -> usize {
        self.message.len()
    }

    pub fn is_empty(&self) -> bool {
        self.message.is_empty()
    }

    /// Whether the message went past `keep` octets and was dropped.
    pub fn dropped(&self) -> bool {
        self.dropped
    }

    /// What was read (call after [`DataReader::feed`] returned `Some`).
    pub fn finish(self) -> MailData {
        MailData { message: self.message, longest_line: self.longest_line, bare_cr_or_lf: self.bare_cr_or_lf }
    }
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

    /// The same bytes split anywhere, in two or three reads, give the same message.
    #[test]
    fn any_split_gives_the_same_result() {
        let msgs: [&[u8]; 4] = [
            b"Subject: dots\r\n\r\n.A\r\n..B\r\n.\r\nend\r\n",
            b"a\nb\rc\r\r\n\r\n.\r.\n..\r\n",
            b"\x80\xFF\xC1 bytes\r\n\r\n\xE9t\xE9\r\n",
            b"",
        ];
        for msg in msgs {
            let mut wire = encode(msg);
            wire.extend_from_slice(b"NEXT COMMAND\r\n");
            let Decoded::Complete(whole, end) = decode(&wire) else { panic!("{msg:?}") };
            assert_eq!(whole.message, msg.to_vec());
            assert_eq!(&wire[end..], b"NEXT COMMAND\r\n");
            for a in 0..=wire.len() {
                for b in a..=wire.len() {
                    let mut r = DataReader::new(usize::MAX);
                    let mut at = None;
                    for (from, to) in [(0, a), (a, b), (b, wire.len())] {
                        if let Some(n) = r.feed(&wire[from..to]) {
                            at = Some(from + n);
                            break;
                        }
                    }
                    assert_eq!(at, Some(end), "{msg:?} split at {a}, {b}");
                    assert_eq!(r.finish(), whole, "{msg:?} split at {a}, {b}");
                }
            }
        }
    }

    #[test]
    fn past_keep_the_message_is_dropped_but_read_to_its_end() {
        let mut r = DataReader::new(10);
        assert_eq!(r.feed(b"0123456789"), None);
        assert!(!r.dropped());
        assert_eq!(r.feed(b"abc\r\n.\r\nQUIT\r\n"), Some(8));
        assert!(r.dropped());
        assert!(r.finish().message.is_empty());
    }

    #[test]
    fn ten_megabytes_in_small_reads_is_linear() {
        let line = b"0123456789012345678901234567890123456789012345678901234567890123456789012345\r\n";
        let msg = line.repeat(10 * 1024 * 1024 / line.len());
        let wire = encode(&msg);
        let mut r = DataReader::new(usize::MAX);
        let mut end = None;
        for (k, chunk) in wire.chunks(1024).enumerate() {
            if let Some(n) = r.feed(chunk) {
                end = Some(k * 1024 + n);
            }
        }
        assert_eq!(end, Some(wire.len()));
        assert_eq!(r.finish().message, msg);
    }

    #[test]
    fn raw_chunks_split_anywhere_give_the_same_result() {
        for msg in [&b"Subject: x\r\n\r\n.dot stays\r\nend"[..], b"a\nb\r\n", b"cr at end\r", b"\r\n\r\n", b""] {
            let mut whole = DataReader::new(usize::MAX);
            whole.feed_raw(msg);
            let whole = whole.finish_raw();
            assert_eq!(whole.message, msg.to_vec());
            for a in 0..=msg.len() {
                let mut r = DataReader::new(usize::MAX);
                r.feed_raw(&msg[..a]);
                r.feed_raw(&msg[a..]);
                assert_eq!(r.finish_raw(), whole, "{msg:?} split at {a}");
            }
        }
        let lines = |m: &[u8]| {
            let mut r = DataReader::new(usize::MAX);
            r.feed_raw(m);
            let d = r.finish_raw();
            (d.longest_line, d.bare_cr_or_lf)
        };
        assert_eq!(lines(b"abc\r\nde\r\n"), (5, false));
        assert_eq!(lines(b"abc\nde"), (6, true), "a bare LF does not end a line");
        assert_eq!(lines(b"abc\r"), (4, true));
        assert_eq!(lines(b"abcdef"), (6, false));
        let mut r = DataReader::new(4);
        r.feed_raw(b"abc");
        r.feed_raw(b"de");
        assert!(r.dropped());
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let wire = encode(b"Subject: x\r\n\r\n.hidden\r\n");
        for n in 0..wire.len() {
            assert_eq!(decode(&wire[..n]), Decoded::Incomplete, "prefix {n}");
        }
    }
}
