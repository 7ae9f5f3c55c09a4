//! POP3 responses (RFC 1939 §3): a status line `+OK text` or `-ERR text`; after some
//! commands a positive status line is followed by lines of data, byte-stuffed, ending with a
//! line holding only `.`.

use crate::codec::{find_crlf, Decoded};
use crate::engine::Closing;
use crate::smtp::data;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub ok: bool,
    pub text: String,
    /// The data lines of a multi-line response, stuffing undone, CRLF line ends.
    pub body: Option<Vec<u8>>,
    /// A SASL challenge, `+ base64` (RFC 5034 §4): neither +OK nor -ERR, the server waits for
    /// the client's next response line.
    pub challenge: bool,
}

impl Response {
    pub fn ok(text: impl Into<String>) -> Self {
        Response { ok: true, text: text.into(), body: None, challenge: false }
    }
    pub fn err(text: impl Into<String>) -> Self {
        Response { ok: false, text: text.into(), body: None, challenge: false }
    }
    pub fn multi(text: impl Into<String>, body: Vec<u8>) -> Self {
        Response { ok: true, text: text.into(), body: Some(body), challenge: false }
    }
    /// A SASL challenge line `+ text` (RFC 5034 §4); `text` is base64, possibly empty.
    pub fn challenge(text: impl Into<String>) -> Self {
        Response { ok: true, text: text.into(), body: None, challenge: true }
    }

    /// The status line without its CRLF, e.g. `+OK 2 messages`. Its text is printable
    /// US-ASCII (RFC 2449 section 9: CHAR is 7-bit, no CTL): what it echoes of a client's own
    /// bytes (a user name or a verb typed in UTF-8, a control character) is shown with '?'.
    pub fn status_line(&self) -> String {
        let text: std::borrow::Cow<str> = match self.text.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            true => self.text.as_str().into(),
            false => self
                .text
                .chars()
                .map(|c| if c == ' ' || c.is_ascii_graphic() { c } else { '?' })
                .collect::<String>()
                .into(),
        };
        if self.challenge {
            return format!("+ {text}");
        }
        let s = if self.ok { "+OK" } else { "-ERR" };
        if text.is_empty() {
            s.to_string()
        } else {
            format!("{s} {text}")
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.status_line()).into_bytes();
        if let Some(body) = &self.body {
            out.extend(data::encode(body));
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseError(pub String);

/// Reads one response; `multiline` says whether the command it answers has a multi-line
/// positive response (the client knows, RFC 1939 §3). `-ERR` is always one line.
pub fn decode(buf: &[u8], multiline: bool) -> Decoded<Response, ResponseError> {
    let Some(end) = find_crlf(buf) else { return Decoded::Incomplete };
    let line = String::from_utf8_lossy(&buf[..end - 2]).into_owned();
    let (ok, text) = if let Some(rest) = line.strip_prefix("+OK") {
        (true, rest.strip_prefix(' ').unwrap_or(rest).to_string())
    } else if let Some(rest) = line.strip_prefix("-ERR") {
        (false, rest.strip_prefix(' ').unwrap_or(rest).to_string())
    } else if let Some(rest) = line.strip_prefix("+ ").or((line == "+").then_some("")) {
        return Decoded::Complete(Response::challenge(rest), end);
    } else {
        return Decoded::Invalid(ResponseError("a POP3 status line starts with +OK or -ERR".into()), end);
    };
    if !(ok && multiline) {
        return Decoded::Complete(Response { ok, text, body: None, challenge: false }, end);
    }
    match data::decode(&buf[end..]) {
        Decoded::Complete(d, n) => {
            Decoded::Complete(Response { ok, text, body: Some(d.message), challenge: false }, end + n)
        }
        _ => Decoded::Incomplete,
    }
}

/// A client's input: responses are taken from its front as they complete. The status line's
/// CRLF and a multi-line response's end (a RETR of a large message) are searched for only in
/// what arrived since the last search, and a response is decoded once, when it is whole: one
/// that arrives in many reads costs O(size) in all, not a search or a decode from its start at
/// every read (a long status line a byte at a time was quadratic: the fuzzer's `pop3_client`
/// spent a fifth of its time there).
#[derive(Debug, Default, Clone)]
pub struct ResponseReader {
    buf: Vec<u8>,
    /// How much of `buf` was searched for the status line's CRLF without finding it.
    line_scanned: usize,
    /// How much of `buf` was searched for a multi-line response's end without finding it.
    scanned: usize,
}

impl ResponseReader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.line_scanned = 0;
        self.scanned = 0;
    }

    /// The next whole response (or invalid line), taken off the input; `Incomplete` until
    /// it has all arrived. `multiline` as for [`decode`].
    pub fn next(&mut self, multiline: bool) -> Decoded<Response, ResponseError> {
        // The CRLF may straddle what was searched and what is new.
        let from = self.line_scanned.saturating_sub(1);
        let Some(status) = find_crlf(self.buf.get(from..).unwrap_or_default()).map(|n| from + n) else {
            self.line_scanned = self.buf.len();
            return Decoded::Incomplete;
        };
        if multiline && !self.may_be_whole(status) {
            return Decoded::Incomplete;
        }
        let d = decode(&self.buf, multiline);
        if let Decoded::Complete(_, n) | Decoded::Invalid(_, n) = &d {
            self.buf.drain(..(*n).min(self.buf.len()));
            self.line_scanned = 0;
            self.scanned = 0;
        }
        d
    }

