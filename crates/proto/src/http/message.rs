//! HTTP/1.x messages (RFC 9112): requests and responses ⇄ bytes, strictly; form fields and
//! cookies.

use super::chunked;
use crate::codec::Decoded;
use crate::limits::HTTP_BODY;

/// A request or a response: start line, header fields, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMessage {
    /// `GET /inbox HTTP/1.1` or `HTTP/1.1 200 OK`.
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpMessage {
    pub fn request(method: &str, target: &str, version: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut h: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        if !body.is_empty() || method == "POST" {
            h.push(("Content-Length".into(), body.len().to_string()));
        }
        HttpMessage { start: format!("{method} {target} {version}"), headers: h, body: body.to_vec() }
    }

    pub fn response(version: &str, status: u16, reason: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut h: Vec<(String, String)> = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        h.push(("Content-Length".into(), body.len().to_string()));
        HttpMessage { start: format!("{version} {status} {reason}"), headers: h, body: body.to_vec() }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The method of a request.
    pub fn method(&self) -> &str {
        self.start.split(' ').next().unwrap_or("")
    }
    /// The target (path) of a request.
    pub fn target(&self) -> &str {
        self.start.split(' ').nth(1).unwrap_or("")
    }
    /// `HTTP/1.1` or `HTTP/1.0`, of a request.
    pub fn version(&self) -> &str {
        self.start.rsplit(' ').next().unwrap_or("")
    }
    /// The status code of a response.
    pub fn status(&self) -> u16 {
        self.start.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start).into_bytes();
        for (n, v) in &self.headers {
            out.extend(format!("{n}: {v}\r\n").into_bytes());
        }
        out.extend(b"\r\n");
        out.extend(&self.body);
        out
    }

    /// Form fields of an `application/x-www-form-urlencoded` body.
    pub fn form(&self) -> Vec<(String, String)> {
        String::from_utf8_lossy(&self.body)
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (url_decode(k), url_decode(v))
            })
            .collect()
    }

    /// A cookie sent by the client.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.header("Cookie")?
            .split(';')
            .map(str::trim)
            .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_string))
    }
}

pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i.saturating_add(1)..i.saturating_add(3)).and_then(|h| std::str::from_utf8(h).ok());
                if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(v);
                    i = i.saturating_add(2);
                } else {
                    out.push(b'%');
                }
            }
            c => out.push(c),
        }
        i = i.saturating_add(1);
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Why bytes are not an acceptable HTTP message: the status to answer with, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: u16,
    pub text: String,
}

/// A head (start line, header fields and the empty line) longer than this gets 431 (RFC 6585
/// §5), whether its end came with it or not: so the answer does not depend on how the bytes
/// were cut.
pub const HEAD_MAX: usize = 16 * 1024;

/// Why a head over [`HEAD_MAX`] is refused.
pub fn too_large() -> HttpError {
    HttpError { status: 431, text: "Request Header Fields Too Large".into() }
}

/// Where the head of the message in `buf` ends (after its empty line), searching from `from`
/// (a search resumed where an earlier one stopped finds an end that straddles the two).
pub fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let from = from.saturating_sub(3);
    let i = buf.get(from..)?.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some(from.saturating_add(i).saturating_add(4))
}

/// Reads one message (request when `request`, else response) from the start of `buf`.
pub fn decode(buf: &[u8], request: bool) -> Decoded<HttpMessage, HttpError> {
    let Some(end) = head_end(buf, 0) else {
        if buf.len() > HEAD_MAX {
            return Decoded::Invalid(too_large(), buf.len());
        }
        return Decoded::Incomplete;
    };
    if end > HEAD_MAX {
        return Decoded::Invalid(too_large(), end);
    }
    match parse_head(buf.get(..end).unwrap_or_default(), request) {
        Err(e) => Decoded::Invalid(e, end),
        Ok((msg, Framing::Length(len))) => {
            let total = end.saturating_add(len);
            let Some(body) = buf.get(end..total) else { return Decoded::Incomplete };
            Decoded::Complete(HttpMessage { body: body.to_vec(), ..msg }, total)
        }
        Ok((msg, Framing::Chunked)) => match chunked::decode(buf.get(end..).unwrap_or_default(), HTTP_BODY) {
            Decoded::Complete(body, n) => Decoded::Complete(msg.unchunked(body), end.saturating_add(n)),
            Decoded::Invalid(e, n) => Decoded::Invalid(e, end.saturating_add(n)),
            Decoded::Incomplete => Decoded::Incomplete,
        },
    }
}

