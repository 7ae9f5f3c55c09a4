use super::*;
use mailsim_proto::store::Mailbox;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mailsim-maildir-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

/// A store for alice kept in `dir`, recording changes, as `mailsim serve` makes it.
fn open(dir: &Path, clock: u32) -> (Maildir, MailStore, usize) {
    let (mut m, next) = Maildir::open(dir).unwrap();
    let mut s = MailStore::default();
    s.set_uid_validity_from(clock.max(next));
    s.add_account(A, "pw");
    let n = m.load(&mut s).unwrap();
    s.record_changes();
    (m, s, n)
}

/// What the Maildir keeps of a folder: its messages with their IMAP mod-sequences,
/// UIDNEXT, UIDVALIDITY, HIGHESTMODSEQ and the expunge history.
type Kept = (Vec<(u32, Vec<u8>, Vec<String>, i64, u64)>, u32, u32, u64, Vec<(u32, u64)>);

fn kept(m: Option<&Mailbox>) -> Option<Kept> {
    m.map(|m| {
        // Flags are a set: in the order the store has them, or the order of a file name's letters.
        let set = |f: &[String]| {
            let mut f = f.to_vec();
            f.sort();
            f
        };
        let msgs =
            m.messages.iter().map(|x| (x.uid, x.data.clone(), set(&x.flags), x.internal_date, x.modseq)).collect();
        (msgs, m.uid_next, m.uid_validity, m.highest_modseq.max(1), m.vanished.clone())
    })
}

fn flush(m: &mut Maildir, s: &mut MailStore) {
    m.apply(&s.take_changes()).unwrap();
}

const A: &str = "alice@a.example";

/// A test's directory, removed when the test ends (however it ends).
struct Dir(PathBuf);

impl std::ops::Deref for Dir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Dir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A new, empty store for alice in its own directory ([`open`]).
fn fresh(name: &str) -> (Dir, Maildir, MailStore) {
    let dir = Dir(temp_dir(name));
    let (m, s, n) = open(&dir, 1_000);
    assert_eq!(n, 0);
    (dir, m, s)
}

/// The server stops (its Maildir dropped, as a kill leaves it) and starts again on `dir`.
fn restart(dir: &Path, m: Maildir) -> (Maildir, MailStore, usize) {
    drop(m);
    open(dir, 1_000)
}

/// Alice's INBOX, as kept, is the same in both stores.
fn assert_same_inbox(after: &MailStore, before: &MailStore) {
    assert_eq!(kept(after.folder(A, "INBOX")), kept(before.folder(A, "INBOX")));
}

/// Two messages on disk ("kept", UID 1; "removed", UID 2), the server stopped, then the
/// file of "removed" unlinked (a removal cut after its unlink): alice's INBOX directory.
fn kept_and_removed_then_unlinked(dir: &Path) -> PathBuf {
    let (mut m, mut s, _) = open(dir, 1_000);
    s.deliver(A, b"kept".to_vec());
    s.deliver(A, b"removed".to_vec());
    flush(&mut m, &mut s);
    m.apply(&[]).unwrap();
    drop(m);
    let inbox = dir.join(A);
    for e in fs::read_dir(inbox.join("cur")).unwrap() {
        let p = e.unwrap().path();
        if fs::read(&p).unwrap() == b"removed" {
            fs::remove_file(p).unwrap();
        }
    }
    inbox
}

