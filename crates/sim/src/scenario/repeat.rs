//! `[repeat] n = COUNT`: many alike actors, accounts and actions written once. Every table key
//! and every list item (a string, or a table such as an `[[action]]`) whose text holds `{n}`
//! stands for COUNT copies, `{n}` replaced by 1, 2, ... COUNT (`{n:3}`: padded with zeros to
//! three digits, `001`). The copies keep the template's place in the file, so a mistake in one
//! points at the template. Done on the parsed tree, before anything else reads it.

use super::reader::{integer, Result, Table, Value};
use std::borrow::Cow;
use toml::de::{DeArray, DeTable, DeValue};
use toml::Spanned;

/// At most this many copies (a class of a few hundred fits; a typo of 100000 does not).
pub const MAX: u64 = 1000;

/// Takes `[repeat]` out of `root` and expands what it asks for.
pub(super) fn expand<'a>(root: Value<'a>) -> Result<Value<'a>> {
    let span = root.span();
    let DeValue::Table(mut table) = root.into_inner() else { return Err((span, "expected a table".into())) };
    // Without `[repeat]`, `{n}` is left alone (a Message-ID template uses it for the message's
    // number).
    let Some(repeat) = table.remove("repeat") else { return Ok(Spanned::new(span, DeValue::Table(table))) };
    let t = Table::new(&repeat, &["n"])?;
    let n = t.require("n", |v| match integer(v, MAX)? {
        0 => Err((v.span(), format!("expected a whole number from 1 to {MAX}, found 0"))),
        n => Ok(n),
    });
    t.finish()?;
    let n = n.ok_or_else(|| (repeat.span(), "[repeat] needs n, the number of copies".to_string()))?;
    let mut root = Spanned::new(span, DeValue::Table(table));
    walk(&mut root, n)?;
    Ok(root)
}

/// Where the first `{n` is, if any.
fn find(v: &Value) -> Option<std::ops::Range<usize>> {
    match v.get_ref() {
        DeValue::String(s) if s.contains("{n") => Some(v.span()),
        DeValue::Array(a) => a.iter().find_map(find),
        DeValue::Table(t) => {
            t.iter().find_map(|(k, v)| if k.get_ref().contains("{n") { Some(k.span()) } else { find(v) })
        }
        _ => None,
    }
}

