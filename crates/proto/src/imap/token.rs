//! The IMAP command tokenizer: atoms, quoted strings, parenthesized lists and literals
//! (`{n}` CRLF and n bytes, RFC 9051 §4.3), which the command decoder marks in the text.

use crate::codec::find_crlf;

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
                    let mut brackets = 0;
                    while let Some(&c) = chars.get(*pos) {
                        if brackets == 0 && (c == ' ' || c == '(' || c == ')') {
                            break;
                        }
                        if c == '[' {
                            brackets += 1;
                        } else if c == ']' {
                            brackets -= 1;
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

/// If `buf` starts with a command line ending in a literal `{n}` whose bytes have not all
/// arrived: the literal's size, whether it is synchronizing (the server must send `+`), and
/// where that line ends.
pub fn pending_literal(buf: &[u8]) -> Option<(usize, bool, usize)> {
    let mut pos = 0;
    loop {
        let end = pos + find_crlf(&buf[pos..])?;
        let line = &buf[pos..end - 2];
        let (n, sync) = literal_at_end(line)?;
        if buf.len() < end + n {
            return Some((n, sync, end));
        }
        pos = end + n;
    }
}

pub fn literal_at_end(line: &[u8]) -> Option<(usize, bool)> {
    if !line.ends_with(b"}") {
        return None;
    }
    let open = line.iter().rposition(|&b| b == b'{')?;
    let inner = std::str::from_utf8(&line[open + 1..line.len() - 1]).ok()?;
    let (digits, sync) = match inner.strip_suffix('+') {
        Some(d) => (d, false),
        None => (inner, true),
    };
    digits.parse().ok().map(|n| (n, sync))
}
