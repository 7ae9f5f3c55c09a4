//! Reading the parsed TOML tree ([`DeTable`], every value with its place in the file) by
//! hand: a [`Table`] first reports any key it does not know, then hands out its values one
//! by one with their types checked. Written out rather than derived with serde: the
//! derived code for ~30 tables cost the page about 150 KB (gzipped), this costs a few.
//! Activity files are read with [`Table`] too (`crate::activity`'s `format`, which words
//! its own messages).

use super::load::Located;
use crate::log::Millis;
use std::cell::RefCell;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;
use toml_datetime::Datetime;

pub(crate) type Value<'a> = Spanned<DeValue<'a>>;
pub(crate) type Result<T> = std::result::Result<T, Located>;

/// How a value is read: a plain function, so that the generic readers below are compiled once
/// per result type rather than once per call (the page's code stays small).
pub(super) type Reader<'a, T> = fn(&'a Value<'a>) -> Result<T>;

/// "expected a string, found integer 5".
#[inline(never)]
pub(super) fn expected(what: &str, v: &Value) -> Located {
    let found = match v.get_ref() {
        DeValue::String(s) => format!("string \"{s}\""),
        DeValue::Integer(i) => format!("integer {}", i.as_str()),
        DeValue::Boolean(b) => format!("boolean {b}"),
        DeValue::Float(f) => format!("float {}", f.as_str()),
        DeValue::Datetime(d) => format!("date-time {d}"),
        DeValue::Array(_) => "a list".into(),
        DeValue::Table(_) => "a table".into(),
    };
    (v.span(), format!("expected {what}, found {found}"))
}

#[inline(never)]
pub(super) fn string(v: &Value) -> Result<Spanned<String>> {
    match v.get_ref() {
        DeValue::String(s) => Ok(Spanned::new(v.span(), s.to_string())),
        _ => Err(expected("a string", v)),
    }
}

#[inline(never)]
pub(super) fn integer(v: &Value, max: u64) -> Result<u64> {
    let n = match v.get_ref() {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
        _ => None,
    };
    match n.and_then(|n| u64::try_from(n).ok()).filter(|n| *n <= max) {
        Some(n) => Ok(n),
        None if max == u64::from(u16::MAX) => Err(expected("a whole number from 0 to 65535", v)),
        None => Err(expected("a whole number", v)),
    }
}

/// Milliseconds, or text such as `"90 s"`, `"5 min"`.
#[inline(never)]
pub(super) fn time(v: &Value) -> Result<Millis> {
    match v.get_ref() {
        DeValue::Integer(_) => integer(v, u64::MAX),
        DeValue::String(s) => parse_duration(s).ok_or_else(|| {
            let e = "is not a duration; expected a number and a unit (ms, s, min, h, d), e.g. \"5 min\"";
            (v.span(), format!("\"{s}\" {e}"))
        }),
        _ => Err(expected("milliseconds or a duration such as \"5 min\"", v)),
    }
}

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

/// An IPv4 address, `"192.0.2.10"`.
#[inline(never)]
pub(super) fn ip(v: &Value) -> Result<[u8; 4]> {
    let s = string(v)?;
    parse_ip(s.get_ref())
        .ok_or_else(|| (v.span(), format!("\"{}\" is not an IPv4 address; expected e.g. \"192.0.2.10\"", s.get_ref())))
}

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

#[inline(never)]
pub(super) fn datetime(v: &Value) -> Result<Spanned<Datetime>> {
    match v.get_ref() {
        DeValue::Datetime(d) => Ok(Spanned::new(v.span(), *d)),
        _ => Err(expected("a date and time such as 2026-09-14T09:00:00Z", v)),
    }
}

#[inline(never)]
pub(super) fn boolean(v: &Value) -> Result<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Ok(*b),
        _ => Err(expected("true or false", v)),
    }
}

#[inline(never)]
pub(super) fn list<'a>(v: &'a Value<'a>) -> Result<&'a [Value<'a>]> {
    match v.get_ref() {
        DeValue::Array(a) => Ok(a),
        _ => Err(expected("a list [...]", v)),
    }
}

#[inline(never)]
pub(super) fn strings(v: &Value) -> Result<Vec<Spanned<String>>> {
    each(v, string)
}

/// Sorts `v`, keeping the order of equal items; `after(a, b)` says that `a` goes after `b`.
/// An insertion sort: the lists are short (a table's keys, a zone), and it keeps the page's
/// code small.
pub(super) fn stable_sort<T>(v: &mut [T], after: impl Fn(&T, &T) -> bool) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && after(&v[j - 1], &v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Every item of a list, read with `f`.
pub(super) fn each<'a, T>(v: &'a Value<'a>, f: Reader<'a, T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for x in list(v)? {
        out.push(f(x)?);
    }
    Ok(out)
}

/// One of `choices`, by name.
#[inline(never)]
pub(super) fn choice(v: &Value, choices: &[&str]) -> Result<Spanned<usize>> {
    let s = string(v)?;
    match choices.iter().position(|c| c == s.get_ref()) {
        Some(i) => Ok(Spanned::new(v.span(), i)),
        None => Err((v.span(), format!("unknown value \"{}\"; expected one of {}", s.get_ref(), choices.join(", ")))),
    }
}

