//! IMAP command lines (RFC 9051 §6, grammar §9) ⇄ [`Tagged`] commands, for the subset the
//! playground speaks. Tags, atoms, quoted strings and parenthesized lists are read by a
//! small tokenizer; literals (`{n}`) are refused with BAD and a helpful text.

use super::fetch::{fetch_items, FetchItem};
use super::flag::{canonical_flag, SYSTEM_FLAGS};
pub use super::list_args::ListArgs;
use super::sequence::valid_set_or_saved as valid_set;
pub use super::token::pending_literal;
use super::token::{literal_at_end, tokenize, Token, LITERAL};
use crate::codec::{find_crlf, Decoded};

/// One FETCH data item (RFC 9051 §6.4.5).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    Add,
    Remove,
    Replace,
}

/// STATUS data items (RFC 9051 §6.3.11; RECENT for IMAP4rev1 clients).
pub const STATUS_ITEMS: &[&str] =
    &["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ", "DELETED-STORAGE"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Capability,
    Noop,
    Logout,
    StartTls,
    Login {
        user: String,
        pass: String,
    },
    Authenticate {
        mechanism: String,
        initial: Option<String>,
    },
    Enable(Vec<String>),
    /// SELECT or EXAMINE, with CONDSTORE/QRESYNC parameters (RFC 7162 §3.1.8, §3.2.5).
    Select {
        mailbox: String,
        read_only: bool,
        params: super::condstore::SelectParams,
    },
    /// LIST (RFC 9051 §6.3.9, with LIST-EXTENDED's selection and return options, RFC 5258,
    /// and LIST-STATUS, RFC 5819).
    List(ListArgs),
    /// LSUB (RFC 3501 §6.3.9): the subscribed names matching the pattern.
    Lsub {
        reference: String,
        pattern: String,
    },
    /// CHECK (RFC 3501 §6.4.1): a checkpoint of the selected mailbox.
    Check,
    /// ID (RFC 2971): the client says who it is; the server answers likewise.
    Id,
    /// UID EXPUNGE (RFC 4315 §2.1): expunge only these `\Deleted` UIDs.
    UidExpunge(String),
    /// SORT (RFC 5256 §3): matching messages in the order of the sort keys.
    Sort {
        uid: bool,
        criteria: Vec<String>,
        key: super::search::SearchKey,
    },
    /// THREAD (RFC 5256 §3): matching messages as threads (ORDEREDSUBJECT or REFERENCES).
    Thread {
        uid: bool,
        algorithm: String,
        key: super::search::SearchKey,
    },
    /// GETQUOTAROOT (RFC 9208 §4.3.2) and GETQUOTA (§4.3.1): the account's quota.
    GetQuotaRoot(String),
    GetQuota(String),
    Namespace,
    Fetch {
        uid: bool,
        set: String,
        items: Vec<FetchItem>,
        macro_name: Option<String>,
        /// CHANGEDSINCE and VANISHED (RFC 7162).
        changed_since: Option<u64>,
        vanished: bool,
    },
    Store {
        uid: bool,
        set: String,
        mode: StoreMode,
        silent: bool,
        flags: Vec<String>,
        /// UNCHANGEDSINCE (RFC 7162 §3.1.3).
        unchanged_since: Option<u64>,
    },
    /// `ret`: RFC 4731/9051 RETURN options (MIN, MAX, COUNT, ALL); `charset` if given.
    Search {
        uid: bool,
        charset: Option<String>,
        ret: Option<Vec<String>>,
        key: super::search::SearchKey,
    },
    Expunge,
    Close,
    Unselect,
    Idle,
    Create(String),
    Delete(String),
    Rename(String, String),
    Subscribe(String),
    Unsubscribe(String),
    Status(String, Vec<String>),
    Append {
        mailbox: String,
        flags: Vec<String>,
        /// The internal date the client asked for (Unix seconds).
        date: Option<i64>,
        message: Vec<u8>,
    },
    Copy {
        uid: bool,
        set: String,
        mailbox: String,
        is_move: bool,
    },
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Capability => "CAPABILITY",
            Command::Noop => "NOOP",
            Command::Logout => "LOGOUT",
            Command::StartTls => "STARTTLS",
            Command::Login { .. } => "LOGIN",
            Command::Authenticate { .. } => "AUTHENTICATE",
            Command::Enable(_) => "ENABLE",
            Command::Select { read_only: false, .. } => "SELECT",
            Command::Select { read_only: true, .. } => "EXAMINE",
            Command::List { .. } => "LIST",
            Command::Lsub { .. } => "LSUB",
            Command::Check => "CHECK",
            Command::Id => "ID",
            Command::UidExpunge(_) => "UID EXPUNGE",
            Command::Sort { .. } => "SORT",
            Command::Thread { .. } => "THREAD",
            Command::GetQuotaRoot(_) => "GETQUOTAROOT",
            Command::GetQuota(_) => "GETQUOTA",
            Command::Namespace => "NAMESPACE",
            Command::Fetch { .. } => "FETCH",
            Command::Store { .. } => "STORE",
            Command::Search { .. } => "SEARCH",
            Command::Expunge => "EXPUNGE",
            Command::Close => "CLOSE",
            Command::Unselect => "UNSELECT",
            Command::Idle => "IDLE",
            Command::Create(_) => "CREATE",
            Command::Delete(_) => "DELETE",
            Command::Rename(..) => "RENAME",
            Command::Subscribe(_) => "SUBSCRIBE",
            Command::Unsubscribe(_) => "UNSUBSCRIBE",
            Command::Status(..) => "STATUS",
            Command::Append { .. } => "APPEND",
            Command::Copy { is_move: false, .. } => "COPY",
            Command::Copy { is_move: true, .. } => "MOVE",
        }
    }
}

