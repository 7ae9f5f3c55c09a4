//! What every codec shares: [`Decoded`] (a unit, `Incomplete`, or `Invalid`), the CRLF line
//! rule, and the visible form of raw bytes.

/// The outcome of trying to decode one unit (a command line, a reply) from a byte buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<T, E> {
    /// A whole unit was read; it used the first `usize` bytes.
    Complete(T, usize),
    /// The buffer holds only a prefix of a unit: wait for more bytes.
    Incomplete,
    /// The first `usize` bytes form a unit that is not valid; `E` says why.
    Invalid(E, usize),
}

/// Finds the end of the first CRLF-terminated line in `buf`: the index just past the LF.
/// A bare LF does not end a line (RFC 5321 §2.3.8, RFC 1939 §3).
pub fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n").map(|i| i.saturating_add(2))
}

/// Finds the end of the first command line in `buf` (the index just past its LF), and whether
/// it ended with a bare LF, which a command line may not (RFC 5321 §2.3.8, RFC 1939 §3, RFC
/// 9051 §2.2): such a line is refused at once with [`BARE_LF`], not left waiting for a CRLF
/// that `nc` or a learner's `"\n"` never sends.
///
/// The same in the page and in `mailsim serve`: one set of engines (the page's world and
/// terminal write every line with its CRLF, so there it never refuses; the refusal costs the
/// engine module ~0.1 KB, docs/benchmarks.md "qa18class").
#[inline(always)]
pub fn line_end(buf: &[u8]) -> Option<(usize, bool)> {
    let i = buf.iter().position(|&b| b == b'\n')?;
    Some((i.saturating_add(1), i.checked_sub(1).and_then(|j| buf.get(j)) != Some(&b'\r')))
}

/// The reply text for a command line that ended with a bare LF.
pub const BARE_LF: &str = "Line ended with a bare LF: lines end with CRLF (nc -C, telnet)";

/// Skips the rest of a line that went over its protocol's limit, up to and including its
/// CRLF, however the bytes are split across reads: so the line after it is read as a fresh
/// command (see [`crate::limits`]). Holds one bit of state, never the bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineSkip {
    active: bool,
    after_cr: bool,
}

impl LineSkip {
    /// The start of an over-long line was dropped; `dropped` are its last bytes (only the
    /// final CR matters: it may be the first half of the CRLF).
    pub fn start(&mut self, dropped: &[u8]) {
        self.active = true;
        self.after_cr = dropped.last() == Some(&b'\r');
    }

    /// Whether a line is being skipped.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Drops the skipped line's bytes from the front of `buf`; `true` while the line's
    /// CRLF has not arrived yet (`buf` is then empty).
    pub fn skip(&mut self, buf: &mut Vec<u8>) -> bool {
        let n = self.skip_len(buf);
        buf.drain(..n.min(buf.len()));
        self.active
    }

    /// [`LineSkip::skip`] for an [`InBuf`].
    pub fn skip_in(&mut self, buf: &mut InBuf) -> bool {
        let n = self.skip_len(buf);
        buf.consume(n);
        self.active
    }

    /// How many bytes at the front of `buf` belong to the skipped line (all of them while
    /// its CRLF has not come).
    fn skip_len(&mut self, buf: &[u8]) -> usize {
        if !self.active {
            return 0;
        }
        if self.after_cr && buf.first() == Some(&b'\n') {
            self.active = false;
            return 1;
        }
        // A bare LF ends the skipped line too (see [`line_end`]).
        match line_end(buf).map(|(n, _)| n) {
            Some(n) => {
                self.active = false;
                n
            }
            None => {
                self.after_cr = buf.last() == Some(&b'\r') || (self.after_cr && buf.is_empty());
                buf.len()
            }
        }
    }
}

/// An engine's input buffer: bytes are taken from the front by moving a start index, and
/// the buffer is compacted only when the taken part is at least half of it. Taking one
/// command at a time from a megabyte of pipelined commands then costs O(command), not a
/// shift of the whole rest (which made one read of 1 MB take seconds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InBuf {
    buf: Vec<u8>,
    start: usize,
}

impl InBuf {
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }

    /// Drops the first `n` bytes (all of them if there are fewer).
    pub fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.buf.len());
        if self.start == self.buf.len() {
            self.clear();
        } else if self.start >= self.buf.len() / 2 && self.start >= 4096 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Takes the first `n` bytes out.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.get(..n.min(self.len())).unwrap_or_default().to_vec();
        self.consume(n);
        out
    }
}

impl std::ops::Deref for InBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

/// Shows bytes the way the details panel does: printable ASCII as is, CR and LF as the
/// visible escapes `\r` and `\n` (the LF is followed by a real line break), anything else as
/// `\xNN`.
pub fn visible_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dropped: &[u8], pieces: &[&[u8]]) -> Vec<u8> {
        let mut skip = LineSkip::default();
        skip.start(dropped);
        let (mut buf, mut out) = (Vec::new(), Vec::new());
        for piece in pieces {
            buf.extend_from_slice(piece);
            if !skip.skip(&mut buf) {
                out.append(&mut buf);
            }
        }
        out
    }

    #[test]
    fn inbuf_takes_from_the_front() {
        let mut b = InBuf::default();
        b.extend_from_slice(&b"ab".repeat(5000));
        assert_eq!(b.take(3), b"aba");
        assert_eq!(&b[..2], b"ba");
        b.consume(5000);
        assert_eq!(b.len(), 10_000 - 5003);
        b.extend_from_slice(b"\r\nX");
        assert_eq!(&b[b.len() - 3..], b"\r\nX");
        assert_eq!(b.take(usize::MAX).len(), 10_000 - 5003 + 3);
        assert!(b.is_empty());
        let mut skip = LineSkip::default();
        skip.start(b"x");
        b.extend_from_slice(b"yy\r\nNEXT");
        assert!(!skip.skip_in(&mut b));
        assert_eq!(&b[..], b"NEXT");
    }

    #[test]
    fn a_skipped_line_ends_at_its_crlf_however_split() {
        let rest = b"xx\rxx\r\nNEXT\r\n";
        for cut in 0..=rest.len() {
            assert_eq!(run(b"long", &[&rest[..cut], &rest[cut..]]), b"NEXT\r\n", "cut {cut}");
        }
        // The CR of the CRLF ended what was dropped, or a read.
        assert_eq!(run(b"abc\r", &[b"\nNEXT\r\n"]), b"NEXT\r\n");
        assert_eq!(run(b"abc", &[b"\r", b"", b"\nNEXT\r\n"]), b"NEXT\r\n");
        // A bare LF ends it too (`line_end`): what follows is a fresh line.
        assert_eq!(run(b"abc\r", &[b"x\nmore\r\nNEXT\r\n"]), b"more\r\nNEXT\r\n");
    }
}
