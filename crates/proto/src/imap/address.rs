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
    let mut c = s.chars().peekable();
    let mut out = Vec::new();
    while let Some(&ch) = c.peek() {
        match ch {
            ' ' | '\t' | '\r' | '\n' => {
                c.next();
            }
            '"' => {
                c.next();
                let mut q = String::new();
                while let Some(x) = c.next() {
                    match x {
                        '"' => break,
                        '\\' => q.push(c.next().unwrap_or('\\')),
                        x => q.push(x),
                    }
                }
                out.push(Tok::Quoted(q));
            }
            '(' => {
                // Comments nest (RFC 5322 §3.2.2).
                c.next();
                let (mut depth, mut text) = (1usize, String::new());
                while depth > 0 {
                    let Some(x) = c.next() else { break };
                    match x {
                        '\\' => text.push(c.next().unwrap_or('\\')),
                        '(' => {
                            depth = depth.saturating_add(1);
                            text.push('(');
                        }
                        ')' => {
                            depth = depth.saturating_sub(1);
                            if depth > 0 {
                                text.push(')');
                            }
                        }
                        x => text.push(x),
                    }
                }
                out.push(Tok::Comment(text.trim().to_string()));
            }
            '[' => {
                // A domain literal is one word.
                let mut w = String::new();
                for x in c.by_ref() {
                    w.push(x);
                    if x == ']' {
                        break;
                    }
                }
                out.push(Tok::Word(w));
            }
            ch @ ('<' | '>' | '@' | ',' | ';' | ':') => {
                c.next();
                out.push(Tok::Special(ch));
            }
            // A `)` outside a comment is not part of any word: dropped (it once stopped this
            // loop from moving on: an empty word was pushed forever).
            ')' => {
                c.next();
            }
            _ => {
                let mut w = String::new();
                while let Some(&x) = c.peek() {
                    if " \t\r\n\"()<>@,;:[".contains(x) {
                        break;
                    }
                    w.push(x);
                    c.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    out
}

/// The addresses of a header field's value, groups marked.
pub fn parse(value: &str) -> Vec<EnvAddr> {
    let t = tokens(value);
    let mut out = Vec::new();
    let mut rest: &[Tok] = &t;
    let mut in_group = false;
    while let Some(first) = rest.first() {
        match first {
            Tok::Special(',') => {
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            Tok::Special(';') => {
                if in_group {
                    out.push(EnvAddr::default());
                    in_group = false;
                }
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            _ => {}
        }
        // A group: a phrase, then ':' before any '<' or '@'.
        let next = rest.iter().find(|x| matches!(x, Tok::Special(_)));
        if !in_group && next == Some(&Tok::Special(':')) {
            let end = rest.iter().position(|x| x == &Tok::Special(':')).unwrap_or(0);
            let name = phrase(rest.get(..end).unwrap_or_default());
            out.push(EnvAddr { mailbox: Some(name.unwrap_or_default()), ..Default::default() });
            in_group = true;
            rest = rest.get(end.saturating_add(1)..).unwrap_or_default();
            continue;
        }
        let mut depth = 0i64;
        let mut len = 0usize;
        for x in rest {
            match x {
                Tok::Special('<') => depth = depth.saturating_add(1),
                Tok::Special('>') => depth = depth.saturating_sub(1),
                Tok::Special(',' | ';') if depth <= 0 => break,
                _ => {}
            }
            len = len.saturating_add(1);
        }
        if let Some(a) = mailbox(rest.get(..len).unwrap_or_default()) {
            out.push(a);
        }
        rest = rest.get(len..).unwrap_or_default();
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
        let inner = t.get(open.saturating_add(1)..close).unwrap_or_default();
        let (adl, spec) = match inner.iter().position(|x| x == &Tok::Special(':')) {
            Some(colon) => {
                let route: String = inner
                    .get(..colon)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|x| match x {
                        Tok::Special(c) => Some(c.to_string()),
                        Tok::Word(w) => Some(w.clone()),
                        _ => None,
                    })
                    .collect();
                (Some(route), inner.get(colon.saturating_add(1)..).unwrap_or_default())
            }
            None => (None, inner),
        };
        let (mailbox, host) = addr_spec(spec);
        if mailbox.is_empty() && host.is_none() {
            return None;
        }
        let name = phrase(t.get(..open).unwrap_or_default()).or(comment);
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
        Some(at) => {
            (join(t.get(..at).unwrap_or_default()), Some(join(t.get(at.saturating_add(1)..).unwrap_or_default())))
        }
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