#[test]
fn everything_comes_back_after_a_restart() {
    let (dir, mut m, mut s) = fresh("restart");
    let a = A;
    s.deliver_at(a, b"Subject: one\r\n\r\n\xff bytes, not text\r\n".to_vec(), 1_700_000_000, &[]);
    s.deliver_at(a, b"Subject: two\r\n\r\nhi\r\n".to_vec(), 1_700_000_001, &[]);
    s.deliver_at(a, b"Subject: three\r\n\r\nhi\r\n".to_vec(), 1_700_000_002, &[]);
    s.set_flags(a, 2, &["\\Seen".into(), "\\Flagged".into(), "$Important".into()]);
    s.expunge(a, &[1]);
    assert!(s.create_folder(a, "Work/2026"));
    s.append(a, "Work/2026", b"filed".to_vec(), &["\\Seen".into()], 5);
    assert!(s.create_folder(a, "Gone"));
    assert!(s.delete_folder(a, "Gone"));
    let long = "é".repeat(120);
    assert!(s.create_folder(a, &long), "255 octets: the longest name IMAP takes");
    s.append(a, &long, b"in a long folder".to_vec(), &[], 6);
    assert!(s.create_folder(a, "Old.name"));
    assert!(s.rename_folder(a, "Old.name", "New"));
    flush(&mut m, &mut s);
    let before = s.clone();
    drop(m);
    // The files look like Maildir.
    assert!(dir
        .join("alice@a.example/cur")
        .read_dir()
        .unwrap()
        .any(|e| { e.unwrap().file_name().to_string_lossy().ends_with(":2,FS") }));
    assert!(dir.join("alice@a.example/.Work.2026/cur").is_dir());

    let (_m, s2, n) = open(&dir, 1_000);
    assert_eq!(n, 4);
    for f in ["INBOX", "Sent", "Trash", "Work/2026", "New", long.as_str()] {
        assert_eq!(kept(s2.folder(a, f)), kept(before.folder(a, f)), "{f}");
    }
    assert!(s2.folder(a, "Gone").is_none());
    assert_eq!(s2.folder_names(a), before.folder_names(a));
    assert_eq!(s2.folder(a, "INBOX").unwrap().uid_next, 4);
    // UIDVALIDITY never repeats, even for a name used before.
    let mut s2 = s2;
    assert!(s2.create_folder(a, "Gone"));
    let v = s2.folder(a, "Gone").unwrap().uid_validity;
    assert!(v > before.folder(a, "New").unwrap().uid_validity, "{v}");
}

#[test]
fn a_lost_store_gets_a_new_uid_validity() {
    let dir = Dir(temp_dir("lost"));
    let (_m, s, _) = open(&dir, 1_000);
    let old = s.folder(A, "INBOX").unwrap().uid_validity;
    fs::remove_dir_all(&dir).unwrap();
    // The clock moved on: a new store starts above it.
    let (_m, s, _) = open(&dir, 2_000);
    assert!(s.folder(A, "INBOX").unwrap().uid_validity > old);
}

#[test]
fn crashes_between_steps_lose_nothing_and_resurrect_nothing() {
    let dir = Dir(temp_dir("crash"));
    let a = A;
    // A removal interrupted after the unlink: the index line without its file is dropped.
    let inbox = kept_and_removed_then_unlinked(&dir);
    // A delivery interrupted in tmp/: never acknowledged, cleared.
    fs::write(inbox.join("tmp/98.M1P1.mailsim"), b"half").unwrap();
    // A delivery interrupted before its index line: the file is adopted.
    fs::write(inbox.join("new/99.M1P1.mailsim"), b"orphan").unwrap();
    // A torn last line of the index is ignored.
    let mut idx = OpenOptions::new().append(true).open(inbox.join(INDEX)).unwrap();
    idx.write_all(b"- 1").unwrap();
    drop(idx);
    let (_m, s, n) = open(&dir, 1_000);
    assert_eq!(n, 2);
    let msgs = &s.folder(a, "INBOX").unwrap().messages;
    assert_eq!((msgs[0].uid, msgs[0].data.as_slice()), (1, &b"kept"[..]));
    assert_eq!((msgs[1].uid, msgs[1].data.as_slice()), (3, &b"orphan"[..]), "a new UID, never 2 again");
    assert_eq!(fs::read_dir(inbox.join("tmp")).unwrap().count(), 0);
}