/// A command with its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    pub tag: String,
    pub command: Command,
}

/// Why a line is not a valid command: the tag (if one could be read) and the BAD text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapError {
    pub tag: Option<String>,
    pub text: String,
}

/// Reads one command from the start of `buf`: a line, or lines joined by literals
/// (`{n}` CRLF and n bytes, RFC 9051 §4.3), until a line that does not end in a literal.
pub fn decode(buf: &[u8]) -> Decoded<Tagged, ImapError> {
    let mut pos = 0;
    let mut text = String::new();
    let mut literals: Vec<Vec<u8>> = Vec::new();
    // The text as the tokenizer reads it: a literal is marked by LITERAL and its index, so
    // a LITERAL byte sent by the client is shown as U+FFFD instead.
    let push_text = |text: &mut String, bytes: &[u8]| {
        text.push_str(&String::from_utf8_lossy(bytes).replace(LITERAL, "\u{FFFD}"));
    };
    loop {
        let Some(rest) = buf.get(pos..) else { return Decoded::Incomplete };
        let Some(len) = find_crlf(rest) else { return Decoded::Incomplete };
        let end = pos.saturating_add(len);
        let line = rest.get(..len.saturating_sub(2)).unwrap_or_default();
        match literal_at_end(line) {
            Some((n, _)) => {
                let Some(literal) = end.checked_add(n).and_then(|stop| buf.get(end..stop)) else {
                    return Decoded::Incomplete;
                };
                let open = line.iter().rposition(|&b| b == b'{').unwrap_or(line.len());
                // `~{n}`: a literal8 (RFC 3516 §4.4, BINARY), which may hold any octet.
                let head = line.get(..open).unwrap_or_default();
                push_text(&mut text, head.strip_suffix(b"~").unwrap_or(head));
                text.push(LITERAL);
                text.push_str(&literals.len().to_string());
                literals.push(literal.to_vec());
                pos = end.saturating_add(n);
            }
            None => {
                push_text(&mut text, line);
                return match parse(&text, &literals) {
                    Ok(t) => Decoded::Complete(t, end),
                    Err(e) => Decoded::Invalid(e, end),
                };
            }
        }
    }
}

/// Search keys as words, parenthesised groups as `(` … `)` words (what [`super::search::parse`] reads).
pub(super) fn flatten_keys(toks: &[Token]) -> Vec<String> {
    fn flatten(t: &Token, out: &mut Vec<String>) {
        match t {
            Token::List(l) => {
                out.push("(".into());
                l.iter().for_each(|x| flatten(x, out));
                out.push(")".into());
            }
            other => out.push(other.text().unwrap_or_default().to_string()),
        }
    }
    let mut flat = Vec::new();
    toks.iter().for_each(|t| flatten(t, &mut flat));
    flat
}

