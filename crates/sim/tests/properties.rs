//! Properties of the mail host (issue 13), driven as `mailsim serve` drives it:
//!
//! 1. The same bytes, split anywhere, give the same replies and the same store (SMTP on 25
//!    and 587, POP3, IMAP).
//! 2. Across random interleavings of SMTP delivery, POP3 (DELE, RSET, QUIT) and IMAP (STORE,
//!    EXPUNGE, MOVE, APPEND) sessions, and server crashes (every session dropped at once,
//!    before or after the host acted on what it had read, the store kept as a restart would
//!    keep it): no message is lost or duplicated, except one duplicate per 250 that a crash
//!    swallowed (the client retries: at-least-once, RFC 5321 §6.1); UIDs only grow and
//!    UIDVALIDITY holds (RFC 9051 §2.3.1.1).
#![cfg(not(target_arch = "wasm32"))]

use mailsim_proto::store::Mailbox;
use mailsim_sim::host::{Ctx, HostOutput, MailHost, ServerPolicy};
use mailsim_sim::rng::Rng;
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const BOB: &str = "bob@bob.example";

struct Driver {
    host: MailHost,
    rng: Rng,
    now: u64,
}

impl Driver {
    fn new() -> Self {
        let policy = ServerPolicy { tls: false, queue_delay: 0, idle_timeout: Some(None), ..ServerPolicy::default() };
        let host = MailHost::new("server", "mail.bob.example", &["bob.example"], &[(BOB, "bob-pw")], policy);
        Driver { host, rng: Rng::new(5), now: 0 }
    }

    fn call<R>(&mut self, f: impl FnOnce(&mut MailHost, &mut Ctx) -> R) -> R {
        let mut ctx = Ctx { now: self.now, epoch: 1_789_376_400, rng: &mut self.rng };
        let r = f(&mut self.host, &mut ctx);
        while let Some(o) = self.host.poll_output() {
            assert!(!matches!(o, HostOutput::Relay { .. }), "nothing here is for elsewhere");
        }
        r
    }

    /// Acts on everything the session decided, without writing anything to it yet.
    fn act(&mut self, sid: u32) {
        while self.call(|h, ctx| h.drive(ctx, sid)) {}
    }

    /// What the session has to say (after acting on it).
    fn drain(&mut self, sid: u32) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            self.act(sid);
            let mut any = false;
            while let Some(t) = self.host.poll_transmit(sid) {
                out.extend(t.bytes);
                any = true;
            }
            if !any {
                return out;
            }
        }
    }

    fn open(&mut self, sid: u32, port: u16) -> Vec<u8> {
        self.call(|h, ctx| h.accept(ctx, sid, port, "127.0.0.1")).expect("the host listens there");
        self.drain(sid)
    }

    fn feed(&mut self, sid: u32, bytes: &[u8]) {
        self.now += 1;
        self.host.handle_input(self.now, sid, bytes);
    }
}

fn message(subject: &str) -> String {
    format!("From: alice@alice.example\r\nTo: bob@bob.example\r\nSubject: {subject}\r\nMessage-ID: <{subject}@alice.example>\r\n\r\nHello.\r\n.dot\r\n")
}

fn subject_of(data: &[u8]) -> String {
    mailsim_proto::message::header(data, "Subject").unwrap_or_default()
}

// ---------- 1. split anywhere ----------

