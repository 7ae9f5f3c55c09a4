//! The HTTP server fed an arbitrary client (each request answered), and the HTTP client fed
//! an arbitrary server: no panic, nothing after close.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::{feed, split_input};
use mailsim_proto::http::{HttpClient, HttpMessage, HttpServer, HttpServerEvent};
use mailsim_proto::Engine;

fuzz_target!(|data: &[u8]| {
    let Some((mode, chunks)) = split_input(data) else { return };
    let server = mode & 1 != 0;
    if server {
        let mut s = HttpServer::new();
        feed(&mut s, &chunks, |_| {});
        // Answer what it asked for, then feed again.
        let mut s2 = HttpServer::new();
        let mut pending = vec![];
        for (_, bytes) in &chunks.pieces {
            Engine::handle_input(&mut s2, 0, bytes);
            while let Some(ev) = s2.poll_event() {
                if let HttpServerEvent::Request(r) = ev {
                    pending.push(r);
                }
            }
            for r in pending.drain(..) {
                let body = r.start.as_bytes().to_vec();
                s2.respond(HttpMessage::response("HTTP/1.1", 200, "OK", &[("Content-Type", "text/plain")], &body));
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
