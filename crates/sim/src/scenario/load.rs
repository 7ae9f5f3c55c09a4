//! From text to a checked [`Scenario`]: TOML parsing with spans, the `[[action]]` tables read
//! by their `kind`, and every error located (`file:line:column: what was expected`).

use super::format::{BrowseDoc, CheckMailDoc, ComposeDoc, Doc, FaultDoc, ImapDoc, NarrateDoc, SendDoc, TerminalDoc};
use super::{resolve, Scenario};
use serde::Deserialize;
use std::fmt;
use std::ops::Range;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

/// What is wrong with a scenario file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl std::error::Error for LoadError {}

/// An error found while checking: where it is in the text, and what is wrong.
pub(super) type Located = (Range<usize>, String);

/// The action kinds, as the error for an unknown one lists them.
pub const KINDS: [&str; 8] = ["compose", "send", "terminal", "imap", "check-mail", "browse", "fault", "narrate"];

/// One `[[action]]` table, read as its kind.
#[derive(Debug)]
pub(super) enum ActionDoc {
    Compose(ComposeDoc),
    Send(Box<SendDoc>),
    Terminal(TerminalDoc),
    Imap(ImapDoc),
    CheckMail(CheckMailDoc),
    Browse(BrowseDoc),
    Fault(FaultDoc),
    Narrate(NarrateDoc),
}

/// Reads the scenario file `file` (its name, for the messages) with contents `text`.
pub fn load(file: &str, text: &str) -> Result<Scenario, LoadError> {
    let at = |(span, message): Located| {
        let (line, column) = line_column(text, span.start);
        LoadError { file: file.to_string(), line, column, message }
    };
    let (doc, actions) = parse(text).map_err(at)?;
    resolve::resolve(doc, actions, file, text).map_err(at)
}

/// The `[[action]]` tables, each with its place in the file.
pub(super) type Actions = Vec<(Range<usize>, ActionDoc)>;

fn parse(text: &str) -> Result<(Doc, Actions), Located> {
    let root = DeTable::parse(text).map_err(|e| located(&e, 0..0))?;
    let root_span = root.span();
    let mut table = root.into_inner();
    let action_key = table.keys().find(|k| k.get_ref() == "action").cloned();
    let mut actions = Vec::new();
    if let Some(key) = action_key {
        let value = table.remove(&key).expect("the key was just found");
        let span = value.span();
        let DeValue::Array(items) = value.into_inner() else {
            return Err((span, "\"action\" must be [[action]] tables".into()));
        };
        for item in items {
            let span = item.span();
            if !item.get_ref().is_table() {
                return Err((span, "\"action\" must be [[action]] tables".into()));
            }
            let doc = action(item).map_err(|e| located(&e, span.clone()))?;
            actions.push((span, doc?));
        }
    }
    let doc = Doc::deserialize(toml::de::Deserializer::from(Spanned::new(root_span.clone(), table)))
        .map_err(|e| located(&e, root_span))?;
    Ok((doc, actions))
}

/// Reads one action table by its `kind`; the outer error is serde's, the inner one ours.
fn action(item: Spanned<DeValue>) -> Result<Result<ActionDoc, Located>, toml::de::Error> {
    let span = item.span();
    let kind = item.get_ref().as_table().and_then(|t| t.iter().find(|(k, _)| k.get_ref() == "kind")).map(|(_, v)| v);
    let Some(kind) = kind else {
        return Ok(Err((span, format!("missing key \"kind\"; expected one of {}", KINDS.join(", ")))));
    };
    let (kind_span, name) = match kind.get_ref().as_str() {
        Some(s) => (kind.span(), s.to_string()),
        None => return Ok(Err((kind.span(), format!("\"kind\" must be a string, one of {}", KINDS.join(", "))))),
    };
    let de = || ValueDeserializer::from(item.clone());
    Ok(Ok(match name.as_str() {
        "compose" => ActionDoc::Compose(ComposeDoc::deserialize(de())?),
        "send" => ActionDoc::Send(Box::new(SendDoc::deserialize(de())?)),
        "terminal" => ActionDoc::Terminal(TerminalDoc::deserialize(de())?),
        "imap" => ActionDoc::Imap(ImapDoc::deserialize(de())?),
        "check-mail" => ActionDoc::CheckMail(CheckMailDoc::deserialize(de())?),
        "browse" => ActionDoc::Browse(BrowseDoc::deserialize(de())?),
        "fault" => ActionDoc::Fault(FaultDoc::deserialize(de())?),
        "narrate" => ActionDoc::Narrate(NarrateDoc::deserialize(de())?),
        other => {
            return Ok(Err((
                kind_span,
                format!("unknown action kind \"{other}\"; expected one of {}", KINDS.join(", ")),
            )))
        }
    }))
}

