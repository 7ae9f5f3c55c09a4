//! Reading one event line of a log (what `serde_json::to_string(&event)` wrote): typed, over
//! `serde_json`'s own parser, without `serde_json::Value`. The same rules as the derived reader
//! had: fields in any order, unknown fields ignored, `mailboxes`, `tls` and `conn` may be left
//! out, numbers must fit their type, and a byte string holds only U+0000..U+00FF. See the
//! module doc of `log` for why this is not derived.
//!
//! A line is read into [`Val`]: a JSON value whose objects keep only the fields an event or an
//! actor has, in a slot per field name (no key is copied, no map is built), and whose strings
//! borrow the line where they have no escape (each is copied once, into the event). The page
//! reads every event of every log it is given (1,342 lines for the class of 13 at each run), so
//! this is about a third of what the `Value` reader cost (`read/value.rs`, kept for the tests:
//! both give the same events, and the same errors, for every line of the golden logs, a `serve
//! --log` file and damaged lines).

use super::{Actor, Event};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

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

/// The number of field names an event, an owner record or an actor has ([`slot`]).
const KEYS: usize = 40;

/// The slot of field `name`, if an event, an owner record or an actor has it: an object keeps
/// these and drops the others. (The names in a list searched in order were 43 bytes smaller
/// gzipped in the page and 160 in the engine module, and 16 % more of the reader's instructions.)
fn slot(name: &str) -> Option<usize> {
    Some(match name {
        "event" => 0,
        "t" => 1,
        "t_sent" => 2,
        "conn" => 3,
        "actor" => 4,
        "text" => 5,
        "client" => 6,
        "client_port" => 7,
        "server" => 8,
        "port" => 9,
        "protocol" => 10,
        "from" => 11,
        "to" => 12,
        "raw" => 13,
        "label" => 14,
        "meaning" => 15,
        "rfc" => 16,
        "from_state" => 17,
        "to_state" => 18,
        "tls" => 19,
        "by" => 20,
        "node" => 21,
        "queue_id" => 22,
        "mail_from" => 23,
        "rcpt_to" => 24,
        "size" => 25,
        "subject" => 26,
        "reason" => 27,
        "retry_at" => 28,
        "outcome" => 29,
        "mailbox" => 30,
        "uid" => 31,
        "flags" => 32,
        "user" => 33,
        "id" => 34,
        "name" => 35,
        "host" => 36,
        "ip" => 37,
        "kind" => 38,
        "mailboxes" => 39,
        _ => return None,
    })
}

/// A JSON value as far as an event needs it.
#[derive(Debug)]
enum Val<'a> {
    Str(Cow<'a, str>),
    /// A whole number 0..2^64.
    Num(u64),
    Bool(bool),
    Null,
    List(Vec<Val<'a>>),
    Obj(Box<Obj<'a>>),
    /// Any other number (negative, with a fraction or an exponent, 2^64 and above).
    OtherNum,
}

/// An object's known fields (a field written twice: the last one, as `serde_json::Value`).
#[derive(Debug)]
struct Obj<'a>([Option<Val<'a>>; KEYS]);

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Val<'de>, E> {
        Ok(Val::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Val<'de>, E> {
        Ok(Val::Num(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Val<'de>, E> {
        Ok(u64::try_from(v).map(Val::Num).unwrap_or(Val::OtherNum))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Val<'de>, E> {
        Ok(Val::OtherNum)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(v)))
    }
    fn visit_unit<E>(self) -> Result<Val<'de>, E> {
        Ok(Val::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
        let mut list = Vec::new();
        while let Some(v) = seq.next_element()? {
            list.push(v);
        }
        Ok(Val::List(list))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<'de>, A::Error> {
        let mut o = Box::new(Obj(std::array::from_fn(|_| None)));
        while let Some(Key(k)) = map.next_key()? {
            // An unknown field's value is read as any other (so that it is refused where
            // `serde_json::Value` refuses it, e.g. nested deeper than 128), then dropped.
            let v: Val = map.next_value()?;
            if let Some(i) = k {
                o.0[i] = Some(v);
            }
        }
        Ok(Val::Obj(o))
    }
}