#[test]
fn the_index_is_compacted_when_it_grows() {
    let (dir, mut m, mut s) = fresh("compact");
    let a = A;
    s.deliver(a, b"one".to_vec());
    for i in 0..600 {
        let flags = if i % 2 == 0 { vec!["\\Seen".to_string()] } else { vec![] };
        s.set_flags(a, 1, &flags);
        flush(&mut m, &mut s);
    }
    let lines = fs::read_to_string(dir.join(A).join(INDEX)).unwrap().lines().count();
    assert!(lines < 300, "{lines} lines");
    let (_m, s2, _) = restart(&dir, m);
    assert_same_inbox(&s2, &s);
}

#[test]
fn names_survive_the_file_system() {
    for n in ["Work", "a/b", "dots.in.name", "100%", "é ü", "../etc"] {
        let enc = encode(n, b"/").replace('/', ".");
        assert!(!enc.contains(['/', '\\']) && !enc.starts_with('.'), "{enc}");
        assert_eq!(decode(&enc.replace('.', "/")), n);
    }
}

#[test]
fn a_batch_of_many_messages_is_written_together() {
    let (dir, mut m, mut s) = fresh("batch");
    let a = A;
    for i in 0..50 {
        s.deliver(a, format!("message {i}").into_bytes());
    }
    s.set_flags(a, 7, &["\\Seen".into()]);
    s.expunge(a, &[3]);
    flush(&mut m, &mut s);
    assert_eq!(fs::read_dir(dir.join("alice@a.example/tmp")).unwrap().count(), 0, "nothing left in tmp/");
    let (_m, s2, n) = restart(&dir, m);
    assert_eq!(n, 49);
    assert_same_inbox(&s2, &s);
}

#[test]
fn mod_sequences_expunges_and_subscriptions_come_back() {
    let (dir, mut m, mut s) = fresh("modseq");
    let a = A;
    for i in 0..4 {
        s.deliver(a, format!("message {i}").into_bytes());
    }
    s.set_flags(a, 2, &["\\Seen".into()]);
    s.set_flags(a, 2, &["\\Seen".into(), "$Work".into()]);
    s.expunge(a, &[1, 3]);
    assert!(s.subscribe(a, "Trash", false));
    assert!(s.subscribe(a, "Not/There yet", true));
    flush(&mut m, &mut s);
    s.expunge(a, &[4]);
    flush(&mut m, &mut s);
    let inbox = s.folder(a, "INBOX").unwrap().clone();
    // A new folder starts at HIGHESTMODSEQ 1; then 4 arrivals, 2 flag changes, 3 expunges.
    assert_eq!(inbox.highest_modseq, 10);
    assert_eq!(inbox.vanished, vec![(1, 8), (3, 9), (4, 10)]);
    drop(m);
    let (mut m, mut s2, _) = open(&dir, 1_000);
    assert_eq!(kept(s2.folder(a, "INBOX")), kept(Some(&inbox)), "the same modseqs, HIGHESTMODSEQ, history");
    assert_eq!(s2.folder(a, "INBOX").unwrap().messages[0].modseq, 7, "UID 2: its last flag change");
    assert_eq!(s2.subscriptions(a), vec!["INBOX", "Not/There yet", "Sent"]);
    for f in ["Sent", "Trash"] {
        assert_eq!(kept(s2.folder(a, f)), kept(s.folder(a, f)), "{f}");
    }
    // The numbering goes on from there, and the index is compacted with the history in it.
    s2.set_flags(a, 2, &[]);
    assert_eq!(s2.folder(a, "INBOX").unwrap().highest_modseq, 11);
    for i in 0..300 {
        s2.deliver(a, format!("more {i}").into_bytes());
        flush(&mut m, &mut s2);
    }
    s2.expunge(a, &(5..305).collect::<Vec<_>>());
    flush(&mut m, &mut s2);
    let (_m, s3, _) = restart(&dir, m);
    assert_same_inbox(&s3, &s2);
    assert_eq!(s3.folder(a, "INBOX").unwrap().vanished.len(), 303);
}

