//! The HTTP server fed an arbitrary client (answered at once, or only every few pieces so that
//! requests pile up behind an unanswered one, under small pipelining limits), and the HTTP
//! client fed an arbitrary server: no panic; nothing handed over or sent after the close; the
//! input held behind a waiting request and the requests in one pipelined run stay within the
//! server's limits, and reaching the run's limit closes the connection after its answer; every
//! request handed over is delimited by its Content-Length (a chunked body decoded).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{feed, split_input};
use mailsim_proto::http::{HttpClient, HttpMessage, HttpServer, HttpServerEvent};
use mailsim_proto::Engine;

/// Drains the server's events: the requests handed over (none after the close).
fn events(s: &mut HttpServer, waiting: &mut Vec<HttpMessage>, closed: &mut bool) -> usize {
    let mut handed = 0;
    while let Some(ev) = s.poll_event() {
        assert!(!*closed, "an event after the close: {ev:?}");
        match ev {
            HttpServerEvent::Request(r) => {
                // A request is handed over with its body delimited by Content-Length: a
                // chunked one decoded, its Transfer-Encoding gone (RFC 9112 §7.1.3).
                assert!(r.header("Transfer-Encoding").is_none(), "{r:?}");
                let len = r.header("Content-Length").unwrap_or("0");
                assert!(len.split(',').all(|v| v.trim().parse() == Ok(r.body.len())), "{len} for {}", r.body.len());
                waiting.push(r);
                handed += 1;
            }
            HttpServerEvent::Closed => *closed = true,
        }
    }
    assert!(waiting.len() <= 1, "one request at a time");
    handed
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, chunks)) = split_input(data) else { return };
    let server = mode & 1 != 0;
    if server {
        let mut s = HttpServer::new();
        feed(&mut s, &chunks, |_| {});
        // Limits from the mode (0 to 3.5 KB held, 1 to 4 requests a run); answers given at
        // every piece, or every 2nd, 3rd or 4th.
        let max_held = usize::from(mode >> 1 & 7) * 512;
        let max_run = usize::from(mode >> 4 & 3) + 1;
        let every = usize::from(mode >> 6) + 1;
        let mut s2 = HttpServer::with_pipeline_limits(max_held, max_run);
        let (mut waiting, mut closed, mut run) = (vec![], false, 0);
        for (i, (_, bytes)) in chunks.pieces.iter().enumerate() {
            Engine::handle_input(&mut s2, 0, bytes);
            if events(&mut s2, &mut waiting, &mut closed) > 0 {
                run = 1;
            }
            if !waiting.is_empty() {
                assert!(s2.held() <= max_held, "{} held, limit {max_held}", s2.held());
            }
            while i % every == 0 {
                let Some(r) = waiting.pop() else { break };
                let body = r.start.as_bytes().to_vec();
                s2.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[("Content-Type", "text/plain")], &body));
                let last_of_run = run == max_run;
                if events(&mut s2, &mut waiting, &mut closed) > 0 {
                    run += 1;
                    assert!(run <= max_run, "{run} requests in a run, limit {max_run}");
                }
                let sent = s2.poll_transmit().expect("the answer");
                if last_of_run {
                    assert!(closed && sent.bytes.windows(17).any(|w| w == b"Connection: close"));
                }
            }
            if closed {
                while s2.poll_transmit().is_some() {}
                Engine::handle_input(&mut s2, 0, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                assert!(s2.poll_event().is_none() && s2.poll_transmit().is_none(), "input read after the close");
            }
            while s2.poll_transmit().is_some() {}
        }
    } else {
        let reqs = vec![
            HttpMessage::request("GET", "/", "HTTP/1.1", &[("Host", "www.example")], b""),
            HttpMessage::request("POST", "/send", "HTTP/1.1", &[("Host", "www.example")], b"to=bob"),
        ];
        let mut c = HttpClient::new(reqs);
        feed(&mut c, &chunks, |_| {});
        while c.poll_event().is_some() {}
    }
});
