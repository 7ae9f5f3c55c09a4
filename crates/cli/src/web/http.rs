//! Just enough HTTP/1.1 (RFC 9112) for the page and its event stream: one request per
//! connection (`Connection: close`), a bounded head and body, GET, HEAD and POST.

use mailsim_proto::http::chunked::Chunked;
use mailsim_proto::http::Framing;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest request head, and body (a login form).
pub const MAX_HEAD: usize = 16 * 1024;
pub const MAX_BODY: usize = 4 * 1024;

#[derive(Debug, Default, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The query, decoded: (name, value).
    pub query: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read: the status to answer with.
#[derive(Debug, PartialEq)]
pub enum Bad {
    /// The peer went away or sent nothing: answer nothing.
    Gone,
    Status(u16, &'static str),
}

/// `%XX` and `+` decoding of a query or form value; bytes that are not UTF-8 become U+FFFD.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() => {
                let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a=1&b=2`, decoded.
pub fn form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Reads one request (head and body).
pub async fn read<R: AsyncRead + Unpin>(r: &mut R) -> Result<Request, Bad> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            if p > MAX_HEAD {
                return Err(Bad::Status(431, "Request Header Fields Too Large"));
            }
            break p;
        }
        if buf.len() > MAX_HEAD {
            return Err(Bad::Status(431, "Request Header Fields Too Large"));
        }
        let n = r.read(&mut chunk).await.map_err(|_| Bad::Gone)?;
        if n == 0 {
            return Err(if buf.is_empty() { Bad::Gone } else { Bad::Status(400, "Bad Request") });
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| Bad::Status(400, "Bad Request"))?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(target), Some(version), None) = (method, target, version, parts.next()) else {
        return Err(Bad::Status(400, "Bad Request"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(Bad::Status(505, "HTTP Version Not Supported"));
    }
    let mut headers = Vec::new();
    for l in lines {
        let (n, v) = l.split_once(':').ok_or(Bad::Status(400, "Bad Request"))?;
        // No whitespace in or around a field name (RFC 9112 §5.1: `Transfer-Encoding :` is 400).
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Bad::Status(400, "Bad Request"));
        }
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut req =
        Request { method: method.to_string(), path: decode(path), query: form(query), headers, body: Vec::new() };
    // How the body is delimited (RFC 9112 §6.3), as the HTTP engines read it: Content-Length
    // (digits, repeated only the same), or chunked alone (§7.1); other codings are 501 (§6.1);
    // Transfer-Encoding with Content-Length, chunked not last or twice, or in HTTP/1.0, 400.
    // Every refusal closes the connection, so nothing after it is read as a request.
    let framing = mailsim_proto::http::framing(&req.headers, version == "HTTP/1.0").map_err(|e| refused(e.status))?;
    let rest = &buf[head_end + 4..];
    match framing {
        Framing::Length(len) if len > MAX_BODY => return Err(Bad::Status(413, "Content Too Large")),
        Framing::Length(len) => {
            req.body = rest.to_vec();
            while req.body.len() < len {
                let n = r.read(&mut chunk).await.map_err(|_| Bad::Gone)?;
                if n == 0 {
                    return Err(Bad::Status(400, "Bad Request"));
                }
                req.body.extend_from_slice(&chunk[..n]);
            }
            req.body.truncate(len);
        }
        Framing::Chunked => {
            // Decoded as it comes, MAX_BODY decoded bytes at most (413); what follows the
            // body is not read (one request per connection).
            let mut decoder = Chunked::new(MAX_BODY);
            let mut input = rest;
            while decoder.feed(input).map_err(|e| refused(e.status))?.is_none() {
                let n = r.read(&mut chunk).await.map_err(|_| Bad::Gone)?;
                if n == 0 {
                    return Err(Bad::Status(400, "Bad Request"));
                }
                input = &chunk[..n];
            }
            req.body = decoder.into_body();
        }
    }
    Ok(req)
}

/// The answer to a framing the HTTP engines refuse, by its status.
fn refused(status: u16) -> Bad {
    match status {
        413 => Bad::Status(413, "Content Too Large"),
        501 => Bad::Status(501, "Not Implemented"),
        _ => Bad::Status(400, "Bad Request"),
    }
}

/// A whole response with `Connection: close`.
pub fn response(status: u16, reason: &str, content_type: &str, extra: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\
         X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n",
        body.len()
    );
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A short plain-text answer.
pub fn text(status: u16, reason: &str, body: &str) -> Vec<u8> {
    response(status, reason, "text/plain; charset=utf-8", &[("Cache-Control", "no-store")], body.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(raw: &[u8]) -> Result<Request, Bad> {
        let mut r = raw;
        read(&mut r).await
    }

    #[tokio::test]
    async fn requests_are_read_and_bounded() {
        let r =
            parse(b"GET /events?token=a%2Bb&since=5 HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 7\r\n\r\n").await.unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/events"));
        assert_eq!((r.param("token"), r.param("since")), (Some("a+b"), Some("5")));
        assert_eq!(r.header("last-event-id"), Some("7"));
        let r = parse(b"POST /login HTTP/1.1\r\nContent-Length: 11\r\n\r\nuser=b&p=%").await;
        assert_eq!(r, Err(Bad::Status(400, "Bad Request")), "a body shorter than its length");
        let r = parse(b"POST /login HTTP/1.1\r\nContent-Length: 12\r\n\r\nuser=b&p=%41").await.unwrap();
        assert_eq!(
            form(std::str::from_utf8(&r.body).unwrap()),
            vec![("user".into(), "b".into()), ("p".into(), "A".into())]
        );
        assert_eq!(parse(b"").await, Err(Bad::Gone));
        assert_eq!(parse(b"GET / SPDY/3\r\n\r\n").await, Err(Bad::Status(505, "HTTP Version Not Supported")));
        assert_eq!(parse(b"GET /\r\n\r\n").await, Err(Bad::Status(400, "Bad Request")));
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert!(parse(huge.as_bytes()).await == Err(Bad::Status(431, "Request Header Fields Too Large")));
        let big = b"POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n";
        assert_eq!(parse(big).await, Err(Bad::Status(413, "Content Too Large")));
        // A body framed by Transfer-Encoding other than chunked alone is not read: 501, or 400
        // with Content-Length in either order (RFC 9112 §6.1, §6.3); a smuggled request
        // behind it is never reached.
        let chunked = "5\r\nhello\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n";
        for (fields, status) in [
            ("transfer-encoding: gzip, chunked", 501),
            ("Transfer-Encoding: chunked, chunked", 400),
            ("Transfer-Encoding: gzip", 400),
            ("Transfer-Encoding: chunked\r\nContent-Length: 5", 400),
            ("Content-Length: 5\r\nTransfer-Encoding: chunked", 400),
            ("Transfer-Encoding : chunked", 400),
            ("Content-Length: 5\r\nContent-Length: 6", 400),
            ("Content-Length: 5, 6", 400),
            ("Content-Length: +5", 400),
            ("Content-Length: 99999999999999999999999", 413),
        ] {
            for method in ["GET /", "POST /login"] {
                let r = parse(format!("{method} HTTP/1.1\r\nHost: x\r\n{fields}\r\n\r\n{chunked}").as_bytes()).await;
                let reason = if status == 501 { "Not Implemented" } else { "Bad Request" };
                let reason = if status == 413 { "Content Too Large" } else { reason };
                assert_eq!(r, Err(Bad::Status(status, reason)), "{method} {fields}");
            }
        }
        let r = parse(b"POST /login HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhelloGET").await.unwrap();
        assert_eq!(r.body, b"hello");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%A9+x"), "é x");
    }

    /// A reader that gives `size` bytes a read, as a network may.
    struct Pieces<'a>(&'a [u8], usize);

    impl AsyncRead for Pieces<'_> {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let n = self.1.min(self.0.len()).min(buf.remaining());
            let (piece, rest) = self.0.split_at(n);
            buf.put_slice(piece);
            self.0 = rest;
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// A chunked body is decoded (RFC 9112 §7.1): extensions ignored, trailers discarded, what
    /// follows it not read; whole and in pieces of 1, 2 and 7 bytes. Over MAX_BODY decoded
    /// (one chunk or the sum) is 413; malformed, or cut short, 400.
    #[tokio::test]
    async fn chunked_bodies_are_decoded_and_bounded() {
        let head = "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        let body = "5;note=1\r\nuser=\r\n7\r\nbob&p=1\r\n0\r\nX-Sum: 9\r\n\r\nGET /admin HTTP/1.1\r\n\r\n";
        let over = "a".repeat(MAX_BODY / 2 + 1);
        for size in [1, 2, 7, 2048] {
            let wire = format!("{head}{body}");
            let r = read(&mut Pieces(wire.as_bytes(), size)).await.unwrap();
            assert_eq!((r.path.as_str(), r.body.as_slice()), ("/login", &b"user=bob&p=1"[..]), "pieces of {size}");
            for (body, status) in [
                (format!("{:x}\r\n", MAX_BODY + 1), 413),
                (format!("{:x}\r\n{over}\r\n{:x}\r\n{over}\r\n0\r\n\r\n", over.len(), over.len()), 413),
                ("5\r\nhelloX\r\n0\r\n\r\n".to_string(), 400),
                ("5\r\nhel".to_string(), 400),
                ("0\r\nno colon\r\n\r\n".to_string(), 400),
            ] {
                let wire = format!("{head}{body}");
                let r = read(&mut Pieces(wire.as_bytes(), size)).await;
                let reason = if status == 413 { "Content Too Large" } else { "Bad Request" };
                assert_eq!(r, Err(Bad::Status(status, reason)), "{body:.30} in pieces of {size}");
            }
        }
    }
}
