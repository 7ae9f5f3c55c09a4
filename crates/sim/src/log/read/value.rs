//! The reader the page used until the tenth session: one event line over `serde_json::Value`
//! (a `BTreeMap` with a `String` key per field, every string copied out of the line). Kept for
//! the tests only, as the reference the typed reader (`super`) is held equal to, on every line
//! of the golden logs, a `mailsim serve --log` file and damaged lines.

use super::Line;
use crate::log::{Actor, Event};
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

use super::EVENTS;

/// One line of a JSON-lines log: an [`Event`] or an owner record.
pub(crate) fn line(line: &str) -> Result<Line, String> {
    let mut value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let o = value.as_object_mut().ok_or("an event is a JSON object")?;
    if o.get("event").and_then(Value::as_str) == Some("owner") {
        return Ok(Line::Owner { conn: num(o, "conn")?, user: text(o, "user")? });
    }
    event_of(o).map(Line::Event)
}

/// One line of a JSON-lines log as an [`Event`].
pub(crate) fn event(line: &str) -> Result<Event, String> {
    let mut value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    event_of(value.as_object_mut().ok_or("an event is a JSON object")?)
}

/// The event of a line's object. Its strings are moved out of the object (read once, never
/// copied again: the page reads every event of a log, e.g. 1,343 lines for the class of 13).
fn event_of(o: &mut Obj) -> Result<Event, String> {
    let tag = text(o, "event")?;
    Ok(match tag.as_str() {
        "actor_joined" => Event::ActorJoined { actor: actor(o.get_mut("actor").ok_or("missing field `actor`")?)? },
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
                None | Some(Value::Null) => None,
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

fn actor(v: &mut Value) -> Result<Actor, String> {
    let o = v.as_object_mut().ok_or("`actor` must be an object")?;
    Ok(Actor {
        id: text(o, "id")?,
        name: text(o, "name")?,
        host: text(o, "host")?,
        ip: text(o, "ip")?,
        kind: text(o, "kind")?,
        mailboxes: texts(o, "mailboxes", true)?,
    })
}

fn field<'a>(o: &'a Obj, key: &str) -> Result<&'a Value, String> {
    o.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

/// A string, moved out of the object.
fn text(o: &mut Obj, key: &str) -> Result<String, String> {
    match o.get_mut(key) {
        Some(Value::String(s)) => Ok(std::mem::take(s)),
        Some(_) => Err(format!("`{key}` must be a string")),
        None => Err(format!("missing field `{key}`")),
    }
}

/// A list of strings; `optional` ones may be left out (read as empty).
fn texts(o: &mut Obj, key: &str, optional: bool) -> Result<Vec<String>, String> {
    let list = match o.get_mut(key) {
        None if optional => return Ok(Vec::new()),
        None => return Err(format!("missing field `{key}`")),
        Some(v) => v.as_array_mut().ok_or_else(|| format!("`{key}` must be a list of strings"))?,
    };
    list.iter_mut()
        .map(|v| match v {
            Value::String(s) => Ok(std::mem::take(s)),
            _ => Err(format!("`{key}` must be a list of strings")),
        })
        .collect()
}

/// A whole number that fits `T` (u16, u32, u64 or usize).
fn num<T: TryFrom<u64>>(o: &Obj, key: &str) -> Result<T, String> {
    field(o, key)?
        .as_u64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| format!("`{key}` must be a whole number in range"))
}

/// Bytes written as a string of U+0000..U+00FF (see the `log` module doc): ASCII text is its
/// own bytes.
fn bytes(o: &mut Obj, key: &str) -> Result<Vec<u8>, String> {
    let s = text(o, key)?;
    if s.is_ascii() {
        return Ok(s.into_bytes());
    }
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| format!("`{key}`: a byte string holds only U+0000..U+00FF")))
        .collect()
}
