//! Reading one event line of a log (what `serde_json::to_string(&event)` wrote), by hand over
//! `serde_json::Value`. The same rules as the derived reader had: fields in any order,
//! unknown fields ignored, `mailboxes`, `tls` and `conn` may be left out, numbers must fit
//! their type, and a byte string holds only U+0000..U+00FF. See the module doc of `log` for
//! why this is not derived.

use super::{Actor, Event};
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

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
    let mut value: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let o = value.as_object_mut().ok_or("an event is a JSON object")?;
    if o.get("event").and_then(Value::as_str) == Some("owner") {
        return Ok(Line::Owner { conn: num(o, "conn")?, user: text(o, "user")? });
    }
    event_of(o).map(Line::Event)
}

/// One line of a JSON-lines log as an [`Event`].
#[cfg(test)]
pub(super) fn event(line: &str) -> Result<Event, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_in_any_order_and_optional_ones_left_out() {
        let e = event(r#"{"t":3,"raw":"\u00ff.","to":"b","from":"a","protocol":"DNS","port":53,"label":"l","meaning":"m","rfc":"r","from_state":"x","to_state":"y","t_sent":1,"event":"message_sent","extra":0}"#).unwrap();
        assert_eq!(
            e,
            Event::MessageSent {
                t_sent: 1,
                t: 3,
                conn: None,
                from: "a".into(),
                to: "b".into(),
                protocol: "DNS".into(),
                port: 53,
                raw: vec![0xff, b'.'],
                label: "l".into(),
                meaning: "m".into(),
                rfc: "r".into(),
                from_state: "x".into(),
                to_state: "y".into(),
                tls: false,
            }
        );
        let a =
            event(r#"{"event":"actor_joined","actor":{"id":"i","name":"n","host":"h","ip":"1.2.3.4","kind":"ua"}}"#);
        assert!(matches!(a, Ok(Event::ActorJoined { actor }) if actor.mailboxes.is_empty() && actor.ip == "1.2.3.4"));
    }

    #[test]
    fn what_is_refused_and_why() {
        let cases = [
            ("[1]", "an event is a JSON object"),
            (r#"{"t":1}"#, "missing field `event`"),
            (r#"{"event":"teleported"}"#, "unknown event `teleported`, expected one of actor_joined"),
            (r#"{"event":"message_deleted","t":1,"node":"n","mailbox":"m"}"#, "missing field `uid`"),
            (r#"{"event":"message_deleted","t":-1,"node":"n","mailbox":"m","uid":1}"#, "`t` must be a whole number"),
            (r#"{"event":"connection_refused","t":1,"client":"c","server":"s","port":65536}"#, "`port` must be"),
            (r#"{"event":"narrated","t":1.5,"actor":"a","text":"x"}"#, "`t` must be a whole number"),
            (r#"{"event":"narrated","t":1,"actor":2,"text":"x"}"#, "`actor` must be a string"),
            (
                r#"{"event":"flags_changed","t":1,"node":"n","mailbox":"m","uid":1,"flags":[1]}"#,
                "`flags` must be a list",
            ),
            (
                r#"{"event":"message_stored","t":1,"node":"n","mailbox":"m","uid":1,"from":"f","subject":"s","raw":"Ā"}"#,
                "`raw`: a byte string",
            ),
            ("{", "EOF while parsing an object"),
        ];
        for (line, want) in cases {
            let got = event(line).unwrap_err();
            assert!(got.starts_with(want), "{line}: {got}");
        }
    }
}
