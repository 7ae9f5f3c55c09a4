//! The activity file as written: TOML, one activity per file, read from the parser's tree
//! by hand with the scenario files' reader (`crate::scenario::reader`: no serde, spans
//! kept), so that every mistake is reported at its line and column; [`super::parse`] turns
//! what is read here into the checked [`super::Activity`].
//!
//! The messages keep the wording the files' first reader (serde's derived deserializers)
//! gave them, which docs/activities.md and the tests quote: "unknown field `colour`,
//! expected one of `id`, ...", "missing field `title`", "invalid type: integer `3`,
//! expected a string".
//!
//! ```toml
//! [activity]
//! id = "send-protocols"
//! title = "How does Bob send mail?"
//! scenario = "alice-to-bob"
//! intro = "Markdown shown before the first item."
//! goals = ["Describe the functionality of SMTP, POP3, IMAP"]
//!
//! [[item]]
//! kind = "choice"
//! step = 0
//! prompt = "Which protocols could Bob use to send a newly composed message to his own server?"
//! choices = ["SMTP", "POP3", "IMAP", "Some other protocol"]
//! answer = [0, 3]
//! explain = "Markdown revealed after answering."
//! hint = "Optional."
//! ```

use super::check::{Check, CopyKind, Protocol};
use crate::scenario::load::Located;
use crate::scenario::reader::{Result, Table, Value};
use std::ops::Range;
use toml::de::DeValue;
use toml::Spanned;

/// The `[activity]` table.
pub(super) struct Head {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub scenario: Spanned<String>,
    pub intro: String,
    pub goals: Vec<Spanned<String>>,
}

/// One `[[item]]` table, before its fields are checked against its kind.
pub(super) struct RawItem<'a> {
    /// Where its table is.
    pub span: Range<usize>,
    pub kind: Spanned<String>,
    pub step: Option<Spanned<i64>>,
    pub prompt: Spanned<String>,
    pub choices: Option<Spanned<Vec<Spanned<String>>>>,
    /// choice/multi: indices; short: accepted answers (strings, or `/regex/`). A single
    /// value is read as a list of one.
    pub answer: Option<&'a Value<'a>>,
    pub explain: Option<Spanned<String>>,
    pub hint: Option<Spanned<String>>,
    /// task: what must have happened in the playground, read by [`check`].
    pub check: Option<&'a Value<'a>>,
    /// discuss: the model answer the presenter reveals.
    pub model: Option<Spanned<String>>,
}

/// The whole file, as far as its tables could be read.
pub(super) struct File<'a> {
    /// `None` when the `[activity]` table has a mistake (it is in `errors`).
    pub head: Option<Head>,
    /// The `[[item]]` tables read without a mistake, in the file's order.
    pub items: Vec<RawItem<'a>>,
    /// The first mistake of each table (the file's, `[activity]`'s, each `[[item]]`'s).
    pub errors: Vec<Located>,
}

const FILE: &[&str] = &["activity", "item"];
const HEAD: &[&str] = &["id", "title", "scenario", "intro", "goals"];
const ITEM: &[&str] = &["kind", "step", "prompt", "choices", "answer", "explain", "hint", "check", "model"];

/// Reads the parsed file (`root`, its top table).
pub(super) fn read<'a>(root: &'a Value<'a>) -> File<'a> {
    let mut file = File { head: None, items: vec![], errors: vec![] };
    let t = match table(root, "struct File") {
        Ok(t) => t,
        Err(e) => {
            file.errors.push(e);
            return file;
        }
    };
    if let Err(e) = fields(&t, FILE) {
        file.errors.push(e);
    }
    match t.get("activity").map(head) {
        None => file.errors.push(missing(&t, "activity")),
        Some(Ok(h)) => file.head = Some(h),
        Some(Err((span, m))) if matches!(t.get("activity").map(Value::get_ref), Some(DeValue::Array(_))) => file
            .errors
            .push((span, format!("{m}: write `[activity]` (one pair of brackets), once, at the top of the file"))),
        Some(Err(e)) => file.errors.push(e),
    }
    match t.get("item").map(list) {
        None => {}
        Some(Err((span, m))) => file.errors.push((
            span,
            format!("{m}: `[item]` makes a single table; write `[[item]]` (two pairs of brackets) above each item"),
        )),
        Some(Ok(tables)) => {
            for v in tables {
                match item(v) {
                    Ok(i) => file.items.push(i),
                    Err(e) => file.errors.push(e),
                }
            }
        }
    }
    file
}

