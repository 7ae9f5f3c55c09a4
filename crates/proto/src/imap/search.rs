//! SEARCH criteria (RFC 9051 §6.4.4, RFC 3501 §6.4.4): parsed into a tree once, so a key
//! the server does not know gets `BAD` with the key's name instead of silently matching
//! nothing, and evaluated against each message of the selected mailbox.

use super::flag::canonical_flag;
use super::sequence::{set_contains, valid_set_or_saved as valid_set};
use crate::limits::SEARCH_NESTING;
use crate::store::StoredMessage;

/// One search key; a list of keys is their AND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey {
    All,
    /// A flag the message has (`SEEN`, `KEYWORD x`) or has not (`UNSEEN`, `UNKEYWORD x`).
    Flag {
        flag: String,
        set: bool,
    },
    /// `FROM`, `TO`, `CC`, `BCC`, `SUBJECT`, `HEADER name value`: substring of the field.
    Header {
        field: String,
        value: String,
    },
    Body(String),
    Text(String),
    Larger(u64),
    Smaller(u64),
    /// `BEFORE`/`ON`/`SINCE` compare the internal date; `SENT*` the `Date:` field, by day.
    Date {
        sent: bool,
        cmp: std::cmp::Ordering,
        or_equal: bool,
        day: i64,
    },
    Uid(String),
    Sequence(String),
    /// `MODSEQ n` (RFC 7162 §3.1.5): changed at or after mod-sequence n.
    ModSeq(u64),
    /// IMAP4rev1's `RECENT` (true) / `OLD` (false) (RFC 3501 §6.4.4); `NEW` is RECENT UNSEEN.
    Recent(bool),
    Not(Box<SearchKey>),
    Or(Box<SearchKey>, Box<SearchKey>),
    And(Vec<SearchKey>),
}

/// Parses the SEARCH arguments (parenthesised groups arrive as `(` … `)` tokens).
pub fn parse(tokens: &[String]) -> Result<SearchKey, String> {
    let mut pos = 0;
    let mut keys = Vec::new();
    while pos < tokens.len() {
        keys.push(parse_key(tokens, &mut pos, 0)?);
    }
    match keys.len() {
        0 => Err("SEARCH needs at least one key, such as ALL, UNSEEN or FROM \"alice\"".into()),
        1 => Ok(keys.remove(0)),
        _ => Ok(SearchKey::And(keys)),
    }
}

