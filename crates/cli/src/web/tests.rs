//! The HTTP side on a real socket: the page, 403s, a login, the stream and its resumption.

use super::*;
use tokio::io::AsyncReadExt;

/// Sends a request and reads the answer: until the server closes, or for a stream, 300 ms.
async fn request(addr: SocketAddr, raw: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let wait = if raw.starts_with("GET /events") { 300 } else { 3000 };
    let _ = tokio::time::timeout(Duration::from_millis(wait), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn feed() -> Arc<Feed> {
    Arc::new(Feed::new(&[("bob@bob.example".into(), "bpw".into())], false, 1000))
}

#[tokio::test]
async fn page_stream_login_and_refusals() {
    let feed = feed();
    let o = WebOptions { port: 0, ..WebOptions::default() };
    let s = start("127.0.0.1".parse().unwrap(), &o, feed.clone()).await.unwrap();
    let token = s.live_url.split("token=").nth(1).unwrap().trim_end_matches("#/live").to_string();
    assert_eq!(token.len(), 32);
    let page = request(s.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(page.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/html"), "{page}");
    assert!(page.contains("Content-Security-Policy: default-src 'self'"));
    assert!(request(s.addr, "GET /nope.js HTTP/1.1\r\n\r\n").await.starts_with("HTTP/1.1 404"));
    assert!(request(s.addr, "DELETE / HTTP/1.1\r\n\r\n").await.starts_with("HTTP/1.1 405"));
    for bad in ["/events", "/events?token=0123", "/events?session=abc", &format!("/events?token={token}x")] {
        let r = request(s.addr, &format!("GET {bad} HTTP/1.1\r\n\r\n")).await;
        assert!(r.starts_with("HTTP/1.1 403 Forbidden"), "{bad}: {r}");
    }
    let wrong = "user=bob&password=nope";
    let r = request(s.addr, &format!("POST /login HTTP/1.1\r\nContent-Length: {}\r\n\r\n{wrong}", wrong.len())).await;
    assert!(r.starts_with("HTTP/1.1 403"), "{r}");
    let right = r#"{"user":"bob","password":"bpw"}"#;
    let r = request(s.addr, &format!("POST /login HTTP/1.1\r\nContent-Length: {}\r\n\r\n{right}", right.len())).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    let session = r.split("\"session\":\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(r.contains("\"user\":\"bob@bob.example\""));

    feed.publish(&mailsim_sim::log::Event::Narrated { t: 5, actor: "x".into(), text: "one".into() });
    feed.publish(&mailsim_sim::log::Event::Narrated { t: 6, actor: "x".into(), text: "two".into() });
    let r = request(s.addr, &format!("GET /events?token={token} HTTP/1.1\r\n\r\n")).await;
    assert!(r.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream"), "{r}");
    // Both records in one message, one line each; its id is the last.
    assert!(r.contains(
        "data: {\"seq\":1,\"event\":{\"event\":\"narrated\",\"t\":5,\"actor\":\"x\",\"text\":\"one\"}}\ndata: {\"seq\":2,"
    ));
    assert!(r.contains("\"text\":\"two\"}}\nid: 2\n\n") && !r.contains("id: 1\n"), "{r}");
    let r = request(s.addr, &format!("GET /events?token={token} HTTP/1.1\r\nLast-Event-ID: 1\r\n\r\n")).await;
    assert!(!r.contains("id: 1\n") && r.contains("id: 2\n"), "{r}");
    // The stream is live: what is published later arrives on the open connection.
    let mut live = TcpStream::connect(s.addr).await.unwrap();
    live.write_all(format!("GET /events?token={token}&since=2 HTTP/1.1\r\n\r\n").as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    feed.publish(&mailsim_sim::log::Event::Narrated { t: 7, actor: "x".into(), text: "three".into() });
    let mut buf = vec![0u8; 4096];
    let mut got = String::new();
    while !got.contains("id: 3") {
        let n = tokio::time::timeout(Duration::from_secs(2), live.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0);
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // A student sees neither (narrations are the instructor's).
    let r = request(s.addr, &format!("GET /events?session={session} HTTP/1.1\r\n\r\n")).await;
    assert!(r.starts_with("HTTP/1.1 200") && !r.contains("data:"), "{r}");
}

/// On a real socket: a chunked login is read (RFC 9112 §7.1) and answered once, the request
/// pipelined after it not at all (one request per connection); a chunked body over the limit
/// is 413 and closes, the request hidden in it not answered; with Content-Length too, 400.
#[tokio::test]
async fn chunked_bodies_are_read_bounded_and_close() {
    let o = WebOptions { port: 0, ..WebOptions::default() };
    let s = start("127.0.0.1".parse().unwrap(), &o, feed()).await.unwrap();
    let login = "user=bob&password=bpw";
    let raw = format!(
        "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n\
         GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &login[..4],
        login.len() - 4,
        &login[4..]
    );
    let r = request(s.addr, &raw).await;
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n") && r.contains("\"user\":\"bob@bob.example\""), "{r}");
    assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "one answer, then closed: {r}");
    let body = format!("{:x}\r\n{}\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 20_000, "x".repeat(20_000));
    for (extra, status) in [("", "413 Content Too Large"), ("Content-Length: 3\r\n", "400 Bad Request")] {
        let raw = format!("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n{extra}\r\n{body}");
        let r = request(s.addr, &raw).await;
        assert!(r.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{r}");
        assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "one answer, then closed: {r}");
    }
}

#[test]
fn banner_warns_off_loopback() {
    let s = Started { addr: "0.0.0.0:2080".parse().unwrap(), live_url: "u".into() };
    let b = banner("0.0.0.0".parse().unwrap(), &s, true);
    assert!(b.contains("warning: --bind 0.0.0.0") && b.contains("--show-credentials"));
    let b = banner("127.0.0.1".parse().unwrap(), &s, false);
    assert!(!b.contains("warning"));
}

/// Consecutive records share a message (one data line each, the last id), an owner entry too;
/// a record held back (no id) does not move the id.
#[test]
fn records_are_batched_into_messages() {
    use super::feed::{Entry, Kind, Scope};
    use std::sync::Arc;
    let e = |seq: u64, kind: Kind| {
        Arc::new(Entry { seq, kind, scope: Scope::Everyone, data: Arc::from(format!("{{\"seq\":{seq}}}")) })
    };
    let owner = Kind::Owner { conn: 1, user: "bob@bob.example".into() };
    let items =
        vec![(e(1, Kind::Event), true), (e(2, Kind::Event), false), (e(3, owner), true), (e(4, Kind::Event), true)];
    let mut out = Vec::new();
    super::messages(&mut out, &items);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "data: {\"seq\":1}\ndata: {\"seq\":2}\ndata: {\"seq\":3}\ndata: {\"seq\":4}\nid: 4\n\n"
    );
    let mut out = Vec::new();
    super::messages(&mut out, &items[..2]);
    assert_eq!(String::from_utf8(out).unwrap(), "data: {\"seq\":1}\ndata: {\"seq\":2}\nid: 1\n\n");
    let mut out = Vec::new();
    super::messages(&mut out, &[]);
    assert!(out.is_empty());
}