/// A session script: good lines and a few bad ones, for the protocol on `port`.
fn script(port: u16) -> BoxedStrategy<Vec<String>> {
    let junk = prop_oneof![Just("BOGUS\r\n".to_string()), "[ -~]{0,20}\r\n", Just("\r\n".to_string())];
    match port {
        25 | 587 => {
            let auth = if port == 587 { "AUTH PLAIN AGJvYgBib2ItcHc=\r\n" } else { "" };
            let mail = (0u8..3, any::<bool>()).prop_map(move |(n, rset)| {
                let mut s = "MAIL FROM:<alice@alice.example>\r\nRCPT TO:<bob@bob.example>\r\n".to_string();
                if n == 2 {
                    s.push_str("RCPT TO:<nobody@bob.example>\r\n");
                }
                s.push_str("DATA\r\n");
                s.push_str(&message(&format!("s{n}")).replace("\r\n.dot", "\r\n..dot"));
                s.push_str(".\r\n");
                if rset {
                    s.push_str("RSET\r\nNOOP\r\n");
                }
                s
            });
            (vec(prop_oneof![4 => mail, 1 => junk], 1..4), any::<bool>())
                .prop_map(move |(body, helo)| {
                    let mut v = vec![if helo { "HELO c.example\r\n" } else { "EHLO c.example\r\n" }.to_string()];
                    v.push(auth.to_string());
                    v.extend(body);
                    v.push("QUIT\r\n".into());
                    v
                })
                .boxed()
        }
        110 => {
            let cmd = prop_oneof![
                Just("STAT\r\n".to_string()),
                Just("LIST\r\n".to_string()),
                Just("UIDL\r\n".to_string()),
                (1u8..4).prop_map(|n| format!("RETR {n}\r\n")),
                (1u8..4).prop_map(|n| format!("TOP {n} 1\r\n")),
                (1u8..4).prop_map(|n| format!("DELE {n}\r\n")),
                Just("RSET\r\n".to_string()),
                Just("NOOP\r\n".to_string()),
                junk,
            ];
            vec(cmd, 0..8)
                .prop_map(|body| {
                    let mut v = vec!["USER bob\r\n".to_string(), "PASS bob-pw\r\n".to_string()];
                    v.extend(body);
                    v.push("QUIT\r\n".into());
                    v
                })
                .boxed()
        }
        _ => {
            let cmd = prop_oneof![
                Just("NOOP".to_string()),
                Just("FETCH 1:* (UID FLAGS)".to_string()),
                Just("FETCH 1 BODY.PEEK[]".to_string()),
                Just("FETCH 2 (BODYSTRUCTURE ENVELOPE)".to_string()),
                (1u8..4).prop_map(|n| format!("STORE {n} +FLAGS (\\Deleted)")),
                (1u8..4).prop_map(|n| format!("UID STORE {n} +FLAGS (\\Seen)")),
                Just("EXPUNGE".to_string()),
                (1u8..3).prop_map(|n| format!("MOVE {n} Work")),
                Just("SEARCH UNSEEN".to_string()),
                Just("LIST \"\" \"*\"".to_string()),
                Just("STATUS Work (MESSAGES UIDNEXT)".to_string()),
                Just(format!("APPEND INBOX {{{}}}\r\n{}", message("app").len(), message("app"))),
                Just(format!("APPEND Work {{{}+}}\r\n{}", message("lit").len(), message("lit"))),
                Just("BOGUS".to_string()),
            ];
            vec(cmd, 0..8)
                .prop_map(|body| {
                    let mut v = vec!["a LOGIN bob bob-pw\r\n".to_string(), "b CREATE Work\r\n".into()];
                    v.push("c SELECT INBOX\r\n".into());
                    v.extend(body.into_iter().enumerate().map(|(i, c)| format!("t{i} {c}\r\n")));
                    v.push("z LOGOUT\r\n".into());
                    v
                })
                .boxed()
        }
    }
}

/// Runs the session fed as `pieces`; returns what the server wrote and the mailbox after.
fn run_split(port: u16, pieces: &[&[u8]]) -> (Vec<u8>, Vec<(String, Mailbox)>) {
    let mut d = Driver::new();
    d.call(|h, ctx| {
        h.seed_message(ctx, BOB, message("old1").into_bytes(), 1_789_376_000, &[]);
        h.seed_message(ctx, BOB, message("old2").into_bytes(), 1_789_376_100, &["\\Seen"]);
    });
    let mut wire = d.open(1, port);
    for p in pieces {
        d.host.handle_input(d.now, 1, p);
        wire.extend(d.drain(1));
    }
    d.host.close_session(d.now, 1);
    let store = d.host.store();
    let folders = store.folder_names(BOB).into_iter().map(|f| (f.clone(), store.folder(BOB, &f).unwrap().clone()));
    (wire, folders.collect())
}

fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    at.sort_unstable();
    at.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for c in at.into_iter().chain([bytes.len()]) {
        out.push(bytes[last..c].to_vec());
        last = c;
    }
    out
}

