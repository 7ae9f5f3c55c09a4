//! The chunked transfer coding (RFC 9112 §7.1), read incrementally:
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size   = 1*HEXDIG
//! last-chunk   = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! ```
//!
//! Extensions are skipped (§7.1.1: a recipient ignores those it does not understand) and
//! trailer fields are read and discarded (§7.1.2: nothing here needs one). A size is read
//! digit by digit and checked against the body limit as it grows, so it never overflows.
//! Line ends are CRLF only. Malformed is 400; a body over the limit is 413, as soon as a
//! chunk's size says it would be; so are framing bytes (size lines, extensions, trailers)
//! beyond the same limit (or [`HEAD_MAX`], if larger), so that a body of tiny chunks or
//! endless extensions cannot make the reader read on without bound.

use super::message::{HttpError, HEAD_MAX};
use crate::codec::Decoded;

/// Where the decoder is in the coding.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// In a chunk-size line's hex digits (`digits` read so far).
    Size {
        size: usize,
        digits: usize,
    },
    /// After the size, before the CRLF: whitespace, then `;` and the extensions.
    Ext {
        size: usize,
        semi: bool,
    },
    /// The CR that ends a size line was read; its LF comes next.
    SizeLf {
        size: usize,
    },
    /// In a chunk's data.
    Data {
        left: usize,
    },
    /// After a chunk's data: its CR, then its LF.
    DataCr,
    DataLf,
    /// In the trailer section: the current line (a field line, or empty at its end), and
    /// whether its CR was read.
    Trailer {
        line: Vec<u8>,
        cr: bool,
    },
    Done,
}

/// A chunked body being read: feed it the bytes after the head as they come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunked {
    state: State,
    body: Vec<u8>,
    /// The most decoded bytes accepted.
    limit: usize,
    /// Bytes of the coding read so far (data and framing).
    used: usize,
    /// Framing bytes read so far (everything but chunk data).
    framing: usize,
}

fn bad(text: &str) -> HttpError {
    HttpError { status: 400, text: format!("Bad Request: {text} (RFC 9112 section 7.1)") }
}

fn too_large() -> HttpError {
    HttpError { status: 413, text: "Content Too Large".into() }
}

impl Chunked {
    /// A decoder that accepts up to `limit` decoded bytes.
    pub fn new(limit: usize) -> Self {
        Chunked { state: State::Size { size: 0, digits: 0 }, body: Vec::new(), limit, used: 0, framing: 0 }
    }

