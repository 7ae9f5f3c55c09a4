//! SORT and THREAD (RFC 5256): the arguments, the base subject (§2.1), the sort keys (§3)
//! and the ORDEREDSUBJECT and REFERENCES threading algorithms (§4).

use super::command::{flatten_keys, Command};
use super::token::Token;
use crate::message;
use crate::store::StoredMessage;
use std::cmp::Ordering;
use std::collections::BTreeMap;

const KEYS: [&str; 8] = ["ARRIVAL", "CC", "DATE", "FROM", "REVERSE", "SIZE", "SUBJECT", "TO"];

/// `SORT (criteria) charset search` or `THREAD algorithm charset search`.
pub fn parse(name: &str, uid: bool, toks: &[Token]) -> Result<Command, String> {
    let charset_ok = |t: Option<&Token>| match t.and_then(Token::text).map(str::to_ascii_uppercase) {
        Some(c) if c == "UTF-8" || c == "US-ASCII" => Ok(()),
        Some(c) => Err(format!("[BADCHARSET (UTF-8 US-ASCII)] {c} is not supported")),
        None => Err(format!("{name} needs a charset such as UTF-8 before the search keys")),
    };
    if name == "SORT" {
        let Some(Token::List(crit)) = toks.first() else {
            return Err("usage: SORT (REVERSE DATE) UTF-8 ALL (RFC 5256 section 3)".into());
        };
        let criteria: Vec<String> = crit.iter().filter_map(|t| t.text().map(str::to_ascii_uppercase)).collect();
        if let Some(k) = criteria.iter().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!("unknown sort key {k}: {} are known", KEYS.join(", ")));
        }
        if criteria.is_empty() || criteria.last().map(String::as_str) == Some("REVERSE") {
            return Err("REVERSE must be followed by a sort key, e.g. (REVERSE DATE)".into());
        }
        charset_ok(toks.get(1))?;
        let key = super::search::parse(&flatten_keys(&toks[2..]))?;
        Ok(Command::Sort { uid, criteria, key })
    } else {
        let algorithm = toks.first().and_then(Token::text).map(str::to_ascii_uppercase).unwrap_or_default();
        if algorithm != "ORDEREDSUBJECT" && algorithm != "REFERENCES" {
            return Err("usage: THREAD ORDEREDSUBJECT|REFERENCES UTF-8 ALL (RFC 5256 section 3)".into());
        }
        charset_ok(toks.get(1))?;
        let key = super::search::parse(&flatten_keys(&toks[2..]))?;
        Ok(Command::Thread { uid, algorithm, key })
    }
}

/// The base subject (RFC 5256 §2.1): without `Re:`, `Fwd:`, `[tags]`, `(fwd)`, in one case.
pub fn base_subject(raw: &[u8]) -> String {
    let subject = mail_parser::MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default();
    let mut s = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let before = s.clone();
        // (2) trailing "(fwd)" and spaces.
        while let Some(t) = s.strip_suffix("(fwd)").or_else(|| s.strip_suffix("(FWD)")).or_else(|| s.strip_suffix(' '))
        {
            s = t.to_string();
        }
        // (3) leading blobs and re/fw/fwd leaders, repeatedly.
        loop {
            let t = s.trim_start();
            let mut rest = t;
            while let Some(r) = rest.strip_prefix('[').and_then(|r| r.split_once(']')).map(|(_, r)| r.trim_start()) {
                if r.is_empty() {
                    break;
                }
                rest = r;
            }
            let lower = rest.to_ascii_lowercase();
            let leader = ["re", "fwd", "fw"].iter().find_map(|p| {
                let r = lower.strip_prefix(p)?.trim_start();
                let r = match r.strip_prefix('[') {
                    Some(b) => b.split_once(']')?.1.trim_start(),
                    None => r,
                };
                r.strip_prefix(':').map(|r| rest.len() - r.len())
            });
            match leader {
                Some(n) => s = rest.get(n..).unwrap_or_default().trim_start().to_string(),
                None if rest.len() != t.len() && !rest.is_empty() => s = rest.to_string(),
                None => {
                    s = t.to_string();
                    break;
                }
            }
        }
        // (6) "[fwd: ... ]".
        // `get`: a subject such as "[fwdé…" has no character boundary at 5.
        if let (true, Some(head), Some(inner)) =
            (s.len() > 6 && s.ends_with(']'), s.get(..5), s.get(5..s.len().saturating_sub(1)))
        {
            if head.eq_ignore_ascii_case("[fwd:") {
                s = inner.trim().to_string();
            }
        }
        if s == before {
            return s.to_uppercase();
        }
    }
}

