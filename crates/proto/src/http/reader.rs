//! One end's input: whole HTTP messages (requests for the server, responses for the client)
//! taken from its front as they complete.
//!
//! The end of a head is searched for only in what arrived since the last search, a head is
//! parsed once, and its body is then waited for by length: a message that arrives in many
//! reads costs O(size) in all, not a decode from its start at every read (as
//! `pop3::response::ResponseReader`). What it gives is what [`super::decode`] gives on the
//! same bytes, wherever they were cut.

use super::chunked::Chunked;
use super::message::{head_end, parse_head, too_large, Framing, HttpError, HttpMessage, HEAD_MAX};
use crate::codec::Decoded;
use crate::limits::HTTP_BODY;

/// A head read, its body not yet whole.
#[derive(Debug)]
struct Head {
    /// The message without its body.
    msg: HttpMessage,
    /// Where its body starts in the buffer.
    body: usize,
    body_end: BodyEnd,
}

#[derive(Debug)]
enum BodyEnd {
    /// A `Content-Length` body ends here in the buffer.
    At(usize),
    /// A chunked body, decoded as it comes: the buffer up to `fed` was given to `decoder`.
    Chunked { decoder: Chunked, fed: usize },
}

#[derive(Debug, Default)]
pub struct MessageReader {
    /// Requests (the server's input), else responses (the client's).
    requests: bool,
    buf: Vec<u8>,
    /// Where the next message starts in `buf` (what is before it was taken).
    start: usize,
    /// How much of `buf` was searched for the head's end without finding it.
    scanned: usize,
    /// The head read so far (boxed: an engine holding a reader stays small).
    head: Option<Box<Head>>,
    /// Bytes searched, parsed or copied so far: the work done, which a test bounds.
    work: usize,
}

impl MessageReader {
    /// The server's reader.
    pub fn requests() -> Self {
        MessageReader { requests: true, ..Self::default() }
    }

