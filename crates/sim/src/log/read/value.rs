//! The reader this module replaced (tests only: the tests in `read` compare the two): one
//! event line of a log by hand over `serde_json::Value`. The same rules as the derived reader had: fields in any order,
//! unknown fields ignored, `mailboxes`, `tls` and `conn` may be left out, numbers must fit
//! their type, and a byte string holds only U+0000..U+00FF. See the module doc of `log` for
//! why this is not derived.

use super::super::{Actor, Event};
use super::Line;
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

/// The `event` tags, in the order of [`Event`]'s variants.
const EVENTS: &str = "actor_joined, narrated, connection_opened, message_sent, connection_closed, \
                      connection_refused, message_queued, message_deferred, queue_entry_removed, \
                      message_stored, flags_changed, message_deleted, message_downloaded (and owner)";

/// One line of a JSON-lines log: an [`Event`] or an owner record.
pub(super) fn line(line: &str) -> Result<Line, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let o = value.as_object().ok_or("an event is a JSON object")?;
    if o.get("event").and_then(Value::as_str) == Some("owner") {
        return Ok(Line::Owner { conn: num(o, "conn")?, user: text(o, "user")? });
    }
    event_of(o).map(Line::Event)
}

fn event_of(o: &Obj) -> Result<Event, String> {
    let tag = o.get("event").ok_or("missing field `event`")?;
    let tag = tag.as_str().ok_or("`event` must be a string")?;
    Ok(match tag {
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

fn actor(v: &Value) -> Result<Actor, String> {
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

fn field<'a>(o: &'a Obj, key: &str) -> Result<&'a Value, String> {
    o.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

fn text(o: &Obj, key: &str) -> Result<String, String> {
    field(o, key)?.as_str().map(str::to_string).ok_or_else(|| format!("`{key}` must be a string"))
}

/// A list of strings; `optional` ones may be left out (read as empty).
fn texts(o: &Obj, key: &str, optional: bool) -> Result<Vec<String>, String> {
    let list = match o.get(key) {
        None if optional => return Ok(Vec::new()),
        _ => field(o, key)?.as_array().ok_or_else(|| format!("`{key}` must be a list of strings"))?,
    };
    list.iter()
        .map(|v| v.as_str().map(str::to_string).ok_or_else(|| format!("`{key}` must be a list of strings")))
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
    let s = field(o, key)?.as_str().ok_or_else(|| format!("`{key}` must be a string"))?;
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).map_err(|_| format!("`{key}`: a byte string holds only U+0000..U+00FF")))
        .collect()
}