/// A table being read: [`Table::new`] reports a key it does not take; then its values are
/// taken one by one, and the first mistake among them is kept for [`Table::finish`] (so that
/// building a struct from a table needs no early return after each field).
pub(crate) struct Table<'a> {
    pub span: Range<usize>,
    entries: Vec<(&'a str, Range<usize>, &'a Value<'a>)>,
    error: RefCell<Option<Located>>,
}

impl<'a> Table<'a> {
    /// A table that may hold only the keys `known`; the first other key is an error.
    #[inline(never)]
    pub fn new(v: &'a Value<'a>, known: &[&str]) -> Result<Self> {
        let t = Table::open(v)?;
        t.known(known)?;
        Ok(t)
    }

    /// A table whose keys are names (actor ids, message names) or are checked later.
    #[inline(never)]
    pub fn open(v: &'a Value<'a>) -> Result<Self> {
        match v.get_ref() {
            DeValue::Table(t) => Ok(Table::of(t, v.span())),
            _ => Err(expected("a table", v)),
        }
    }

    #[inline(never)]
    pub fn of(t: &'a DeTable<'a>, span: Range<usize>) -> Self {
        let mut entries: Vec<_> = t.iter().map(|(k, v)| (k.get_ref().as_ref(), k.span(), v)).collect();
        // The parser keeps keys sorted; their places in the file give the order back.
        stable_sort(&mut entries, |a, b| a.1.start > b.1.start);
        Table { span, entries, error: RefCell::new(None) }
    }

    /// The value of `key`, if given.
    #[inline(never)]
    pub fn get(&self, key: &str) -> Option<&'a Value<'a>> {
        self.entries.iter().find(|e| e.0 == key).map(|e| e.2)
    }

    /// Keeps the first mistake.
    #[inline(never)]
    pub fn fail(&self, e: Located) {
        let mut error = self.error.borrow_mut();
        if error.is_none() {
            *error = Some(e);
        }
    }

    /// `r`'s value, or `None` with its mistake kept.
    pub fn ok<T>(&self, r: Result<T>) -> Option<T> {
        r.map_err(|e| self.fail(e)).ok()
    }

    /// The value of `key` read with `f`, if `key` is given.
    #[inline(never)]
    pub fn read<T>(&self, key: &str, f: Reader<'a, T>) -> Option<T> {
        self.get(key).and_then(|v| self.ok(f(v)))
    }

    /// The value of `key` read with `f`; a missing key is a mistake.
    pub fn need<T: Default>(&self, key: &str, f: Reader<'a, T>) -> T {
        self.require(key, f).unwrap_or_default()
    }

    /// Like [`Table::need`], for values without a default.
    #[inline(never)]
    pub fn require<T>(&self, key: &str, f: Reader<'a, T>) -> Option<T> {
        if self.get(key).is_none() {
            self.missing(key);
        }
        self.read(key, f)
    }

    #[inline(never)]
    fn missing(&self, key: &str) {
        self.fail((self.span.clone(), format!("missing key \"{key}\"")));
    }

    #[inline(never)]
    pub fn string(&self, key: &str) -> Option<Spanned<String>> {
        self.read(key, string)
    }

    #[inline(never)]
    pub fn text(&self, key: &str) -> Option<String> {
        self.string(key).map(Spanned::into_inner)
    }

    #[inline(never)]
    pub fn need_string(&self, key: &str) -> Spanned<String> {
        if self.get(key).is_none() {
            self.missing(key);
        }
        self.string(key).unwrap_or_else(|| Spanned::new(self.span.clone(), String::new()))
    }

    #[inline(never)]
    pub fn boolean(&self, key: &str) -> Option<bool> {
        self.read(key, boolean)
    }

    #[inline(never)]
    pub fn time(&self, key: &str) -> Option<Millis> {
        self.read(key, time)
    }

    /// The first mistake made while reading, if any.
    #[inline(never)]
    pub fn finish(&self) -> Result<()> {
        self.error.borrow_mut().take().map_or(Ok(()), Err)
    }

    /// Every key with its value, in the file's order.
    #[inline(never)]
    pub fn entries(&self) -> Vec<(Spanned<String>, &'a Value<'a>)> {
        self.entries.iter().map(|e| (Spanned::new(e.1.clone(), e.0.to_string()), e.2)).collect()
    }

    /// The first key (in the file's order) that is not one of `known`, with its place.
    #[inline(never)]
    pub fn unknown(&self, known: &[&str]) -> Option<(&'a str, Range<usize>)> {
        self.entries.iter().find(|e| !known.contains(&e.0)).map(|e| (e.0, e.1.clone()))
    }

    /// Fails on the first key (in the file's order) that is not one of `known`.
    #[inline(never)]
    pub fn known(&self, known: &[&str]) -> Result<()> {
        match self.unknown(known) {
            None => Ok(()),
            Some((key, span)) => {
                let expected = if known.is_empty() {
                    "this table takes no keys".to_string()
                } else {
                    format!("expected one of {}", known.join(", "))
                };
                Err((span, format!("unknown key \"{key}\"; {expected}")))
            }
        }
    }
}
