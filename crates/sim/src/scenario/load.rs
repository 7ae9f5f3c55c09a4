//! From text to a checked [`Scenario`]: TOML parsing with spans, the `[[action]]` tables read
//! by their `kind`, and every error located (`file:line:column: what was expected`).

use super::{format, resolve, Scenario};
use std::fmt;
use std::ops::Range;
use toml::de::{DeTable, DeValue};
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
pub(crate) type Located = (Range<usize>, String);

/// Reads the scenario file `file` (its name, for the messages) with contents `text`.
pub fn load(file: &str, text: &str) -> Result<Scenario, LoadError> {
    let at = |(span, message): Located| {
        let (line, column) = line_column(text, span.start);
        LoadError { file: file.to_string(), line, column, message }
    };
    let root = DeTable::parse(text).map_err(|e| at((e.span().unwrap_or(0..0), parser_message(e.message()))))?;
    let root = Spanned::new(root.span(), DeValue::Table(root.into_inner()));
    let root = super::repeat::expand(root).map_err(at)?;
    let (doc, actions) = format::read(&root).map_err(at)?;
    resolve::resolve(doc, &actions, file, text).map_err(at)
}

/// The parser's own messages, said like ours: "unclosed array table, expected `]`" becomes
/// "unclosed array table; expected "]"".
fn parser_message(m: &str) -> String {
    m.replacen(", expected ", "; expected ", 1).replace('`', "\"")
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
    use super::{line_column, parser_message};

    #[test]
    fn parser_messages_are_reworded() {
        assert_eq!(parser_message("unclosed array table, expected `]`"), "unclosed array table; expected \"]\"");
    }

    #[test]
    fn lines_and_columns() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é\n", 1), (1, 1), "inside a character: its start");
        assert_eq!(line_column("x", 99), (1, 2));
    }
}