    /// The client's reader.
    pub fn responses() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        // What was taken is dropped once it is at least half the buffer: each byte is moved
        // at most once on average.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.scanned = self.scanned.saturating_sub(self.start);
            if let Some(Head { body, body_end, .. }) = self.head.as_deref_mut() {
                *body = body.saturating_sub(self.start);
                match body_end {
                    BodyEnd::At(end) | BodyEnd::Chunked { fed: end, .. } => *end = end.saturating_sub(self.start),
                }
            }
            self.work = self.work.saturating_add(self.buf.len());
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes not yet taken as (part of) a message.
    pub fn pending(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Drops everything not yet taken (the connection reads no further messages).
    pub fn clear(&mut self) {
        self.buf = Vec::new();
        self.start = 0;
        self.scanned = 0;
        self.head = None;
    }

    /// Bytes searched, parsed, copied or moved since the reader was made.
    pub fn work(&self) -> usize {
        self.work
    }

    /// The next whole message (or why the input is no acceptable message), taken off the
    /// input; `Incomplete` until it has all arrived.
    pub fn next_message(&mut self) -> Decoded<HttpMessage, HttpError> {
        if self.head.is_none() {
            let from = self.scanned.max(self.start);
            let rest = self.buf.get(self.start..).unwrap_or_default();
            self.work = self.work.saturating_add(self.buf.len().saturating_sub(from).saturating_add(3));
            let Some(len) = head_end(rest, from.saturating_sub(self.start)) else {
                self.scanned = self.buf.len();
                if rest.len() > HEAD_MAX {
                    let n = rest.len();
                    self.take(n);
                    return Decoded::Invalid(too_large(), n);
                }
                return Decoded::Incomplete;
            };
            if len > HEAD_MAX {
                self.take(len);
                return Decoded::Invalid(too_large(), len);
            }
            self.work = self.work.saturating_add(len);
            match parse_head(rest.get(..len).unwrap_or_default(), self.requests) {
                Ok((msg, framing)) => {
                    let body = self.start.saturating_add(len);
                    let body_end = match framing {
                        Framing::Length(n) => BodyEnd::At(body.saturating_add(n)),
                        Framing::Chunked => BodyEnd::Chunked { decoder: Chunked::new(HTTP_BODY), fed: body },
                    };
                    self.head = Some(Box::new(Head { msg, body, body_end }));
                }
                Err(e) => {
                    self.take(len);
                    return Decoded::Invalid(e, len);
                }
            }
        }
        let Some(head) = self.head.as_deref_mut() else { return Decoded::Incomplete };
        match &mut head.body_end {
            BodyEnd::At(end) if self.buf.len() < *end => Decoded::Incomplete,
            BodyEnd::At(end) => {
                let end = *end;
                let body = self.buf.get(head.body..end).unwrap_or_default().to_vec();
                self.work = self.work.saturating_add(body.len());
                let msg = std::mem::replace(
                    &mut head.msg,
                    HttpMessage { start: String::new(), headers: vec![], body: vec![] },
                );
                let n = end.saturating_sub(self.start);
                self.take(n);
                Decoded::Complete(HttpMessage { body, ..msg }, n)
            }
            BodyEnd::Chunked { decoder, fed } => {
                // Only what arrived since the last read is decoded.
                let new = self.buf.get(*fed..).unwrap_or_default();
                self.work = self.work.saturating_add(new.len());
                match decoder.feed(new) {
                    Ok(None) => {
                        *fed = self.buf.len();
                        Decoded::Incomplete
                    }
                    Ok(Some(used)) => {
                        let n = fed.saturating_add(used).saturating_sub(self.start);
                        let Some(Head { msg, body_end: BodyEnd::Chunked { decoder, .. }, .. }) =
                            self.head.take().map(|h| *h)
                        else {
                            return Decoded::Incomplete;
                        };
                        self.take(n);
                        Decoded::Complete(msg.unchunked(decoder.into_body()), n)
                    }
                    Err(e) => {
                        let n = head.body.saturating_add(decoder.used()).saturating_sub(self.start);
                        self.take(n);
                        Decoded::Invalid(e, n)
                    }
                }
            }
        }
    }

    /// Takes the first `n` bytes of what is pending: a new message starts after them.
    fn take(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.buf.len());
        self.scanned = self.start;
        self.head = None;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
            self.scanned = 0;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::http::decode;

    /// Everything a reader gives for `wire` cut into pieces of `size` bytes.
    fn read_in_pieces(mut r: MessageReader, wire: &[u8], size: usize) -> Vec<Decoded<HttpMessage, HttpError>> {
        let mut out = Vec::new();
        for piece in wire.chunks(size) {
            r.push(piece);
            loop {
                match r.next_message() {
                    Decoded::Incomplete => break,
                    d => out.push(d),
                }
            }
        }
        out
    }

    /// What decoding `wire` whole, message after message, gives.
    fn decode_whole(wire: &[u8], request: bool) -> Vec<Decoded<HttpMessage, HttpError>> {
        let mut whole = Vec::new();
        let mut rest = wire;
        loop {
            match decode(rest, request) {
                Decoded::Incomplete => return whole,
                Decoded::Complete(m, n) => {
                    whole.push(Decoded::Complete(m, n));
                    rest = rest.get(n..).unwrap_or_default();
                }
                d => return [whole, vec![d]].concat(),
            }
        }
    }

    fn big(n: u32) -> Vec<u8> {
        (0..n).map(|i| b'a' + (i % 26) as u8).collect()
    }

    pub(crate) fn responses() -> Vec<u8> {
        let big = big(20_000);
        let mut wire = Vec::new();
        for (status, reason, headers, body) in [
            (
                200,
                "OK",
                vec![("Content-Type", "text/html"), ("Set-Cookie", "session=abc; HttpOnly")],
                &b"<p>hi</p>"[..],
            ),
            (303, "See Other", vec![("Location", "/inbox")], b""),
            (200, "OK", vec![("Content-Type", "text/plain")], &big[..]),
            (204, "No Content", vec![], b""),
            (200, "OK", vec![("Connection", "close")], b"bye\r\n\r\n"),
        ] {
            let mut h = headers.clone();
            let len = body.len().to_string();
            h.push(("Content-Length", &len));
            wire.extend(HttpMessage::response("HTTP/1.1", status, reason, &h, body).encode());
        }
        wire
    }

    pub(crate) fn requests() -> Vec<u8> {
        let host = ("Host", "webmail.example");
        let form = ("Content-Type", "application/x-www-form-urlencoded");
        let big = [b"text=".as_slice(), &big(30_000)].concat();
        [
            HttpMessage::request("GET", "/", "HTTP/1.1", &[host], b""),
            HttpMessage::request("POST", "/login", "HTTP/1.1", &[host, form], b"user=alice&password=a%26b"),
            HttpMessage::request("GET", "/inbox", "HTTP/1.1", &[host, ("Cookie", "session=abc")], b""),
            HttpMessage::request("POST", "/send", "HTTP/1.1", &[host, form], &big),
            HttpMessage::request("POST", "/empty", "HTTP/1.1", &[host], b""),
            HttpMessage::request("GET", "/old", "HTTP/1.0", &[], b""),
        ]
        .iter()
        .flat_map(HttpMessage::encode)
        .collect()
    }

    /// The same responses split at 1..7 bytes and 4 KB give what decoding them whole gives.
    #[test]
    fn responses_split_anywhere_read_the_same() {
        let wire = responses();
        let whole = decode_whole(&wire, false);
        assert_eq!(whole.len(), 5);
        for size in (1..=7).chain([4096, wire.len()]) {
            assert_eq!(read_in_pieces(MessageReader::responses(), &wire, size), whole, "pieces of {size}");
        }
        // A bad response and one whose head is too long, as decode says.
        let bad = b"SMTP 220 hello\r\n\r\n";
        assert_eq!(read_in_pieces(MessageReader::responses(), bad, 3), vec![decode(bad, false)]);
        let long = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'x'; HEAD_MAX]].concat();
        let read = read_in_pieces(MessageReader::responses(), &long, 4096);
        assert!(matches!(read.as_slice(), [Decoded::Invalid(e, _)] if e.status == 431));
    }

    /// The same requests split at 1..7 bytes and 4 KB give what decoding them whole gives;
    /// so do bad ones, after the good ones before them.
    #[test]
    fn requests_split_anywhere_read_the_same() {
        let wire = requests();
        let whole = decode_whole(&wire, true);
        assert_eq!(whole.len(), 6);
        assert!(whole.iter().all(|d| matches!(d, Decoded::Complete(..))));
        for size in (1..=7).chain([4096, wire.len()]) {
            assert_eq!(read_in_pieces(MessageReader::requests(), &wire, size), whole, "pieces of {size}");
        }
        for bad in [
            &b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
        ] {
            let wire = [requests().as_slice(), bad].concat();
            let whole = decode_whole(&wire, true);
            assert!(matches!(whole.last(), Some(Decoded::Invalid(..))), "{whole:?}");
            for size in (1..=7).chain([4096, wire.len()]) {
                assert_eq!(read_in_pieces(MessageReader::requests(), &wire, size), whole, "pieces of {size}");
            }
        }
    }

    /// Chunked messages among the others read as decoding them whole reads them, in any
    /// pieces, and so does a malformed one after good ones; a chunked body a byte at a time
    /// costs linear work (only new bytes are decoded).
    #[test]
    fn chunked_messages_split_anywhere_read_the_same() {
        let long = "z".repeat(9_000);
        let chunked = format!(
            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n{:x}\r\n{long}\r\n0\r\nT: 1\r\n\r\n",
            long.len()
        );
        let wire = [requests(), chunked.clone().into_bytes(), requests()].concat();
        let whole = decode_whole(&wire, true);
        assert_eq!(whole.len(), 13);
        assert!(matches!(&whole[6], Decoded::Complete(m, n) if m.body.len() == 9_003 && *n == chunked.len()));
        for size in (1..=7).chain([4096, wire.len()]) {
            assert_eq!(read_in_pieces(MessageReader::requests(), &wire, size), whole, "pieces of {size}");
        }
        let bad = [requests(), chunked.replace("\r\nabc\r\n", "\r\nabcd\r\n").into_bytes()].concat();
        let whole = decode_whole(&bad, true);
        assert!(matches!(whole.last(), Some(Decoded::Invalid(e, _)) if e.status == 400), "{whole:?}");
        for size in (1..=7).chain([4096, bad.len()]) {
            // (What follows the error is not read: the server closes after it.)
            let mut got = read_in_pieces(MessageReader::requests(), &bad, size);
            got.truncate(whole.len());
            assert!(got == whole, "pieces of {size}: {:?}", got.last());
        }
        let response =
            format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}", &chunked[chunked.find("3;").unwrap()..]);
        let whole = decode_whole(response.as_bytes(), false);
        assert!(matches!(&whole[..], [Decoded::Complete(m, _)] if m.body.len() == 9_003), "responses too");
        let mut r = MessageReader::requests();
        read_in_pieces_into(&mut r, &wire, 1);
        assert!(r.work() <= 4 * wire.len(), "{} for {} bytes", r.work(), wire.len());
    }

    fn read_in_pieces_into(r: &mut MessageReader, wire: &[u8], size: usize) {
        for piece in wire.chunks(size) {
            r.push(piece);
            while !matches!(r.next_message(), Decoded::Incomplete) {}
        }
    }

    /// A head longer than the limit is refused however it arrives: whole (its end found at
    /// once) or in pieces (the limit passed before its end came).
    #[test]
    fn a_head_over_the_limit_is_refused_however_it_is_cut() {
        for len in [HEAD_MAX - 100, HEAD_MAX + 100] {
            let wire = [b"GET / HTTP/1.1\r\nHost: x\r\nX: ".as_slice(), &vec![b'x'; len], b"\r\n\r\n"].concat();
            let whole = decode(&wire, true);
            let refused = wire.len() > HEAD_MAX;
            assert_eq!(matches!(whole, Decoded::Invalid(ref e, _) if e.status == 431), refused, "{len}");
            for size in [1, 7, 4096, wire.len()] {
                // (What follows a refused head is not read: the server closes after it.)
                let read = read_in_pieces(MessageReader::requests(), &wire, size);
                match read.first() {
                    Some(Decoded::Invalid(e, _)) => assert!(refused && e.status == 431, "{len} in {size}"),
                    Some(d) => assert!(!refused && *d == whole && read.len() == 1, "{len} in {size}"),
                    None => panic!("{len} in {size}: nothing"),
                }
            }
        }
    }

    /// The work per read is bounded by what it brought and what it completed, so the whole
    /// input costs a small multiple of its size however it is cut. Decoding the input again
    /// from its start at every read (as before) searched and parsed each head again per read:
    /// here, with a 12 KB head, about 10^9 bytes read a byte at a time.
    #[test]
    fn the_work_is_bounded_per_read_and_linear_in_all() {
        let cookie = format!("session={}", "c".repeat(12_000));
        let long_head = HttpMessage::request("GET", "/", "HTTP/1.1", &[("Host", "x"), ("Cookie", &cookie)], b"");
        let wire = [requests(), long_head.encode(), requests()].concat();
        let longest_head = long_head.encode().len();
        for size in [1, 3, 4096] {
            let mut r = MessageReader::requests();
            let mut n = 0;
            for piece in wire.chunks(size) {
                let before = r.work();
                r.push(piece);
                let mut completed = 0;
                while let Decoded::Complete(_, len) = r.next_message() {
                    n += 1;
                    completed += len;
                }
                let work = r.work() - before;
                assert!(work <= 3 * piece.len() + 8 + completed + longest_head, "pieces of {size}: {work}");
            }
            assert_eq!(n, 13);
            assert!(r.work() <= 4 * wire.len(), "pieces of {size}: {} for {} bytes", r.work(), wire.len());
            assert_eq!(r.pending(), 0);
        }
    }
}