    /// Whether the input, whose status line ends at `status`, may hold a whole multi-line
    /// response: anything but `+OK` is one line; after `+OK`, the terminating `.` line (RFC
    /// 1939 §3) must have arrived.
    fn may_be_whole(&mut self, status: usize) -> bool {
        if !self.buf.starts_with(b"+OK") {
            return true;
        }
        let body = self.buf.get(status..).unwrap_or_default();
        if body.starts_with(b".\r\n") {
            return true;
        }
        // The end is CRLF "." CRLF; it may straddle what was searched and what is new.
        let from = self.scanned.saturating_sub(4).max(status.saturating_sub(2));
        let found = self.buf.get(from..).unwrap_or_default().windows(5).any(|w| w == b"\r\n.\r\n");
        if !found {
            self.scanned = self.buf.len();
        }
        found
    }
}

/// Which command a POP3 response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3ReplyTo {
    Greeting,
    User,
    Pass,
    Stat,
    List,
    Retr,
    Dele,
    Noop,
    Rset,
    Quit,
    Top,
    Uidl,
    Capa,
    Stls,
    /// The end of an AUTH exchange (RFC 5034): +OK logged in, or -ERR.
    Auth,
    /// A SASL challenge (`+ base64`) in the middle of AUTH.
    AuthChallenge,
    /// The mechanism list in answer to a bare `AUTH`.
    AuthList,
    Error,
    /// The server ends the session on its own (idle client, shutdown, too many connections).
    Closing(Closing),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Responses read through the reader, split at every size from 1 to 7 bytes and in
    /// 4 KB reads, come out exactly as read whole: a multi-line RETR of 200 KB with stuffed
    /// dots and a terminator split across reads, an empty LIST, a one-line -ERR, a challenge.
    #[test]
    fn the_reader_gives_the_same_responses_however_the_input_is_split() {
        let mut big = Vec::new();
        for i in 0..4_000 {
            big.extend_from_slice(format!("line {i} of the message, with some text\r\n").as_bytes());
            if i % 7 == 0 {
                big.extend_from_slice(b".a line that starts with a dot\r\n");
            }
        }
        let mut wire = b"+OK 2 messages\r\n".to_vec();
        let retr = Response { ok: true, text: "200000 octets".into(), body: Some(big), challenge: false };
        wire.extend(retr.encode());
        wire.extend_from_slice(b"+OK\r\n.\r\n-ERR no such message\r\n+ \r\n");
        let expect = [false, true, true, true, false];
        let whole = {
            let mut r = ResponseReader::default();
            r.push(&wire);
            expect.iter().map(|m| r.next(*m)).collect::<Vec<_>>()
        };
        assert!(matches!(&whole[1], Decoded::Complete(got, _) if *got == retr), "the RETR whole");
        for size in [1, 2, 3, 4, 5, 7, 4096] {
            let mut r = ResponseReader::default();
            let mut got = Vec::new();
            let mut want = expect.iter();
            let mut multiline = *want.next().unwrap();
            for piece in wire.chunks(size) {
                r.push(piece);
                loop {
                    match r.next(multiline) {
                        Decoded::Incomplete => break,
                        d => {
                            got.push(d);
                            match want.next() {
                                Some(m) => multiline = *m,
                                None => break,
                            }
                        }
                    }
                }
            }
            assert_eq!(got, whole, "read in pieces of {size}");
        }
    }

    /// A long status line a byte at a time (its CRLF split across reads too) comes out once,
    /// whole, and the response after it too; nothing before its CRLF has arrived.
    #[test]
    fn a_long_status_line_read_a_byte_at_a_time() {
        let text = "x".repeat(50_000);
        let wire = format!("-ERR {text}\r\n+OK\r\n.\r\n");
        let mut r = ResponseReader::default();
        let mut got = Vec::new();
        for (i, b) in wire.bytes().enumerate() {
            r.push(&[b]);
            match r.next(!got.is_empty()) {
                Decoded::Incomplete => assert!(i + 1 != text.len() + 7, "the status line is whole at byte {i}"),
                d => got.push((i, d)),
            }
        }
        let n = text.len() + 7;
        assert_eq!(
            got,
            [
                (n - 1, Decoded::Complete(Response::err(text), n)),
                (n + 7, Decoded::Complete(Response::multi("", vec![]), 8))
            ]
        );
    }

    #[test]
    fn byte_stuffed_multiline_round_trips() {
        let body =
            b"From: Norm <norm@cs.ubc.ca>\r\n\r\nSome data\r\n.A line that starts with a .\r\n.. Another one\r\n"
                .to_vec();
        let r = Response::multi("220 octets", body.clone());
        let wire = r.encode();
        assert!(wire.ends_with(b"..A line that starts with a .\r\n... Another one\r\n.\r\n"));
        assert_eq!(decode(&wire, true), Decoded::Complete(r, wire.len()));
        for n in 0..wire.len() {
            assert_eq!(decode(&wire[..n], true), Decoded::Incomplete, "prefix {n}");
        }
    }

    #[test]
    fn err_is_single_line_even_when_multiline_expected() {
        assert_eq!(decode(b"-ERR no such message\r\n", true), Decoded::Complete(Response::err("no such message"), 22));
        assert!(matches!(decode(b"OK\r\n", false), Decoded::Invalid(..)));
        assert_eq!(decode(b"+ VXNlcm5hbWU6\r\n", true), Decoded::Complete(Response::challenge("VXNlcm5hbWU6"), 16));
        assert_eq!(decode(b"+ \r\n", false), Decoded::Complete(Response::challenge(""), 4));
        assert_eq!(Response::challenge("").encode(), b"+ \r\n");
    }
}
