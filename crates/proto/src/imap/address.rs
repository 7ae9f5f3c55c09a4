//! Address fields (RFC 5322 §3.4) as ENVELOPE wants them (RFC 9051 §7.5.2): each address as
//! (name, source route, mailbox, host), groups as a start and an end marker, comments read
//! (`user@domain (Real Name)` gives the name) and never taken for part of an address.

/// One ENVELOPE address: `(name adl mailbox host)`. A group starts with
/// `(NIL NIL "group" NIL)` and ends with `(NIL NIL NIL NIL)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvAddr {
    pub name: Option<String>,
    pub adl: Option<String>,
    pub mailbox: Option<String>,
    pub host: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(String),
    Comment(String),
    Special(char),
}

fn tokens(s: &str) -> Vec<Tok> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            ' ' | '\t' | '\r' | '\n' => i += 1,
            '"' => {
                let mut q = String::new();
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' && i + 1 < c.len() {
                        i += 1;
                    }
                    q.push(c[i]);
                    i += 1;
                }
                i += 1;
                out.push(Tok::Quoted(q));
            }
            '(' => {
                // Comments nest (RFC 5322 §3.2.2).
                let (mut depth, mut text) = (1usize, String::new());
                i += 1;
                while i < c.len() && depth > 0 {
                    match c[i] {
                        '\\' if i + 1 < c.len() => {
                            i += 1;
                            text.push(c[i]);
                        }
                        '(' => {
                            depth += 1;
                            text.push('(');
                        }
                        ')' => {
                            depth -= 1;
                            if depth > 0 {
                                text.push(')');
                            }
                        }
                        ch => text.push(ch),
                    }
                    i += 1;
                }
                out.push(Tok::Comment(text.trim().to_string()));
            }
            '[' => {
                // A domain literal is one word.
                let start = i;
                while i < c.len() && c[i] != ']' {
                    i += 1;
                }
                i = (i + 1).min(c.len());
                out.push(Tok::Word(c[start..i].iter().collect()));
            }
            ch @ ('<' | '>' | '@' | ',' | ';' | ':') => {
                out.push(Tok::Special(ch));
                i += 1;
            }
            _ => {
                let start = i;
                while i < c.len() && !" \t\r\n\"()<>@,;:[".contains(c[i]) {
                    i += 1;
                }
                out.push(Tok::Word(c[start..i].iter().collect()));
            }
        }
    }
    out
}

/// The addresses of a header field's value, groups marked.
pub fn parse(value: &str) -> Vec<EnvAddr> {
    let t = tokens(value);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut in_group = false;
    while pos < t.len() {
        match &t[pos] {
            Tok::Special(',') => {
                pos += 1;
                continue;
            }
            Tok::Special(';') => {
                if in_group {
                    out.push(EnvAddr::default());
                    in_group = false;
                }
                pos += 1;
                continue;
            }
            _ => {}
        }
        // A group: a phrase, then ':' before any '<' or '@'.
        let next = t[pos..].iter().position(|x| matches!(x, Tok::Special(_))).map(|k| &t[pos + k]);
        if !in_group && next == Some(&Tok::Special(':')) {
            let end = pos + t[pos..].iter().position(|x| x == &Tok::Special(':')).unwrap_or(0);
            let name = phrase(&t[pos..end]);
            out.push(EnvAddr { mailbox: Some(name.unwrap_or_default()), ..Default::default() });
            in_group = true;
            pos = end + 1;
            continue;
        }
        let start = pos;
        let mut depth = 0;
        while pos < t.len() {
            match t[pos] {
                Tok::Special('<') => depth += 1,
                Tok::Special('>') => depth -= 1,
                Tok::Special(',' | ';') if depth <= 0 => break,
                _ => {}
            }
            pos += 1;
        }
        if let Some(a) = mailbox(&t[start..pos]) {
            out.push(a);
        }
    }
    if in_group {
        out.push(EnvAddr::default());
    }
    out
}

fn word(t: &Tok) -> Option<&str> {
    match t {
        Tok::Word(w) | Tok::Quoted(w) => Some(w),
        _ => None,
    }
}

