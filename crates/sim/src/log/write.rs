//! Writing one event as the JSON line `serde_json::to_writer(&event)` writes, byte for byte
//! (the golden logs are the proof, and module `tests` holds the two equal), by hand: the
//! derived writer passes each string through serde_json's escaper, which looks up every byte
//! in a table; this one skips eight bytes at a time while none needs an escape (the log is
//! mostly wire text and sentences with nothing to escape). The escapes are serde_json's: `\"`,
//! `\\`, `\b`, `\t`, `\n`, `\f`, `\r`, other controls as `\u00xx` (lowercase hex); anything
//! else (U+007F, U+2028, all non-ASCII) is written as itself.

use super::{Actor, Event};

#[cfg(test)]
mod tests;

/// `e` as one JSON object (no newline), after what `out` holds.
pub(super) fn event(out: &mut Vec<u8>, e: &Event) {
    let mut w = Obj::new(out, "event");
    match e {
        Event::ActorJoined { actor } => {
            w.tag("actor_joined");
            w.key("actor");
            self::actor(w.out, actor);
        }
        Event::Narrated { t, actor, text } => {
            w.tag("narrated");
            w.num("t", *t);
            w.str("actor", actor);
            w.str("text", text);
        }
        Event::ConnectionOpened { t, conn, client, client_port, server, port, protocol } => {
            w.tag("connection_opened");
            w.num("t", *t);
            w.num("conn", u64::from(*conn));
            w.str("client", client);
            w.num("client_port", u64::from(*client_port));
            w.str("server", server);
            w.num("port", u64::from(*port));
            w.str("protocol", protocol);
        }
        Event::MessageSent {
            t_sent,
            t,
            conn,
            from,
            to,
            protocol,
            port,
            raw,
            label,
            meaning,
            rfc,
            from_state,
            to_state,
            tls,
        } => {
            w.tag("message_sent");
            w.num("t_sent", *t_sent);
            w.num("t", *t);
            match conn {
                Some(c) => w.num("conn", u64::from(*c)),
                None => {
                    w.key("conn");
                    w.out.extend_from_slice(b"null");
                }
            }
            w.str("from", from);
            w.str("to", to);
            w.str("protocol", protocol);
            w.num("port", u64::from(*port));
            w.key("raw");
            latin1(w.out, raw);
            w.str("label", label);
            w.str("meaning", meaning);
            w.str("rfc", rfc);
            w.str("from_state", from_state);
            w.str("to_state", to_state);
            if *tls {
                w.key("tls");
                w.out.extend_from_slice(b"true");
            }
        }
        Event::ConnectionClosed { t, conn, by } => {
            w.tag("connection_closed");
            w.num("t", *t);
            w.num("conn", u64::from(*conn));
            w.str("by", by);
        }
        Event::ConnectionRefused { t, client, server, port } => {
            w.tag("connection_refused");
            w.num("t", *t);
            w.str("client", client);
            w.str("server", server);
            w.num("port", u64::from(*port));
        }
        Event::MessageQueued { t, node, queue_id, mail_from, rcpt_to, size, subject } => {
            w.tag("message_queued");
            w.num("t", *t);
            w.str("node", node);
            w.str("queue_id", queue_id);
            w.str("mail_from", mail_from);
            w.key("rcpt_to");
            strs(w.out, rcpt_to);
            w.num("size", *size as u64);
            w.str("subject", subject);
        }
        Event::MessageDeferred { t, node, queue_id, reason, retry_at } => {
            w.tag("message_deferred");
            w.num("t", *t);
            w.str("node", node);
            w.str("queue_id", queue_id);
            w.str("reason", reason);
            w.num("retry_at", *retry_at);
        }
        Event::QueueEntryRemoved { t, node, queue_id, outcome } => {
            w.tag("queue_entry_removed");
            w.num("t", *t);
            w.str("node", node);
            w.str("queue_id", queue_id);
            w.str("outcome", outcome);
        }
        Event::MessageStored { t, node, mailbox, uid, from, subject, raw } => {
            w.tag("message_stored");
            w.num("t", *t);
            w.str("node", node);
            w.str("mailbox", mailbox);
            w.num("uid", u64::from(*uid));
            w.str("from", from);
            w.str("subject", subject);
            w.key("raw");
            latin1(w.out, raw);
        }
        Event::FlagsChanged { t, node, mailbox, uid, flags } => {
            w.tag("flags_changed");
            w.num("t", *t);
            w.str("node", node);
            w.str("mailbox", mailbox);
            w.num("uid", u64::from(*uid));
            w.key("flags");
            strs(w.out, flags);
        }
        Event::MessageDeleted { t, node, mailbox, uid } => {
            w.tag("message_deleted");
            w.num("t", *t);
            w.str("node", node);
            w.str("mailbox", mailbox);
            w.num("uid", u64::from(*uid));
        }
        Event::MessageDownloaded { t, node, from, subject, size } => {
            w.tag("message_downloaded");
            w.num("t", *t);
            w.str("node", node);
            w.str("from", from);
            w.str("subject", subject);
            w.num("size", *size as u64);
        }
    }
    w.out.push(b'}');
}