/// A field name: its slot, `None` for a field no event has.
struct Key(Option<usize>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(slot(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// One line of a JSON-lines log: an [`Event`] or an owner record.
pub(super) fn line(line: &str) -> Result<Line, String> {
    let value: Val = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let Val::Obj(mut o) = value else { return Err("an event is a JSON object".into()) };
    if matches!(o.get("event"), Some(Val::Str(s)) if s == "owner") {
        return Ok(Line::Owner { conn: o.u32("conn")?, user: o.text("user")? });
    }
    o.event().map(Line::Event)
}

/// One line of a JSON-lines log as an [`Event`].
#[cfg(test)]
fn event(line: &str) -> Result<Event, String> {
    let value: Val = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let Val::Obj(mut o) = value else { return Err("an event is a JSON object".into()) };
    o.event()
}

impl<'a> Obj<'a> {
    fn get(&self, key: &str) -> Option<&Val<'a>> {
        self.0[slot(key).expect("a known field")].as_ref()
    }

    fn take(&mut self, key: &str) -> Option<Val<'a>> {
        self.0[slot(key).expect("a known field")].take()
    }

    /// The event of a line's object (its strings copied once, out of the line, into it).
    fn event(&mut self) -> Result<Event, String> {
        let tag = self.text("event")?;
        let o = self;
        Ok(match tag.as_str() {
            "actor_joined" => Event::ActorJoined {
                actor: match o.take("actor") {
                    Some(Val::Obj(mut a)) => a.actor()?,
                    Some(_) => return Err("`actor` must be an object".into()),
                    None => return Err("missing field `actor`".into()),
                },
            },
            "narrated" => Event::Narrated { t: o.u64("t")?, actor: o.text("actor")?, text: o.text("text")? },
            "connection_opened" => Event::ConnectionOpened {
                t: o.u64("t")?,
                conn: o.u32("conn")?,
                client: o.text("client")?,
                client_port: o.u16("client_port")?,
                server: o.text("server")?,
                port: o.u16("port")?,
                protocol: o.text("protocol")?,
            },
            "message_sent" => Event::MessageSent {
                t_sent: o.u64("t_sent")?,
                t: o.u64("t")?,
                conn: match o.get("conn") {
                    None | Some(Val::Null) => None,
                    Some(_) => Some(o.u32("conn")?),
                },
                from: o.text("from")?,
                to: o.text("to")?,
                protocol: o.text("protocol")?,
                port: o.u16("port")?,
                raw: o.bytes("raw")?,
                label: o.text("label")?,
                meaning: o.text("meaning")?,
                rfc: o.text("rfc")?,
                from_state: o.text("from_state")?,
                to_state: o.text("to_state")?,
                tls: match o.get("tls") {
                    None => false,
                    Some(Val::Bool(b)) => *b,
                    Some(_) => return Err("`tls` must be true or false".into()),
                },
            },
            "connection_closed" => Event::ConnectionClosed { t: o.u64("t")?, conn: o.u32("conn")?, by: o.text("by")? },
            "connection_refused" => Event::ConnectionRefused {
                t: o.u64("t")?,
                client: o.text("client")?,
                server: o.text("server")?,
                port: o.u16("port")?,
            },
            "message_queued" => Event::MessageQueued {
                t: o.u64("t")?,
                node: o.text("node")?,
                queue_id: o.text("queue_id")?,
                mail_from: o.text("mail_from")?,
                rcpt_to: o.texts("rcpt_to", false)?,
                size: o.usize("size")?,
                subject: o.text("subject")?,
            },
            "message_deferred" => Event::MessageDeferred {
                t: o.u64("t")?,
                node: o.text("node")?,
                queue_id: o.text("queue_id")?,
                reason: o.text("reason")?,
                retry_at: o.u64("retry_at")?,
            },
            "queue_entry_removed" => Event::QueueEntryRemoved {
                t: o.u64("t")?,
                node: o.text("node")?,
                queue_id: o.text("queue_id")?,
                outcome: o.text("outcome")?,
            },
            "message_stored" => Event::MessageStored {
                t: o.u64("t")?,
                node: o.text("node")?,
                mailbox: o.text("mailbox")?,
                uid: o.u32("uid")?,
                from: o.text("from")?,
                subject: o.text("subject")?,
                raw: o.bytes("raw")?,
            },
            "flags_changed" => Event::FlagsChanged {
                t: o.u64("t")?,
                node: o.text("node")?,
                mailbox: o.text("mailbox")?,
                uid: o.u32("uid")?,
                flags: o.texts("flags", false)?,
            },
            "message_deleted" => Event::MessageDeleted {
                t: o.u64("t")?,
                node: o.text("node")?,
                mailbox: o.text("mailbox")?,
                uid: o.u32("uid")?,
            },
            "message_downloaded" => Event::MessageDownloaded {
                t: o.u64("t")?,
                node: o.text("node")?,
                from: o.text("from")?,
                subject: o.text("subject")?,
                size: o.usize("size")?,
            },
            other => return Err(format!("unknown event `{other}`, expected one of {EVENTS}")),
        })
    }

    fn actor(&mut self) -> Result<Actor, String> {
        Ok(Actor {
            id: self.text("id")?,
            name: self.text("name")?,
            host: self.text("host")?,
            ip: self.text("ip")?,
            kind: self.text("kind")?,
            mailboxes: self.texts("mailboxes", true)?,
        })
    }

    /// A string, taken out of the object.
    fn text(&mut self, key: &str) -> Result<String, String> {
        match self.take(key) {
            Some(Val::Str(s)) => Ok(s.into_owned()),
            Some(_) => Err(format!("`{key}` must be a string")),
            None => Err(format!("missing field `{key}`")),
        }
    }

    /// A list of strings; `optional` ones may be left out (read as empty).
    fn texts(&mut self, key: &str, optional: bool) -> Result<Vec<String>, String> {
        let list = match self.take(key) {
            None if optional => return Ok(Vec::new()),
            None => return Err(format!("missing field `{key}`")),
            Some(Val::List(list)) => list,
            Some(_) => return Err(format!("`{key}` must be a list of strings")),
        };
        list.into_iter()
            .map(|v| match v {
                Val::Str(s) => Ok(s.into_owned()),
                _ => Err(format!("`{key}` must be a list of strings")),
            })
            .collect()
    }

    /// A whole number 0..=`max` (one function for every width: the call sites narrow it).
    fn num(&self, key: &str, max: u64) -> Result<u64, String> {
        match self.get(key) {
            None => Err(format!("missing field `{key}`")),
            Some(Val::Num(n)) if *n <= max => Ok(*n),
            Some(_) => Err(format!("`{key}` must be a whole number in range")),
        }
    }

    fn u16(&self, key: &str) -> Result<u16, String> {
        self.num(key, u16::MAX.into()).map(|n| n as u16)
    }

    fn u32(&self, key: &str) -> Result<u32, String> {
        self.num(key, u32::MAX.into()).map(|n| n as u32)
    }

    fn u64(&self, key: &str) -> Result<u64, String> {
        self.num(key, u64::MAX)
    }

    fn usize(&self, key: &str) -> Result<usize, String> {
        self.num(key, usize::MAX as u64).map(|n| n as usize)
    }

    /// Bytes written as a string of U+0000..U+00FF (see the `log` module doc): ASCII text is
    /// its own bytes.
    fn bytes(&mut self, key: &str) -> Result<Vec<u8>, String> {
        let s = match self.take(key) {
            Some(Val::Str(s)) => s,
            Some(_) => return Err(format!("`{key}` must be a string")),
            None => return Err(format!("missing field `{key}`")),
        };
        if s.is_ascii() {
            return Ok(s.into_owned().into_bytes());
        }
        s.chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| format!("`{key}`: a byte string holds only U+0000..U+00FF"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