/// One key at `t[*pos]`, `depth` groups, NOTs and ORs deep (at most [`SEARCH_NESTING`]).
fn parse_key(t: &[String], pos: &mut usize, depth: usize) -> Result<SearchKey, String> {
    if depth >= SEARCH_NESTING {
        return Err(format!("search keys nest too deep: the limit here is {SEARCH_NESTING} levels of OR, NOT and ()"));
    }
    let inner = depth.saturating_add(1);
    let key = t.get(*pos).ok_or("a search key is missing")?.clone();
    *pos += 1;
    let mut arg = |what: &str| -> Result<String, String> {
        let a = t
            .get(*pos)
            .filter(|a| a.as_str() != "(" && a.as_str() != ")")
            .ok_or(format!("{} needs {what}", key.to_ascii_uppercase()))?
            .clone();
        *pos += 1;
        Ok(a)
    };
    let flag = |f: &str, set: bool| SearchKey::Flag { flag: f.to_string(), set };
    let upper = key.to_ascii_uppercase();
    Ok(match upper.as_str() {
        "(" => {
            let mut keys = Vec::new();
            while t.get(*pos).map(String::as_str) != Some(")") {
                if *pos >= t.len() {
                    return Err("a parenthesised group of keys is not closed".into());
                }
                keys.push(parse_key(t, pos, inner)?);
            }
            *pos += 1;
            SearchKey::And(keys)
        }
        ")" => return Err("a ')' closes no group".into()),
        "ALL" => SearchKey::All,
        "ANSWERED" | "DELETED" | "DRAFT" | "FLAGGED" | "SEEN" => flag(&canonical_flag(&format!("\\{upper}")), true),
        "UNANSWERED" | "UNDELETED" | "UNDRAFT" | "UNFLAGGED" | "UNSEEN" => flag(&canonical_flag(&format!("\\{}", &upper[2..])), false),
        "KEYWORD" => flag(&arg("a keyword")?, true),
        "UNKEYWORD" => flag(&arg("a keyword")?, false),
        "FROM" | "TO" | "CC" | "BCC" | "SUBJECT" => SearchKey::Header { field: upper.clone(), value: arg("a string")? },
        "HEADER" => {
            let field = arg("a field name and a string")?;
            SearchKey::Header { field, value: arg("a field name and a string")? }
        }
        "BODY" => SearchKey::Body(arg("a string")?),
        "TEXT" => SearchKey::Text(arg("a string")?),
        "LARGER" | "SMALLER" => {
            let n: u64 = arg("a size in octets")?.parse().map_err(|_| format!("{upper} needs a size in octets, such as 1000"))?;
            if upper == "LARGER" { SearchKey::Larger(n) } else { SearchKey::Smaller(n) }
        }
        "BEFORE" | "ON" | "SINCE" | "SENTBEFORE" | "SENTON" | "SENTSINCE" => {
            let d = arg("a date such as 1-Feb-2026")?;
            let day = parse_date(&d).ok_or(format!("{upper} needs a date such as 1-Feb-2026 (day-month-year), not {d}"))?;
            let sent = upper.starts_with("SENT");
            let (cmp, or_equal) = match upper.trim_start_matches("SENT") {
                "BEFORE" => (std::cmp::Ordering::Less, false),
                "ON" => (std::cmp::Ordering::Equal, true),
                _ => (std::cmp::Ordering::Greater, true),
            };
            SearchKey::Date { sent, cmp, or_equal, day }
        }
        "UID" => {
            let set = arg("a UID set such as 1:*")?;
            if !valid_set(&set) {
                return Err(format!("{set} is not a sequence set such as 1:5,7 or 3:*"));
            }
            SearchKey::Uid(set)
        }
        "NOT" => SearchKey::Not(Box::new(parse_key(t, pos, inner)?)),
        "OR" => {
            let a = parse_key(t, pos, inner)?;
            SearchKey::Or(Box::new(a), Box::new(parse_key(t, pos, inner)?))
        }
        "MODSEQ" => {
            // MODSEQ ["/flags/\\Seen" priv|shared|all] n: the entry is accepted, not used.
            let mut a = arg("a mod-sequence")?;
            if a.parse::<u64>().is_err() {
                arg("an entry type (priv, shared or all)")?;
                a = arg("a mod-sequence")?;
            }
            SearchKey::ModSeq(a.parse().map_err(|_| format!("MODSEQ needs a number, not {a}"))?)
        }
        "RECENT" => SearchKey::Recent(true),
        "OLD" => SearchKey::Recent(false),
        "NEW" => SearchKey::And(vec![SearchKey::Recent(true), flag("\\Seen", false)]),
        _ if valid_set(&key) => SearchKey::Sequence(key),
        _ => return Err(format!("unknown search key {key}: try ALL, SEEN, UNSEEN, FLAGGED, FROM, TO, SUBJECT, BODY, TEXT, LARGER, SINCE, NOT, OR")),
    })
}

/// `1-Feb-2026` (RFC 9051 `date`) to days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim_matches('"');
    let mut it = s.split('-');
    let (d, m, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    let day: u32 = d.parse().ok().filter(|d| (1..=31).contains(d))?;
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let month = MONTHS.iter().position(|x| x.eq_ignore_ascii_case(m))? as u32 + 1;
    let year: i64 = y.parse().ok().filter(|_| y.len() == 4)?;
    Some(days_from_civil(year, month, day))
}

