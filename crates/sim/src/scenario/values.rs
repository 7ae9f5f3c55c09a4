//! The values of a scenario file that are more than a string or a number: times and
//! durations, IP addresses, dates, address lists, and the entries that may be written either
//! as a string or as a small table (accounts, `auth`, terminal lines, IMAP steps, forms).

use crate::log::Millis;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// A time from the start, or a duration: milliseconds, or text such as `"90 s"`, `"5 min"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Time(pub Millis);

/// Parses `"500 ms"`, `"90 s"`, `"5 min"`, `"2 h"`, `"1 d"` (the space is optional).
pub fn parse_duration(s: &str) -> Option<Millis> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: Millis = n.parse().ok()?;
    let unit_ms = match unit.trim() {
        "ms" => 1,
        "s" => 1000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("milliseconds, or a duration such as \"90 s\", \"5 min\" or \"1 h\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
                u64::try_from(v).map(Time).map_err(|_| E::custom("a time cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
                Ok(Time(v))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Time, E> {
                parse_duration(s).map(Time).ok_or_else(|| {
                    E::custom(format!(
                        "\"{s}\" is not a duration; expected a number and a unit (ms, s, min, h, d), e.g. \"5 min\""
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// An IPv4 address, `"192.0.2.10"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip(pub [u8; 4]);

pub fn parse_ip(s: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut ip = [0u8; 4];
    for (o, p) in ip.iter_mut().zip(parts) {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    Some(ip)
}

impl<'de> Deserialize<'de> for Ip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_ip(&s)
            .map(Ip)
            .ok_or_else(|| de::Error::custom(format!("\"{s}\" is not an IPv4 address; expected e.g. \"192.0.2.10\"")))
    }
}

/// A `Date:` field: a TOML date-time (written per RFC 5322), or the field's text as is.
#[derive(Debug, Clone)]
pub enum DateDoc {
    At(toml::value::Datetime),
    Text(String),
}

impl<'de> Deserialize<'de> for DateDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DateDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date-time such as 2026-09-14T09:00:00Z, or the Date: field's text")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DateDoc, E> {
                Ok(DateDoc::Text(s.into()))
            }
            // TOML hands a date-time over as a one-entry map holding its text.
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<DateDoc, M::Error> {
                let (_, text): (String, String) =
                    m.next_entry()?.ok_or_else(|| de::Error::custom("expected a date-time"))?;
                text.parse().map(DateDoc::At).map_err(de::Error::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Addresses: `"Bob <bob@bob.example>, carol@bob.example"` or a list of them.
#[derive(Debug, Clone, Default)]
pub struct Addresses(pub Vec<String>);

impl<'de> Deserialize<'de> for Addresses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Addresses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("addresses, as \"Name <local@domain>, ...\" or a list of them")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Addresses, E> {
                Ok(Addresses(s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()))
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<Addresses, S::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s.trim().to_string());
                }
                Ok(Addresses(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// An account: `"carol@bob.example"` (password `carol-pw`) or `{ address, password }`.
#[derive(Debug)]
pub struct AccountDoc {
    pub address: String,
    pub password: Option<String>,
}

impl<'de> Deserialize<'de> for AccountDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            address: String,
            password: String,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AccountDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an address, or { address = ..., password = ... }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<AccountDoc, E> {
                Ok(AccountDoc { address: s.into(), password: None })
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<AccountDoc, M::Error> {
                let f = Full::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(AccountDoc { address: f.address, password: Some(f.password) })
            }
        }
        d.deserialize_any(V)
    }
}

/// `auth = true` (the user agent's own account) or `{ user, password }`.
#[derive(Debug)]
pub struct AuthDoc {
    pub on: bool,
    pub user: Option<String>,
    pub password: Option<String>,
}

impl<'de> Deserialize<'de> for AuthDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            user: Option<String>,
            password: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AuthDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false or { user = ..., password = ... }")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<AuthDoc, E> {
                Ok(AuthDoc { on, user: None, password: None })
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<AuthDoc, M::Error> {
                let f = Full::deserialize(de::value::MapAccessDeserializer::new(m))?;
                Ok(AuthDoc { on: true, user: f.user, password: f.password })
            }
        }
        d.deserialize_any(V)
    }
}

/// One entry of a terminal's `lines`.
#[derive(Debug)]
pub enum LineDoc {
    /// Typed as is; after `DATA`, the lines up to `.` are the message.
    Text(String),
    /// `{ message = NAME }`: a `[message.NAME]` as the DATA content.
    Message(String),
    /// `{ line = TEXT }`: one line, even `DATA`, that starts no message.
    Line(String),
}

impl<'de> Deserialize<'de> for LineDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Item {
            message: Option<String>,
            line: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LineDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a line of text, { message = NAME } or { line = TEXT }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<LineDoc, E> {
                Ok(LineDoc::Text(s.into()))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<LineDoc, M::Error> {
                match Item::deserialize(de::value::MapAccessDeserializer::new(m))? {
                    Item { message: Some(m), line: None } => Ok(LineDoc::Message(m)),
                    Item { message: None, line: Some(l) } => Ok(LineDoc::Line(l)),
                    _ => Err(de::Error::custom("expected { message = NAME } or { line = TEXT }")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// One IMAP step: a command line, `{ scram = TAG }` (AUTHENTICATE SCRAM-SHA-256, as the
/// actor unless `user`/`password` say otherwise) or `{ idle = TAG }` (IDLE until news).
#[derive(Debug)]
pub enum ImapStepDoc {
    Line(String),
    Scram { tag: String, user: Option<String>, password: Option<String> },
    Idle(String),
}

impl<'de> Deserialize<'de> for ImapStepDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Item {
            scram: Option<String>,
            user: Option<String>,
            password: Option<String>,
            idle: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ImapStepDoc;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command line, { scram = TAG } or { idle = TAG }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ImapStepDoc, E> {
                Ok(ImapStepDoc::Line(s.into()))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<ImapStepDoc, M::Error> {
                match Item::deserialize(de::value::MapAccessDeserializer::new(m))? {
                    Item { scram: Some(tag), idle: None, user, password } => {
                        Ok(ImapStepDoc::Scram { tag, user, password })
                    }
                    Item { scram: None, idle: Some(tag), user: None, password: None } => Ok(ImapStepDoc::Idle(tag)),
                    _ => Err(de::Error::custom("expected { scram = TAG } or { idle = TAG }")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Form fields in the order the file gives them.
#[derive(Debug, Default)]
pub struct Form(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Form {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Form;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of form fields")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Form, M::Error> {
                let mut fields: Vec<(Spanned<String>, String)> = Vec::new();
                while let Some(k) = m.next_key::<Spanned<String>>()? {
                    fields.push((k, m.next_value()?));
                }
                // The parser keeps keys sorted; their places in the file give the order back.
                fields.sort_by_key(|(k, _)| k.span().start);
                Ok(Form(fields.into_iter().map(|(k, v)| (k.into_inner(), v)).collect()))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_addresses() {
        assert_eq!(parse_duration("5 min"), Some(300_000));
        assert_eq!(parse_duration("90s"), Some(90_000));
        assert_eq!(parse_duration("1 h"), Some(3_600_000));
        assert_eq!(parse_duration("250 ms"), Some(250));
        assert_eq!(parse_duration("2 d"), Some(172_800_000));
        for bad in ["", "min", "5", "5 minutes", "-1 s", "1.5 s", "99999999999999999999 d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(parse_ip("192.0.2.10"), Some([192, 0, 2, 10]));
        for bad in ["192.0.2", "192.0.2.256", "a.b.c.d", "1.2.3.4.5", "1..2.3", "+1.2.3.4"] {
            assert_eq!(parse_ip(bad), None, "{bad}");
        }
    }
}
