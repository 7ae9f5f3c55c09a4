//! The IMAP command tokenizer: atoms, quoted strings, parenthesized lists and literals
//! (`{n}` CRLF and n bytes, RFC 9051 §4.3), which the command decoder marks in the text.

use crate::codec::find_crlf;
use crate::limits::{IMAP_LINE, IMAP_LITERAL, IMAP_NESTING};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Atom(String),
    Quoted(String),
    List(Vec<Token>),
    /// The i-th literal of the command.
    Literal(usize),
}

impl Token {
    pub fn text(&self) -> Option<&str> {
        match self {
            Token::Atom(s) | Token::Quoted(s) => Some(s),
            Token::List(_) | Token::Literal(_) => None,
        }
    }
}

/// Literals are replaced by this character and an index before tokenizing.
pub const LITERAL: char = '\u{1}';

pub fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    fn list(chars: &[char], pos: &mut usize, depth: usize) -> Result<Vec<Token>, String> {
        let mut out = Vec::new();
        while *pos < chars.len() {
            match chars[*pos] {
                ' ' => *pos += 1,
                ')' if depth > 0 => {
                    *pos += 1;
                    return Ok(out);
                }
                ')' => return Err("unbalanced ')'".into()),
                '(' if depth >= IMAP_NESTING => {
                    return Err(format!("lists nest too deep: the limit here is {IMAP_NESTING} levels"))
                }
                '(' => {
                    *pos += 1;
                    out.push(Token::List(list(chars, pos, depth + 1)?));
                }
                '"' => {
                    *pos += 1;
                    let mut q = String::new();
                    loop {
                        match chars.get(*pos) {
                            None => return Err("unterminated quoted string".into()),
                            Some('"') => break,
                            Some('\\') => {
                                q.push(*chars.get(*pos + 1).ok_or("unterminated quoted string")?);
                                *pos += 2;
                                continue;
                            }
                            Some(&c) => q.push(c),
                        }
                        *pos += 1;
                    }
                    *pos += 1;
                    out.push(Token::Quoted(q));
                }
                LITERAL => {
                    *pos += 1;
                    let mut n = String::new();
                    while let Some(c) = chars.get(*pos).filter(|c| c.is_ascii_digit()) {
                        n.push(*c);
                        *pos += 1;
                    }
                    let i: usize = n.parse().map_err(|_| "bad literal")?;
                    out.push(Token::Literal(i));
                }
                '{' => return Err("a literal {n} must end its line".into()),
                _ => {
                    let mut a = String::new();
                    let mut brackets = 0usize;
                    while let Some(&c) = chars.get(*pos) {
                        if brackets == 0 && (c == ' ' || c == '(' || c == ')') {
                            break;
                        }
                        if c == '[' {
                            brackets += 1;
                        } else if c == ']' {
                            brackets = brackets.saturating_sub(1);
                        }
                        a.push(c);
                        *pos += 1;
                    }
                    out.push(Token::Atom(a));
                }
            }
        }
        if depth > 0 {
            Err("unbalanced '('".into())
        } else {
            Ok(out)
        }
    }
    let chars: Vec<char> = s.chars().collect();
    list(&chars, &mut 0, 0)
}

/// How the command at the start of a buffer stands before it is parsed: whole, waiting for
/// more, or past a limit of [`crate::limits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole command (its lines and literals) is in the first `usize` bytes.
    Whole(usize),
    /// Wait for more bytes; `Some((line_end, synchronizing))` when a line announced a
    /// literal whose octets have not all arrived (a synchronizing one wants `+` first).
    Partial(Option<(usize, bool)>),
    /// Past a limit: answer `tag BAD text` (`*` without a tag), drop the first `consumed`
    /// bytes, then skip what `then` says.
    Refused { tag: Option<String>, text: String, consumed: usize, then: Skip },
}

/// What to skip after a refused command, so that the next command is read fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Nothing,
    /// The rest of an over-long line, up to its CRLF.
    RestOfLine,
    /// The octets of a non-synchronizing literal that is too large (the client sends them
    /// without waiting, RFC 7888 §4).
    Octets(usize),
}

