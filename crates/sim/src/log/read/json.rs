//! A small JSON reader for the log's lines (RFC 8259): it checks the whole grammar as
//! `serde_json` does, but builds no `serde_json::Value`: an object is a list of its fields,
//! and a string or a number stays a slice of the line until the event is built, when each
//! string is decoded once, straight into the event's `String` (or bytes, for `raw`).
//!
//! What it accepts and how it reads it is what `serde_json::from_str::<Value>` did (the
//! tests in `read` compare the two on every golden log, a serve log and damaged lines); only
//! the wording of a syntax error differs.

use std::borrow::Cow;

/// How deep arrays and objects may nest (`serde_json`'s limit too): no stack overflow on a
/// hostile line.
const MAX_DEPTH: usize = 128;

/// A JSON value that borrows the line it was read from.
#[derive(Debug)]
pub(super) enum Val<'a> {
    Null,
    Bool(bool),
    /// A number as written (its grammar checked).
    Num(&'a str),
    /// A string as written between its quotes, escapes and all (checked).
    Str(&'a str),
    Arr(Vec<Val<'a>>),
    Obj(Obj<'a>),
}

/// An object's fields in the order written.
#[derive(Debug)]
pub(super) struct Obj<'a>(Vec<(Cow<'a, str>, Val<'a>)>);

impl<'a> Obj<'a> {
    /// The field `key` (the last one, if written twice, as `serde_json`'s map keeps it).
    pub(super) fn get(&self, key: &str) -> Option<&Val<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<'a> Val<'a> {
    /// The string's text, decoded.
    pub(super) fn as_str(&self) -> Option<Cow<'a, str>> {
        match self {
            Val::Str(raw) if !raw.contains('\\') => Some(Cow::Borrowed(raw)),
            Val::Str(raw) => Some(Cow::Owned(chars(raw).collect())),
            _ => None,
        }
    }

    /// A whole number from 0 to `u64::MAX` (`serde_json`'s `as_u64`: not `1.0`, `1e3`, `-0`).
    pub(super) fn as_u64(&self) -> Option<u64> {
        match self {
            Val::Num(n) if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok(),
            _ => None,
        }
    }

    pub(super) fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub(super) fn as_array(&self) -> Option<&[Val<'a>]> {
        match self {
            Val::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub(super) fn as_object(&self) -> Option<&Obj<'a>> {
        match self {
            Val::Obj(o) => Some(o),
            _ => None,
        }
    }

    /// A string of U+0000..U+00FF as the bytes 0..255 (`None` if it is no string, `Some(Err)`
    /// if it holds a character above U+00FF): decoded from the line's text in one pass.
    pub(super) fn as_latin1(&self) -> Option<Result<Vec<u8>, ()>> {
        let Val::Str(raw) = self else { return None };
        let mut out = Vec::with_capacity(raw.len());
        for c in chars(raw) {
            match u8::try_from(u32::from(c)) {
                Ok(b) => out.push(b),
                Err(_) => return Some(Err(())),
            }
        }
        Some(Ok(out))
    }
}

/// Reads `text` as one JSON value (whitespace around it allowed, nothing else).
pub(super) fn parse(text: &str) -> Result<Val<'_>, String> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err());
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    /// What is wrong, and where: one wording for every syntax error (the page shows it with
    /// the line's number).
    fn err(&self) -> String {
        format!("not valid JSON at column {}", self.i + 1)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// Skips `word` (after its first byte, already seen).
    fn word(&mut self, word: &str, v: Val<'a>) -> Result<Val<'a>, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Val<'a>, String> {
        self.ws();
        match self.peek() {
            Some(b'{') | Some(b'[') if depth >= MAX_DEPTH => {
                Err(format!("nested deeper than {MAX_DEPTH} at column {}", self.i + 1))
            }
            Some(b'{') => self.object(depth + 1).map(Val::Obj),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(Val::Str),
            Some(b't') => self.word("true", Val::Bool(true)),
            Some(b'f') => self.word("false", Val::Bool(false)),
            Some(b'n') => self.word("null", Val::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err()),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` (RFC 8259 section 6).
    fn number(&mut self) -> Result<Val<'a>, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let lead = self.peek();
        match self.digits() {
            0 => return Err(self.err()),
            n if n > 1 && lead == Some(b'0') => return Err(self.err()),
            _ => {}
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err());
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err());
            }
        }
        Ok(Val::Num(&self.text[start..self.i]))
    }

    /// A string's text between its quotes, checked: no control character, escapes whole,
    /// surrogates paired (RFC 8259 section 7).
    fn string(&mut self) -> Result<&'a str, String> {
        self.i += 1;
        let start = self.i;
        loop {
            let Some(b) = self.peek() else { return Err(self.err()) };
            match b {
                b'"' => {
                    self.i += 1;
                    return Ok(&self.text[start..self.i - 1]);
                }
                b'\\' => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            if (0xdc00..0xe000).contains(&hi) {
                                return Err(self.err());
                            }
                            if (0xd800..0xdc00).contains(&hi) {
                                let lo = if self.s[self.i..].starts_with(b"\\u") {
                                    self.i += 1;
                                    self.hex4()?
                                } else {
                                    0
                                };
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return Err(self.err());
                                }
                            }
                        }
                        _ => return Err(self.err()),
                    }
                }
                0..=0x1f => return Err(self.err()),
                _ => self.i += 1,
            }
        }
    }

    /// `uXXXX` (at the `u`): the code unit.
    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self.s.get(self.i + 1..self.i + 5).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        let Some(hex) = hex else { return Err(self.err()) };
        self.i += 5;
        Ok(hex.iter().fold(0, |n, h| n * 16 + (*h as char).to_digit(16).unwrap_or(0)))
    }

    fn array(&mut self, depth: usize) -> Result<Val<'a>, String> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Val::Arr(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Val::Arr(items));
                }
                _ => return Err(self.err()),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Obj<'a>, String> {
        self.i += 1;
        let mut fields = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Obj(fields));
        }
        loop {
            self.ws();
            match self.peek() {
                Some(b'"') => {}
                _ => return Err(self.err()),
            }
            let raw = self.string()?;
            let key = Val::Str(raw).as_str().unwrap_or_default();
            self.ws();
            match self.peek() {
                Some(b':') => self.i += 1,
                _ => return Err(self.err()),
            }
            fields.push((key, self.value(depth)?));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Obj(fields));
                }
                _ => return Err(self.err()),
            }
        }
    }
}

/// The escape after a backslash in a checked string (`b` starts after the backslash): the
/// character and the bytes it took.
fn escape(b: &[u8]) -> (char, usize) {
    let hex = |at: usize| {
        b.get(at..at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .unwrap_or(0xfffd)
    };
    match b.first() {
        Some(b'b') => ('\u{8}', 1),
        Some(b'f') => ('\u{c}', 1),
        Some(b'n') => ('\n', 1),
        Some(b'r') => ('\r', 1),
        Some(b't') => ('\t', 1),
        Some(b'u') => {
            let hi = hex(1);
            if (0xd800..0xdc00).contains(&hi) {
                let lo = hex(7);
                let c = 0x10000 + ((hi - 0xd800) << 10) + (lo.wrapping_sub(0xdc00) & 0x3ff);
                (char::from_u32(c).unwrap_or('\u{fffd}'), 11)
            } else {
                (char::from_u32(hi).unwrap_or('\u{fffd}'), 5)
            }
        }
        // `"`, `\` and `/` stand for themselves.
        Some(&c) => (c as char, 1),
        None => ('\u{fffd}', 0),
    }
}

/// The characters of a checked string's text, its escapes decoded.
fn chars(raw: &str) -> impl Iterator<Item = char> + '_ {
    let mut rest = raw.chars();
    std::iter::from_fn(move || {
        let c = rest.next()?;
        if c != '\\' {
            return Some(c);
        }
        let after = rest.as_str();
        let (c, n) = escape(after.as_bytes());
        rest = after.get(n..).unwrap_or_default().chars();
        Some(c)
    })
}