/// The sent date (Date:, in UTC), or the internal date when Date: is missing (§2.2).
fn sent_date(m: &StoredMessage) -> i64 {
    mail_parser::MessageParser::default()
        .parse_headers(&m.data)
        .and_then(|p| p.date().map(|d| d.to_timestamp()))
        .unwrap_or(m.internal_date)
}

/// The mailbox (local part) of the first address of a field, for sorting (§3).
fn first_mailbox(m: &StoredMessage, field: &str) -> String {
    let v = message::header(&m.data, field).unwrap_or_default();
    let addr = match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if a < b => v.get(a.saturating_add(1)..b).unwrap_or_default().to_string(),
        _ => v.split(',').next().unwrap_or_default().split_whitespace().find(|w| w.contains('@')).unwrap_or("").into(),
    };
    addr.rsplit_once('@').map(|(l, _)| l).unwrap_or(&addr).to_ascii_lowercase()
}

/// Sorts message indexes (0-based, in sequence order) by the criteria; ties keep sequence
/// order (§3).
pub fn sort(msgs: &[StoredMessage], idx: &mut [usize], criteria: &[String]) {
    sort_indexes(idx, &|a, b| {
        let (ma, mb) = (&msgs[a], &msgs[b]);
        let mut reverse = false;
        for c in criteria {
            let o = match c.as_str() {
                "REVERSE" => {
                    reverse = true;
                    continue;
                }
                "ARRIVAL" => ma.internal_date.cmp(&mb.internal_date),
                "DATE" => sent_date(ma).cmp(&sent_date(mb)),
                "SIZE" => ma.data.len().cmp(&mb.data.len()),
                "SUBJECT" => base_subject(&ma.data).cmp(&base_subject(&mb.data)),
                f => first_mailbox(ma, f).cmp(&first_mailbox(mb, f)),
            };
            let o = if reverse { o.reverse() } else { o };
            reverse = false;
            if o != Ordering::Equal {
                return o;
            }
        }
        a.cmp(&b)
    });
}

/// The one stable sort of indexes (a comparator behind `dyn`: one copy of the sort's code).
fn sort_indexes(idx: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    idx.sort_by(|&a, &b| cmp(a, b));
}

/// The one stable sort of thread nodes, by `date` (one copy of the sort's code).
fn sort_nodes(nodes: &mut [Node], date: &dyn Fn(&Node) -> i64) {
    nodes.sort_by_key(|n| date(n));
}

/// A thread tree: a message index, or `None` for a dummy (a message referred to but absent).
struct Node {
    msg: Option<usize>,
    children: Vec<Node>,
}

fn print(n: &Node, num: &dyn Fn(usize) -> u32, out: &mut String) {
    if let Some(m) = n.msg {
        out.push_str(&num(m).to_string());
    }
    match n.children.len() {
        0 => {}
        1 => {
            if n.msg.is_some() {
                out.push(' ');
            }
            print(&n.children[0], num, out);
        }
        _ => {
            if n.msg.is_some() {
                out.push(' ');
            }
            for c in &n.children {
                out.push('(');
                print(c, num, out);
                out.push(')');
            }
        }
    }
}