/// Replaces the repeated keys and items under `v` by their copies.
fn walk(v: &mut Value, count: u64) -> Result<()> {
    let span = v.span();
    match v.get_mut() {
        DeValue::Table(t) => {
            let templates: Vec<_> =
                t.iter().filter(|(k, _)| k.get_ref().contains("{n")).map(|(k, _)| k.clone()).collect();
            for key in templates {
                let Some(template) = t.remove(key.get_ref().as_ref()) else { continue };
                for i in 1..=count {
                    let k: Spanned<Cow<str>> =
                        Spanned::new(key.span(), Cow::Owned(fill(key.get_ref(), i, key.span())?));
                    if t.contains_key(k.get_ref().as_ref()) {
                        return Err((
                            key.span(),
                            format!("the copy \"{}\" of this key is also written out", k.get_ref()),
                        ));
                    }
                    t.insert(k, copy(&template, i)?);
                }
            }
            for (_, v) in t.iter_mut() {
                walk(v, count)?;
            }
        }
        DeValue::Array(a) => {
            if a.iter().any(|item| find(item).is_some()) {
                let mut out = DeArray::new();
                for item in a.iter() {
                    if find(item).is_some() {
                        for i in 1..=count {
                            out.push(copy(item, i)?);
                        }
                    } else {
                        let mut item = item.clone();
                        walk(&mut item, count)?;
                        out.push(item);
                    }
                }
                *v = Spanned::new(span, DeValue::Array(out));
            } else {
                for item in a.iter_mut() {
                    walk(item, count)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Copy `i` of `v`: `{n}` replaced in every key and string.
fn copy<'a>(v: &Value<'a>, i: u64) -> Result<Value<'a>> {
    let out = match v.get_ref() {
        DeValue::String(s) if s.contains("{n") => DeValue::String(Cow::Owned(fill(s, i, v.span())?)),
        DeValue::Array(a) => {
            let mut out = DeArray::new();
            for item in a.iter() {
                out.push(copy(item, i)?);
            }
            DeValue::Array(out)
        }
        DeValue::Table(t) => {
            let mut out = DeTable::new();
            for (k, v) in t.iter() {
                let key = if k.get_ref().contains("{n") {
                    Cow::Owned(fill(k.get_ref(), i, k.span())?)
                } else {
                    k.get_ref().clone()
                };
                out.insert(Spanned::new(k.span(), key), copy(v, i)?);
            }
            DeValue::Table(out)
        }
        other => other.clone(),
    };
    Ok(Spanned::new(v.span(), out))
}

/// `s` with each `{n}` as `i` and each `{n:W}` as `i` padded with zeros to W digits.
fn fill(s: &str, i: u64, span: std::ops::Range<usize>) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("{n") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else { return Err((span, format!("\"{s}\": {{n without its closing }}"))) };
        match &after[..end] {
            "" => out.push_str(&i.to_string()),
            w => match w.strip_prefix(':').and_then(|w| w.parse::<usize>().ok()).filter(|w| (1..=9).contains(w)) {
                Some(w) => out.push_str(&format!("{i:0w$}")),
                None => return Err((span, format!("\"{s}\": expected {{n}} or {{n:WIDTH}} (a digit from 1 to 9)"))),
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::load;

    const HEAD: &str = "[scenario]\nid = \"r\"\ntitle = \"R\"\n";

    #[test]
    fn fills_numbers_and_widths() {
        assert_eq!(super::fill("s{n:3}-{n}", 7, 0..0).unwrap(), "s007-7");
        assert!(super::fill("s{n:x}", 7, 0..0).is_err());
        assert!(super::fill("s{n", 7, 0..0).is_err());
    }

    #[test]
    fn repeats_actors_accounts_and_actions() {
        let text = format!(
            "{HEAD}[repeat]\nn = 3\n\n[cast]\nactors = [\"alice-ua\", \"alice-server\", \"dns\", \"bob-server\", \"s{{n}}\"]\n\n\
             [actor.bob-server]\naccounts = [\"bob@bob.example\", \"s{{n}}@bob.example\"]\n\n\
             [actor.\"s{{n}}\"]\nkind = \"user-agent\"\nname = \"Student {{n}}\"\nhost = \"s{{n}}.bob.example\"\nip = \"10.0.0.{{n}}\"\n\
             address = \"s{{n}}@bob.example\"\npassword = \"s{{n}}-pw\"\nserver = \"bob-server\"\n\n\
             [[action]]\nkind = \"check-mail\"\nat = \"{{n}} min\"\nactor = \"s{{n}}\"\nread = \"imap\"\n"
        );
        let s = load("r.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let log = s.run();
        let d = crate::diagram::Diagram::from_log(&log);
        let names: Vec<&str> = d.actors.iter().map(|a| a.name.as_str()).collect();
        assert!(names.ends_with(&["Student 1", "Student 2", "Student 3"]), "{names:?}");
        // Three IMAP sessions, one per student, a minute apart.
        let logins = d
            .arrows
            .iter()
            .filter(|a| a.protocol == "IMAP" && a.label.contains("OK") && a.label.contains("LOGIN"))
            .count()
            + d.arrows.iter().filter(|a| a.protocol == "IMAP" && a.label.contains("AUTHENTICATE")).count();
        assert!(logins >= 3, "{logins}");
        for (i, who) in ["Student 1", "Student 2", "Student 3"].iter().enumerate() {
            let first = d.arrows.iter().find(|a| d.actors[a.from].name == *who || d.actors[a.to].name == *who).unwrap();
            assert!(first.t >= (i as u64 + 1) * 60_000 && first.t < (i as u64 + 2) * 60_000, "{who} at {}", first.t);
        }
    }

    #[test]
    fn mistakes_point_at_the_template() {
        let e = load("r.toml", &format!("{HEAD}[cast]\nactors = [\"s{{n}}\"]\n")).unwrap_err();
        assert_eq!(e.line, 5, "without [repeat], {{n}} is left as it is: {e}");
        assert!(e.message.contains("s{n}"), "{e}");
        let e = load("r.toml", &format!("{HEAD}[repeat]\nn = 0\n")).unwrap_err();
        assert_eq!(e.line, 5);
        assert!(e.message.contains("from 1 to 1000"), "{}", e.message);
        let e = load("r.toml", &format!("{HEAD}[repeat]\ncount = 2\n")).unwrap_err();
        assert!(e.message.contains("count"), "{}", e.message);
        let e = load("r.toml", &format!("{HEAD}[repeat]\nn = 2\n[[action]]\nkind = \"narrate\"\nat = \"{{n:x}} s\"\nactor = \"dns\"\nsay = \"x\"\n")).unwrap_err();
        assert_eq!(e.line, 8, "{e}");
    }
}
