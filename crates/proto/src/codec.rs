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
        if !self.active {
            return false;
        }
        if self.after_cr && buf.first() == Some(&b'\n') {
            buf.drain(..1);
            self.active = false;
            return false;
        }
        match find_crlf(buf) {
            Some(n) => {
                buf.drain(..n);
                self.active = false;
                false
            }
            None => {
                self.after_cr = buf.last() == Some(&b'\r') || (self.after_cr && buf.is_empty());
                buf.clear();
                true
            }
        }
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
    fn a_skipped_line_ends_at_its_crlf_however_split() {
        let rest = b"xx\rxx\r\nNEXT\r\n";
        for cut in 0..=rest.len() {
            assert_eq!(run(b"long", &[&rest[..cut], &rest[cut..]]), b"NEXT\r\n", "cut {cut}");
        }
        // The CR of the CRLF ended what was dropped, or a read.
        assert_eq!(run(b"abc\r", &[b"\nNEXT\r\n"]), b"NEXT\r\n");
        assert_eq!(run(b"abc", &[b"\r", b"", b"\nNEXT\r\n"]), b"NEXT\r\n");
        assert_eq!(run(b"abc\r", &[b"x\nmore\r\nNEXT\r\n"]), b"NEXT\r\n");
    }
}