/// `30-Nov-2026 09:00:00 +0100` (RFC 9051 `date-time`, the day may be ` 1`) to Unix seconds.
pub fn parse_date_time(s: &str) -> Option<i64> {
    let mut it = s.split_whitespace();
    let (date, time, zone) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || zone.len() != 5 {
        return None;
    }
    let days = parse_date(date)?;
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().ok().filter(|_| p.len() == 2)).collect::<Option<_>>()?;
    let [h, m, sec] = hms[..] else { return None };
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let sign = match &zone[..1] {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let (zh, zm): (i64, i64) = (zone[1..3].parse().ok()?, zone[3..].parse().ok()?);
    Some(days * 86_400 + h * 3600 + m * 60 + sec - sign * (zh * 3600 + zm * 60))
}

/// Howard Hinnant's `days_from_civil`.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// What a key is checked against: the message, its sequence number, and the largest
/// sequence number and UID (for `*`), whether it is `\Recent`, and the UIDs `$` stands for.
pub struct Candidate<'a> {
    pub message: &'a StoredMessage,
    pub seq: u32,
    pub max_seq: u32,
    pub max_uid: u32,
    pub recent: bool,
    pub saved: &'a [u32],
}

impl SearchKey {
    /// Does the key use IMAP4rev1's `\Recent` (RECENT, NEW, OLD)?
    pub fn uses_recent(&self) -> bool {
        match self {
            SearchKey::Recent(_) => true,
            SearchKey::Not(k) => k.uses_recent(),
            SearchKey::Or(a, b) => a.uses_recent() || b.uses_recent(),
            SearchKey::And(ks) => ks.iter().any(SearchKey::uses_recent),
            _ => false,
        }
    }

    /// Does the key use MODSEQ (which turns CONDSTORE on, RFC 7162 §3.1)?
    pub fn uses_modseq(&self) -> bool {
        match self {
            SearchKey::ModSeq(_) => true,
            SearchKey::Not(k) => k.uses_modseq(),
            SearchKey::Or(a, b) => a.uses_modseq() || b.uses_modseq(),
            SearchKey::And(ks) => ks.iter().any(SearchKey::uses_modseq),
            _ => false,
        }
    }

    /// The sequence sets in the key (each must stay within EXISTS).
    pub fn sequence_sets(&self) -> Vec<&str> {
        match self {
            SearchKey::Sequence(s) => vec![s.as_str()],
            SearchKey::Not(k) => k.sequence_sets(),
            SearchKey::Or(a, b) => [a.sequence_sets(), b.sequence_sets()].concat(),
            SearchKey::And(ks) => ks.iter().flat_map(SearchKey::sequence_sets).collect(),
            _ => vec![],
        }
    }
}

