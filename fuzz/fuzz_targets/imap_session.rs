//! IMAP sessions made of well-formed commands with arbitrary arguments, one line at a time:
//! every tagged command gets exactly one tagged reply (RFC 9051 §2.2.2), in order, unless the
//! session ended on it; LOGOUT always gets its OK; nothing comes after the session ended.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::HostDriver;

#[derive(Debug, Arbitrary)]
enum Set {
    One(u8),
    Range(u8, u8),
    All,
    Last,
    Big(u32),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum Cmd {
    Capability,
    Noop,
    Login(bool),
    Select(bool),
    Examine,
    Create(u8),
    Delete(u8),
    Rename(u8, u8),
    List(String),
    Status(u8),
    Fetch(bool, Set, u8),
    Store(bool, Set, u8, u8),
    Copy(bool, Set, u8),
    Move(bool, Set, u8),
    Search(bool, u8, String),
    Expunge,
    UidExpunge(Set),
    Close,
    Unselect,
    Namespace,
    Enable,
    Id,
    Logout,
    Raw(String),
}

fn set(s: &Set) -> String {
    match s {
        Set::One(n) => n.to_string(),
        Set::Range(a, b) => format!("{a}:{b}"),
        Set::All => "1:*".into(),
        Set::Last => "*".into(),
        Set::Big(n) => format!("{n}:*"),
        Set::Raw(r) => clean(r),
    }
}

/// Printable ASCII without CR, LF and braces (no literals: the line is the whole command).
fn clean(s: &str) -> String {
    let t: String = s.chars().filter(|c| (' '..='~').contains(c) && *c != '{' && *c != '}').take(60).collect();
    if t.trim().is_empty() {
        "x".into()
    } else {
        t
    }
}

const FOLDERS: [&str; 4] = ["INBOX", "Work", "Work/Old", "\"Sent Items\""];
const ITEMS: [&str; 6] =
    ["FLAGS", "(UID FLAGS RFC822.SIZE)", "BODY.PEEK[]", "BODYSTRUCTURE", "ENVELOPE", "BODY[HEADER.FIELDS (SUBJECT)]"];
const FLAGS: [&str; 4] = ["\\Seen", "\\Deleted", "\\Flagged", "$Junk"];
const KEYS: [&str; 6] = ["ALL", "UNSEEN", "DELETED", "FROM alice", "SUBJECT", "OR SEEN FLAGGED"];

fn line(c: &Cmd) -> String {
    let f = |i: &u8| FOLDERS[*i as usize % FOLDERS.len()];
    let uid = |u: &bool| if *u { "UID " } else { "" };
    match c {
        Cmd::Capability => "CAPABILITY".into(),
        Cmd::Noop => "NOOP".into(),
        Cmd::Login(ok) => format!("LOGIN bob {}", if *ok { "bob-pw" } else { "nope" }),
        Cmd::Select(inbox) => format!("SELECT {}", if *inbox { "INBOX" } else { "Work" }),
        Cmd::Examine => "EXAMINE INBOX".into(),
        Cmd::Create(i) => format!("CREATE {}", f(i)),
        Cmd::Delete(i) => format!("DELETE {}", f(i)),
        Cmd::Rename(a, b) => format!("RENAME {} {}", f(a), f(b)),
        Cmd::List(p) => format!("LIST \"\" \"{}\"", clean(p).replace('"', "").replace('\\', "")),
        Cmd::Status(i) => format!("STATUS {} (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)", f(i)),
        Cmd::Fetch(u, s, i) => format!("{}FETCH {} {}", uid(u), set(s), ITEMS[*i as usize % ITEMS.len()]),
        Cmd::Store(u, s, op, fl) => {
            let op = ["+FLAGS", "-FLAGS", "FLAGS", "+FLAGS.SILENT"][*op as usize % 4];
            format!("{}STORE {} {op} ({})", uid(u), set(s), FLAGS[*fl as usize % FLAGS.len()])
        }
        Cmd::Copy(u, s, i) => format!("{}COPY {} {}", uid(u), set(s), f(i)),
        Cmd::Move(u, s, i) => format!("{}MOVE {} {}", uid(u), set(s), f(i)),
        Cmd::Search(u, k, extra) => {
            let k = KEYS[*k as usize % KEYS.len()];
            let extra =
                if k == "SUBJECT" { format!(" \"{}\"", clean(extra).replace(['"', '\\'], "")) } else { String::new() };
            format!("{}SEARCH {k}{extra}", uid(u))
        }
        Cmd::Expunge => "EXPUNGE".into(),
        Cmd::UidExpunge(s) => format!("UID EXPUNGE {}", set(s)),
        Cmd::Close => "CLOSE".into(),
        Cmd::Unselect => "UNSELECT".into(),
        Cmd::Namespace => "NAMESPACE".into(),
        Cmd::Enable => "ENABLE IMAP4rev2".into(),
        Cmd::Id => "ID NIL".into(),
        Cmd::Logout => "LOGOUT".into(),
        Cmd::Raw(r) => {
            // Any command word with any arguments, but not the ones that take more lines.
            let r = clean(r);
            let w = r.split(' ').next().unwrap_or("").to_ascii_uppercase();
            if ["IDLE", "AUTHENTICATE", "APPEND", "STARTTLS"].contains(&w.as_str()) {
                "NOOP".into()
            } else {
                r
            }
        }
    }
}

fuzz_target!(|cmds: Vec<Cmd>| {
    let mut d = HostDriver::new();
    let Some(_greeting) = d.open(143) else { return };
    for (i, c) in cmds.iter().take(40).enumerate() {
        let tag = format!("t{i:03}");
        let was_closed = d.host.session_closed(1);
        let out = d.send(1, format!("{tag} {}\r\n", line(c)).as_bytes());
        let text = String::from_utf8_lossy(&out);
        // One pass over the reply lines, the tag's prefix made once (not per line).
        let prefix = format!("{tag} ");
        let (mut tagged, mut other_tags) = (0, 0);
        for l in text.split("\r\n") {
            if let Some(rest) = l.strip_prefix(&prefix) {
                tagged += usize::from(rest.starts_with(['O', 'N', 'B']));
            } else if l.starts_with('t') && l.len() > 4 && l.as_bytes()[1..4].iter().all(u8::is_ascii_digit) {
                other_tags += usize::from(!l.starts_with(&tag));
            }
        }
        assert_eq!(other_tags, 0, "a reply with another tag: {text}");
        if was_closed {
            assert!(out.is_empty());
            continue;
        }
        let ended = d.host.session_closed(1);
        if matches!(c, Cmd::Logout) {
            assert_eq!(tagged, 1, "{tag} LOGOUT: {text}");
            assert!(ended);
        } else if ended {
            assert!(tagged <= 1, "{tag} {}: {text}", line(c));
        } else {
            assert_eq!(tagged, 1, "{tag} {}: {text}", line(c));
        }
    }
});