/// The commands this server knows, to tell a command typed without its tag (and a misspelt
/// command in an activity's task).
pub const COMMAND_NAMES: &[&str] = &[
    "CAPABILITY",
    "NOOP",
    "LOGOUT",
    "STARTTLS",
    "AUTHENTICATE",
    "LOGIN",
    "ENABLE",
    "SELECT",
    "EXAMINE",
    "CREATE",
    "DELETE",
    "RENAME",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "LIST",
    "LSUB",
    "NAMESPACE",
    "STATUS",
    "APPEND",
    "IDLE",
    "CHECK",
    "CLOSE",
    "UNSELECT",
    "EXPUNGE",
    "SEARCH",
    "FETCH",
    "STORE",
    "COPY",
    "MOVE",
    "UID",
    "ID",
    "SORT",
    "THREAD",
    "GETQUOTA",
    "GETQUOTAROOT",
];

fn parse(line: &str, literals: &[Vec<u8>]) -> Result<Tagged, ImapError> {
    let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
    if tag.is_empty()
        || tag == "*"
        || tag == "+"
        || !tag.chars().all(|c| c.is_ascii_graphic() && !"(){%\\\"".contains(c))
    {
        return Err(ImapError { tag: None, text: "every command starts with a tag, such as a001".into() });
    }
    let bad = |text: &str| ImapError { tag: Some(tag.to_string()), text: text.to_string() };
    if rest.contains('\0') {
        return Err(bad("NUL is not allowed in a command (RFC 9051 section 9: CHAR8 excludes %x00)"));
    }
    let (name, args) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut name = name.to_ascii_uppercase();
    let toks = tokenize(args).map_err(|e| bad(&e))?;
    // A literal's bytes stay bytes for APPEND; elsewhere they read as a string.
    let raw_literal = |t: &Token| match t {
        Token::Literal(i) => literals.get(*i).cloned(),
        Token::Quoted(q) => Some(q.clone().into_bytes()),
        _ => None,
    };
    // Any astring may be sent as a literal: except for APPEND's message (bytes), read them as strings.
    let toks: Vec<Token> = if name == "APPEND" {
        toks
    } else {
        toks.into_iter()
            .map(|t| match t {
                Token::Literal(i) => Token::Quoted(
                    String::from_utf8_lossy(literals.get(i).map(|v| v.as_slice()).unwrap_or_default()).into_owned(),
                ),
                other => other,
            })
            .collect()
    };
    let mut uid = false;
    let mut toks: &[Token] = &toks;
    if name == "UID" {
        uid = true;
        let Some(Token::Atom(n)) = toks.first() else {
            return Err(bad("UID must be followed by FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE, SORT or THREAD"));
        };
        name = n.to_ascii_uppercase();
        // Only these have UID forms (RFC 9051 §6.4.9; SORT and THREAD, RFC 5256 §3): `UID
        // AUTHENTICATE` was read as AUTHENTICATE (found by the imap_session fuzz target).
        if !["FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE", "SORT", "THREAD"].contains(&name.as_str()) {
            return Err(bad("UID must be followed by FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE, SORT or THREAD"));
        }
        toks = toks.get(1..).unwrap_or_default();
    }
    let text = |i: usize| toks.get(i).and_then(Token::text).map(str::to_string);
    let none = |c: Command| if toks.is_empty() { Ok(c) } else { Err(bad(&format!("{name} takes no arguments"))) };
    let command = match name.as_str() {
        "CAPABILITY" => none(Command::Capability)?,
        "NOOP" => none(Command::Noop)?,
        "LOGOUT" => none(Command::Logout)?,
        "STARTTLS" => none(Command::StartTls)?,
        "NAMESPACE" => none(Command::Namespace)?,
        "EXPUNGE" if !uid => none(Command::Expunge)?,
        "EXPUNGE" => match (text(0), toks.len()) {
            (Some(set), 1) if valid_set(&set) => Command::UidExpunge(set),
            _ => return Err(bad(&set_usage(text(0), "usage: UID EXPUNGE uid-set"))),
        },
        "CHECK" => none(Command::Check)?,
        "ID" => match toks {
            [Token::List(_)] => Command::Id,
            [Token::Atom(n)] if n.eq_ignore_ascii_case("NIL") => Command::Id,
            _ => return Err(bad("usage: ID NIL, or ID (\"name\" \"value\" ...) (RFC 2971)")),
        },
        "LSUB" => match (text(0), text(1), toks.len()) {
            (Some(reference), Some(pattern), 2) => Command::Lsub { reference, pattern },
            _ => return Err(bad("usage: LSUB reference pattern, e.g. LSUB \"\" \"*\"")),
        },
        "GETQUOTAROOT" | "GETQUOTA" => match (text(0), toks.len()) {
            (Some(m), 1) if name == "GETQUOTAROOT" => Command::GetQuotaRoot(m),
            (Some(m), 1) => Command::GetQuota(m),
            _ => return Err(bad(&format!("usage: {name} mailbox"))),
        },
        "SETQUOTA" => return Err(bad("SETQUOTA: the limit is set by the administrator (no SETQUOTA capability)")),
        "SORT" | "THREAD" => super::sort::parse(&name, uid, toks).map_err(|e| bad(&e))?,
        "CLOSE" => none(Command::Close)?,
        "UNSELECT" => none(Command::Unselect)?,
        "IDLE" => none(Command::Idle)?,
        "LOGIN" => match (text(0), text(1), toks.len()) {
            (Some(user), Some(pass), 2) => Command::Login { user, pass },
            _ => return Err(bad("usage: LOGIN user password")),
        },
        "AUTHENTICATE" => match (text(0), toks.len()) {
            (Some(m), 1 | 2) => Command::Authenticate { mechanism: m.to_ascii_uppercase(), initial: text(1) },
            _ => return Err(bad("usage: AUTHENTICATE mechanism [initial-response]")),
        },
        "ENABLE" if !toks.is_empty() => {
            Command::Enable(toks.iter().filter_map(|t| t.text().map(str::to_ascii_uppercase)).collect())
        }
        "SELECT" | "EXAMINE" => match (text(0), toks.len()) {
            (Some(mailbox), 1 | 2) => {
                let params = match toks.get(1) {
                    Some(p) => super::condstore::select_params(p).map_err(|e| bad(&e))?,
                    None => Default::default(),
                };
                Command::Select { mailbox, read_only: name == "EXAMINE", params }
            }
            _ => return Err(bad(&format!("usage: {name} mailbox [(CONDSTORE)]"))),
        },
        "LIST" => Command::List(super::list_args::parse_list(toks).map_err(|e| bad(&e))?),
        "FETCH" => {
            let set = text(0)
                .filter(|s| valid_set(s))
                .ok_or_else(|| bad(&set_usage(text(0), "usage: FETCH sequence-set items, e.g. FETCH 1:* FLAGS")))?;
            let (items, macro_name) =
                fetch_items(toks.get(1).ok_or_else(|| bad("FETCH needs data items"))?).map_err(|e| bad(&e))?;
            let (changed_since, vanished) = match toks.get(2) {
                Some(m) if toks.len() == 3 => super::condstore::fetch_modifiers(m).map_err(|e| bad(&e))?,
                None => (None, false),
                _ => return Err(bad("FETCH takes one item or a parenthesized list")),
            };
            if vanished && !uid {
                return Err(bad("VANISHED is for UID FETCH only (RFC 7162 section 3.2.6)"));
            }
            Command::Fetch { uid, set, items, macro_name, changed_since, vanished }
        }
        "STORE" => {
            let set = text(0)
                .filter(|s| valid_set(s))
                .ok_or_else(|| bad(&set_usage(text(0), "usage: STORE sequence-set +FLAGS (\\Seen)")))?;
            let mut unchanged_since = None;
            let mut toks = toks;
            if let Some(m @ Token::List(_)) = toks.get(1) {
                unchanged_since = Some(super::condstore::store_modifier(m).map_err(|e| bad(&e))?);
                toks = toks.get(1..).unwrap_or_default();
            }
            let text = |i: usize| toks.get(i).and_then(Token::text).map(str::to_string);
            let what = text(1)
                .map(|s| s.to_ascii_uppercase())
                .ok_or_else(|| bad("usage: STORE sequence-set +FLAGS (\\Seen)"))?;
            let (mode, rest) = if let Some(r) = what.strip_prefix('+') {
                (StoreMode::Add, r)
            } else if let Some(r) = what.strip_prefix('-') {
                (StoreMode::Remove, r)
            } else {
                (StoreMode::Replace, what.as_str())
            };
            let silent = match rest {
                "FLAGS" => false,
                "FLAGS.SILENT" => true,
                _ => return Err(bad("STORE changes FLAGS, +FLAGS or -FLAGS (optionally .SILENT)")),
            };
            let flags: Vec<String> = toks
                .get(2..)
                .unwrap_or_default()
                .iter()
                .flat_map(|t| match t {
                    Token::List(l) => l.iter().filter_map(|x| x.text().map(str::to_string)).collect(),
                    other => other.text().map(|s| vec![s.to_string()]).unwrap_or_default(),
                })
                .collect();
            if flags.iter().any(|f| f.starts_with('\\') && !SYSTEM_FLAGS.iter().any(|s| s.eq_ignore_ascii_case(f))) {
                return Err(bad("unknown system flag: the flags are \\Answered \\Flagged \\Deleted \\Seen \\Draft"));
            }
            let flags = flags.iter().map(|f| canonical_flag(f)).collect();
            Command::Store { uid, set, mode, silent, flags, unchanged_since }
        }
        "SEARCH" => {
            let mut rest: &[Token] = toks;
            let mut ret = None;
            if let [Token::Atom(r), Token::List(opts), tail @ ..] = rest {
                if r.eq_ignore_ascii_case("RETURN") {
                    let o: Vec<String> = opts.iter().filter_map(|o| o.text().map(str::to_ascii_uppercase)).collect();
                    if let Some(o) = o.iter().find(|o| !["MIN", "MAX", "COUNT", "ALL", "SAVE"].contains(&o.as_str())) {
                        return Err(bad(&format!(
                            "unknown RETURN option {o}: MIN, MAX, COUNT, ALL and SAVE are known"
                        )));
                    }
                    ret = Some(o);
                    rest = tail;
                }
            }
            let mut charset = None;
            if let [Token::Atom(c), cs, tail @ ..] = rest {
                if c.eq_ignore_ascii_case("CHARSET") {
                    charset = cs.text().map(str::to_string);
                    rest = tail;
                }
            }
            let flat = flatten_keys(rest);
            Command::Search { uid, charset, ret, key: super::search::parse(&flat).map_err(|e| bad(&e))? }
        }
        "CREATE" | "DELETE" | "SUBSCRIBE" | "UNSUBSCRIBE" => {
            let m = text(0)
                .or_else(|| toks.first().and_then(raw_literal).map(|b| String::from_utf8_lossy(&b).into_owned()));
            match (m, toks.len()) {
                (Some(m), 1) if !m.is_empty() => match name.as_str() {
                    "CREATE" => Command::Create(m),
                    "DELETE" => Command::Delete(m),
                    "SUBSCRIBE" => Command::Subscribe(m),
                    _ => Command::Unsubscribe(m),
                },
                _ => return Err(bad(&format!("usage: {name} mailbox"))),
            }
        }
        "RENAME" => match (text(0), text(1), toks.len()) {
            (Some(a), Some(b), 2) => Command::Rename(a, b),
            _ => return Err(bad("usage: RENAME old-name new-name")),
        },
        "STATUS" => match (text(0), toks.get(1), toks.len()) {
            (Some(m), Some(Token::List(items)), 2) => {
                let items: Vec<String> = items.iter().filter_map(|t| t.text().map(str::to_ascii_uppercase)).collect();
                if let Some(i) = items.iter().find(|i| !STATUS_ITEMS.contains(&i.as_str())) {
                    return Err(bad(&format!("unknown STATUS item {i}: {} are known", STATUS_ITEMS.join(", "))));
                }
                Command::Status(m, items)
            }
            _ => return Err(bad("usage: STATUS mailbox (MESSAGES UIDNEXT UNSEEN UIDVALIDITY)")),
        },
        "APPEND" => {
            let mailbox = text(0).ok_or_else(|| bad("usage: APPEND mailbox [(flags)] [date-time] message-literal"))?;
            let message = toks
                .last()
                .filter(|_| toks.len() >= 2)
                .and_then(raw_literal)
                .ok_or_else(|| bad("APPEND needs the message as a literal {n}"))?;
            let flags = match toks.get(1) {
                Some(Token::List(l)) => l.iter().filter_map(|t| t.text().map(canonical_flag)).collect(),
                _ => vec![],
            };
            // The optional date-time (RFC 9051 §6.3.12): the message's internal date.
            let date = match toks.get(toks.len().saturating_sub(2)) {
                Some(Token::Quoted(d)) if toks.len() >= 3 => Some(
                    super::search::parse_date_time(d)
                        .ok_or_else(|| bad("APPEND's date-time is like \"30-Nov-2026 09:00:00 +0100\""))?,
                ),
                _ => None,
            };
            Command::Append { mailbox, flags, date, message }
        }
        "COPY" | "MOVE" => match (text(0), text(1), toks.len()) {
            (Some(set), Some(mailbox), 2) if valid_set(&set) => {
                Command::Copy { uid, set, mailbox, is_move: name == "MOVE" }
            }
            _ => return Err(bad(&set_usage(text(0), &format!("usage: {name} sequence-set mailbox")))),
        },
        // `login bob pw` or `logout` typed without a tag: the command was read as the tag.
        _ if COMMAND_NAMES.contains(&tag.to_ascii_uppercase().as_str()) => {
            let verb = tag.to_ascii_uppercase();
            return Err(bad(&format!(
                "{verb} was read as the tag: every command starts with a tag of the client's choosing, then the command, e.g. a1 {verb}{} (RFC 9051 section 2.2.1)",
                if rest.is_empty() { "" } else { " ..." }
            )));
        }
        "" if rest.starts_with(' ') => {
            return Err(bad("one space between the tag and the command (RFC 9051 section 9)"))
        }
        "" => return Err(bad("missing command after the tag")),
        _ => return Err(bad(&format!("unknown command {name}"))),
    };
    Ok(Tagged { tag: tag.to_string(), command })
}