/// How a message's body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` octets (0 without one).
    Length(usize),
    /// The chunked transfer coding (§7.1), up to [`HTTP_BODY`] decoded octets.
    Chunked,
}

impl HttpMessage {
    /// The message whose chunked body decoded to `body`, as RFC 9112 §7.1.3 leaves it:
    /// `chunked` taken out of Transfer-Encoding (the only coding these engines accept, so the
    /// field goes) and the decoded length as `Content-Length`: re-encoded, it reads the same.
    pub fn unchunked(mut self, body: Vec<u8>) -> HttpMessage {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("Transfer-Encoding"));
        self.headers.push(("Content-Length".into(), body.len().to_string()));
        HttpMessage { body, ..self }
    }
}

/// A message's head (its start line and header fields, with the empty line that ends them):
/// the message without its body, and how its body is delimited.
pub fn parse_head(head: &[u8], request: bool) -> Result<(HttpMessage, Framing), HttpError> {
    let bad = |status: u16, text: &str| Err(HttpError { status, text: text.into() });
    let head = String::from_utf8_lossy(head.strip_suffix(b"\r\n\r\n").unwrap_or(head)).into_owned();
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or("").to_string();
    let parts: Vec<&str> = start.split(' ').collect();
    if request {
        let [method, path, version] = parts.as_slice() else {
            return bad(400, "Bad Request: the request line must be METHOD /path HTTP/1.1");
        };
        if !method.bytes().all(|b| b.is_ascii_uppercase()) || !path.starts_with('/') {
            return bad(400, "Bad Request: the request line must be METHOD /path HTTP/1.1");
        }
        if *version != "HTTP/1.1" && *version != "HTTP/1.0" {
            return bad(505, "HTTP Version Not Supported");
        }
    } else if !matches!(parts.as_slice(), [v, code, ..] if v.starts_with("HTTP/1.") && code.len() == 3) {
        return bad(502, "not an HTTP response");
    }
    let mut headers = Vec::new();
    for l in lines {
        if l.starts_with([' ', '\t']) {
            return bad(400, "Bad Request: obsolete line folding is not allowed (RFC 9112 section 5.2)");
        }
        let Some((n, v)) = l.split_once(':') else { return bad(400, "Bad Request: a header field needs a colon") };
        if n.is_empty() || n.ends_with([' ', '\t']) || !n.bytes().all(|b| b.is_ascii_graphic()) {
            return bad(
                400,
                "Bad Request: no whitespace is allowed between a field name and the colon (RFC 9112 section 5.1)",
            );
        }
        headers.push((n.to_string(), v.trim().to_string()));
    }
    let msg = HttpMessage { start, headers, body: vec![] };
    if request && msg.version() == "HTTP/1.1" && msg.header("Host").is_none() {
        return bad(400, "Bad Request: HTTP/1.1 requires a Host header field (RFC 9112 section 3.2)");
    }
    let http10 = if request { msg.version() == "HTTP/1.0" } else { msg.start.starts_with("HTTP/1.0 ") };
    let framing = framing(&msg.headers, http10)?;
    if matches!(framing, Framing::Length(n) if n > HTTP_BODY) {
        return bad(413, "Content Too Large");
    }
    Ok((msg, framing))
}

/// Every value of the field `name`, each field's comma-separated list split (RFC 9110 §5.3).
fn values<'a>(headers: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).flat_map(|(_, v)| v.split(',').map(str::trim))
}