#[test]
fn a_crash_after_an_unlink_is_an_expunge_at_the_next_start() {
    let dir = Dir(temp_dir("unlinked"));
    let a = A;
    let inbox = kept_and_removed_then_unlinked(&dir);
    fs::write(inbox.join("new/99.M1P1.mailsim"), b"orphan").unwrap();
    let (_m, s, _) = open(&dir, 1_000);
    let mb = s.folder(a, "INBOX").unwrap();
    assert_eq!(mb.vanished, vec![(2, 4)], "expunged above every mod-sequence given before");
    assert_eq!((mb.messages[1].uid, mb.messages[1].modseq, mb.highest_modseq), (3, 5, 5), "adopted after it");
}

#[test]
fn an_index_of_version_1_is_read() {
    let dir = Dir(temp_dir("v1"));
    let a = A;
    let inbox = dir.join(A);
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(inbox.join(sub)).unwrap();
    }
    fs::write(inbox.join("cur/5.M1P1.mailsim:2,S"), b"one").unwrap();
    fs::write(inbox.join("cur/6.M2P1.mailsim:2,"), b"two").unwrap();
    let v1 = "mailsim-index v1 777 4\n+ 1 5 5.M1P1.mailsim \\Seen\n+ 2 6 6.M2P1.mailsim\n+ 3 7 7.M3P1.mailsim\n\
              F 2 $Work\n- 3\n";
    fs::write(inbox.join(INDEX), v1).unwrap();
    let (m, s, n) = open(&dir, 1_000);
    assert_eq!(n, 2);
    let mb = s.folder(a, "INBOX").unwrap().clone();
    assert_eq!((mb.uid_validity, mb.uid_next), (777, 4));
    assert_eq!(mb.messages[1].flags, vec!["$Work"]);
    assert!(mb.messages.iter().all(|x| x.modseq > 0 && x.modseq <= mb.highest_modseq), "{mb:?}");
    assert!(mb.vanished.is_empty(), "a version 1 expunge has no known time");
    drop(m);
    assert!(fs::read_to_string(inbox.join(INDEX)).unwrap().starts_with("mailsim-index v2 777 4 "));
    let (_m, s2, _) = open(&dir, 1_000);
    assert_eq!(kept(s2.folder(a, "INBOX")), kept(Some(&mb)), "the mod-sequences given then are kept");
}

/// A copy of a store's directory (to read one crash state from it, then another).
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn a_delivery_waits_for_two_fsyncs_a_flag_change_or_an_expunge_for_one() {
    let (_dir, mut m, mut s) = fresh("fsyncs");
    let a = A;
    let before = m.fsyncs;
    s.deliver(a, b"one".to_vec());
    flush(&mut m, &mut s);
    assert_eq!(m.fsyncs - before, 2, "the file, then cur/ (the index line rides along)");
    // 20 at once: each file, then cur/ once.
    for i in 0..20 {
        s.deliver(a, format!("m{i}").into_bytes());
    }
    let before = m.fsyncs;
    flush(&mut m, &mut s);
    assert_eq!(m.fsyncs - before, 21);
    // A flag change is an index line, durable before its OK.
    let before = m.fsyncs;
    s.set_flags(a, 1, &["\\Seen".into()]);
    flush(&mut m, &mut s);
    assert_eq!(m.fsyncs - before, 1);
    // APPEND with a keyword Maildir has no letter for: its index line is fsync'd too.
    let before = m.fsyncs;
    s.append(a, "INBOX", b"kept with a keyword".to_vec(), &["$Important".into()], 7);
    flush(&mut m, &mut s);
    assert_eq!(m.fsyncs - before, 3);
    // An expunge: its index line (then the unlink).
    let before = m.fsyncs;
    s.expunge(a, &[2]);
    flush(&mut m, &mut s);
    assert_eq!(m.fsyncs - before, 1);
}

