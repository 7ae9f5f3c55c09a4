//! The IMAP command tokenizer: atoms, quoted strings, parenthesized lists and literals
//! (`{n}` CRLF and n bytes, RFC 9051 §4.3), which the command decoder marks in the text.

use crate::codec::find_crlf;
#[cfg(test)]
use crate::limits::IMAP_LINE;
use crate::limits::{IMAP_LITERAL, IMAP_NESTING};

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

/// Reads the tokens of a command's arguments. Lists are read without recursion (a stack of
/// open lists), at most [`IMAP_NESTING`] deep.
pub fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    // The lists being read, innermost last; the first is the argument list itself.
    let mut stack: Vec<Vec<Token>> = vec![Vec::new()];
    fn push(stack: &mut [Vec<Token>], t: Token) {
        if let Some(list) = stack.last_mut() {
            list.push(t);
        }
    }
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' => {
                chars.next();
            }
            ')' if stack.len() > 1 => {
                chars.next();
                let inner = stack.pop().unwrap_or_default();
                push(&mut stack, Token::List(inner));
            }
            ')' => return Err("unbalanced ')'".into()),
            '(' if stack.len() > IMAP_NESTING => {
                return Err(format!("lists nest too deep: the limit here is {IMAP_NESTING} levels"))
            }
            '(' => {
                chars.next();
                stack.push(Vec::new());
            }
            '"' => {
                chars.next();
                let mut q = String::new();
                loop {
                    match chars.next() {
                        None => return Err("unterminated quoted string".into()),
                        Some('"') => break,
                        Some('\\') => q.push(chars.next().ok_or("unterminated quoted string")?),
                        Some(c) => q.push(c),
                    }
                }
                push(&mut stack, Token::Quoted(q));
            }
            LITERAL => {
                chars.next();
                let mut n = String::new();
                while let Some(&d) = chars.peek().filter(|c| c.is_ascii_digit()) {
                    n.push(d);
                    chars.next();
                }
                let i: usize = n.parse().map_err(|_| "bad literal")?;
                push(&mut stack, Token::Literal(i));
            }
            '{' => return Err("a literal {n} must end its line".into()),
            _ => {
                let mut a = String::new();
                let mut brackets = 0usize;
                while let Some(&c) = chars.peek() {
                    if brackets == 0 && (c == ' ' || c == '(' || c == ')') {
                        break;
                    }
                    if c == '[' {
                        brackets = brackets.saturating_add(1);
                    } else if c == ']' {
                        brackets = brackets.saturating_sub(1);
                    }
                    a.push(c);
                    chars.next();
                }
                push(&mut stack, Token::Atom(a));
            }
        }
    }
    if stack.len() > 1 {
        return Err("unbalanced '('".into());
    }
    Ok(stack.pop().unwrap_or_default())
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
/// within [`crate::limits::imap_line`] octets of text ([`crate::limits::IMAP_LINE`] unless raised) and literals of at most [`IMAP_LITERAL`] octets.
/// Literal octets are skipped by their count, not scanned: the work is in the text only.
pub fn frame(buf: &[u8]) -> Frame {
    let mut pos = 0usize;
    let mut text = 0usize;
    // The limit in force: IMAP_LINE unless the driver raised it (`mailsim serve`).
    let max = crate::limits::imap_line();
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some((len, bare)) = crate::codec::line_end(rest) else {
            if text.saturating_add(rest.len()) >= max {
                let text = format!("Command line too long: the limit is {max} octets");
                return Frame::Refused { tag: tag_of(buf), text, consumed: buf.len(), then: Skip::RestOfLine };
            }
            return Frame::Partial(None);
        };
        let end = pos.saturating_add(len);
        if bare {
            let text = crate::codec::BARE_LF.into();
            return Frame::Refused { tag: tag_of(buf), text, consumed: end, then: Skip::Nothing };
        }
        text = text.saturating_add(len);
        let line = rest.get(..len.saturating_sub(2)).unwrap_or_default();
        if text > max {
            let text = format!("Command line too long: the limit is {max} octets");
            // A non-synchronizing literal announced at its end comes anyway: skip it too.
            let then = match literal_at_end(line) {
                Some((n, false)) => Skip::Octets(n),
                _ => Skip::Nothing,
            };
            return Frame::Refused { tag: tag_of(buf), text, consumed: end, then };
        }
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
        let mut long_then_literal = format!("a1 APPEND INBOX {} {{5+}}\r\n", "x".repeat(IMAP_LINE)).into_bytes();
        long_then_literal.extend_from_slice(b"hello");
        assert!(matches!(frame(&long_then_literal), Frame::Refused { then: Skip::Octets(5), .. }));
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