fn actor(out: &mut Vec<u8>, a: &Actor) {
    let mut w = Obj::new(out, "id");
    string(w.out, a.id.as_bytes());
    w.str("name", &a.name);
    w.str("host", &a.host);
    w.str("ip", &a.ip);
    w.str("kind", &a.kind);
    if !a.mailboxes.is_empty() {
        w.key("mailboxes");
        strs(w.out, &a.mailboxes);
    }
    w.out.push(b'}');
}

/// An object being written: `{"first":` is out; each later key comes with its comma. (Keys
/// are this module's names: nothing in them to escape.)
struct Obj<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut Vec<u8>, first: &str) -> Self {
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(first.as_bytes());
        out.extend_from_slice(b"\":");
        Obj { out }
    }
    fn tag(&mut self, name: &str) {
        string(self.out, name.as_bytes());
    }
    fn key(&mut self, k: &str) {
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
    }
    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        string(self.out, v.as_bytes());
    }
    fn num(&mut self, k: &str, v: u64) {
        self.key(k);
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = v;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[i..]);
    }
}

fn strs(out: &mut Vec<u8>, list: &[String]) {
    out.push(b'[');
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        string(out, s.as_bytes());
    }
    out.push(b']');
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes is a control (< 0x20), `"` or `\` (exact as a yes or no:
/// the classic "has a byte less than n" and "has a zero byte" tests).
fn any_to_escape(x: u64) -> bool {
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let q = x ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = x ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (control | quote | backslash) & HIGHS != 0
}

/// The escape of an ASCII byte, if it needs one.
fn escape(out: &mut Vec<u8>, b: u8) -> bool {
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        b'\t' => b't',
        b'\n' => b'n',
        0x0c => b'f',
        b'\r' => b'r',
        0..=0x1f => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            return true;
        }
        _ => return false,
    };
    out.extend_from_slice(&[b'\\', short]);
    true
}

/// `s` (UTF-8) as a JSON string: runs with nothing to escape copied at once.
fn string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut run = 0; // start of the bytes not yet copied
    let mut i = 0;
    while i < s.len() {
        if let Some(chunk) = s.get(i..i + 8) {
            let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            if !any_to_escape(x) {
                i += 8;
                continue;
            }
        }
        // Somewhere in the next eight bytes (or the last few): one at a time.
        let end = (i + 8).min(s.len());
        while i < end {
            let b = s[i];
            if b < 0x20 || b == b'"' || b == b'\\' {
                out.extend_from_slice(&s[run..i]);
                escape(out, b);
                run = i + 1;
            }
            i += 1;
        }
    }
    out.extend_from_slice(&s[run..]);
    out.push(b'"');
}

/// Wire bytes as the string whose characters U+0000..U+00FF are the bytes (module `latin1`).
fn latin1(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.is_ascii() {
        return string(out, bytes);
    }
    out.reserve(bytes.len() * 2 + 2);
    out.push(b'"');
    for &b in bytes {
        if b >= 0x80 {
            out.extend_from_slice(&[0xc0 | (b >> 6), 0x80 | (b & 0x3f)]);
        } else if !escape(out, b) {
            out.push(b);
        }
    }
    out.push(b'"');
}