/// How a message's body is delimited (RFC 9112 §6.3), from its header fields, or why its
/// framing is refused: every case where a sender and a reader could disagree on where the
/// body ends (request smuggling, RFC 9112 §11.2) is 400, after which the server closes the
/// connection without reading on. `Transfer-Encoding: chunked` alone is read (§7.1); other
/// codings are 501 (§6.1). A `Content-Length` too large for a `usize` is 413; the caller
/// applies its own body limit. Shared with the web port of `mailsim serve`.
pub fn framing(headers: &[(String, String)], http10: bool) -> Result<Framing, HttpError> {
    let bad = |status: u16, text: &str| Err(HttpError { status, text: text.into() });
    if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("Transfer-Encoding")) {
        if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("Content-Length")) {
            return bad(400, "Bad Request: Transfer-Encoding and Content-Length together (RFC 9112 section 6.3)");
        }
        if http10 {
            return bad(400, "Bad Request: Transfer-Encoding in an HTTP/1.0 message (RFC 9112 section 6.1)");
        }
        let codings: Vec<&str> = values(headers, "Transfer-Encoding").collect();
        let chunked = |c: &str| c.eq_ignore_ascii_case("chunked");
        if !codings.last().is_some_and(|c| chunked(c)) {
            return bad(400, "Bad Request: chunked is not the final transfer coding (RFC 9112 section 6.3)");
        }
        if codings.iter().filter(|c| chunked(c)).count() > 1 {
            return bad(400, "Bad Request: chunked applied more than once (RFC 9112 section 7.1)");
        }
        if codings.len() > 1 {
            return bad(501, "Not Implemented: no transfer coding but chunked is read here (RFC 9112 section 6.1)");
        }
        return Ok(Framing::Chunked);
    }
    // `Content-Length = 1*DIGIT`; repeated (in one field or several) only with the same value.
    let mut len = None;
    for v in values(headers, "Content-Length") {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return bad(400, "Bad Request: Content-Length must be digits (RFC 9112 section 6.3)");
        }
        if len.is_some_and(|l| l != v) {
            return bad(400, "Bad Request: Content-Length given twice, differently (RFC 9112 section 6.3)");
        }
        len = Some(v);
    }
    match len.map(str::parse::<usize>) {
        None => Ok(Framing::Length(0)),
        Some(Ok(n)) => Ok(Framing::Length(n)),
        // Too many digits for a usize is too large as well.
        Some(_) => bad(413, "Content Too Large"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::http::{HttpServer, HttpServerEvent};

    #[test]
    fn requests_and_responses_round_trip_and_prefixes_are_incomplete() {
        let req = HttpMessage::request(
            "POST",
            "/login",
            "HTTP/1.1",
            &[("Host", "webmail.alice.example"), ("Content-Type", "application/x-www-form-urlencoded")],
            b"user=alice&password=a%26b",
        );
        let wire = req.encode();
        assert!(wire.starts_with(b"POST /login HTTP/1.1\r\nHost: webmail.alice.example\r\n"));
        assert_eq!(decode(&wire, true), Decoded::Complete(req.clone(), wire.len()));
        for n in 0..wire.len() {
            assert_eq!(decode(&wire[..n], true), Decoded::Incomplete, "prefix {n}");
        }
        assert_eq!(req.form(), vec![("user".into(), "alice".into()), ("password".into(), "a&b".into())]);
        let resp = HttpMessage::response("HTTP/1.1", 200, "OK", &[("Content-Type", "text/html")], b"<p>hi</p>");
        assert_eq!(decode(&resp.encode(), false), Decoded::Complete(resp.clone(), resp.encode().len()));
    }

    #[test]
    fn bad_requests_get_the_prescribed_status() {
        for (wire, status) in [
            (&b"GET / HTTP/1.1\r\n\r\n"[..], 400),
            (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
            (b"get / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            (b"GET index.html HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
            (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX", 400),
        ] {
            match decode(wire, true) {
                Decoded::Invalid(e, _) => assert_eq!(e.status, status, "{:?}", String::from_utf8_lossy(wire)),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(wire)),
            }
        }
    }

    #[test]
    fn http10_closes_and_http11_persists() {
        let mut s = HttpServer::new();
        s.handle_input(0, b"GET /a HTTP/1.0\r\n\r\n");
        assert!(matches!(s.poll_event(), Some(HttpServerEvent::Request(_))));
        s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], b"a"));
        let out = String::from_utf8(s.poll_transmit().unwrap().bytes).unwrap();
        assert!(out.starts_with("HTTP/1.0 200 OK\r\nConnection: close\r\n"), "{out}");
        assert_eq!(s.poll_event(), Some(HttpServerEvent::Closed));
        let mut s = HttpServer::new();
        s.handle_input(0, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(matches!(s.poll_event(), Some(HttpServerEvent::Request(r)) if r.target() == "/a"));
        s.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[], b"a"));
        assert!(
            matches!(s.poll_event(), Some(HttpServerEvent::Request(r)) if r.target() == "/b"),
            "the second request waits for the first answer"
        );
    }
}