/// Frames the command at the start of `buf`: lines joined by literals (RFC 9051 §4.3),
/// within [`IMAP_LINE`] octets of text and literals of at most [`IMAP_LITERAL`] octets.
/// Literal octets are skipped by their count, not scanned: the work is in the text only.
pub fn frame(buf: &[u8]) -> Frame {
    let mut pos = 0usize;
    let mut text = 0usize;
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some(len) = find_crlf(rest) else {
            if text.saturating_add(rest.len()) >= IMAP_LINE {
                let text = format!("Command line too long: the limit is {IMAP_LINE} octets");
                return Frame::Refused { tag: tag_of(buf), text, consumed: buf.len(), then: Skip::RestOfLine };
            }
            return Frame::Partial(None);
        };
        let end = pos.saturating_add(len);
        text = text.saturating_add(len);
        if text > IMAP_LINE {
            let text = format!("Command line too long: the limit is {IMAP_LINE} octets");
            return Frame::Refused { tag: tag_of(buf), text, consumed: end, then: Skip::Nothing };
        }
        let line = rest.get(..len.saturating_sub(2)).unwrap_or_default();
        let Some((n, sync)) = literal_at_end(line) else { return Frame::Whole(end) };
        if n > IMAP_LITERAL {
            let text = format!("[TOOBIG] Literal of {n} octets is too large: the limit is {IMAP_LITERAL} octets");
            let then = if sync { Skip::Nothing } else { Skip::Octets(n) };
            return Frame::Refused { tag: tag_of(buf), text, consumed: end, then };
        }
        if buf.len().saturating_sub(end) < n {
            return Frame::Partial(Some((end, sync)));
        }
        pos = end.saturating_add(n);
    }
}

/// The tag at the start of a command, if it looks like one (RFC 9051 §9 `tag`).
pub fn tag_of(buf: &[u8]) -> Option<String> {
    let tag = buf.split(|&b| b == b' ' || b == b'\r').next()?;
    let ok = |b: &u8| b.is_ascii_graphic() && !b"(){%*\"\\+".contains(b);
    (!tag.is_empty() && tag.len() <= 64 && tag.iter().all(ok)).then(|| String::from_utf8_lossy(tag).into_owned())
}

/// If `buf` starts with a command line ending in a literal `{n}` whose bytes have not all
/// arrived: the literal's size, whether it is synchronizing (the server must send `+`), and
/// where that line ends.
pub fn pending_literal(buf: &[u8]) -> Option<(usize, bool, usize)> {
    let mut pos = 0usize;
    loop {
        let rest = buf.get(pos..)?;
        let end = pos.checked_add(find_crlf(rest)?)?;
        let line = buf.get(pos..end.checked_sub(2)?)?;
        let (n, sync) = literal_at_end(line)?;
        if buf.len() < end.saturating_add(n) {
            return Some((n, sync, end));
        }
        pos = end.checked_add(n)?;
    }
}

/// `{n}` or `{n+}` at the end of a line: its size (saturating at `usize::MAX`, so that a
/// huge number is refused as too large, not misread) and whether it is synchronizing.
pub fn literal_at_end(line: &[u8]) -> Option<(usize, bool)> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let inner = inner.get(open.checked_add(1)?..)?;
    let (digits, sync) = match inner.strip_suffix(b"+") {
        Some(d) => (d, false),
        None => (inner, true),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n =
        digits.iter().fold(0usize, |n, &d| n.saturating_mul(10).saturating_add(usize::from(d.saturating_sub(b'0'))));
    Some((n, sync))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_within_the_limits() {
        assert_eq!(frame(b"a1 NOOP\r\n"), Frame::Whole(9));
        assert_eq!(frame(b"a1 NOOP"), Frame::Partial(None));
        assert_eq!(frame(b"a1 LOGIN {3}\r\nbo"), Frame::Partial(Some((14, true))));
        assert_eq!(frame(b"a1 LOGIN {3+}\r\nbob {2}\r\npw\r\n"), Frame::Whole(28));
        let huge = frame(b"a1 LOGIN {18446744073709551615}\r\n");
        assert!(
            matches!(huge, Frame::Refused { ref tag, consumed: 33, then: Skip::Nothing, .. } if tag.as_deref() == Some("a1")),
            "{huge:?}"
        );
        let beyond = frame(b"a1 LOGIN {99999999999999999999999999+}\r\nx");
        assert!(matches!(beyond, Frame::Refused { then: Skip::Octets(usize::MAX), .. }), "{beyond:?}");
        let long = vec![b'x'; IMAP_LINE];
        assert!(matches!(frame(&long), Frame::Refused { tag: None, then: Skip::RestOfLine, .. }));
        // Chained small literals count their lines' text against the limit.
        let chained = b"a1 LOGIN {1}\r\nx".repeat(IMAP_LINE / 8);
        assert!(matches!(frame(&chained), Frame::Refused { then: Skip::Nothing, .. }));
        assert_eq!(literal_at_end(b"x {}"), None);
        assert_eq!(literal_at_end(b"x {+}"), None);
        assert_eq!(literal_at_end(b"x {1a}"), None);
    }

    #[test]
    fn nesting_is_limited() {
        let deep = format!("{}{}", "(".repeat(48_000), ")".repeat(48_000));
        assert!(tokenize(&deep).unwrap_err().contains("too deep"));
        let ok = format!("{}x{}", "(".repeat(IMAP_NESTING), ")".repeat(IMAP_NESTING));
        assert!(tokenize(&ok).is_ok());
        // Unbalanced brackets do not make an atom swallow the line.
        assert_eq!(tokenize("a]] b").unwrap(), vec![Token::Atom("a]]".into()), Token::Atom("b".into())]);
    }
}
