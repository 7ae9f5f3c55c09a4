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
    buf.windows(2).position(|w| w == b"\r\n").map(|i| i + 2)
}

/// Shows bytes the way the details panel does: printable ASCII as is, CR and LF as the
/// visible escapes `\r` and `\n` (the LF is followed by a real line break), anything else as
/// `\xNN`.
pub fn visible_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
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