/// Every state a crash can leave after deliveries whose index lines were not fsync'd yet:
/// the index cut anywhere after its last fsync'd line. The messages come back with the
/// UIDs, mod-sequences, flags and dates they had, and the next UID and mod-sequence go on
/// from there.
#[test]
fn deliveries_whose_index_lines_a_crash_lost_keep_their_uids_modseqs_and_flags() {
    let (dir, mut m, mut s) = fresh("lost-lines");
    let a = A;
    s.deliver_at(a, b"Subject: one\r\n\r\n1\r\n".to_vec(), 1_700_000_001, &[]);
    s.deliver_at(a, b"Subject: two\r\n\r\n2\r\n".to_vec(), 1_700_000_002, &[]);
    flush(&mut m, &mut s);
    s.expunge(a, &[1]);
    flush(&mut m, &mut s);
    let inbox = dir.join(A);
    // Everything up to the expunge was fsync'd with its line.
    let synced = fs::metadata(inbox.join(INDEX)).unwrap().len();
    s.deliver_at(a, b"Subject: three\r\n\r\n3\r\n".to_vec(), 1_700_000_003, &["\\Seen", "\\Flagged"]);
    flush(&mut m, &mut s);
    for i in 4..7 {
        s.deliver_at(a, format!("Subject: {i}\r\n\r\n{i}\r\n").into_bytes(), 1_700_000_000 + i, &[]);
    }
    flush(&mut m, &mut s);
    assert_eq!(fs::metadata(inbox.join(INDEX)).unwrap().len(), synced, "the arrival lines are held in memory");
    // Written when the server stops (an empty batch), not fsync'd.
    m.apply(&[]).unwrap();
    let index = fs::read(inbox.join(INDEX)).unwrap();
    assert!(index.len() as u64 > synced);
    let before = kept(s.folder(a, "INBOX")).unwrap();
    assert_eq!(before.0.iter().map(|x| x.0).collect::<Vec<_>>(), [2, 3, 4, 5, 6]);
    drop(m);
    // Cut after each line, and in the middle of each (a torn line).
    let mut cuts = vec![synced as usize];
    for (i, b) in index.iter().enumerate().skip(synced as usize) {
        if *b == b'\n' {
            cuts.push((cuts.last().unwrap_or(&0) + i) / 2);
            cuts.push(i + 1);
        }
    }
    assert_eq!(cuts.len(), 9, "four lines unsynced: {cuts:?}");
    for cut in cuts {
        let state = Dir(temp_dir(&format!("lost-lines-{cut}")));
        copy_dir(&dir, &state);
        fs::write(state.join(A).join(INDEX), index.get(..cut).unwrap()).unwrap();
        let (mut m2, mut s2, n) = open(&state, 1_000);
        assert_eq!(n, 5, "cut at {cut}");
        assert_eq!(kept(s2.folder(a, "INBOX")).unwrap(), before, "cut at {cut}");
        // And it goes on from there: the next UID and mod-sequence are new.
        s2.deliver(a, b"next".to_vec());
        let next = s2.folder(a, "INBOX").unwrap().messages.last().unwrap().clone();
        assert_eq!((next.uid, next.modseq), (7, before.3 + 1), "cut at {cut}");
        flush(&mut m2, &mut s2);
        let (_m3, s3, _) = restart(&state, m2);
        assert_same_inbox(&s3, &s2);
    }
}