/// The value of `key` in the `[activity]` table of a parsed file, if there is one.
pub(super) fn head_value<'a>(root: &'a Value<'a>, key: &str) -> Option<&'a Value<'a>> {
    root.get_ref().get("activity")?.get_ref().get(key)
}

fn head(v: &Value) -> Result<Head> {
    let t = table(v, "struct Head")?;
    fields(&t, HEAD)?;
    let head = Head {
        id: t.read("id", string).unwrap_or_else(blank),
        title: t.read("title", string).unwrap_or_else(blank),
        scenario: t.read("scenario", string).unwrap_or_else(blank),
        intro: t.read("intro", string).map(Spanned::into_inner).unwrap_or_default(),
        goals: t.read("goals", strings).map(Spanned::into_inner).unwrap_or_default(),
    };
    required(&t, &["id", "title", "scenario"]);
    t.finish().map(|_| head).map_err(|e| advise(&t, e))
}

fn item<'a>(v: &'a Value<'a>) -> Result<RawItem<'a>> {
    let t = table(v, "struct RawItem")?;
    fields(&t, ITEM)?;
    let item = RawItem {
        span: t.span.clone(),
        kind: t.read("kind", string).unwrap_or_else(blank),
        step: t.read("step", step),
        prompt: t.read("prompt", string).unwrap_or_else(blank),
        choices: t.read("choices", strings),
        answer: t.get("answer"),
        explain: t.read("explain", string),
        hint: t.read("hint", string),
        check: t.get("check"),
        model: t.read("model", string),
    };
    required(&t, &["kind", "prompt"]);
    t.finish().map(|_| item).map_err(|e| advise(&t, e))
}

/// A value of the wrong type: what to write instead, for the key whose value it is.
fn advise(t: &Table, (span, m): Located) -> Located {
    if !m.starts_with("invalid type") && !m.starts_with("invalid value") {
        return (span, m);
    }
    let key = t.entries().into_iter().find(|(_, v)| v.span().contains(&span.start)).map(|(k, _)| k.into_inner());
    let how = match key.as_deref() {
        Some("id") => "write it in quotes, e.g. `id = \"pop3-delete\"`",
        Some("scenario") => "write a scenario id in quotes, e.g. `scenario = \"alice-to-bob\"`",
        Some(k @ ("title" | "intro" | "prompt" | "explain" | "hint" | "model")) => {
            return (
                span,
                format!(
                    "{m}: write `{k}` as text in quotes, e.g. `{k} = \"...\"`, or between `\"\"\"` for several lines"
                ),
            );
        }
        Some("goals") => "write a list of texts, e.g. `goals = [\"Describe the functionality of SMTP, POP3, IMAP\"]`",
        Some("kind") => "write the kind in quotes, e.g. `kind = \"choice\"`",
        Some("step") => "write a whole number without quotes, e.g. `step = 8`",
        Some("choices") => "write a list of texts, e.g. `choices = [\"SMTP\", \"POP3\"]`",
        _ => return (span, m),
    };
    (span, format!("{m}: {how}"))
}

