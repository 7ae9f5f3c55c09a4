//! Reading one event line of a log (what `serde_json::to_string(&event)` wrote), by hand over
//! a small JSON reader that borrows the line ([`json`]): no `serde_json::Value` is built, and
//! each string is decoded once, into the event's field. The same rules as the derived reader
//! had: fields in any order, unknown fields ignored, `mailboxes`, `tls` and `conn` may be left
//! out, numbers must fit their type, and a byte string holds only U+0000..U+00FF. See the
//! module doc of `log` for why this is not derived; `value` (tests only) is the reader over
//! `serde_json::Value` this one replaced, and the tests compare the two.

use super::{Actor, Event};
use json::{Obj, Val};

mod json;
#[cfg(test)]
mod value;

/// The `event` tags, in the order of [`Event`]'s variants.
const EVENTS: &str = "actor_joined, narrated, connection_opened, message_sent, connection_closed, \
                      connection_refused, message_queued, message_deferred, queue_entry_removed, \
                      message_stored, flags_changed, message_deleted, message_downloaded (and owner)";

/// One line of a log after its header.
#[derive(Debug, PartialEq)]
#[allow(clippy::large_enum_variant, reason = "read and taken apart at once, never stored")]
pub(super) enum Line {
    Event(Event),
    /// `{"event":"owner","conn":C,"user":U}` (`mailsim serve --log`): connection `C` logged in
    /// as `U`, the same fact as the live stream's `owner` entry.
    Owner {
        conn: u32,
        user: String,
    },
}

/// One line of a JSON-lines log: an [`Event`] or an owner record.
pub(super) fn line(line: &str) -> Result<Line, String> {
    let value = json::parse(line)?;
    let o = value.as_object().ok_or("an event is a JSON object")?;
    if o.get("event").and_then(Val::as_str).is_some_and(|t| t == "owner") {
        return Ok(Line::Owner { conn: num(o, "conn")?, user: text(o, "user")? });
    }
    event_of(o).map(Line::Event)
}

/// One line of a JSON-lines log as an [`Event`].
pub(super) fn event(line: &str) -> Result<Event, String> {
    let value = json::parse(line)?;
    event_of(value.as_object().ok_or("an event is a JSON object")?)
}