/// The BAD text for a command whose sequence set is wrong: it says so when the set names 0.
fn set_usage(set: Option<String>, usage: &str) -> String {
    match set {
        Some(s) if super::sequence::names_zero(&s) => {
            format!("message numbers and UIDs start at 1, not 0 (RFC 9051 section 9); {usage}")
        }
        _ => usage.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Tagged {
        match decode(format!("{line}\r\n").as_bytes()) {
            Decoded::Complete(t, _) => t,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn the_lectures_commands() {
        assert_eq!(ok("a000 starttls").command, Command::StartTls);
        assert_eq!(
            ok("a001 AUTHENTICATE SCRAM-SHA-256").command,
            Command::Authenticate { mechanism: "SCRAM-SHA-256".into(), initial: None }
        );
        assert_eq!(ok("babc ENABLE IMAP4rev2").command, Command::Enable(vec!["IMAP4REV2".into()]));
        assert_eq!(
            ok("a002 select inbox").command,
            Command::Select { mailbox: "inbox".into(), read_only: false, params: Default::default() }
        );
        assert!(matches!(ok("a003 fetch 12 full").command, Command::Fetch { ref items, .. } if items.len() == 5));
        assert!(
            matches!(ok("a004 fetch 12 body[header]").command, Command::Fetch { ref items, .. } if items == &[FetchItem::Section { peek: false, section: "HEADER".into(), legacy: None, partial: None }])
        );
        assert_eq!(
            ok("a005 store 12 +flags \\deleted").command,
            Command::Store {
                uid: false,
                set: "12".into(),
                mode: StoreMode::Add,
                silent: false,
                flags: vec!["\\Deleted".into()],
                unchanged_since: None,
            }
        );
        assert_eq!(ok("a006 logout").command, Command::Logout);
        assert_eq!(ok("x LOGIN \"bob\" \"p w\"").command, Command::Login { user: "bob".into(), pass: "p w".into() });
        assert!(matches!(ok("x UID FETCH 1:* (FLAGS BODY.PEEK[])").command, Command::Fetch { uid: true, .. }));
    }

    #[test]
    fn bad_lines_get_bad_with_the_tag() {
        for (line, tag) in [
            ("a1 FROB", Some("a1")),
            ("a1", Some("a1")),
            ("* LOGIN x y", None),
            ("a1 FETCH x FLAGS", Some("a1")),
            ("a1 STORE 1 FLAGZ (\\Seen)", Some("a1")),
            ("a1 SELECT", Some("a1")),
            ("a1 FETCH 1 (FLAGS", Some("a1")),
        ] {
            match decode(format!("{line}\r\n").as_bytes()) {
                Decoded::Invalid(e, _) => assert_eq!(e.tag.as_deref(), tag, "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        // Message number 0: the reply says numbers start at 1, then the usage.
        for (line, usage) in [
            ("a1 FETCH 0 FLAGS", "usage: FETCH sequence-set items, e.g. FETCH 1:* FLAGS"),
            ("a1 fetch 0:3 (FLAGS)", "usage: FETCH sequence-set items, e.g. FETCH 1:* FLAGS"),
            ("a1 STORE 2,00 +FLAGS (\\Seen)", "usage: STORE sequence-set +FLAGS (\\Seen)"),
            ("a1 UID COPY 0 Trash", "usage: COPY sequence-set mailbox"),
            ("a1 UID EXPUNGE 0", "usage: UID EXPUNGE uid-set"),
        ] {
            match decode(format!("{line}\r\n").as_bytes()) {
                Decoded::Invalid(e, _) => assert_eq!(
                    e.text,
                    format!("message numbers and UIDs start at 1, not 0 (RFC 9051 section 9); {usage}"),
                    "{line}"
                ),
                other => panic!("{line}: {other:?}"),
            }
        }
        // Not 0: the usage alone; 10 and 1:20 are not 0.
        match decode(b"a1 FETCH x FLAGS\r\n") {
            Decoded::Invalid(e, _) => assert_eq!(e.text, "usage: FETCH sequence-set items, e.g. FETCH 1:* FLAGS"),
            other => panic!("{other:?}"),
        }
        assert!(!crate::imap::sequence::names_zero("10,1:20,*"));
        assert!(crate::imap::sequence::names_zero("5:0"));
        // A command typed without its tag: the reply says so (and never repeats a password).
        for (line, text) in [
            ("login bob secret", "LOGIN was read as the tag: every command starts with a tag of the client's choosing, then the command, e.g. a1 LOGIN ... (RFC 9051 section 2.2.1)"),
            ("logout", "LOGOUT was read as the tag: every command starts with a tag of the client's choosing, then the command, e.g. a1 LOGOUT (RFC 9051 section 2.2.1)"),
            ("Select INBOX", "SELECT was read as the tag: every command starts with a tag of the client's choosing, then the command, e.g. a1 SELECT ... (RFC 9051 section 2.2.1)"),
        ] {
            match decode(format!("{line}\r\n").as_bytes()) {
                Decoded::Invalid(e, _) => assert_eq!(e.text, text, "{line}"),
                other => panic!("{line}: {other:?}"),
            }
        }
        assert_eq!(decode(b"a1 LOGIN {5}\r\nbo"), Decoded::Incomplete);
        assert_eq!(pending_literal(b"a1 LOGIN {5}\r\nbo"), Some((5, true, 14)));
        assert_eq!(
            decode(b"a1 LOGIN {3}\r\nbob pw\r\n"),
            Decoded::Complete(
                Tagged { tag: "a1".into(), command: Command::Login { user: "bob".into(), pass: "pw".into() } },
                22
            )
        );
        for n in 0..9 {
            assert_eq!(decode(&b"a1 NOOP\r\n"[..n]), Decoded::Incomplete);
        }
    }
}