/// The known name nearest to a misspelt `key` (in any case, at most one letter off for a short
/// name, two for a longer one), if there is one.
pub(super) fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    fn distance(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let here = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(here + 1);
                prev = here;
            }
        }
        row[b.len()]
    }
    let lower = key.to_lowercase();
    known
        .iter()
        .map(|k| (distance(&lower, k), *k))
        .filter(|(d, k)| *d <= if k.chars().count() <= 4 { 1 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// ", did you mean `x`?" for a misspelt name, or nothing.
pub(super) fn did_you_mean(key: &str, known: &[&str]) -> String {
    nearest(key, known).map(|k| format!(": did you mean `{k}`?")).unwrap_or_default()
}

/// Until [`Table::finish`] says that nothing is missing.
fn blank() -> Spanned<String> {
    Spanned::new(0..0, String::new())
}

/// A table that is to become `what` (its name in the messages).
fn table<'a>(v: &'a Value<'a>, what: &str) -> Result<Table<'a>> {
    match v.get_ref() {
        DeValue::Table(t) => Ok(Table::of(t, v.span())),
        other => Err((v.span(), invalid_type(other, what))),
    }
}

/// Fails on the first key (in the file's order) that is not one of `known`.
fn fields(t: &Table, known: &[&str]) -> Result<()> {
    match t.unknown(known) {
        None => Ok(()),
        Some((key, span)) => Err((span, unknown_field(key, known))),
    }
}

/// Keeps a mistake for the first of `keys` that is not given (after any other mistake: a
/// wrong value is reported before a missing one).
fn required(t: &Table, keys: &[&str]) {
    for key in keys {
        if t.get(key).is_none() {
            t.fail(missing(t, key));
        }
    }
}

fn missing(t: &Table, key: &str) -> Located {
    (t.span.clone(), format!("missing field `{key}`"))
}

fn string(v: &Value) -> Result<Spanned<String>> {
    match v.get_ref() {
        DeValue::String(s) => Ok(Spanned::new(v.span(), s.to_string())),
        other => Err((v.span(), invalid_type(other, "a string"))),
    }
}

fn list<'a>(v: &'a Value<'a>) -> Result<&'a [Value<'a>]> {
    match v.get_ref() {
        DeValue::Array(a) => Ok(a),
        other => Err((v.span(), invalid_type(other, "a sequence"))),
    }
}

fn strings(v: &Value) -> Result<Spanned<Vec<Spanned<String>>>> {
    let items = list(v)?.iter().map(string).collect::<Result<Vec<_>>>()?;
    Ok(Spanned::new(v.span(), items))
}

fn step(v: &Value) -> Result<Spanned<i64>> {
    match whole(v.get_ref(), "i64", i64::MIN, i64::MAX) {
        Ok(n) => Ok(Spanned::new(v.span(), n)),
        Err(m) => Err((v.span(), m)),
    }
}

/// An integer from `min` to `max` (`expected` names that range in the message).
fn whole(v: &DeValue, expected: &str, min: i64, max: i64) -> std::result::Result<i64, String> {
    let n = match v {
        DeValue::Integer(i) => i128::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    };
    match n {
        // Within `min..=max`, so an i64.
        Some(n) if (i128::from(min)..=i128::from(max)).contains(&n) => Ok(n as i64),
        Some(n) if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&n) => {
            Err(format!("invalid value: integer `{n}`, expected {expected}"))
        }
        _ => Err(invalid_type(v, expected)),
    }
}

/// The integer of an `answer` value: `None` if it is no integer, `Err` with its text if it
/// is one too large for any index.
pub(super) fn integer(v: &DeValue) -> Option<std::result::Result<i64, String>> {
    match v {
        DeValue::Integer(i) => Some(i64::from_str_radix(i.as_str(), i.radix()).map_err(|_| i.to_string())),
        _ => None,
    }
}

// The messages, worded as serde's derived deserializers word them.

/// "invalid type: integer `3`, expected a string".
#[inline(never)]
fn invalid_type(v: &DeValue, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", unexpected(v))
}

/// What a value is, for [`invalid_type`]: "integer `3`", "string \"x\"", "sequence".
fn unexpected(v: &DeValue) -> String {
    match v {
        DeValue::String(s) => format!("string {:?}", &**s),
        DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&n) => format!("integer `{n}`"),
            Ok(n) => format!("integer `{n}` as i128"),
            Err(_) => match u128::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => format!("integer `{n}` as u128"),
                Err(_) => format!("integer `{i}`"),
            },
        },
        // The number as the file writes it: converting it would link the page with std's
        // float parsing and printing (about 20 KB gzipped) for the sake of this message.
        DeValue::Float(f) => format!("floating point `{}`", f.as_str()),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(d) => format!("date-time `{d}`"),
        DeValue::Array(_) => "sequence".into(),
        DeValue::Table(_) => "map".into(),
    }
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    match names {
        [a] => format!("`{a}`"),
        [a, b] => format!("`{a}` or `{b}`"),
        _ => format!("one of {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")),
    }
}

#[inline(never)]
fn unknown_field(key: &str, known: &[&str]) -> String {
    if known.is_empty() {
        format!("unknown field `{key}`, there are no fields")
    } else {
        // A field's first five letters and more is that field too (`explanation` for `explain`).
        let hint =
            nearest(key, known).or_else(|| known.iter().copied().find(|k| k.len() >= 5 && key.get(..5) == k.get(..5)));
        format!(
            "unknown field `{key}`, expected {}{}",
            one_of(known),
            hint.map(|k| format!(": did you mean `{k}`?")).unwrap_or_default()
        )
    }
}