fn event_of(o: &Obj) -> Result<Event, String> {
    let tag = o.get("event").ok_or("missing field `event`")?;
    let tag = tag.as_str().ok_or("`event` must be a string")?;
    Ok(match &*tag {
        "actor_joined" => Event::ActorJoined { actor: actor(o.get("actor").ok_or("missing field `actor`")?)? },
        "narrated" => Event::Narrated { t: num(o, "t")?, actor: text(o, "actor")?, text: text(o, "text")? },
        "connection_opened" => Event::ConnectionOpened {
            t: num(o, "t")?,
            conn: num(o, "conn")?,
            client: text(o, "client")?,
            client_port: num(o, "client_port")?,
            server: text(o, "server")?,
            port: num(o, "port")?,
            protocol: text(o, "protocol")?,
        },
        "message_sent" => Event::MessageSent {
            t_sent: num(o, "t_sent")?,
            t: num(o, "t")?,
            conn: match o.get("conn") {
                None | Some(Val::Null) => None,
                Some(_) => Some(num(o, "conn")?),
            },
            from: text(o, "from")?,
            to: text(o, "to")?,
            protocol: text(o, "protocol")?,
            port: num(o, "port")?,
            raw: bytes(o, "raw")?,
            label: text(o, "label")?,
            meaning: text(o, "meaning")?,
            rfc: text(o, "rfc")?,
            from_state: text(o, "from_state")?,
            to_state: text(o, "to_state")?,
            tls: match o.get("tls") {
                None => false,
                Some(v) => v.as_bool().ok_or("`tls` must be true or false")?,
            },
        },
        "connection_closed" => Event::ConnectionClosed { t: num(o, "t")?, conn: num(o, "conn")?, by: text(o, "by")? },
        "connection_refused" => Event::ConnectionRefused {
            t: num(o, "t")?,
            client: text(o, "client")?,
            server: text(o, "server")?,
            port: num(o, "port")?,
        },
        "message_queued" => Event::MessageQueued {
            t: num(o, "t")?,
            node: text(o, "node")?,
            queue_id: text(o, "queue_id")?,
            mail_from: text(o, "mail_from")?,
            rcpt_to: texts(o, "rcpt_to", false)?,
            size: num(o, "size")?,
            subject: text(o, "subject")?,
        },
        "message_deferred" => Event::MessageDeferred {
            t: num(o, "t")?,
            node: text(o, "node")?,
            queue_id: text(o, "queue_id")?,
            reason: text(o, "reason")?,
            retry_at: num(o, "retry_at")?,
        },
        "queue_entry_removed" => Event::QueueEntryRemoved {
            t: num(o, "t")?,
            node: text(o, "node")?,
            queue_id: text(o, "queue_id")?,
            outcome: text(o, "outcome")?,
        },
        "message_stored" => Event::MessageStored {
            t: num(o, "t")?,
            node: text(o, "node")?,
            mailbox: text(o, "mailbox")?,
            uid: num(o, "uid")?,
            from: text(o, "from")?,
            subject: text(o, "subject")?,
            raw: bytes(o, "raw")?,
        },
        "flags_changed" => Event::FlagsChanged {
            t: num(o, "t")?,
            node: text(o, "node")?,
            mailbox: text(o, "mailbox")?,
            uid: num(o, "uid")?,
            flags: texts(o, "flags", false)?,
        },
        "message_deleted" => Event::MessageDeleted {
            t: num(o, "t")?,
            node: text(o, "node")?,
            mailbox: text(o, "mailbox")?,
            uid: num(o, "uid")?,
        },
        "message_downloaded" => Event::MessageDownloaded {
            t: num(o, "t")?,
            node: text(o, "node")?,
            from: text(o, "from")?,
            subject: text(o, "subject")?,
            size: num(o, "size")?,
        },
        other => return Err(format!("unknown event `{other}`, expected one of {EVENTS}")),
    })
}

fn actor(v: &Val) -> Result<Actor, String> {
    let o = v.as_object().ok_or("`actor` must be an object")?;
    Ok(Actor {
        id: text(o, "id")?,
        name: text(o, "name")?,
        host: text(o, "host")?,
        ip: text(o, "ip")?,
        kind: text(o, "kind")?,
        mailboxes: texts(o, "mailboxes", true)?,
    })
}

fn field<'a, 'b>(o: &'b Obj<'a>, key: &str) -> Result<&'b Val<'a>, String> {
    o.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

fn text(o: &Obj, key: &str) -> Result<String, String> {
    field(o, key)?.as_str().map(|s| s.into_owned()).ok_or_else(|| format!("`{key}` must be a string"))
}

/// A list of strings; `optional` ones may be left out (read as empty).
fn texts(o: &Obj, key: &str, optional: bool) -> Result<Vec<String>, String> {
    let list = match o.get(key) {
        None if optional => return Ok(Vec::new()),
        _ => field(o, key)?.as_array().ok_or_else(|| format!("`{key}` must be a list of strings"))?,
    };
    list.iter()
        .map(|v| v.as_str().map(|s| s.into_owned()).ok_or_else(|| format!("`{key}` must be a list of strings")))
        .collect()
}

/// A whole number that fits `T` (u16, u32, u64 or usize).
fn num<T: TryFrom<u64>>(o: &Obj, key: &str) -> Result<T, String> {
    field(o, key)?
        .as_u64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("`{key}` must be a whole number in range"))
}

/// Bytes written as a string of U+0000..U+00FF (see the `log` module doc).
fn bytes(o: &Obj, key: &str) -> Result<Vec<u8>, String> {
    match field(o, key)?.as_latin1() {
        Some(Ok(b)) => Ok(b),
        Some(Err(())) => Err(format!("`{key}`: a byte string holds only U+0000..U+00FF")),
        None => Err(format!("`{key}` must be a string")),
    }
}

#[cfg(test)]
mod tests;