/// `(1 2)(3 (4)(5))`: the threads of the messages `idx`, numbered by `num`.
pub fn thread(msgs: &[StoredMessage], idx: &[usize], algorithm: &str, num: &dyn Fn(usize) -> u32) -> String {
    let date = |n: &Node| -> i64 {
        fn first(n: &Node) -> Option<usize> {
            n.msg.or_else(|| n.children.iter().find_map(first))
        }
        first(n).map(|m| sent_date(&msgs[m])).unwrap_or(0)
    };
    let roots: Vec<Node> = if algorithm == "ORDEREDSUBJECT" {
        // §4: group by base subject, each group in date order; the first is the parent.
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in idx {
            groups.entry(base_subject(&msgs[i].data)).or_default().push(i);
        }
        groups
            .into_values()
            .map(|mut g| {
                sort_indexes(&mut g, &|a, b| (sent_date(&msgs[a]), a).cmp(&(sent_date(&msgs[b]), b)));
                let children = g[1..].iter().map(|&i| Node { msg: Some(i), children: vec![] }).collect();
                Node { msg: Some(g[0]), children }
            })
            .collect()
    } else {
        group_by_subject(msgs, references(msgs, idx))
    };
    let mut roots = roots;
    fn order(n: &mut Node, date: &dyn Fn(&Node) -> i64) {
        n.children.iter_mut().for_each(|c| order(c, date));
        sort_nodes(&mut n.children, date);
    }
    roots.iter_mut().for_each(|r| order(r, &date));
    sort_nodes(&mut roots, &date);
    let mut out = String::new();
    for r in &roots {
        out.push('(');
        print(r, num, &mut out);
        out.push(')');
    }
    out
}

fn ids(v: &str) -> Vec<String> {
    v.split('<').skip(1).filter_map(|p| p.split_once('>').map(|(id, _)| id.trim().to_string())).collect()
}

/// Does the message's subject say it is a reply or a forward (something came off to get the
/// base subject)?
fn is_reply(raw: &[u8]) -> bool {
    let subject = mail_parser::MessageParser::default()
        .parse_headers(raw)
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default();
    subject.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase() != base_subject(raw)
}

/// REFERENCES step 5 (§4): roots with the same base subject are gathered, a reply under the
/// message it answers, otherwise side by side under a dummy.
fn group_by_subject(msgs: &[StoredMessage], roots: Vec<Node>) -> Vec<Node> {
    fn first(n: &Node) -> Option<usize> {
        n.msg.or_else(|| n.children.iter().find_map(first))
    }
    let mut out: Vec<Node> = Vec::new();
    // Base subject -> where its thread is in `out` (a map: 20,000 threads stay linear).
    let mut table: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for root in roots {
        let subject = first(&root).map(|m| base_subject(&msgs[m].data)).unwrap_or_default();
        let Some(&at) = table.get(&subject).filter(|_| !subject.is_empty()) else {
            if !subject.is_empty() {
                table.insert(subject, out.len());
            }
            out.push(root);
            continue;
        };
        let here = &mut out[at];
        match (here.msg, root.msg) {
            (None, None) => here.children.extend(root.children),
            (None, Some(_)) => here.children.push(root),
            (Some(_), None) => {
                let old = std::mem::replace(here, root);
                here.children.push(old);
            }
            (Some(a), Some(b)) => match (is_reply(&msgs[a].data), is_reply(&msgs[b].data)) {
                (false, true) => here.children.push(root),
                (true, false) => {
                    let old = std::mem::replace(here, root);
                    here.children.push(old);
                }
                _ => {
                    let old = std::mem::replace(here, Node { msg: None, children: vec![] });
                    here.children = vec![old, root];
                }
            },
        }
    }
    out
}