#[inline(never)]
fn unknown_variant(name: &str, known: &[&str]) -> String {
    format!("unknown variant `{name}`, expected {}{}", one_of(known), did_you_mean(name, known))
}

// A task's `check`: `{ kind = "...", ... }`, the kind's keys and no other.

/// The check kinds, in the order the messages list them.
const CHECK_KINDS: &[&str] = &[
    "forged-from",
    "reply",
    "kept-after-pop3",
    "told-of-new-mail",
    "typed-message-delivered",
    "copy-delivered",
    "delivered-after-outage",
    "connections",
    "typed",
];

/// The keys a check kind takes besides `kind`.
fn check_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "forged-from"
        | "kept-after-pop3"
        | "told-of-new-mail"
        | "typed-message-delivered"
        | "delivered-after-outage" => &["mailbox"],
        "reply" => &["code", "verb", "protocol", "port"],
        "copy-delivered" => &["mailbox", "copy"],
        "connections" => &["client", "protocol", "at_least"],
        "typed" => &["verb", "protocol"],
        _ => return None,
    })
}

/// The values of a check's keys, each read with its type.
#[derive(Default)]
struct CheckKeys {
    mailbox: Option<String>,
    code: Option<String>,
    verb: Option<String>,
    client: Option<String>,
    protocol: Option<Protocol>,
    copy: Option<CopyKind>,
    at_least: Option<u32>,
    port: Option<u16>,
}

/// Reads a `check` value; the message says what is wrong (the caller places it at the
/// value, after "in check: ").
pub(super) fn check(v: &Value) -> std::result::Result<Check, String> {
    let DeValue::Table(t) = v.get_ref() else {
        return Err(format!(
            "{}: write a table with the check's kind and its fields, e.g. `check = {{ kind = \"reply\", code = \"5xx\", protocol = \"SMTP\" }}`",
            invalid_type(v.get_ref(), "internally tagged enum Check")
        ));
    };
    let t = Table::of(t, v.span());
    let Some(kind) = t.get("kind") else {
        return Err("missing field `kind`".into());
    };
    let DeValue::String(kind) = kind.get_ref() else {
        return Err(format!("{} in `kind`", invalid_type(kind.get_ref(), "variant identifier")));
    };
    let Some(known) = check_fields(kind) else {
        return Err(format!(
            "unknown variant `{}`, expected {} in `kind`{}",
            &**kind,
            one_of(CHECK_KINDS),
            did_you_mean(kind, CHECK_KINDS)
        ));
    };
    // A number or a name written without quotes (`code = 550`): say how to write it.
    let text = |key: &str, v: &Value| match v.get_ref() {
        DeValue::String(s) => Ok(Some(s.to_string())),
        other => {
            let example = match key {
                "mailbox" => "bob@bob.example",
                "code" => "550",
                "verb" => "RCPT",
                _ => "bob-ua",
            };
            Err(format!("{}: write it in quotes, e.g. `{key} = \"{example}\"`", invalid_type(other, "a string")))
        }
    };
    let mut keys = CheckKeys::default();
    for (key, v) in t.entries() {
        match key.get_ref().as_str() {
            "kind" => {}
            k if !known.contains(&k) => return Err(unknown_field(k, known)),
            "mailbox" => keys.mailbox = text("mailbox", v)?,
            "code" => keys.code = text("code", v)?,
            "verb" => keys.verb = text("verb", v)?,
            "client" => keys.client = text("client", v)?,
            "protocol" => keys.protocol = Some(protocol(v.get_ref())?),
            "copy" => keys.copy = Some(copy_kind(v.get_ref())?),
            "at_least" => {
                let n = whole(v.get_ref(), "u32", 0, i64::from(u32::MAX))
                    .map_err(|m| format!("{m}: write a whole number without quotes, e.g. `at_least = 3`"))?;
                keys.at_least = u32::try_from(n).ok();
            }
            "port" => {
                let n = whole(v.get_ref(), "u16", 1, 65_535)
                    .map_err(|m| format!("{m}: write a port number without quotes, e.g. `port = 993`"))?;
                keys.port = u16::try_from(n).ok();
            }
            _ => {}
        }
    }
    fn need<T>(v: Option<T>, key: &str) -> std::result::Result<T, String> {
        v.ok_or_else(|| format!("missing field `{key}`"))
    }
    let CheckKeys { mailbox, code, verb, client, protocol, copy, at_least, port } = keys;
    Ok(match &**kind {
        "forged-from" => Check::ForgedFrom { mailbox: need(mailbox, "mailbox")? },
        "reply" => Check::Reply { code: need(code, "code")?, verb, protocol, port },
        "kept-after-pop3" => Check::KeptAfterPop3 { mailbox: need(mailbox, "mailbox")? },
        "told-of-new-mail" => Check::ToldOfNewMail { mailbox: need(mailbox, "mailbox")? },
        "typed-message-delivered" => Check::TypedMessageDelivered { mailbox: need(mailbox, "mailbox")? },
        "copy-delivered" => Check::CopyDelivered { mailbox: need(mailbox, "mailbox")?, copy: need(copy, "copy")? },
        "delivered-after-outage" => Check::DeliveredAfterOutage { mailbox: need(mailbox, "mailbox")? },
        "connections" => Check::Connections {
            client: need(client, "client")?,
            protocol: need(protocol, "protocol")?,
            at_least: need(at_least, "at_least")?,
        },
        _ => Check::Typed { verb: need(verb, "verb")?, protocol: need(protocol, "protocol")? },
    })
}

