//! CONDSTORE and QRESYNC (RFC 7162) between sessions over one store.

use super::rev1_tests::{Owner, USER};

const M: &str = "Subject: x\r\n\r\nx\r\n";

#[test]
fn condstore_modseq_changedsince_unchangedsince_and_search() {
    let mut o = Owner::new(&[M, M, M]);
    let a = o.login();
    let sel = o.send(a, "s SELECT INBOX (CONDSTORE)");
    assert!(sel.contains("* OK [HIGHESTMODSEQ 3] Highest\r\n"), "three deliveries: {sel}");
    let f = o.send(a, "f FETCH 1:* (MODSEQ)");
    assert!(f.contains("* 1 FETCH (MODSEQ (1))\r\n* 2 FETCH (MODSEQ (2))\r\n* 3 FETCH (MODSEQ (3))\r\n"), "{f}");
    let st = o.send(a, "t STORE 2 +FLAGS (\\Seen)");
    assert!(st.contains("* 2 FETCH (FLAGS (\\Recent \\Seen) MODSEQ (4))\r\n"), "{st}");
    assert_eq!(o.store.folder(USER, "INBOX").unwrap().messages[1].modseq, 4, "the store agrees");
    let c = o.send(a, "c FETCH 1:* (FLAGS) (CHANGEDSINCE 3)");
    assert!(c.contains("* 2 FETCH (FLAGS (\\Recent \\Seen) MODSEQ (4))\r\nc OK"), "{c}");
    assert!(!c.contains("* 1 FETCH"), "{c}");
    // UNCHANGEDSINCE: message 2 changed after 3, so it is left alone and reported.
    let u = o.send(a, "u STORE 1:2 (UNCHANGEDSINCE 3) +FLAGS (\\Flagged)");
    assert!(u.contains("* 1 FETCH (FLAGS (\\Recent \\Flagged) MODSEQ (5))"), "{u}");
    assert!(u.contains("u OK [MODIFIED 2] Conditional STORE failed"), "{u}");
    let s = o.send(a, "q SEARCH MODSEQ 4");
    assert!(s.contains("* SEARCH 1 2 (MODSEQ 5)\r\n"), "{s}");
    let s = o.send(a, "q2 SEARCH RETURN (COUNT) MODSEQ \"/flags/\\\\seen\" all 5");
    assert!(s.contains("* ESEARCH (TAG \"q2\") COUNT 1 MODSEQ 5\r\n"), "{s}");
    // Another session's change comes with its MODSEQ; STATUS HIGHESTMODSEQ.
    let b = o.login();
    o.send(b, "s SELECT INBOX");
    o.send(b, "t STORE 3 +FLAGS (\\Answered)");
    let n = o.send(a, "n NOOP");
    assert!(n.contains("* 3 FETCH (FLAGS (\\Recent \\Answered) MODSEQ (6))"), "{n}");
    assert!(o.send(b, "st STATUS INBOX (HIGHESTMODSEQ)").contains("* STATUS INBOX (HIGHESTMODSEQ 6)"));
    // Expunges count too: the store and the sessions stay in step.
    o.send(a, "d STORE 3 +FLAGS.SILENT (\\Deleted)");
    o.send(a, "x EXPUNGE");
    assert_eq!(o.store.folder(USER, "INBOX").unwrap().highest_modseq, 8);
    assert!(o.send(a, "s2 SELECT INBOX").contains("* OK [CLOSED] Previous mailbox closed\r\n"));
    assert!(o.send(a, "f2 FETCH 1 MODSEQ").contains("* 1 FETCH (MODSEQ (5))"));
    assert!(o.send(a, "s3 EXAMINE INBOX").contains("* OK [HIGHESTMODSEQ 8]"));
}

/// .SILENT drops the FLAGS of a conditional STORE, not its MODSEQ: the client must learn the
/// mod-sequence its change got (RFC 7162 §3.1.3).
#[test]
fn silent_conditional_store_still_reports_modseq() {
    let mut o = Owner::new(&[M, M]);
    let a = o.login();
    o.send(a, "s SELECT INBOX");
    let w = o.send(a, "w UID STORE 1 (UNCHANGEDSINCE 2) +FLAGS.SILENT (\\Draft)");
    assert_eq!(w, "* 1 FETCH (UID 1 MODSEQ (3))\r\nw OK +FLAGS completed\r\n");
    let w = o.send(a, "w2 STORE 1:2 (UNCHANGEDSINCE 2) +FLAGS.SILENT (\\Answered)");
    assert_eq!(w, "* 2 FETCH (MODSEQ (4))\r\nw2 OK [MODIFIED 1] Conditional STORE failed for these\r\n");
    // Without UNCHANGEDSINCE, .SILENT is silent (RFC 9051 §6.4.6).
    assert_eq!(o.send(a, "w3 STORE 2 -FLAGS.SILENT (\\Answered)"), "w3 OK -FLAGS completed\r\n");
}