    /// Reads what it can of `bytes`, the next bytes of the coding. `Ok(Some(n))`: the body
    /// ended after the first `n` of them (what follows is the next message); `Ok(None)`: all
    /// were read and more are needed. `Err`: the coding is malformed (400) or too large
    /// (413), at byte [`Chunked::used`] of it, that byte included.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<usize>, HttpError> {
        let mut rest = bytes;
        while self.state != State::Done {
            if let State::Data { left } = &mut self.state {
                // Data in bulk, as much as this chunk has and the input holds.
                let (data, after) = rest.split_at((*left).min(rest.len()));
                if data.is_empty() {
                    break;
                }
                self.body.extend_from_slice(data);
                *left = left.saturating_sub(data.len());
                if *left == 0 {
                    self.state = State::DataCr;
                }
                self.used = self.used.saturating_add(data.len());
                rest = after;
                continue;
            }
            let Some((&b, after)) = rest.split_first() else { break };
            rest = after;
            self.used = self.used.saturating_add(1);
            self.framing = self.framing.saturating_add(1);
            if self.framing > self.limit.max(HEAD_MAX) {
                return Err(too_large());
            }
            self.step(b)?;
        }
        Ok((self.state == State::Done).then(|| bytes.len().saturating_sub(rest.len())))
    }

    /// One framing byte.
    fn step(&mut self, b: u8) -> Result<(), HttpError> {
        self.state = match std::mem::replace(&mut self.state, State::Done) {
            State::Size { size, digits } => match (b as char).to_digit(16) {
                Some(d) => {
                    // size * 16 + d, checked against what the body may still take.
                    let size = size.checked_mul(16).and_then(|s| s.checked_add(d as usize));
                    match size {
                        Some(s) if s <= self.limit.saturating_sub(self.body.len()) => {
                            State::Size { size: s, digits: digits.saturating_add(1) }
                        }
                        _ => return Err(too_large()),
                    }
                }
                None if digits == 0 => return Err(bad("a chunk starts with its size in hex")),
                None => match b {
                    b'\r' => State::SizeLf { size },
                    b';' => State::Ext { size, semi: true },
                    b' ' | b'\t' => State::Ext { size, semi: false },
                    _ => return Err(bad("a chunk size is hex digits")),
                },
            },
            State::Ext { size, semi } => match b {
                b'\r' => State::SizeLf { size },
                b';' => State::Ext { size, semi: true },
                b' ' | b'\t' => State::Ext { size, semi },
                b'\n' | 0..=0x1f | 0x7f => return Err(bad("a control character in a chunk extension")),
                _ if semi => State::Ext { size, semi },
                _ => return Err(bad("a chunk extension starts with ';'")),
            },
            State::SizeLf { size } => match (b, size) {
                (b'\n', 0) => State::Trailer { line: Vec::new(), cr: false },
                (b'\n', size) => State::Data { left: size },
                _ => return Err(bad("a chunk size line ends with CRLF")),
            },
            State::Data { left } => State::Data { left },
            State::DataCr if b == b'\r' => State::DataLf,
            State::DataLf if b == b'\n' => State::Size { size: 0, digits: 0 },
            State::DataCr | State::DataLf => return Err(bad("a chunk's data ends with CRLF")),
            State::Trailer { mut line, cr } => match (b, cr) {
                (b'\n', true) if line.is_empty() => State::Done,
                (b'\n', true) => {
                    trailer_field(&line)?;
                    line.clear();
                    State::Trailer { line, cr: false }
                }
                (b'\r', false) => State::Trailer { line, cr: true },
                (_, true) | (b'\n', false) => return Err(bad("a trailer line ends with CRLF")),
                _ => {
                    line.push(b);
                    State::Trailer { line, cr: false }
                }
            },
            State::Done => State::Done,
        };
        Ok(())
    }

    /// Bytes of the coding read so far.
    pub fn used(&self) -> usize {
        self.used
    }

    /// The body decoded so far (all of it once [`Chunked::feed`] said it ended).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

/// A trailer field line (discarded, but it must be one: `name: value`, RFC 9112 §5).
fn trailer_field(line: &[u8]) -> Result<(), HttpError> {
    let name = line.split(|&b| b == b':').next().unwrap_or_default();
    if name.len() == line.len() || name.is_empty() || !name.iter().all(u8::is_ascii_graphic) {
        return Err(bad("a trailer field is name: value"));
    }
    Ok(())
}

