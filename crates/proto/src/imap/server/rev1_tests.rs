//! Tests of what real clients need beyond the lecture: IMAP4rev1 forms (RECENT, LSUB, CHECK,
//! SEARCH NEW), ID, UIDPLUS, SEARCHRES, BINARY, LIST-EXTENDED/STATUS, SORT, THREAD, QUOTA, and
//! the bugs of issue 14. A small owner drives several sessions over one real store, as the
//! mail host does.

use super::*;
use crate::engine::Engine;
use crate::store::MailStore;

/// Sessions over one store; changes reach the other sessions as in `sim::host`.
pub(super) struct Owner {
    pub(super) store: MailStore,
    sessions: Vec<ImapServer>,
}

pub(super) const USER: &str = "bob@b.example";

impl Owner {
    pub(super) fn new(messages: &[&str]) -> Self {
        let mut store = MailStore::default();
        store.add_account(USER, "pw");
        for (i, m) in messages.iter().enumerate() {
            store.deliver_at(USER, m.as_bytes().to_vec(), 1_770_000_000 + i as i64 * 3600, &[]);
        }
        Owner { store, sessions: vec![] }
    }

    /// A new session, logged in; returns its number.
    pub(super) fn login(&mut self) -> usize {
        let mut c = ImapConfig::new("h", vec![(USER.into(), "pw".into())], vec![1; 16], "n");
        c.login_requires_tls = false;
        c.idle_timeout = None;
        self.sessions.push(ImapServer::new(c, 0));
        let k = self.sessions.len() - 1;
        self.send(k, "a LOGIN bob pw");
        k
    }

    /// Sends one line (CRLF added) to session `k`; returns what it answered.
    pub(super) fn send(&mut self, k: usize, line: &str) -> String {
        self.send_bytes(k, format!("{line}\r\n").as_bytes())
    }

    pub(super) fn send_bytes(&mut self, k: usize, bytes: &[u8]) -> String {
        self.sessions[k].handle_input(0, bytes);
        let mut out = String::new();
        loop {
            let mut changed = false;
            let mut progressed = false;
            while let Some(t) = self.sessions[k].poll_transmit() {
                out.push_str(&String::from_utf8_lossy(&t.bytes));
                progressed = true;
            }
            while let Some(e) = self.sessions[k].poll_event() {
                progressed = true;
                let s = &mut self.sessions[k];
                match e {
                    ImapServerEvent::LoggedIn { user } => {
                        let m = self.store.mailbox(&user).cloned().unwrap_or_default();
                        s.set_mailbox(m.messages, m.uid_validity, m.uid_next);
                    }
                    ImapServerEvent::Folder { user, op } => {
                        changed = true;
                        let r = apply_folder_op(&mut self.store, &user, &op, 1_770_100_000);
                        s.folder_result(r);
                    }
                    ImapServerEvent::Stored { user, folder, uid, flags } => {
                        changed = true;
                        self.store.set_folder_flags(&user, &folder, uid, &flags)
                    }
                    ImapServerEvent::Expunged { user, folder, uids } => {
                        changed = true;
                        self.store.expunge_folder(&user, &folder, &uids);
                    }
                    _ => {}
                }
            }
            if changed {
                let s = &mut self.sessions[k];
                if let Some(m) = self.store.folder(USER, s.folder()) {
                    s.sync_modseq(m.highest_modseq);
                }

                self.notify(Some(k));
            }
            if !progressed {
                return out;
            }
        }
    }

    /// What the host does after a change: every other session refreshes its view.
    fn notify(&mut self, except: Option<usize>) {
        for i in 0..self.sessions.len() {
            let s = &mut self.sessions[i];
            if Some(i) != except && s.user().is_some() {
                let folder = s.folder().to_string();
                let m = self.store.folder(USER, &folder).cloned().unwrap_or_default();
                if s.refresh_mailbox(&m, m.recent_from) {
                    self.store.take_recent(USER, &folder);
                }
            }
        }
    }

    pub(super) fn deliver(&mut self, m: &str) {
        self.store.deliver_at(USER, m.as_bytes().to_vec(), 1_770_200_000, &[]);
        self.notify(None);
    }
}

