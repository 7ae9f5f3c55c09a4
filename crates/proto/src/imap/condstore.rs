//! CONDSTORE and QRESYNC (RFC 7162) arguments: SELECT/EXAMINE parameters, FETCH's
//! CHANGEDSINCE and VANISHED modifiers, STORE's UNCHANGEDSINCE; and VANISHED lines.

use super::sequence::valid_set;
use super::token::Token;

/// `QRESYNC (uidvalidity modseq [known-uids])` (RFC 7162 §3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qresync {
    pub uid_validity: u32,
    pub modseq: u64,
    pub known_uids: Option<String>,
}

/// SELECT/EXAMINE parameters: `(CONDSTORE)` or `(QRESYNC (...))`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectParams {
    pub condstore: bool,
    pub qresync: Option<Qresync>,
}

fn number<T: std::str::FromStr>(t: Option<&Token>, what: &str) -> Result<T, String> {
    t.and_then(Token::text).and_then(|s| s.parse().ok()).ok_or_else(|| format!("{what} must be a number"))
}

pub fn select_params(t: &Token) -> Result<SelectParams, String> {
    let Token::List(l) = t else { return Err("SELECT parameters go in parentheses, e.g. (CONDSTORE)".into()) };
    let mut p = SelectParams::default();
    let mut items = l.iter();
    while let Some(item) = items.next() {
        match item.text().map(str::to_ascii_uppercase).as_deref() {
            Some("CONDSTORE") => p.condstore = true,
            Some("QRESYNC") => {
                let Some(Token::List(q)) = items.next() else {
                    return Err("usage: SELECT mailbox (QRESYNC (uidvalidity modseq [known-uids]))".into());
                };
                let known_uids = q.get(2).and_then(Token::text).map(str::to_string);
                if known_uids.as_deref().is_some_and(|k| !valid_set(k)) {
                    return Err("QRESYNC's known UIDs are a UID set such as 1:100".into());
                }
                p.qresync = Some(Qresync {
                    uid_validity: number(q.first(), "QRESYNC's UIDVALIDITY")?,
                    modseq: number(q.get(1), "QRESYNC's mod-sequence")?,
                    known_uids,
                });
            }
            _ => return Err("SELECT parameters are CONDSTORE or QRESYNC (...) (RFC 7162)".into()),
        }
    }
    Ok(p)
}

/// `(CHANGEDSINCE n [VANISHED])` after FETCH's items (RFC 7162 §3.1.4.1, §3.2.6).
pub fn fetch_modifiers(t: &Token) -> Result<(Option<u64>, bool), String> {
    let Token::List(l) = t else { return Err("FETCH modifiers go in parentheses, e.g. (CHANGEDSINCE 12)".into()) };
    let (mut since, mut vanished) = (None, false);
    let mut items = l.iter();
    while let Some(item) = items.next() {
        match item.text().map(str::to_ascii_uppercase).as_deref() {
            Some("CHANGEDSINCE") => since = Some(number(items.next(), "CHANGEDSINCE")?),
            Some("VANISHED") => vanished = true,
            _ => return Err("FETCH modifiers are CHANGEDSINCE n and VANISHED (RFC 7162)".into()),
        }
    }
    if vanished && since.is_none() {
        return Err("VANISHED needs CHANGEDSINCE (RFC 7162 section 3.2.6)".into());
    }
    Ok((since, vanished))
}

/// `(UNCHANGEDSINCE n)` before STORE's flags (RFC 7162 §3.1.3).
pub fn store_modifier(t: &Token) -> Result<u64, String> {
    match t {
        Token::List(l)
            if l.len() == 2
                && l.first().and_then(Token::text).is_some_and(|s| s.eq_ignore_ascii_case("UNCHANGEDSINCE")) =>
        {
            number(l.get(1), "UNCHANGEDSINCE")
        }
        _ => Err("STORE's modifier is (UNCHANGEDSINCE n) (RFC 7162 section 3.1.3)".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::token::tokenize;

    fn t(s: &str) -> Token {
        tokenize(s).unwrap().remove(0)
    }

    #[test]
    fn modifiers_and_parameters() {
        assert_eq!(select_params(&t("(CONDSTORE)")).unwrap(), SelectParams { condstore: true, qresync: None });
        let q = select_params(&t("(QRESYNC (67890007 90060115194045000 41:211))")).unwrap().qresync.unwrap();
        assert_eq!((q.uid_validity, q.modseq, q.known_uids.as_deref()), (67890007, 90060115194045000, Some("41:211")));
        assert!(select_params(&t("(QRESYNC)")).is_err() && select_params(&t("(FOO)")).is_err());
        assert_eq!(fetch_modifiers(&t("(CHANGEDSINCE 12 VANISHED)")).unwrap(), (Some(12), true));
        assert!(fetch_modifiers(&t("(VANISHED)")).is_err() && fetch_modifiers(&t("(CHANGEDSINCE x)")).is_err());
        assert_eq!(store_modifier(&t("(UNCHANGEDSINCE 5)")).unwrap(), 5);
        assert!(store_modifier(&t("(FOO 5)")).is_err());
    }
}