/// A whole chunked body at the start of `buf`: the body and how many bytes it took;
/// `Invalid` with how far it was read, that byte included, as [`Chunked::feed`] says.
pub fn decode(buf: &[u8], limit: usize) -> Decoded<Vec<u8>, HttpError> {
    let mut c = Chunked::new(limit);
    match c.feed(buf) {
        Ok(Some(n)) => Decoded::Complete(c.into_body(), n),
        Ok(None) => Decoded::Incomplete,
        Err(e) => Decoded::Invalid(e, c.used()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a decoder says for `wire` fed in pieces of `size`: the result and where.
    fn in_pieces(wire: &[u8], size: usize, limit: usize) -> Decoded<Vec<u8>, HttpError> {
        let mut c = Chunked::new(limit);
        let mut at = 0;
        for piece in wire.chunks(size) {
            match c.feed(piece) {
                Ok(Some(n)) => return Decoded::Complete(c.into_body(), at + n),
                Ok(None) => at += piece.len(),
                Err(e) => return Decoded::Invalid(e, c.used()),
            }
        }
        Decoded::Incomplete
    }

    #[test]
    fn bodies_decode_the_same_however_they_are_cut() {
        let long = "x".repeat(5000);
        for (wire, body) in [
            ("5\r\nhello\r\n0\r\n\r\n".to_string(), "hello".to_string()),
            ("5;name=value\r\nhello\r\n6 ; a ; b=\"c d\"\r\n world\r\n0;end\r\n\r\n".into(), "hello world".into()),
            ("A\r\n0123456789\r\n0000\r\nExpires: never\r\nX-Sum: 1\r\n\r\n".into(), "0123456789".into()),
            (format!("{:X}\r\n{long}\r\n{:x}\r\n{long}\r\n0\r\n\r\n", 5000, 5000), long.repeat(2)),
            ("0\r\n\r\n".into(), String::new()),
            ("00000000000000000000000000000003\r\nabc\r\n0\r\n\r\n".into(), "abc".into()),
        ] {
            let next = "GET / HTTP/1.1\r\n";
            let all = format!("{wire}{next}");
            let want = Decoded::Complete(body.into_bytes(), wire.len());
            assert_eq!(decode(all.as_bytes(), 1 << 20), want, "{wire:?}");
            for size in [1, 2, 3, 7, 4096] {
                assert_eq!(in_pieces(all.as_bytes(), size, 1 << 20), want, "{wire:?} in pieces of {size}");
            }
            for n in 0..wire.len() {
                assert_eq!(decode(&wire.as_bytes()[..n], 1 << 20), Decoded::Incomplete, "{wire:?} prefix {n}");
            }
        }
    }

    #[test]
    fn malformed_and_oversized_codings_are_refused_where_they_go_wrong() {
        for (wire, status, at) in [
            ("\r\n", 400, 1),
            ("x\r\n", 400, 1),
            ("5x\r\nhello\r\n0\r\n\r\n", 400, 2),
            ("-5\r\n", 400, 1),
            ("5\nhello\r\n0\r\n\r\n", 400, 2),
            ("5\r\nhelloX\r\n0\r\n\r\n", 400, 9),
            ("5\r\nhello\rX0\r\n\r\n", 400, 10),
            ("5 x\r\nhello\r\n", 400, 3),
            ("5;a\0\r\n", 400, 4),
            ("0\r\nno colon\r\n\r\n", 400, 13),
            ("0\r\n: empty name\r\n\r\n", 400, 17),
            ("0\r\nX: 1\n\r\n", 400, 8),
            ("0\r\n\r\r", 400, 5),
            ("0x5\r\n", 400, 2),
            // Over the limit (100 here): as soon as the size says so, and without overflow.
            ("65\r\n", 413, 2),
            ("40\r\n{64}\r\n25\r\n", 413, 72),
            ("ffffffffffffffffffffffffffffffff\r\n", 413, 2),
        ] {
            let wire = wire.replace("{64}", &"y".repeat(64));
            let got = decode(wire.as_bytes(), 100);
            assert!(matches!(&got, Decoded::Invalid(e, n) if e.status == status && *n == at), "{wire:?}: {got:?}");
            for size in [1, 2, 7] {
                assert_eq!(in_pieces(wire.as_bytes(), size, 100), got, "{wire:?} in pieces of {size}");
            }
        }
        // Framing without end: extensions or trailers past HEAD_MAX are 413, whatever the limit.
        let ext = format!("1;{}", "e".repeat(HEAD_MAX));
        assert!(matches!(decode(ext.as_bytes(), 10), Decoded::Invalid(e, n) if e.status == 413 && n == HEAD_MAX + 1));
        let trailers = format!("0\r\n{}", "X: y\r\n".repeat(HEAD_MAX / 6 + 1));
        assert!(matches!(decode(trailers.as_bytes(), 10), Decoded::Invalid(e, _) if e.status == 413));
        // A body of one-byte chunks: its framing (5 bytes a chunk) passes HEAD_MAX first.
        let tiny = "1\r\nz\r\n".repeat(HEAD_MAX / 5 + 1);
        assert!(matches!(decode(tiny.as_bytes(), 10_000), Decoded::Invalid(e, _) if e.status == 413));
    }
}