/// REFERENCES (§4, steps 1-4): parents from References (or In-Reply-To), dummies pruned.
fn references(msgs: &[StoredMessage], idx: &[usize]) -> Vec<Node> {
    // Containers by message ID: the message (if present) and the parent's ID.
    let mut msg_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    // Every ID in the order it was first seen (a set beside it: O(1) to ask).
    let mut order: Vec<String> = Vec::new();
    let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut seen = |id: &String, order: &mut Vec<String>| {
        if known.insert(id.clone()) {
            order.push(id.clone());
        }
    };
    // IDs that are some container's parent: only those can be a proper ancestor.
    let mut parents: std::collections::HashSet<String> = std::collections::HashSet::new();
    for &i in idx {
        let mut id = message::header(&msgs[i].data, "Message-ID").map(|v| ids(&v)).and_then(|v| v.into_iter().next());
        if id.as_ref().is_some_and(|x| msg_of.contains_key(x)) {
            id = None; // a duplicate ID: a message of its own
        }
        let id = id.unwrap_or_else(|| format!("\u{0}{i}"));
        msg_of.insert(id.clone(), i);
        seen(&id, &mut order);
        let mut refs = message::header(&msgs[i].data, "References").map(|v| ids(&v)).unwrap_or_default();
        if refs.is_empty() {
            refs = message::header(&msgs[i].data, "In-Reply-To").map(|v| ids(&v)).unwrap_or_default();
            refs.truncate(1);
        }
        // The nearest ancestors only: a References field of 100,000 IDs made threading
        // quadratic (and its chains deep).
        let skip = refs.len().saturating_sub(crate::limits::THREAD_REFERENCES);
        refs.drain(..skip);
        // Is y an ancestor of x, or x itself (linking x under y would make a loop, §4 step
        // 1A)? A new reply (the common case: a long chain of them) has no children yet: O(1).
        // Otherwise a walk up from x, each container once (the links have no loop).
        let ancestor_or_self =
            |p: &BTreeMap<String, String>, parents: &std::collections::HashSet<String>, x: &str, y: &str| {
                if x == y {
                    return true;
                }
                if !parents.contains(y) {
                    return false;
                }
                let mut visited = std::collections::HashSet::new();
                let mut cur = p.get(x);
                while let Some(c) = cur {
                    if c == y {
                        return true;
                    }
                    if !visited.insert(c) {
                        return false;
                    }
                    cur = p.get(c);
                }
                false
            };
        for w in refs.windows(2) {
            seen(&w[0], &mut order);
            seen(&w[1], &mut order);
            if !parent.contains_key(&w[1]) && !ancestor_or_self(&parent, &parents, &w[0], &w[1]) {
                parent.insert(w[1].clone(), w[0].clone());
                parents.insert(w[0].clone());
            }
        }
        if let Some(last) = refs.last() {
            seen(last, &mut order);
            if !ancestor_or_self(&parent, &parents, last, &id) {
                parent.insert(id.clone(), last.clone());
                parents.insert(last.clone());
            } else {
                parent.remove(&id);
            }
        }
    }
    /// Below [`crate::limits::THREAD_DEPTH`]: every message under `id`, side by side, found
    /// without recursion.
    fn flat(id: &str, kids: &BTreeMap<String, Vec<String>>, msg_of: &BTreeMap<String, usize>) -> Vec<Node> {
        let mut out = Vec::new();
        let mut stack: Vec<&str> =
            kids.get(id).map(|k| k.iter().rev().map(String::as_str).collect()).unwrap_or_default();
        while let Some(c) = stack.pop() {
            if let Some(&m) = msg_of.get(c) {
                out.push(Node { msg: Some(m), children: vec![] });
            }
            if let Some(k) = kids.get(c) {
                stack.extend(k.iter().rev().map(String::as_str));
            }
        }
        out
    }
    fn build(
        id: &str,
        kids: &BTreeMap<String, Vec<String>>,
        msg_of: &BTreeMap<String, usize>,
        depth: usize,
    ) -> Vec<Node> {
        let children: Vec<Node> = if depth >= crate::limits::THREAD_DEPTH {
            flat(id, kids, msg_of)
        } else {
            let next = depth.saturating_add(1);
            kids.get(id).map(|k| k.iter().flat_map(|c| build(c, kids, msg_of, next)).collect()).unwrap_or_default()
        };
        match msg_of.get(id) {
            Some(&m) => vec![Node { msg: Some(m), children }],
            None => children, // a dummy: its children take its place (pruning, step 4)
        }
    }
    let mut kids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in &order {
        if let Some(p) = parent.get(id) {
            kids.entry(p.clone()).or_default().push(id.clone());
        }
    }
    let mut roots = Vec::new();
    for id in order.iter().filter(|id| !parent.contains_key(*id)) {
        let built = build(id, &kids, &msg_of, 0);
        if msg_of.contains_key(id) || built.len() <= 1 {
            roots.extend(built);
        } else {
            // A dummy root with several children stays, as `((a)(b))` (step 4).
            roots.push(Node { msg: None, children: built });
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(uid: u32, h: &str, date: i64) -> StoredMessage {
        StoredMessage {
            uid,
            data: format!("{h}\r\n\r\nx\r\n").into_bytes(),
            flags: vec![],
            internal_date: date,
            modseq: 1,
        }
    }

    #[test]
    fn base_subjects() {
        for (s, want) in [
            ("Re: lunch", "LUNCH"),
            ("RE: [list] Fwd: Lunch (fwd)", "LUNCH"),
            ("[fwd: Lunch]", "LUNCH"),
            ("Re[2]: lunch", "LUNCH"),
            ("[list]", "[LIST]"),
            ("", ""),
        ] {
            assert_eq!(base_subject(format!("Subject: {s}\r\n\r\n").as_bytes()), want, "{s}");
        }
    }

    #[test]
    fn a_chain_of_replies_deeper_than_the_limit_does_not_overflow_the_stack() {
        let n: u32 = 3_000;
        let msgs: Vec<StoredMessage> = (1..=n)
            .map(|i| {
                let refs = if i > 1 { format!("References: <m{}@x>\r\n", i - 1) } else { String::new() };
                let h = format!("Message-ID: <m{i}@x>\r\n{refs}Subject: chain\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000");
                m(i, &h, i64::from(i))
            })
            .collect();
        let idx: Vec<usize> = (0..msgs.len()).collect();
        let out = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024) // a tokio worker's stack
            .spawn(move || thread(&msgs, &idx, "REFERENCES", &|i| u32::try_from(i).unwrap_or(0) + 1))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert!(out.contains("(1 2 3 4 "), "{}", out.get(..40).unwrap_or_default());
        assert!(out.contains(&format!("({n})")), "the deepest replies side by side at the depth limit");
    }

    /// How many threads (top-level groups) a THREAD answer holds.
    fn threads(out: &str) -> usize {
        let mut depth = 0usize;
        let mut n = 0;
        for c in out.chars() {
            match c {
                '(' => {
                    n += usize::from(depth == 0);
                    depth += 1;
                }
                ')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        n
    }

    #[test]
    fn twenty_thousand_chained_replies_are_one_thread_in_linear_time() {
        // Each reply names its parent only (20,000 of them), or, as mail clients do, its last
        // 100 ancestors (3,000: the headers alone are 100 times larger; linear too).
        for (full, n) in [(false, 20_000u32), (true, 3_000)] {
            let msgs: Vec<StoredMessage> = (1..=n)
                .map(|i| {
                    let first = if full { i.saturating_sub(100).max(1) } else { i.saturating_sub(1).max(1) };
                    let refs: String = (first..i).map(|j| format!(" <m{j}@x>")).collect();
                    let refs = if i > 1 { format!("References:{refs}\r\n") } else { String::new() };
                    m(i, &format!("Message-ID: <m{i}@x>\r\n{refs}Subject: chain"), i64::from(i))
                })
                .collect();
            // In arrival order and backwards (each reply before the message it answers).
            for backwards in [false, true] {
                let mut idx: Vec<usize> = (0..msgs.len()).collect();
                if backwards {
                    idx.reverse();
                }
                let msgs = msgs.clone();
                let started = std::time::Instant::now();
                let out = std::thread::Builder::new()
                    .stack_size(2 * 1024 * 1024)
                    .spawn(move || thread(&msgs, &idx, "REFERENCES", &|i| u32::try_from(i).unwrap_or(0) + 1))
                    .unwrap()
                    .join()
                    .expect("no stack overflow");
                assert_eq!(threads(&out), 1, "one thread ({full} {backwards}): {}", out.get(..60).unwrap_or_default());
                assert!(out.starts_with("(1 2 3 4 "), "{}", out.get(..40).unwrap_or_default());
                assert!(out.ends_with(&format!("({n}))")), "{}", out.get(out.len() - 40..).unwrap_or_default());
                println!("{n} chained replies (full {full}, backwards {backwards}): {:?}", started.elapsed());
            }
        }
    }

    #[test]
    fn sort_and_threads() {
        let msgs = vec![
            m(1, "Subject: b\r\nFrom: zed@x\r\nMessage-ID: <1@x>\r\nDate: Sun, 1 Feb 2026 10:00:00 +0000", 3),
            m(2, "Subject: Re: b\r\nFrom: Amy <amy@x>\r\nMessage-ID: <2@x>\r\nIn-Reply-To: <1@x>\r\nDate: Sun, 1 Feb 2026 11:00:00 +0000", 2),
            m(3, "Subject: a\r\nFrom: bob@x\r\nMessage-ID: <3@x>\r\nDate: Sun, 1 Feb 2026 09:00:00 +0000", 1),
            m(4, "Subject: Re: b\r\nMessage-ID: <4@x>\r\nReferences: <1@x> <2@x>\r\nDate: Sun, 1 Feb 2026 12:00:00 +0000", 4),
            m(5, "Subject: Re: b\r\nMessage-ID: <5@x>\r\nReferences: <1@x>\r\nDate: Sun, 1 Feb 2026 13:00:00 +0000", 5),
            m(6, "Subject: c\r\nMessage-ID: <6@x>\r\nReferences: <gone@x>\r\nDate: Sun, 1 Feb 2026 14:00:00 +0000", 6),
            m(7, "Subject: d\r\nMessage-ID: <7@x>\r\nReferences: <gone@x>\r\nDate: Sun, 1 Feb 2026 15:00:00 +0000", 7),
        ];
        let all: Vec<usize> = (0..msgs.len()).collect();
        let sorted = |c: &[&str]| {
            let mut i = all.clone();
            sort(&msgs, &mut i, &c.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            i.iter().map(|&i| i + 1).collect::<Vec<_>>()
        };
        assert_eq!(sorted(&["ARRIVAL"]), [3, 2, 1, 4, 5, 6, 7]);
        assert_eq!(sorted(&["REVERSE", "DATE"]), [7, 6, 5, 4, 2, 1, 3]);
        assert_eq!(sorted(&["SUBJECT", "REVERSE", "ARRIVAL"]), [3, 5, 4, 1, 2, 6, 7]);
        assert_eq!(sorted(&["FROM"])[..3], [4, 5, 6], "no From sorts first, then amy, bob, zed");
        let num = |i: usize| i as u32 + 1;
        assert_eq!(thread(&msgs, &all, "ORDEREDSUBJECT", &num), "(3)(1 (2)(4)(5))(6)(7)");
        assert_eq!(thread(&msgs, &all, "REFERENCES", &num), "(3)(1 (2 4)(5))((6)(7))");
        // Step 5: without references, a reply joins the message whose subject it answers.
        let loose = vec![
            m(1, "Subject: plans\r\nDate: Sun, 1 Feb 2026 10:00:00 +0000", 1),
            m(2, "Subject: other\r\nDate: Sun, 1 Feb 2026 10:30:00 +0000", 2),
            m(3, "Subject: Re: plans\r\nDate: Sun, 1 Feb 2026 11:00:00 +0000", 3),
            m(4, "Subject: plans\r\nDate: Sun, 1 Feb 2026 12:00:00 +0000", 4),
        ];
        let all: Vec<usize> = (0..loose.len()).collect();
        assert_eq!(thread(&loose, &all, "REFERENCES", &num), "((1 3)(4))(2)");
    }
}