const M1: &str = "From: Alice <alice@a.example>\r\nSubject: Lunch\r\nMessage-ID: <1@a>\r\nDate: Mon, 2 Feb 2026 01:00:00 +0200\r\n\r\nFriday?\r\n";
const M2: &str = "From: carol@c.example (Carol Singer)\r\nSubject: Re: Lunch\r\nMessage-ID: <2@c>\r\nIn-Reply-To: <1@a>\r\nDate: Mon, 2 Feb 2026 09:00:00 +0000\r\n\r\nYes.\r\n";
const M3: &str = "From: \"Dan\" <dan(at home)@d.example>\r\nTo: Team: ann@a.example, bo@b.example;\r\nSubject: Report\r\nDate: Sun, 1 Feb 2026 23:30:00 -0500\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC/w==\r\n--b--\r\n";

#[test]
fn rev1_clients_get_recent_check_and_search_new() {
    let mut o = Owner::new(&[M1, M2]);
    let a = o.login();
    let caps = o.send(a, "c CAPABILITY");
    for cap in
        ["IMAP4rev1", "UIDPLUS", "MOVE", "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "SEARCHRES", "BINARY", "ID"]
    {
        assert!(caps.contains(&format!(" {cap}")), "{cap}: {caps}");
    }
    let ex = o.send(a, "e EXAMINE INBOX");
    assert!(ex.contains("* 2 RECENT\r\n"), "EXAMINE shows RECENT but does not take it: {ex}");
    let sel = o.send(a, "s SELECT INBOX");
    assert!(sel.contains("* 2 EXISTS\r\n") && sel.contains("* 2 RECENT\r\n"), "{sel}");
    assert!(!sel.contains("* LIST"), "no rev2 LIST line for a rev1 client: {sel}");
    let b = o.login();
    let other = o.send(b, "s SELECT INBOX");
    assert!(other.contains("* 0 RECENT\r\n"), "recent belongs to the first session only: {other}");
    assert!(o.send(a, "f FETCH 1 FLAGS").contains("* 1 FETCH (FLAGS (\\Recent))"));
    assert!(o.send(b, "f FETCH 1 FLAGS").contains("* 1 FETCH (FLAGS ())"));
    assert!(o.send(a, "k CHECK").contains("k OK CHECK completed"));
    o.send(a, "t STORE 1 +FLAGS (\\Seen)");
    let new = o.send(a, "n SEARCH NEW");
    assert!(new.contains("* SEARCH 2\r\n"), "{new}");
    assert!(o.send(a, "n2 SEARCH OLD").contains("* SEARCH\r\n"));
    assert!(o.send(b, "n3 SEARCH RECENT").contains("* SEARCH\r\n"));
    // New mail: EXISTS and RECENT for the rev1 session that sees it first.
    o.deliver("Subject: new\r\n\r\nx\r\n");
    let noop = o.send(a, "p NOOP");
    assert!(noop.contains("* 3 EXISTS\r\n* 3 RECENT\r\np OK"), "{noop}");
    // After ENABLE IMAP4rev2: no RECENT, and NEW is BAD (RFC 9051 §6.3.1).
    let c = o.login();
    o.send(c, "x ENABLE IMAP4rev2");
    let sel = o.send(c, "s SELECT INBOX");
    assert!(!sel.contains("RECENT") && sel.contains("* LIST () \"/\" INBOX"), "{sel}");
    assert!(o.send(c, "n SEARCH NEW").contains("n BAD RECENT, NEW and OLD"));
}

/// RFC 3501 §6.3.1 (erratum 3032): SELECT and EXAMINE tell an IMAP4rev1 client the first
/// unseen message, `* OK [UNSEEN n]`, when there is one, and say nothing when all are seen; an
/// IMAP4rev2 client never hears it (RFC 9051 removed it). Dovecot answers the same.
#[test]
fn rev1_select_names_the_first_unseen_message() {
    let mut o = Owner::new(&[M1, M2, M3]);
    let a = o.login();
    let ex = o.send(a, "e EXAMINE INBOX");
    assert!(ex.contains("* OK [UNSEEN 1] First unseen\r\n"), "{ex}");
    o.send(a, "s SELECT INBOX");
    o.send(a, "t STORE 1 +FLAGS (\\Seen)");
    let sel = o.send(a, "s2 SELECT INBOX");
    assert!(sel.contains("* OK [UNSEEN 2] First unseen\r\n"), "{sel}");
    o.send(a, "t2 STORE 2:3 +FLAGS (\\Seen)");
    let all_seen = o.send(a, "s3 EXAMINE INBOX");
    assert!(!all_seen.contains("UNSEEN"), "all seen: no UNSEEN response: {all_seen}");
    o.send(a, "t3 STORE 3 -FLAGS (\\Seen)");
    let b = o.login();
    o.send(b, "x ENABLE IMAP4rev2");
    let rev2 = o.send(b, "s SELECT INBOX");
    assert!(!rev2.contains("UNSEEN") && rev2.contains("* 3 EXISTS"), "{rev2}");
}

#[test]
fn id_lsub_subscriptions_and_list_extended() {
    let mut o = Owner::new(&[M1]);
    let a = o.login();
    let id = o.send(a, "i ID (\"name\" \"Thunderbird\" \"version\" \"128.0\")");
    assert!(id.starts_with("* ID (\"name\" \"Mailsim\"") && id.contains("i OK ID completed"), "{id}");
    assert!(o.send(a, "i2 ID NIL").contains("i2 OK"));
    assert!(o.send(a, "i3 ID foo").contains("i3 BAD"));
    let lsub = o.send(a, "l LSUB \"\" \"*\"");
    assert_eq!(lsub, "* LSUB () \"/\" INBOX\r\n* LSUB (\\Sent) \"/\" Sent\r\n* LSUB (\\Trash) \"/\" Trash\r\nl OK LSUB completed\r\n");
    o.send(a, "c CREATE Work/2026/");
    assert!(o.send(a, "u UNSUBSCRIBE Trash").contains("u OK"));
    assert!(o.send(a, "u2 UNSUBSCRIBE Trash").contains("u2 NO [NONEXISTENT]"));
    assert!(o.send(a, "u3 SUBSCRIBE Nope").contains("u3 NO [NONEXISTENT]"));
    let lsub = o.send(a, "l2 LSUB \"\" \"W%\"");
    assert_eq!(lsub, "* LSUB () \"/\" Work\r\nl2 OK LSUB completed\r\n", "CREATE subscribes, % stops at /");
    o.send(a, "d DELETE Work/2026");
    let l = o.send(a, "l3 LIST (SUBSCRIBED) \"\" \"Work*\"");
    assert!(l.contains("* LIST (\\HasNoChildren \\Subscribed) \"/\" Work\r\n"), "{l}");
    assert!(
        l.contains("* LIST (\\NonExistent \\Subscribed) \"/\" Work/2026\r\n"),
        "a subscription outlives its mailbox: {l}"
    );
    let lsub = o.send(a, "l4 LSUB \"\" Work/2026");
    assert!(lsub.contains("* LSUB (\\Noselect) \"/\" Work/2026"), "{lsub}");
    // Several patterns, SPECIAL-USE, LIST-STATUS, RECURSIVEMATCH.
    let l = o.send(a, "l5 LIST \"\" (INBOX Sent)");
    assert_eq!(l, "* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\nl5 OK LIST completed\r\n");
    let l = o.send(a, "l6 LIST \"\" INBOX RETURN (STATUS (MESSAGES UIDNEXT))");
    assert!(l.contains("* STATUS INBOX (MESSAGES 1 UIDNEXT 2)\r\nl6 OK"), "{l}");
    o.send(a, "c2 CREATE Lists/rust");
    o.send(a, "u4 UNSUBSCRIBE Lists");
    let l = o.send(a, "l7 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\"");
    assert!(l.contains("* LIST (\\HasChildren) \"/\" Lists (\"CHILDINFO\" (\"SUBSCRIBED\"))"), "{l}");
    let l = o.send(a, "l8 LIST \"\" Trash RETURN (SUBSCRIBED)");
    assert!(l.contains("* LIST (\\HasNoChildren \\Trash) \"/\" Trash"), "unsubscribed: no \\Subscribed: {l}");
}

#[test]
fn uid_expunge_searchres_and_binary() {
    let mut o = Owner::new(&[M1, M2, M3]);
    let a = o.login();
    o.send(a, "s SELECT INBOX");
    o.send(a, "d STORE 1:2 +FLAGS.SILENT (\\Deleted)");
    let x = o.send(a, "x UID EXPUNGE 2:3");
    assert_eq!(x, "* 2 EXPUNGE\r\nx OK UID EXPUNGE completed\r\n", "only UID 2 is both listed and \\Deleted");
    assert!(o.send(a, "x2 EXPUNGE").contains("* 1 EXPUNGE\r\nx2 OK"));
    // SEARCHRES: SAVE alone answers nothing but OK; `$` then names the result.
    let mut o = Owner::new(&[M1, M2, M3]);
    let a = o.login();
    o.send(a, "s SELECT INBOX");
    assert_eq!(o.send(a, "r SEARCH RETURN (SAVE) SUBJECT lunch"), "r OK SEARCH completed, result saved\r\n");
    let f = o.send(a, "f FETCH $ (UID)");
    assert!(f.contains("* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 2)\r\nf OK"), "{f}");
    assert!(o.send(a, "u UID SEARCH $ NOT 1").contains("* SEARCH 2\r\n"));
    let r = o.send(a, "r2 SEARCH RETURN (SAVE MIN) ALL");
    assert!(r.contains("* ESEARCH (TAG \"r2\") MIN 1\r\n"), "{r}");
    assert!(o.send(a, "u2 UID SEARCH UID $").contains("* SEARCH 1\r\n"));
    assert!(o.send(a, "c COPY $ Trash").contains("[COPYUID 3857529046 1 1]"));
    // BINARY: parts decoded; literal8 for octets with NUL; APPEND of a literal8.
    let b = o.send(a, "b FETCH 3 (BINARY.PEEK[1] BINARY.SIZE[2])");
    assert!(b.contains("BINARY[1] {5}\r\ncafé BINARY.SIZE[2] 4)"), "{b}");
    let b = o.send(a, "b2 FETCH 3 BINARY.PEEK[2]<1.2>");
    assert!(b.contains("* 3 FETCH (BINARY[2]<1> {2}\r\n\u{1}\u{2})"), "{b}");
    let b = o.send(a, "b3 FETCH 3 BINARY.PEEK[2]");
    assert!(b.contains("BINARY[2] ~{4}\r\n\0\u{1}\u{2}\u{FFFD})"), "a NUL makes it a literal8: {b}");
    assert!(o.send(a, "b4 FETCH 3 BINARY[1.MIME]").contains("b4 BAD"));
    let ap = o.send_bytes(a, b"p APPEND INBOX ~{12}\r\nSubject: \0\r\n\r\n\r\n");
    assert!(ap.contains("* 4 EXISTS\r\n") && ap.contains("p OK [APPENDUID 3857529045 4]"), "{ap}");
}

#[test]
fn issue_14_bugs() {
    let mut o = Owner::new(&[M1]);
    let a = o.login();
    o.send(a, "s SELECT INBOX");
    // Sequence numbers beyond EXISTS are BAD; `*` is fine.
    assert!(o.send(a, "q SEARCH 5:2").contains("q BAD message number 5 does not exist"));
    assert!(o.send(a, "q2 SEARCH 1:*").contains("* SEARCH 1\r\n"));
    assert!(o.send(a, "q3 FETCH 2 FLAGS").contains("q3 BAD"));
    assert!(o.send(a, "q4 STORE 1,2 +FLAGS (\\Seen)").contains("q4 BAD"));
    assert!(o.send(a, "q5 COPY 3 Trash").contains("q5 BAD"));
    assert!(o.send(a, "q6 UID FETCH 99 FLAGS").contains("q6 OK"), "UIDs that do not exist are no error");
    // A new keyword appears in FLAGS and PERMANENTFLAGS (which has \*).
    let st = o.send(a, "k STORE 1 +FLAGS ($Work)");
    assert!(
        st.starts_with("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)]"),
        "{st}"
    );
    assert!(!o.send(a, "k2 STORE 1 +FLAGS ($Work)").contains("* FLAGS"), "only once");
    let b = o.login();
    assert!(o.send(b, "s SELECT INBOX").contains("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)"));
    // APPEND, COPY and MOVE into the selected mailbox: EXISTS at once.
    let ap = o.send_bytes(a, b"p APPEND INBOX {18}\r\nSubject: x\r\n\r\nhi\r\n\r\n");
    assert!(ap.contains("* 2 EXISTS\r\n"), "{ap}");
    let cp = o.send(a, "c COPY 1 INBOX");
    assert!(cp.contains("* 3 EXISTS\r\n* 3 RECENT\r\nc OK [COPYUID 3857529045 1 3] COPY completed"), "{cp}");
    assert!(o.send(b, "n NOOP").contains("* 3 EXISTS"), "the other session hears of both");
    // CREATE a/b/ makes a/b (and a); DELETE and CREATE again: a new UIDVALIDITY.
    o.send(a, "cr CREATE a/b/");
    let l = o.send(a, "l LIST \"\" \"a*\"");
    assert_eq!(l, "* LIST (\\HasChildren) \"/\" a\r\n* LIST (\\HasNoChildren) \"/\" a/b\r\nl OK LIST completed\r\n");
    let v1 = o.send(a, "v STATUS a/b (UIDVALIDITY)");
    o.send(a, "d DELETE a/b");
    o.send(a, "cr2 CREATE a/b");
    let v2 = o.send(a, "v2 STATUS a/b (UIDVALIDITY)");
    assert!(v1.contains("UIDVALIDITY") && v1.replace("v OK", "") != v2.replace("v2 OK", ""), "{v1} {v2}");
    // ENVELOPE: a comment as the name, a group, a route.
    let mut o = Owner::new(&[M2, M3]);
    let a = o.login();
    o.send(a, "s SELECT INBOX");
    let e = o.send(a, "e FETCH 1:2 ENVELOPE");
    assert!(e.contains("((\"Carol Singer\" NIL \"carol\" \"c.example\"))"), "{e}");
    assert!(
        e.contains(
            "((NIL NIL \"Team\" NIL)(NIL NIL \"ann\" \"a.example\")(NIL NIL \"bo\" \"b.example\")(NIL NIL NIL NIL))"
        ),
        "{e}"
    );
    assert!(e.contains("((\"Dan\" NIL \"dan\" \"d.example\"))"), "a comment inside the address is skipped: {e}");
    // SEARCH FROM through comments; SENT* by the Date: field's own date.
    assert!(o.send(a, "f SEARCH FROM dan@d.example").contains("* SEARCH 2\r\n"));
    assert!(o.send(a, "f2 SEARCH FROM \"carol singer\"").contains("* SEARCH 1\r\n"));
    assert!(o.send(a, "d SEARCH SENTON 1-Feb-2026").contains("* SEARCH 2\r\n"), "-0500: still 1 Feb there");
    assert!(o.send(a, "d2 SEARCH SENTSINCE 2-Feb-2026").contains("* SEARCH 1\r\n"));
}

#[test]
fn a_line_over_the_limit_answers_its_tag_and_is_skipped() {
    let mut o = Owner::new(&[]);
    let a = o.login();
    let long = format!("t1 LOGIN {} x", "a".repeat(crate::limits::IMAP_LINE));
    // In pieces: the BAD comes once the limit is passed; the rest of the line is dropped.
    let out = o.send_bytes(a, &long.as_bytes()[..crate::limits::IMAP_LINE + 5]);
    assert!(out.starts_with("t1 BAD Command line too long"), "{out}");
    let out = o.send_bytes(a, format!("{}\r\nt2 NOOP\r\n", &long[crate::limits::IMAP_LINE + 5..]).as_bytes());
    assert_eq!(out, "t2 OK NOOP completed\r\n", "the tail of the long line is not a command");
    // Whole: the same.
    let out = o.send_bytes(a, format!("{long}\r\nt3 NOOP\r\n").as_bytes());
    assert!(out.starts_with("t1 BAD Command line too long") && out.ends_with("t3 OK NOOP completed\r\n"), "{out}");
}

#[test]
fn sort_thread_and_quota() {
    let mut o = Owner::new(&[M1, M2, M3]);
    let a = o.login();
    o.send(a, "s SELECT INBOX");
    assert!(o.send(a, "o SORT (REVERSE DATE) UTF-8 ALL").contains("* SORT 2 3 1\r\no OK"));
    assert!(o.send(a, "o2 UID SORT (SUBJECT) US-ASCII NOT FROM dan").contains("* SORT 1 2\r\n"));
    assert!(o.send(a, "o3 SORT (FROM) UTF-8 ALL").contains("* SORT 1 2 3\r\n"));
    assert!(o.send(a, "o4 SORT (DATE) KOI8-R ALL").contains("o4 BAD [BADCHARSET"));
    assert!(o.send(a, "t THREAD REFERENCES UTF-8 ALL").contains("* THREAD (1 2)(3)\r\n"));
    assert!(o.send(a, "t2 THREAD ORDEREDSUBJECT UTF-8 ALL").contains("* THREAD (1 2)(3)\r\n"));
    let q = o.send(a, "q GETQUOTAROOT INBOX");
    assert!(q.starts_with("* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" (STORAGE 1 51200)\r\nq OK"), "{q}");
    assert!(o.send(a, "q2 GETQUOTA \"\"").contains("* QUOTA \"\" (STORAGE 1 51200)"));
    o.send(a, "d STORE 3 +FLAGS (\\Deleted)");
    assert!(o
        .send(a, "q5 STATUS INBOX (DELETED DELETED-STORAGE)")
        .contains("* STATUS INBOX (DELETED 1 DELETED-STORAGE 1)"));
    assert!(o.send(a, "q3 GETQUOTA other").contains("q3 NO"));
    assert!(o.send(a, "q4 SETQUOTA \"\" (STORAGE 1)").contains("q4 BAD"));
}

#[test]
fn an_empty_mailbox_is_not_fetched_from_and_star_there_is_bad() {
    use crate::imap::client::{ImapClient, ImapStep};
    let mut o = Owner::new(&[]);
    let a = o.login();
    o.send(a, "s SELECT INBOX");
    assert!(o.send(a, "f FETCH 1:* FLAGS").contains("f BAD the mailbox is empty"));
    assert!(o.send(a, "f2 FETCH * FLAGS").contains("f2 BAD"));
    assert!(o.send(a, "f3 UID FETCH 1:* FLAGS").contains("f3 OK"), "a UID set is fine");
    // The scripted client (webmail, the check-mail task) skips fetches by number there.
    let steps = ["c LOGIN bob pw", "d SELECT INBOX", "e FETCH 1:* (FLAGS ENVELOPE)", "g FETCH * BODY[]", "h LOGOUT"];
    let mut c = ImapClient::new(steps.iter().map(|s| ImapStep::Line(s.to_string())).collect());
    let k = {
        let mut cfg = ImapConfig::new("h", vec![(USER.into(), "pw".into())], vec![1; 16], "n");
        cfg.login_requires_tls = false;
        o.sessions.push(ImapServer::new(cfg, 0));
        o.sessions.len() - 1
    };
    let mut wire = String::new();
    let mut to_client = o.send_bytes(k, b"");
    for _ in 0..20 {
        c.handle_input(0, to_client.as_bytes());
        let mut sent = Vec::new();
        while let Some(t) = c.poll_transmit() {
            sent.extend(t.bytes);
        }
        wire.push_str(&String::from_utf8_lossy(&sent));
        to_client = o.send_bytes(k, &sent);
        wire.push_str(&to_client);
    }
    assert!(!wire.contains("FETCH") && !wire.contains("BAD"), "{wire}");
    assert!(wire.contains("h OK LOGOUT completed"), "{wire}");
}

#[test]
fn append_keeps_the_date_time_asked_for() {
    let mut o = Owner::new(&[]);
    let a = o.login();
    let ap = o.send_bytes(a, b"p APPEND INBOX (\\Seen) \"30-Nov-2026 09:00:00 +0100\" {14}\r\nSubject: x\r\n\r\n\r\n");
    assert!(ap.contains("p OK [APPENDUID"), "{ap}");
    o.send(a, "s SELECT INBOX");
    let f = o.send(a, "f FETCH 1 (INTERNALDATE FLAGS)");
    assert!(f.contains("INTERNALDATE \"30-Nov-2026 08:00:00 +0000\" FLAGS (\\Recent \\Seen)"), "{f}");
    assert!(o.send_bytes(a, b"q APPEND INBOX \"yesterday\" {14}\r\nSubject: x\r\n\r\n\r\n").contains("q BAD"));
}

#[test]
fn new_mail_is_recent_to_one_session_only() {
    let mut o = Owner::new(&[M1]);
    let a = o.login();
    let b = o.login();
    assert!(o.send(a, "s SELECT INBOX").contains("* 1 RECENT"));
    assert!(o.send(b, "s SELECT INBOX").contains("* 0 RECENT"));
    o.deliver("Subject: new\r\n\r\nx\r\n");
    let (na, nb) = (o.send(a, "n NOOP"), o.send(b, "n NOOP"));
    assert!(na.contains("* 2 EXISTS\r\n* 2 RECENT\r\n"), "the first session told: {na}");
    assert!(nb.contains("* 2 EXISTS\r\n* 0 RECENT\r\n"), "not recent to the second: {nb}");
    // What a session appends to its own selected mailbox is recent to it, and to no one else.
    let ap = o.send_bytes(b, b"p APPEND INBOX {14}\r\nSubject: x\r\n\r\n\r\n");
    assert!(ap.contains("* 3 EXISTS\r\n* 1 RECENT\r\n"), "{ap}");
    let c = o.login();
    assert!(o.send(c, "s SELECT INBOX").contains("* 0 RECENT"));
}