/// What a value naming one of a few words (`protocol`, `copy`) must be: serde's words
/// ("string or map", as an enum could also be a table there), but "a string" for a table.
fn invalid_word(v: &DeValue) -> String {
    invalid_type(v, if matches!(v, DeValue::Table(_)) { "a string" } else { "string or map" })
}

/// `"SMTP"` or `"smtp"`, and so on.
fn protocol(v: &DeValue) -> std::result::Result<Protocol, String> {
    let DeValue::String(s) = v else {
        return Err(invalid_word(v));
    };
    match &**s {
        "SMTP" | "smtp" => Ok(Protocol::Smtp),
        "POP3" | "pop3" => Ok(Protocol::Pop3),
        "IMAP" | "imap" => Ok(Protocol::Imap),
        "HTTP" | "http" => Ok(Protocol::Http),
        other => Err(unknown_variant(other, &["SMTP", "smtp", "POP3", "pop3", "IMAP", "imap", "HTTP", "http"])),
    }
}

fn copy_kind(v: &DeValue) -> std::result::Result<CopyKind, String> {
    match v {
        DeValue::String(s) if &**s == "cc" => Ok(CopyKind::Cc),
        DeValue::String(s) if &**s == "bcc" => Ok(CopyKind::Bcc),
        DeValue::String(s) => Err(unknown_variant(s, &["cc", "bcc"])),
        other => Err(invalid_word(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::{one_of, unexpected};
    use toml::de::DeValue;

    fn value(text: &str) -> String {
        let v = DeValue::parse(text).expect("a TOML value");
        unexpected(v.get_ref())
    }

    #[test]
    fn values_are_named_as_serde_names_them_floats_as_written() {
        assert_eq!(value("3"), "integer `3`");
        assert_eq!(value("0xff"), "integer `255`");
        assert_eq!(value("18446744073709551615"), "integer `18446744073709551615`");
        assert_eq!(value("99999999999999999999"), "integer `99999999999999999999` as i128");
        assert_eq!(value("1e3"), "floating point `1e3`");
        assert_eq!(value("1.5"), "floating point `1.5`");
        assert_eq!(value("-0.0"), "floating point `-0.0`");
        assert_eq!(value("nan"), "floating point `nan`");
        assert_eq!(value("-inf"), "floating point `-inf`");
        assert_eq!(value("true"), "boolean `true`");
        assert_eq!(value(r#""a\tb\"c""#), r#"string "a\tb\"c""#);
        assert_eq!(value("[1]"), "sequence");
        assert_eq!(value("{ a = 1 }"), "map");
        assert_eq!(value("2026-01-01"), "date-time `2026-01-01`");
    }

    #[test]
    fn lists_of_names() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b"]), "`a` or `b`");
        assert_eq!(one_of(&["a", "b", "c"]), "one of `a`, `b`, `c`");
    }
}
