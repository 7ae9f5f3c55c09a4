//! The arguments of LIST (RFC 9051 §6.3.9 with LIST-EXTENDED, RFC 5258: selection options,
//! several patterns in parentheses, RETURN options; LIST-STATUS, RFC 5819) and LSUB
//! (RFC 3501 §6.3.9).

use super::command::STATUS_ITEMS;
use super::token::Token;

/// A LIST command's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListArgs {
    pub reference: String,
    /// One pattern, or several in parentheses (RFC 5258 §3).
    pub patterns: Vec<String>,
    /// Selection SPECIAL-USE (RFC 6154 §5.1): only mailboxes with a special use.
    pub special_use_only: bool,
    /// Selection SUBSCRIBED: subscribed names, existing or not (RFC 5258 §3.1).
    pub subscribed_only: bool,
    /// Selection RECURSIVEMATCH: parents of matching children are listed with CHILDINFO.
    pub recursive: bool,
    /// RETURN (SUBSCRIBED) or selection SUBSCRIBED: mark `\Subscribed`.
    pub return_subscribed: bool,
    /// RETURN (STATUS (...)): a STATUS response after each listed mailbox (RFC 5819).
    pub status: Option<Vec<String>>,
}

const SELECTION: [&str; 4] = ["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"];

/// Reads LIST's tokens; `Err` is the text of the BAD.
pub fn parse_list(toks: &[Token]) -> Result<ListArgs, String> {
    let usage =
        || "usage: LIST [(selection options)] reference pattern [RETURN (options)], e.g. LIST \"\" \"*\"".to_string();
    let words = |l: &[Token]| l.iter().filter_map(|x| x.text().map(str::to_ascii_uppercase)).collect::<Vec<_>>();
    let mut rest = toks;
    let mut selection = Vec::new();
    if let Some(Token::List(l)) = rest.first() {
        selection = words(l);
        rest = rest.get(1..).unwrap_or_default();
    }
    let (reference, patterns) = match rest {
        [r, Token::List(ps), ..] => {
            let ps: Vec<String> = ps.iter().filter_map(|p| p.text().map(str::to_string)).collect();
            if ps.is_empty() {
                return Err(usage());
            }
            (r.text().ok_or_else(usage)?.to_string(), ps)
        }
        [r, p, ..] => (r.text().ok_or_else(usage)?.to_string(), vec![p.text().ok_or_else(usage)?.to_string()]),
        _ => return Err(usage()),
    };
    let mut args = ListArgs { reference, patterns, ..Default::default() };
    if let Some(o) = selection.iter().find(|o| !SELECTION.contains(&o.as_str())) {
        return Err(format!(
            "unknown LIST selection option {o}: SUBSCRIBED, REMOTE, RECURSIVEMATCH and SPECIAL-USE are known"
        ));
    }
    args.recursive = selection.iter().any(|o| o == "RECURSIVEMATCH");
    if args.recursive && !selection.iter().any(|o| o != "RECURSIVEMATCH" && o != "REMOTE") {
        return Err("RECURSIVEMATCH needs another selection option such as SUBSCRIBED (RFC 5258 section 3.1)".into());
    }
    args.subscribed_only = selection.iter().any(|o| o == "SUBSCRIBED");
    args.special_use_only = selection.iter().any(|o| o == "SPECIAL-USE");
    args.return_subscribed = args.subscribed_only;
    match rest.get(2..).unwrap_or_default() {
        [] => {}
        [Token::Atom(r), Token::List(opts)] if r.eq_ignore_ascii_case("RETURN") => {
            let mut items = opts.iter();
            while let Some(opt) = items.next() {
                let o = opt.text().map(str::to_ascii_uppercase).unwrap_or_default();
                match o.as_str() {
                    "SUBSCRIBED" => args.return_subscribed = true,
                    "CHILDREN" | "SPECIAL-USE" => {}
                    "STATUS" => {
                        let Some(Token::List(status)) = items.next() else {
                            return Err("RETURN (STATUS (items)) lists STATUS items, e.g. (MESSAGES UNSEEN)".into());
                        };
                        let status = words(status);
                        if let Some(bad) = status.iter().find(|x| !STATUS_ITEMS.contains(&x.as_str())) {
                            return Err(format!("unknown STATUS item {bad}: {} are known", STATUS_ITEMS.join(", ")));
                        }
                        args.status = Some(status);
                    }
                    _ => {
                        return Err(format!(
                            "unknown LIST RETURN option {o}: SUBSCRIBED, CHILDREN, SPECIAL-USE and STATUS are known"
                        ))
                    }
                }
            }
        }
        _ => return Err(usage()),
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::token::tokenize;

    fn list(s: &str) -> Result<ListArgs, String> {
        parse_list(&tokenize(s).unwrap())
    }

    #[test]
    fn several_patterns_selection_and_return_options() {
        let a = list("\"\" (INBOX \"Work/*\")").unwrap();
        assert_eq!(a.patterns, ["INBOX", "Work/*"]);
        let a = list("(SUBSCRIBED RECURSIVEMATCH) \"\" \"*\" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))").unwrap();
        assert!(a.subscribed_only && a.recursive && a.return_subscribed);
        assert_eq!(a.status, Some(vec!["MESSAGES".into(), "UNSEEN".into()]));
        assert!(list("(RECURSIVEMATCH) \"\" *").unwrap_err().contains("RFC 5258"));
        assert!(list("\"\" * RETURN (STATUS)").is_err());
        assert!(list("\"\" * RETURN (STATUS (MESAGES))").unwrap_err().contains("MESAGES"));
        assert!(list("\"\" ()").is_err() && list("\"\"").is_err());
    }
}