fn phrase(t: &[Tok]) -> Option<String> {
    let words: Vec<&str> = t.iter().filter_map(word).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// One mailbox: `phrase <[route:]local@domain>` or `local@domain (comment)`.
fn mailbox(t: &[Tok]) -> Option<EnvAddr> {
    let comment = t.iter().rev().find_map(|x| match x {
        Tok::Comment(c) if !c.is_empty() => Some(c.clone()),
        _ => None,
    });
    if let Some(open) = t.iter().position(|x| x == &Tok::Special('<')) {
        let close = t.iter().rposition(|x| x == &Tok::Special('>')).filter(|&c| c > open).unwrap_or(t.len());
        let inner = &t[open + 1..close];
        let (adl, spec) = match inner.iter().position(|x| x == &Tok::Special(':')) {
            Some(colon) => {
                let route: String = inner[..colon]
                    .iter()
                    .filter_map(|x| match x {
                        Tok::Special(c) => Some(c.to_string()),
                        Tok::Word(w) => Some(w.clone()),
                        _ => None,
                    })
                    .collect();
                (Some(route), &inner[colon + 1..])
            }
            None => (None, inner),
        };
        let (mailbox, host) = addr_spec(spec);
        if mailbox.is_empty() && host.is_none() {
            return None;
        }
        let name = phrase(&t[..open]).or(comment);
        return Some(EnvAddr { name, adl, mailbox: Some(mailbox), host: Some(host.unwrap_or_default()) });
    }
    let (mailbox, host) = addr_spec(t);
    if mailbox.is_empty() {
        return None;
    }
    Some(EnvAddr { name: comment, adl: None, mailbox: Some(mailbox), host: Some(host.unwrap_or_default()) })
}

/// `local@domain`, comments skipped: (local part, domain).
fn addr_spec(t: &[Tok]) -> (String, Option<String>) {
    let at = t.iter().rposition(|x| x == &Tok::Special('@'));
    let join = |t: &[Tok]| t.iter().filter_map(word).collect::<String>();
    match at {
        Some(at) => (join(&t[..at]), Some(join(&t[at + 1..]))),
        None => (join(t), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: Option<&str>, adl: Option<&str>, m: Option<&str>, h: Option<&str>) -> EnvAddr {
        EnvAddr {
            name: name.map(Into::into),
            adl: adl.map(Into::into),
            mailbox: m.map(Into::into),
            host: h.map(Into::into),
        }
    }

    #[test]
    fn names_comments_groups_and_routes() {
        assert_eq!(
            parse("alice@a.example (Alice Liddell)"),
            [a(Some("Alice Liddell"), None, Some("alice"), Some("a.example"))]
        );
        assert_eq!(
            parse("\"Smith, J\" <j@x.example>, b@y"),
            [a(Some("Smith, J"), None, Some("j"), Some("x.example")), a(None, None, Some("b"), Some("y"))]
        );
        assert_eq!(
            parse("Friends: a@x, B <b@y>;, c@z"),
            [
                a(None, None, Some("Friends"), None),
                a(None, None, Some("a"), Some("x")),
                a(Some("B"), None, Some("b"), Some("y")),
                a(None, None, None, None),
                a(None, None, Some("c"), Some("z")),
            ]
        );
        assert_eq!(
            parse("undisclosed-recipients:;"),
            [a(None, None, Some("undisclosed-recipients"), None), EnvAddr::default()]
        );
        assert_eq!(
            parse("Joe <@relay.example,@r2.example:joe@x.example>"),
            [a(Some("Joe"), Some("@relay.example,@r2.example"), Some("joe"), Some("x.example"))]
        );
        assert_eq!(
            parse("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
            [a(Some("Pete"), None, Some("pete"), Some("silly.test"))]
        );
        assert_eq!(parse("first.last@x.example"), [a(None, None, Some("first.last"), Some("x.example"))]);
        assert!(parse("").is_empty() && parse(" , ").is_empty());
    }
}