#[test]
fn qresync_vanished_and_resynchronization() {
    let mut o = Owner::new(&[M, M, M, M]);
    let a = o.login();
    assert!(o
        .send(a, "s SELECT INBOX (QRESYNC (3857529045 1))")
        .contains("s BAD SELECT (QRESYNC ...) needs ENABLE QRESYNC"));
    assert!(o.send(a, "e ENABLE QRESYNC").contains("* ENABLED QRESYNC\r\n"));
    o.send(a, "s SELECT INBOX");
    o.send(a, "d STORE 2,4 +FLAGS.SILENT (\\Deleted)");
    let x = o.send(a, "x EXPUNGE");
    assert_eq!(x, "* VANISHED 2,4\r\nx OK EXPUNGE completed\r\n", "VANISHED replaces EXPUNGE");
    o.send(a, "t STORE 1 +FLAGS (\\Seen)");
    let v = o.send(a, "v UID FETCH 1:* (FLAGS) (CHANGEDSINCE 4 VANISHED)");
    assert!(v.starts_with("* VANISHED (EARLIER) 2,4\r\n* 1 FETCH (UID 1 FLAGS (\\Recent \\Seen) MODSEQ (9))"), "{v}");
    assert!(o.send(a, "v2 FETCH 1 (FLAGS) (CHANGEDSINCE 4 VANISHED)").contains("v2 BAD VANISHED is for UID FETCH"));
    // A client that was away since mod-sequence 4 resynchronizes in one SELECT.
    let b = o.login();
    o.send(b, "e ENABLE QRESYNC");
    let r = o.send(b, "r SELECT INBOX (QRESYNC (3857529045 4 1:10))");
    assert!(r.contains("* OK [HIGHESTMODSEQ 9] Highest\r\n"), "{r}");
    assert!(r.contains("* VANISHED (EARLIER) 2,4\r\n* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (9))\r\nr OK"), "{r}");
    let r = o.send(b, "r2 SELECT INBOX (QRESYNC (1 4))");
    assert!(!r.contains("VANISHED") && r.contains("* OK [CLOSED]"), "another UIDVALIDITY: no resync: {r}");
    // Another session's expunge reaches a QRESYNC session as VANISHED, with the UID on flags.
    let c = o.login();
    o.send(c, "s SELECT INBOX");
    o.send(c, "t STORE 1 +FLAGS (\\Flagged)");
    o.send(c, "d STORE 2 +FLAGS.SILENT (\\Deleted)");
    o.send(c, "x EXPUNGE");
    let n = o.send(b, "n NOOP");
    assert!(
        n.contains("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Seen) MODSEQ (10))") && n.contains("* VANISHED 3\r\n"),
        "{n}"
    );
}

#[test]
fn expunges_of_unknown_time_are_reported_as_vanished() {
    // As after a restart of `mailsim serve`: UID 2 is gone, with no record of when.
    let mut o = Owner::new(&[M, M, M]);
    o.store.expunge(USER, &[2]);
    let inbox = o.store.folder(USER, "INBOX").unwrap().clone();
    let mut fresh = inbox.clone();
    fresh.vanished.clear();
    let mut store = crate::store::MailStore::default();
    store.add_account(USER, "pw");
    store.restore_folder(USER, "INBOX", fresh);
    o.store = store;
    let a = o.login();
    o.send(a, "e ENABLE QRESYNC");
    let r = o.send(a, "r SELECT INBOX (QRESYNC (3857529045 3))");
    assert!(r.contains("* VANISHED (EARLIER) 2\r\n"), "{r}");
    let v = o.send(a, "v UID FETCH 3 (FLAGS) (CHANGEDSINCE 3 VANISHED)");
    assert!(!v.contains("VANISHED"), "only the UIDs asked about: {v}");
}