/// The addresses of a header field as a client shows them (`Name <local@domain>`), with
/// comments and encoded words read: what FROM, TO, CC and BCC also match against.
fn address_text(data: &[u8], field: &str) -> Option<String> {
    use mail_parser::{Address, HeaderName};
    let msg = mail_parser::MessageParser::default().parse_headers(data)?;
    let name = match field {
        "FROM" => HeaderName::From,
        "TO" => HeaderName::To,
        "CC" => HeaderName::Cc,
        "BCC" => HeaderName::Bcc,
        _ => return None,
    };
    let one = |a: &mail_parser::Addr| {
        format!("{} <{}>", a.name.as_deref().unwrap_or_default(), a.address.as_deref().unwrap_or_default())
    };
    let addrs = msg.header(name)?.as_address()?;
    Some(match addrs {
        Address::List(l) => l.iter().map(one).collect::<Vec<_>>().join(", "),
        Address::Group(g) => g
            .iter()
            .map(|g| {
                format!(
                    "{}: {}",
                    g.name.as_deref().unwrap_or_default(),
                    g.addresses.iter().map(one).collect::<Vec<_>>().join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    })
}

impl SearchKey {
    pub fn matches(&self, c: &Candidate) -> bool {
        let m = c.message;
        let lower = |b: &[u8]| String::from_utf8_lossy(b).to_lowercase();
        match self {
            SearchKey::All => true,
            SearchKey::Flag { flag, set } => m.flags.iter().any(|f| f.eq_ignore_ascii_case(flag)) == *set,
            SearchKey::Header { field, value } => {
                let v = value.to_lowercase();
                let body = super::fetch::section(&m.data, "HEADER");
                // Every occurrence of the field, unfolded (RFC 5322 §2.2.3).
                let unfolded = String::from_utf8_lossy(body).replace("\r\n ", " ").replace("\r\n\t", " ");
                unfolded
                    .split("\r\n")
                    .filter_map(|l| l.split_once(':'))
                    .any(|(n, val)| n.trim().eq_ignore_ascii_case(field) && val.to_lowercase().contains(&v))
                    || address_text(&m.data, field).is_some_and(|t| t.to_lowercase().contains(&v))
            }
            SearchKey::Body(s) => lower(super::fetch::section(&m.data, "TEXT")).contains(&s.to_lowercase()),
            SearchKey::Text(s) => lower(&m.data).contains(&s.to_lowercase()),
            SearchKey::Larger(n) => m.data.len() as u64 > *n,
            SearchKey::Smaller(n) => (m.data.len() as u64) < *n,
            SearchKey::Date { sent, cmp, or_equal, day } => {
                // SENT*: the date of the Date: field as written, in its own time zone
                // (RFC 9051 §6.4.4: "disregarding time and timezone").
                let date = if *sent {
                    match mail_parser::MessageParser::default().parse_headers(&m.data).and_then(|p| {
                        p.date().map(|d| days_from_civil(i64::from(d.year), u32::from(d.month), u32::from(d.day)))
                    }) {
                        Some(t) => t,
                        None => return false,
                    }
                } else {
                    m.internal_date.div_euclid(86_400)
                };
                let d = date.cmp(day);
                d == *cmp || (*or_equal && d == std::cmp::Ordering::Equal)
            }
            SearchKey::Uid(set) | SearchKey::Sequence(set) if set == "$" => c.saved.contains(&m.uid),
            SearchKey::Uid(set) => set_contains(set, m.uid, c.max_uid),
            SearchKey::Sequence(set) => set_contains(set, c.seq, c.max_seq),
            SearchKey::Recent(r) => c.recent == *r,
            SearchKey::ModSeq(n) => m.modseq >= *n,
            SearchKey::Not(k) => !k.matches(c),
            SearchKey::Or(a, b) => a.matches(c) || b.matches(c),
            SearchKey::And(ks) => ks.iter().all(|k| k.matches(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.replace('(', " ( ").replace(')', " ) ").split_whitespace().map(str::to_string).collect()
    }

    fn msg(uid: u32, data: &str, flags: &[&str], internal_date: i64) -> StoredMessage {
        StoredMessage {
            uid,
            data: data.as_bytes().to_vec(),
            flags: flags.iter().map(|f| f.to_string()).collect(),
            internal_date,
            modseq: u64::from(uid),
        }
    }

    fn hits(keys: &str, msgs: &[StoredMessage]) -> Vec<u32> {
        let k = parse(&toks(keys)).unwrap();
        let max_uid = msgs.iter().map(|m| m.uid).max().unwrap_or(0);
        msgs.iter()
            .enumerate()
            .filter(|(i, m)| {
                k.matches(&Candidate {
                    message: m,
                    seq: *i as u32 + 1,
                    max_seq: msgs.len() as u32,
                    max_uid,
                    recent: m.uid == 12,
                    saved: &[10, 12],
                })
            })
            .map(|(_, m)| m.uid)
            .collect()
    }

    #[test]
    fn keys_combine_with_and_or_not_and_groups() {
        let day = 86_400;
        let msgs = [
            msg(10, "From: Alice <alice@alice.example>\r\nSubject: Lunch\r\nDate: Sun, 1 Feb 2026 10:00:00 +0000\r\n\r\nFriday?\r\n", &["\\Seen"], 20_485 * day),
            msg(11, "From: bob@bob.example\r\nCc: Carol\r\n <carol@bob.example>\r\nSubject: Re: Lunch\r\n\r\nYes, Friday.\r\n", &[], 20_486 * day),
            msg(12, "From: carol@bob.example\r\nSubject: Report\r\n\r\nSee the attachment of many many many bytes.\r\n", &["\\Flagged", "$Work"], 20_490 * day),
        ];
        assert_eq!(hits("UNSEEN", &msgs), [11, 12]);
        assert_eq!(hits("OR FROM alice FLAGGED", &msgs), [10, 12]);
        assert_eq!(hits("NOT (SUBJECT lunch)", &msgs), [12]);
        assert_eq!(hits("(OR SEEN FLAGGED) NOT FROM carol", &msgs), [10]);
        assert_eq!(hits("CC carol", &msgs), [11], "a folded field still matches");
        assert_eq!(hits("HEADER subject re:", &msgs), [11]);
        assert_eq!(hits("KEYWORD $work", &msgs), [12]);
        assert_eq!(hits("LARGER 90", &msgs), [10, 11]);
        assert_eq!(hits("SMALLER 90", &msgs), [12]);
        assert_eq!(hits("SINCE 2-Feb-2026", &msgs), [11, 12]);
        assert_eq!(hits("BEFORE 2-Feb-2026", &msgs), [10]);
        assert_eq!(hits("ON 6-Feb-2026", &msgs), [12]);
        assert_eq!(hits("SENTON 1-Feb-2026", &msgs), [10], "only the message with a Date field");
        assert_eq!(hits("2:* UID 11:12", &msgs), [11, 12]);
        assert_eq!(hits("UID *", &msgs), [12]);
        assert_eq!(hits("BODY friday", &msgs), [10, 11]);
        assert_eq!(hits("RECENT", &msgs), [12]);
        assert_eq!(hits("NEW", &msgs), [12]);
        assert_eq!(hits("OLD", &msgs), [10, 11]);
        assert_eq!(hits("$", &msgs), [10, 12], "$ is the saved result (RFC 5182)");
        assert_eq!(hits("UID $ NOT 1", &msgs), [12]);
        assert_eq!(hits("MODSEQ 11", &msgs), [11, 12], "modseq is the uid here");
        assert_eq!(hits("MODSEQ \"/flags/\\\\seen\" all 12", &msgs), [12]);
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(parse(&toks("FROMM alice")).unwrap_err().contains("unknown search key FROMM"));
        assert!(parse(&toks("SINCE yesterday")).unwrap_err().contains("1-Feb-2026"));
        assert!(parse(&toks("OR SEEN")).is_err());
        assert!(parse(&toks("(SEEN")).unwrap_err().contains("not closed"));
        assert!(parse(&toks("RECENT")).unwrap().uses_recent());
        assert!(parse(&toks("LARGER big")).is_err());
        assert!(parse(&[]).is_err());
        assert_eq!(parse_date("1-Jan-1970"), Some(0));
        assert_eq!(parse_date("29-Feb-2024"), Some(19_782));
        assert_eq!(parse_date_time(" 1-Jan-1970 01:00:00 +0100"), Some(0));
        assert_eq!(parse_date_time("01-Jan-1970 00:00:10 -0001"), Some(70));
        assert!(parse_date_time("1-Jan-1970 1:00:00 +0100").is_none() && parse_date_time("1-Jan-1970").is_none());
        let deep = format!("{}SEEN{}", "OR SEEN ".repeat(10_000), "");
        assert!(parse(&toks(&deep)).unwrap_err().contains("nest too deep"));
        let nots = format!("{}SEEN", "NOT ".repeat(SEARCH_NESTING - 1));
        assert!(parse(&toks(&nots)).is_ok());
    }
}