/// A TOML or serde error, placed and said the way the rest of the messages are.
fn located(e: &toml::de::Error, fallback: Range<usize>) -> Located {
    (e.span().unwrap_or(fallback), message(e.message()))
}

/// Rewords serde's messages: `unknown field `x`, expected one of `a`, `b`` becomes
/// `unknown key "x"; expected one of a, b`, and so on.
pub(super) fn message(m: &str) -> String {
    let unquote = |s: &str| s.replace('`', "");
    let quoted = |s: &str| -> Option<String> {
        let s = s.strip_prefix('`')?;
        Some(s[..s.find('`')?].to_string())
    };
    let split = |rest: &str| -> (Option<String>, String) {
        let name = quoted(rest);
        let after = rest.find(", ").map(|i| &rest[i + 2..]).unwrap_or("");
        let expected = if let Some(list) = after.strip_prefix("expected one of ") {
            format!("; expected one of {}", unquote(list))
        } else if let Some(one) = after.strip_prefix("expected ") {
            let one = unquote(one);
            if one.contains(" or ") {
                format!("; expected one of {}", one.replace(" or ", ", "))
            } else {
                format!("; expected {one}")
            }
        } else {
            String::new()
        };
        (name, expected)
    };
    if let Some(rest) = m.strip_prefix("unknown field ") {
        let (name, expected) = split(rest);
        let expected = if expected.is_empty() { "; this table takes no keys".into() } else { expected };
        return format!("unknown key \"{}\"{expected}", name.unwrap_or_default());
    }
    if let Some(rest) = m.strip_prefix("unknown variant ") {
        let (name, expected) = split(rest);
        return format!("unknown value \"{}\"{expected}", name.unwrap_or_default());
    }
    if let Some(rest) = m.strip_prefix("missing field ") {
        return format!("missing key \"{}\"", quoted(rest).unwrap_or_default());
    }
    if let Some(rest) = m.strip_prefix("duplicate field ") {
        return format!("key \"{}\" is given twice", quoted(rest).unwrap_or_default());
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = m.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.split_once(", expected ") {
                return format!("expected {}, found {}", plain_type(expected), found.replace('`', ""));
            }
        }
    }
    // The parser's own messages: "unclosed array table, expected `]`".
    m.replacen(", expected ", "; expected ", 1).replace('`', "\"")
}

/// Rust's type names, in words.
fn plain_type(t: &str) -> String {
    match t {
        "u64" | "usize" | "u32" => "a whole number".into(),
        "u16" => "a whole number from 0 to 65535".into(),
        "a boolean" | "bool" => "true or false".into(),
        "a string" | "string" => "a string".into(),
        "a sequence" => "a list [...]".into(),
        "a map" => "a table".into(),
        other => other.replace('`', ""),
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::{line_column, message};

    #[test]
    fn serde_messages_are_reworded() {
        assert_eq!(
            message("unknown field `sendr`, expected one of `at`, `sender`"),
            "unknown key \"sendr\"; expected one of at, sender"
        );
        assert_eq!(message("unknown field `x`, expected `message`"), "unknown key \"x\"; expected message");
        assert_eq!(message("unknown field `x`, there are no fields"), "unknown key \"x\"; this table takes no keys");
        assert_eq!(message("unknown variant `a`, expected `b` or `c`"), "unknown value \"a\"; expected one of b, c");
        assert_eq!(message("missing field `at`"), "missing key \"at\"");
        assert_eq!(message("invalid type: string \"x\", expected u64"), "expected a whole number, found string \"x\"");
        assert_eq!(message("unclosed array table, expected `]`"), "unclosed array table; expected \"]\"");
    }

    #[test]
    fn lines_and_columns() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\n", 1), (1, 1), "inside a character: its start");
        assert_eq!(line_column("x", 99), (1, 2));
    }
}