#[test]
fn a_file_whose_uid_was_expunged_goes_and_one_whose_uid_is_taken_gets_a_new_one() {
    let (dir, mut m, mut s) = fresh("uid-taken");
    let a = A;
    s.deliver(a, b"kept".to_vec());
    s.deliver(a, b"expunged".to_vec());
    flush(&mut m, &mut s);
    s.expunge(a, &[2]);
    flush(&mut m, &mut s);
    drop(m);
    let cur = dir.join("alice@a.example/cur");
    // A file claiming UID 1 (taken: copied there by hand); one with UID 2, whose expunge is
    // in the index (a removal cut after its line, before its unlink); one in tmp/ with a UID
    // (a delivery a crash cut before its rename: never acknowledged).
    fs::write(cur.join("5.M1P1Q1.mailsim,U=1,M=3:2,S"), b"copy of one").unwrap();
    fs::write(cur.join("5.M2P1Q1.mailsim,U=2,M=4:2,"), b"copy of two").unwrap();
    fs::write(dir.join("alice@a.example/tmp/5.M3P1Q1.mailsim,U=3,M=5"), b"cut").unwrap();
    let (_m, s, n) = open(&dir, 1_000);
    assert_eq!(n, 2);
    let mb = s.folder(a, "INBOX").unwrap();
    let got: Vec<(u32, &[u8])> = mb.messages.iter().map(|x| (x.uid, x.data.as_slice())).collect();
    assert_eq!(got, [(1, &b"kept"[..]), (3, b"copy of one")]);
    assert_eq!(mb.messages[1].flags, ["\\Seen"]);
    assert_eq!(mb.vanished, [(2, 4)], "the expunge as it was");
    assert!(!cur.join("5.M2P1Q1.mailsim,U=2,M=4:2,").exists(), "its unlink finished");
    assert_eq!(fs::read_dir(dir.join("alice@a.example/tmp")).unwrap().count(), 0);
}

#[test]
fn a_move_writes_the_copy_before_it_unlinks_the_original() {
    let (dir, mut m, mut s) = fresh("move");
    let a = A;
    s.deliver(a, b"moved".to_vec());
    flush(&mut m, &mut s);
    let original = fs::read_dir(dir.join("alice@a.example/cur")).unwrap().next().unwrap().unwrap().path();
    // What IMAP's MOVE does to the store: the copy, then the expunge, in one batch.
    s.append(a, "Trash", b"moved".to_vec(), &[], 5);
    s.expunge(a, &[1]);
    let mut work = Commit::default();
    m.stage(&s.take_changes(), &mut work).unwrap();
    // Staged: the copy is in Trash's cur/, the original not unlinked yet (that waits until
    // Trash's cur/ is fsync'd, in commit).
    assert_eq!(fs::read_dir(dir.join("alice@a.example/.Trash/cur")).unwrap().count(), 1);
    assert!(original.exists());
    assert!(work.dirs.iter().any(|d| d.ends_with(".Trash/cur")) && work.unlinks == [original.clone()]);
    m.commit(&mut work).unwrap();
    assert!(!original.exists());
    drop(m);
    let (_m, s2, _) = open(&dir, 1_000);
    assert!(s2.folder(a, "INBOX").unwrap().messages.is_empty());
    assert_eq!(s2.folder(a, "Trash").unwrap().messages[0].data, b"moved");
}

#[test]
fn held_arrival_lines_are_written_before_a_durable_line_and_when_many() {
    let (dir, mut m, mut s) = fresh("held");
    let a = A;
    let index = dir.join(A).join(INDEX);
    let lines = || fs::read_to_string(&index).unwrap().lines().count();
    s.deliver(a, b"one".to_vec());
    s.deliver(a, b"two".to_vec());
    flush(&mut m, &mut s);
    assert_eq!(lines(), 1, "the header only");
    s.set_flags(a, 2, &["$Later".into()]);
    flush(&mut m, &mut s);
    assert_eq!(lines(), 4, "both arrivals, then the flag change, in order");
    for i in 0..UNSYNCED_LINES {
        s.deliver(a, format!("m{i}").into_bytes());
        flush(&mut m, &mut s);
    }
    assert_eq!(lines(), 4 + UNSYNCED_LINES, "written once there are {UNSYNCED_LINES}");
    let (_m, s2, n) = restart(&dir, m);
    assert_eq!(n, 2 + UNSYNCED_LINES);
    assert_same_inbox(&s2, &s);
}
