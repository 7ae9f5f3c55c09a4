//! What HTTP requests and responses mean, for the learner (webmail, and HTTP next to SMTP).

use crate::explain::{ex, shorten, shortened, Explanation};

pub fn request(start: &str, body_len: usize, cookie: bool) -> Explanation {
    let mut parts = start.split(' ');
    let (method, target, version) =
        (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let what = match (method, target) {
        ("POST", "/login") => "The browser sends the login form: user name and password, in the clear inside this request (real webmail uses HTTPS).".to_string(),
        ("POST", "/send") => "The browser sends the message as a form (to, subject, text) to the webmail front end. The browser speaks HTTP; it is the front end that will speak SMTP.".to_string(),
        ("GET", "/inbox") => "The browser pulls the list of messages: with webmail, reading mail is an HTTP GET.".to_string(),
        ("GET", t) if t.starts_with("/message/") => "The browser pulls one message.".to_string(),
        ("GET", t) => format!("The browser asks for the object {t}: HTTP pulls content, one request per object."),
        _ => format!("An HTTP {method} request for {target}."),
    };
    let conn = if version == "HTTP/1.0" {
        " HTTP/1.0: the connection closes after the response, so each object needs a new TCP connection."
    } else {
        " HTTP/1.1: the connection stays open for the next request (persistent)."
    };
    let c =
        if cookie { " The Cookie header carries the session: HTTP itself is stateless across requests." } else { "" };
    let b = if body_len > 0 { format!(" Body: {body_len} bytes.") } else { String::new() };
    ex(shorten(start, 72), format!("{what}{conn}{c}{b}"), "RFC 9110 §9.3, RFC 9112 §3, §9.3")
}

pub fn response(start: &str, for_request: &str, body_len: usize, content_type: &str) -> Explanation {
    let code: u16 = start.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (meaning, rfc): (String, &str) = match code {
        200 => (format!("200 OK: the content follows ({body_len} bytes of {}). Any content type is fine: unlike SMTP, HTTP does not require 7-bit ASCII.", if content_type.is_empty() { "data" } else { content_type }), "RFC 9110 §15.3.1"),
        303 | 302 => ("A redirect: the browser is told to GET another URL (Location). Set-Cookie hands the browser a session identifier to send back.".into(), "RFC 9110 §15.4.4; RFC 6265"),
        400 => ("400 Bad Request: the request is malformed.".into(), "RFC 9110 §15.5.1; RFC 9112"),
        401 => ("401 Unauthorized: credentials are needed.".into(), "RFC 9110 §15.5.2"),
        403 => ("403 Forbidden: the server refuses (here: wrong user name or password).".into(), "RFC 9110 §15.5.4"),
        404 => ("404 Not Found: there is no such resource.".into(), "RFC 9110 §15.5.5"),
        405 => ("405 Method Not Allowed: the resource exists but not for this method; Allow lists the methods it takes.".into(), "RFC 9110 §15.5.6"),
        505 => ("505: the server does not speak this HTTP version.".into(), "RFC 9110 §15.6.6"),
        c => (format!("Status {c}."), "RFC 9110 §15"),
    };
    let label = if for_request.is_empty() {
        shorten(start, 72)
    } else {
        shortened(format!("{start} ({})", for_request.split(' ').take(2).collect::<Vec<_>>().join(" ")), 72)
    };
    ex(label, meaning, rfc)
}