fn same_when_split(port: u16, lines: &[String], cuts: &[usize]) -> Result<(), TestCaseError> {
    let all: Vec<u8> = lines.concat().into_bytes();
    let whole = run_split(port, &[&all]);
    let line_by_line: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
    let by_line = run_split(port, &line_by_line);
    let pieces = cut(&all, cuts);
    let split = run_split(port, &pieces.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let bytewise = run_split(port, &all.chunks(1).collect::<Vec<_>>());
    // One difference is allowed: IMAP's "+ Ready for literal data" for a synchronizing
    // literal (RFC 9051 §7.5) is sent only if the literal has not already arrived with its
    // announcement (a client that does not wait for it is out of protocol anyway).
    let text = |w: &[u8]| {
        let t = String::from_utf8_lossy(w).into_owned();
        if port == 143 {
            t.split_inclusive("\r\n").filter(|l| !l.starts_with("+ Ready for literal data")).collect()
        } else {
            t
        }
    };
    prop_assert_eq!(text(&whole.0), text(&by_line.0), "whole vs line by line");
    prop_assert_eq!(text(&whole.0), text(&split.0), "whole vs split at {:?}", cuts);
    prop_assert_eq!(text(&whole.0), text(&bytewise.0), "whole vs byte by byte");
    prop_assert_eq!(&whole.1, &split.1);
    prop_assert_eq!(&whole.1, &bytewise.1);
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn smtp_relay_replies_do_not_depend_on_where_the_bytes_were_cut(lines in script(25), cuts in vec(any::<usize>(), 0..12)) {
        same_when_split(25, &lines, &cuts)?;
    }

    #[test]
    fn smtp_submission_replies_do_not_depend_on_where_the_bytes_were_cut(lines in script(587), cuts in vec(any::<usize>(), 0..12)) {
        same_when_split(587, &lines, &cuts)?;
    }

    #[test]
    fn pop3_replies_do_not_depend_on_where_the_bytes_were_cut(lines in script(110), cuts in vec(any::<usize>(), 0..12)) {
        same_when_split(110, &lines, &cuts)?;
    }

    #[test]
    fn imap_replies_do_not_depend_on_where_the_bytes_were_cut(lines in script(143), cuts in vec(any::<usize>(), 0..12)) {
        same_when_split(143, &lines, &cuts)?;
    }
}

// ---------- 2. interleavings and crashes ----------

#[derive(Debug, Clone)]
enum PopCmd {
    Dele(u8),
    Rset,
    List,
    Retr(u8),
}

#[derive(Debug, Clone)]
enum ImapCmd {
    Flag(u8, bool),
    Expunge,
    Move(u8),
    Append,
    Fetch,
}

#[derive(Debug, Clone)]
enum Op {
    Smtp,
    Pop3(Vec<PopCmd>),
    Imap(Vec<ImapCmd>),
    /// Feed the next line of an open session (by position); then maybe crash: 0 no,
    /// 1 before the host acts on what it read, 2 after it acted but before the reply is out.
    Step(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let pop = prop_oneof![
        (1u8..5).prop_map(PopCmd::Dele),
        Just(PopCmd::Rset),
        Just(PopCmd::List),
        (1u8..5).prop_map(PopCmd::Retr)
    ];
    let imap = prop_oneof![
        (any::<u8>(), any::<bool>()).prop_map(|(i, d)| ImapCmd::Flag(i, d)),
        Just(ImapCmd::Expunge),
        any::<u8>().prop_map(ImapCmd::Move),
        Just(ImapCmd::Append),
        Just(ImapCmd::Fetch)
    ];
    let crash = prop_oneof![16 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)];
    prop_oneof![
        2 => Just(Op::Smtp),
        1 => vec(pop, 0..5).prop_map(Op::Pop3),
        1 => vec(imap, 0..6).prop_map(Op::Imap),
        12 => (any::<u8>(), crash).prop_map(|(i, c)| Op::Step(i, c)),
    ]
}

#[derive(Debug)]
enum Line {
    Raw(String),
    /// SMTP: the message, dot-stuffed, with its final `.` line.
    Data,
    /// POP3: PASS; the maildrop's subjects are noted once it answers +OK.
    Pass,
    Pop(PopCmd),
    Imap(usize, ImapCmd),
}

#[derive(Debug)]
struct Sess {
    sid: u32,
    port: u16,
    lines: std::collections::VecDeque<Line>,
    /// SMTP: the message it delivers; IMAP: the APPEND subjects it sent.
    subject: String,
    /// POP3: subjects by message number, as of the login; those marked with DELE.
    maildrop: Vec<String>,
    marked: Vec<String>,
}

#[derive(Default)]
struct Model {
    next_sid: u32,
    next_subject: usize,
    open: Vec<Sess>,
    /// Delivered with a 250 the client read.
    acked: BTreeSet<String>,
    /// 250s a crash swallowed, per subject.
    lost: BTreeMap<String, usize>,
    /// Subjects some client deleted (DELE then QUIT; \Deleted then EXPUNGE): these may be gone.
    may_delete: BTreeSet<String>,
    /// Subjects flagged \Deleted (gone once anyone expunges).
    flagged: BTreeSet<String>,
    /// Per folder: UIDVALIDITY, every UID seen, the highest.
    uids: BTreeMap<String, (u32, BTreeSet<u32>, u32)>,
    appended: BTreeSet<String>,
}

impl Model {
    fn start(&mut self, d: &mut Driver, port: u16, subject: String, mut lines: Vec<Line>) {
        self.next_sid += 1;
        let sid = self.next_sid;
        let _greeting = d.open(sid, port);
        match port {
            25 => {
                let head =
                    ["EHLO client.example", "MAIL FROM:<alice@alice.example>", "RCPT TO:<bob@bob.example>", "DATA"];
                let mut v: Vec<Line> = head.iter().map(|l| Line::Raw(format!("{l}\r\n"))).collect();
                v.push(Line::Data);
                v.push(Line::Raw("QUIT\r\n".into()));
                lines = v;
            }
            110 => {
                let mut v = vec![Line::Raw("USER bob\r\n".into()), Line::Pass];
                v.append(&mut lines);
                v.push(Line::Raw("QUIT\r\n".into()));
                lines = v;
            }
            _ => {
                let mut v = vec![Line::Raw("a LOGIN bob bob-pw\r\n".into()), Line::Raw("b SELECT INBOX\r\n".into())];
                v.append(&mut lines);
                v.push(Line::Raw("z LOGOUT\r\n".into()));
                lines = v;
            }
        }
        self.open.push(Sess { sid, port, lines: lines.into(), subject, maildrop: vec![], marked: vec![] });
    }

    fn new_smtp(&mut self, d: &mut Driver, subject: Option<String>) {
        let subject = subject.unwrap_or_else(|| {
            self.next_subject += 1;
            format!("m{}", self.next_subject)
        });
        self.start(d, 25, subject, vec![]);
    }

    fn inbox(d: &Driver) -> Vec<(u32, String)> {
        let m = d.host.store().folder(BOB, "INBOX").map(|m| m.messages.clone()).unwrap_or_default();
        m.iter().map(|x| (x.uid, subject_of(&x.data))).collect()
    }

    /// The bytes of the session's next line, noting what it asks for.
    fn render(&mut self, d: &Driver, s: &mut Sess, line: &Line) -> String {
        match line {
            Line::Raw(l) => {
                if s.port == 110 && l.starts_with("QUIT") {
                    // RFC 1939 §6: the UPDATE state removes what was marked, and only then.
                    self.may_delete.extend(s.marked.drain(..));
                }
                l.clone()
            }
            Line::Data => String::from_utf8(mailsim_proto::smtp::data::encode(message(&s.subject).as_bytes())).unwrap(),
            Line::Pass => "PASS bob-pw\r\n".into(),
            Line::Pop(PopCmd::Dele(n)) => {
                if let Some(subject) = s.maildrop.get(usize::from(*n) - 1) {
                    s.marked.push(subject.clone());
                }
                format!("DELE {n}\r\n")
            }
            Line::Pop(PopCmd::Rset) => {
                s.marked.clear();
                "RSET\r\n".into()
            }
            Line::Pop(PopCmd::List) => "LIST\r\n".into(),
            Line::Pop(PopCmd::Retr(n)) => format!("RETR {n}\r\n"),
            Line::Imap(i, cmd) => {
                let inbox = Self::inbox(d);
                let pick = |k: &u8| inbox.get(usize::from(*k) % inbox.len().max(1)).cloned();
                match cmd {
                    ImapCmd::Flag(k, deleted) => match pick(k) {
                        Some((uid, subject)) => {
                            if *deleted {
                                self.flagged.insert(subject);
                            }
                            let flag = if *deleted { "\\Deleted" } else { "\\Seen" };
                            format!("t{i} UID STORE {uid} +FLAGS ({flag})\r\n")
                        }
                        None => format!("t{i} NOOP\r\n"),
                    },
                    ImapCmd::Expunge => {
                        self.may_delete.extend(self.flagged.iter().cloned());
                        format!("t{i} EXPUNGE\r\n")
                    }
                    ImapCmd::Move(k) => match pick(k) {
                        Some((uid, _)) => format!("t{i} UID MOVE {uid} Work\r\n"),
                        None => format!("t{i} NOOP\r\n"),
                    },
                    ImapCmd::Append => {
                        self.next_subject += 1;
                        s.subject = format!("a{}", self.next_subject);
                        let m = message(&s.subject);
                        format!("t{i} APPEND INBOX {{{}}}\r\n{m}\r\n", m.len())
                    }
                    ImapCmd::Fetch => format!("t{i} FETCH 1:* (UID FLAGS)\r\n"),
                }
            }
        }
    }

    /// Feeds session `pos` its next line; then crashes the server if `crash` says so.
    fn step(&mut self, d: &mut Driver, pos: usize, crash: u8) {
        let mut s = self.open.remove(pos);
        let Some(line) = s.lines.pop_front() else {
            d.host.close_session(d.now, s.sid);
            return;
        };
        let bytes = self.render(d, &mut s, &line);
        d.feed(s.sid, bytes.as_bytes());
        if crash > 0 {
            if crash == 2 {
                d.act(s.sid);
            }
            self.open.push(s);
            return self.crash(d);
        }
        let out = String::from_utf8_lossy(&d.drain(s.sid)).into_owned();
        match line {
            Line::Data if out.contains("250 2.0.0") => {
                self.acked.insert(s.subject.clone());
            }
            Line::Pass if out.starts_with("+OK") => s.maildrop = Self::inbox(d).into_iter().map(|x| x.1).collect(),
            Line::Imap(i, ImapCmd::Append) if out.contains(&format!("t{i} OK")) => {
                self.appended.insert(s.subject.clone());
            }
            _ => {}
        }
        if d.host.session_closed(s.sid) || s.lines.is_empty() {
            d.host.close_session(d.now, s.sid);
        } else {
            self.open.insert(pos.min(self.open.len()), s);
        }
    }

    /// The server dies and restarts: every session is gone, with what it had not written;
    /// the store stays. Each SMTP client whose 250 never came tries again (RFC 5321 §4.5.4.1).
    fn crash(&mut self, d: &mut Driver) {
        for s in std::mem::take(&mut self.open) {
            d.host.close_session(d.now, s.sid);
            if s.port == 25 && !self.acked.contains(&s.subject) {
                if s.lines.len() <= 1 {
                    // The data's end was read: the 250 may be what the crash swallowed.
                    *self.lost.entry(s.subject.clone()).or_default() += 1;
                }
                self.new_smtp(d, Some(s.subject));
            }
        }
    }

    /// UIDs only grow within a folder, are never reused, and UIDVALIDITY holds.
    fn check_uids(&mut self, d: &Driver) -> Result<(), TestCaseError> {
        let store = d.host.store();
        for f in store.folder_names(BOB) {
            let m = store.folder(BOB, &f).unwrap();
            let entry = self.uids.entry(f.clone()).or_insert((m.uid_validity, BTreeSet::new(), 0));
            prop_assert_eq!(entry.0, m.uid_validity, "UIDVALIDITY of {} changed", f);
            let mut max = entry.2;
            for x in &m.messages {
                prop_assert!(x.uid < m.uid_next, "{}: UID {} not below UIDNEXT {}", f, x.uid, m.uid_next);
                if entry.1.insert(x.uid) {
                    prop_assert!(x.uid > entry.2, "{}: new UID {} not above {}", f, x.uid, entry.2);
                    max = max.max(x.uid);
                }
            }
            prop_assert!(m.uid_next > entry.2, "{}: UIDNEXT went back", f);
            entry.2 = max;
        }
        Ok(())
    }
}

fn interleave(plan: &[Op]) -> Result<(), TestCaseError> {
    let mut d = Driver::new();
    let mut m = Model::default();
    d.open(999, 143);
    d.feed(999, b"a LOGIN bob bob-pw\r\nb CREATE Work\r\nc LOGOUT\r\n");
    d.drain(999);
    d.host.close_session(d.now, 999);
    for op in plan {
        match op {
            Op::Smtp => m.new_smtp(&mut d, None),
            Op::Pop3(cmds) => m.start(&mut d, 110, String::new(), cmds.iter().cloned().map(Line::Pop).collect()),
            Op::Imap(cmds) => {
                let lines = cmds.iter().cloned().enumerate().map(|(i, c)| Line::Imap(i, c)).collect();
                m.start(&mut d, 143, String::new(), lines)
            }
            Op::Step(i, crash) if !m.open.is_empty() => {
                let pos = usize::from(*i) % m.open.len();
                m.step(&mut d, pos, *crash);
            }
            Op::Step(..) => {}
        }
        m.check_uids(&d)?;
    }
    // No more crashes: every session runs to its end, and every client to its 250.
    while !m.open.is_empty() {
        m.step(&mut d, 0, 0);
        m.check_uids(&d)?;
    }
    let store = d.host.store();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for f in store.folder_names(BOB) {
        for x in &store.folder(BOB, &f).unwrap().messages {
            *count.entry(subject_of(&x.data)).or_default() += 1;
        }
    }
    for k in 1..=m.next_subject {
        for subject in [format!("m{k}"), format!("a{k}")] {
            let n = count.get(&subject).copied().unwrap_or(0);
            let lost = m.lost.get(&subject).copied().unwrap_or(0);
            let acked = m.acked.contains(&subject) || m.appended.contains(&subject);
            if acked && !m.may_delete.contains(&subject) {
                prop_assert!(n >= 1, "{} was acknowledged and nobody deleted it, but it is gone", subject);
            }
            prop_assert!(n <= 1 + lost, "{} is there {} times; {} 250(s) were lost", subject, n, lost);
        }
        let smtp = format!("m{k}");
        if count.contains_key(&smtp) || m.lost.contains_key(&smtp) {
            prop_assert!(m.acked.contains(&smtp), "{} was never acknowledged", smtp);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn crashes_and_interleavings_lose_nothing_and_duplicate_only_after_a_lost_250(plan in vec(op(), 1..60)) {
        interleave(&plan)?;
    }
}

/// A crash right after the host stored the message and before its 250 left: the client
/// retries and Bob has the message twice (at-least-once, RFC 5321 §6.1).
#[test]
fn a_lost_250_gives_exactly_one_duplicate() {
    let mut d = Driver::new();
    let mut m = Model::default();
    m.new_smtp(&mut d, None);
    for _ in 0..4 {
        m.step(&mut d, 0, 0);
    }
    m.step(&mut d, 0, 2);
    assert_eq!(m.lost.get("m1"), Some(&1));
    while !m.open.is_empty() {
        m.step(&mut d, 0, 0);
    }
    assert!(m.acked.contains("m1"));
    let inbox = Model::inbox(&d);
    assert_eq!(inbox.iter().filter(|x| x.1 == "m1").count(), 2, "{inbox:?}");
    assert_eq!(inbox.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2]);
}

/// The same crash before the host acted on the data: nothing stored, the retry delivers once.
#[test]
fn a_crash_before_the_message_was_taken_gives_one_copy() {
    let mut d = Driver::new();
    let mut m = Model::default();
    m.new_smtp(&mut d, None);
    for _ in 0..4 {
        m.step(&mut d, 0, 0);
    }
    m.step(&mut d, 0, 1);
    while !m.open.is_empty() {
        m.step(&mut d, 0, 0);
    }
    let inbox = Model::inbox(&d);
    assert_eq!(inbox.iter().filter(|x| x.1 == "m1").count(), 1, "{inbox:?}");
}

/// Found by the split property: an APPEND to the selected mailbox was announced (`* 3
/// EXISTS`) only with the next command, and only if that came in a later read. RFC 9051
/// §6.3.12: with the APPEND's own reply.
#[test]
fn append_to_the_selected_mailbox_reports_exists_with_its_reply() {
    let m = message("app");
    let lines = format!("a LOGIN bob bob-pw\r\nb SELECT INBOX\r\nc APPEND INBOX {{{}+}}\r\n{m}\r\n", m.len());
    let (wire, _) = run_split(143, &[lines.as_bytes()]);
    let wire = String::from_utf8_lossy(&wire);
    let tail = wire.rsplit_once("* 3 EXISTS\r\n").map(|x| x.1).unwrap_or_default();
    assert!(tail.starts_with("c OK [APPENDUID ") && tail.ends_with(" 3] APPEND completed\r\n"), "{wire}");
}
