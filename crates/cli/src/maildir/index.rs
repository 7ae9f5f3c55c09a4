//! A folder's index: what Maildir does not keep (UIDVALIDITY, UIDNEXT, UIDs, IMAP flags,
//! CONDSTORE/QRESYNC mod-sequences and the expunge history).
//!
//! ```text
//! mailsim-index v2 VALIDITY UIDNEXT HIGHESTMODSEQ
//! + UID DATE MODSEQ FILE FLAGS...     a message arrived (FILE: the unique part of its name)
//! F UID MODSEQ FLAGS...               its flags are now these, its mod-sequence this
//! - UID MODSEQ                        it was expunged at this mod-sequence
//! ```
//! A whole index (written at start and when compacted) is the header, a `+` line per
//! message and a `-` line per remembered expunge (RFC 7162 §3.2.5's VANISHED (EARLIER)
//! needs them). Version 1 (before mod-sequences were kept) had `+ UID DATE FILE FLAGS...`,
//! `F UID FLAGS...` and `- UID`; it is still read. A last line without its newline was
//! torn by a crash and is ignored.

use super::{file_name, flag_of_letter};
use mailsim_proto::store::{forget_old_expunges, Mailbox, StoredMessage};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub(super) const INDEX: &str = "mailsim-index";

pub(super) struct Entry {
    /// The unique part of the file name (before `:2,`).
    pub base: String,
    pub flags: Vec<String>,
    pub date: i64,
    pub modseq: u64,
}

/// What a folder's index says, kept up to date by the disk thread.
#[derive(Default)]
pub(super) struct Index {
    pub uid_next: u32,
    pub highest_modseq: u64,
    pub entries: BTreeMap<u32, Entry>,
    /// Expunged UIDs with the mod-sequences of their expunges, oldest first (bounded as the
    /// store bounds its own, [`forget_old_expunges`]).
    pub vanished: Vec<(u32, u64)>,
}

impl Index {
    pub fn new(uid_next: u32) -> Self {
        Index { uid_next, ..Default::default() }
    }

    /// A message arrived (or was known at start).
    pub fn added(&mut self, uid: u32, entry: Entry) {
        self.uid_next = self.uid_next.max(uid.saturating_add(1));
        self.highest_modseq = self.highest_modseq.max(entry.modseq);
        self.entries.insert(uid, entry);
    }

    /// A message's flags changed; false if it is not known.
    pub fn flagged(&mut self, uid: u32, flags: Vec<String>, modseq: u64) -> bool {
        self.highest_modseq = self.highest_modseq.max(modseq);
        match self.entries.get_mut(&uid) {
            Some(e) => {
                e.flags = flags;
                e.modseq = e.modseq.max(modseq);
                true
            }
            None => false,
        }
    }

    /// A message was expunged at `modseq` (0: at a time not known, not remembered).
    pub fn removed(&mut self, uid: u32, modseq: u64) -> Option<Entry> {
        if modseq > 0 {
            self.highest_modseq = self.highest_modseq.max(modseq);
            self.vanished.push((uid, modseq));
            forget_old_expunges(&mut self.vanished);
        }
        self.entries.remove(&uid)
    }

    /// The next mod-sequence, for what happens at start (files adopted or found missing).
    fn next_modseq(&mut self) -> u64 {
        self.highest_modseq = self.highest_modseq.saturating_add(1);
        self.highest_modseq
    }

    /// Reads an index (version 1 or 2); its UIDVALIDITY if the header was there.
    pub fn parse(bytes: &[u8]) -> (Option<u32>, Index) {
        let text = String::from_utf8_lossy(bytes);
        let mut ix = Index::new(1);
        let (mut validity, mut v1, mut v2) = (None, false, false);
        // The last piece has no newline if a crash tore it: not a line.
        let complete = text.rsplit_once('\n').map(|(c, _)| c).unwrap_or("");
        let words = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        for line in complete.lines() {
            let w: Vec<&str> = line.split(' ').collect();
            match (v2, w.as_slice()) {
                (_, ["mailsim-index", "v1", v, n]) => {
                    (validity, v1) = (v.parse().ok(), true);
                    ix.uid_next = n.parse().unwrap_or(1);
                }
                (_, ["mailsim-index", "v2", v, n, m]) => {
                    (validity, v2) = (v.parse().ok(), true);
                    ix.uid_next = n.parse().unwrap_or(1);
                    ix.highest_modseq = m.parse().unwrap_or(0);
                }
                (false, ["+", uid, date, base, flags @ ..]) => {
                    if let (Ok(uid), Ok(date)) = (uid.parse(), date.parse()) {
                        ix.added(uid, Entry { base: base.to_string(), flags: words(flags), date, modseq: 0 });
                    }
                }
                (true, ["+", uid, date, modseq, base, flags @ ..]) => {
                    if let (Ok(uid), Ok(date), Ok(modseq)) = (uid.parse(), date.parse(), modseq.parse()) {
                        ix.added(uid, Entry { base: base.to_string(), flags: words(flags), date, modseq });
                    }
                }
                (false, ["F", uid, flags @ ..]) => {
                    if let Ok(uid) = uid.parse() {
                        ix.flagged(uid, words(flags), 0);
                    }
                }
                (true, ["F", uid, modseq, flags @ ..]) => {
                    if let (Ok(uid), Ok(modseq)) = (uid.parse(), modseq.parse()) {
                        ix.flagged(uid, words(flags), modseq);
                    }
                }
                (false, ["-", uid]) => {
                    if let Ok(uid) = uid.parse() {
                        ix.removed(uid, 0);
                    }
                }
                (true, ["-", uid, modseq]) => {
                    if let (Ok(uid), Ok(modseq)) = (uid.parse(), modseq.parse()) {
                        ix.removed(uid, modseq);
                    }
                }
                _ => {}
            }
        }
        // At least 1 (what clients are shown, RFC 7162 §3.1.2.1), also for a new folder: 0
        // means an index of version 1, kept without mod-sequences.
        if !v1 {
            ix.highest_modseq = ix.highest_modseq.max(1);
        }
        (validity, ix)
    }

    /// The whole index, version 2.
    pub fn text(&self, validity: u32) -> String {
        let mut text = format!("mailsim-index v2 {validity} {} {}\n", self.uid_next, self.highest_modseq);
        for (uid, m) in &self.vanished {
            text.push_str(&removed_line(*uid, *m));
        }
        for (uid, e) in &self.entries {
            text.push_str(&added_line(*uid, e));
        }
        text
    }

    /// How many lines a whole index has.
    pub fn lines(&self) -> usize {
        1 + self.entries.len() + self.vanished.len()
    }
}

pub(super) fn added_line(uid: u32, e: &Entry) -> String {
    format!("+ {uid} {} {} {}{}\n", e.date, e.modseq, e.base, flag_words(&e.flags))
}

pub(super) fn flags_line(uid: u32, modseq: u64, flags: &[String]) -> String {
    format!("F {uid} {modseq}{}\n", flag_words(flags))
}

pub(super) fn removed_line(uid: u32, modseq: u64) -> String {
    format!("- {uid} {modseq}\n")
}

fn flag_words(flags: &[String]) -> String {
    flags.iter().filter(|f| !f.is_empty() && !f.contains([' ', '\n', '\r'])).map(|f| format!(" {f}")).collect()
}

/// `,U=<uid>,M=<modseq>` in a file's unique name (what `Maildir::unique` gives): the UID and
/// mod-sequence its message was given on arrival.
pub(super) fn uid_and_modseq(base: &str) -> Option<(u32, u64)> {
    let mut fields = base.split(',').skip(1);
    let uid = fields.next()?.strip_prefix("U=")?.parse().ok()?;
    let modseq = fields.next()?.strip_prefix("M=")?.parse().ok()?;
    Some((uid, modseq))
}

/// A folder as kept: its mailbox, and its index as it is now (messages whose file is gone
/// are expunged at a new mod-sequence; files the index did not know are taken back with the
/// UID and mod-sequence their names carry, or adopted with new ones).
pub(super) fn read_folder(dir: &Path, fallback_validity: u32) -> io::Result<(Mailbox, Index)> {
    let (validity, mut ix) = Index::parse(&fs::read(dir.join(INDEX)).unwrap_or_default());
    // What a crash left in tmp/ was never acknowledged (this server is the only writer).
    if let Ok(rd) = fs::read_dir(dir.join("tmp")) {
        for e in rd.flatten() {
            let _ = fs::remove_file(e.path());
        }
    }
    // The files there are: unique part -> (directory, full name).
    let mut files: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
    for sub in ["new", "cur"] {
        let Ok(rd) = fs::read_dir(dir.join(sub)) else { continue };
        for e in rd {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let base = name.split_once(":2,").map(|(b, _)| b).unwrap_or(&name).to_string();
            files.insert(base, (dir.join(sub), name));
        }
    }
    // Known messages whose file is gone (removed by hand, or a removal an older version cut
    // after its unlink, which came before its line then): expunged now, so QRESYNC clients
    // hear of it.
    let gone: Vec<u32> = ix.entries.iter().filter(|(_, e)| !files.contains_key(&e.base)).map(|(u, _)| *u).collect();
    let legacy = ix.highest_modseq == 0;
    for uid in gone {
        let m = if legacy { 0 } else { ix.next_modseq() };
        ix.removed(uid, m);
    }
    let mut messages = Vec::new();
    for (uid, e) in &ix.entries {
        let (sub, name) = files.remove(&e.base).unwrap_or_default();
        let data = fs::read(sub.join(name))?;
        let (flags, internal_date, modseq) = (e.flags.clone(), e.date, e.modseq);
        messages.push(StoredMessage { uid: *uid, data, flags, internal_date, modseq });
    }
    // Files the index does not know. Those whose name carries a UID the index says was
    // expunged: a removal whose line was durable, cut before its unlink was: finished now.
    let expunged: BTreeSet<u32> = ix.vanished.iter().map(|(u, _)| *u).collect();
    let cut: Vec<String> =
        files.keys().filter(|b| uid_and_modseq(b).is_some_and(|(u, _)| expunged.contains(&u))).cloned().collect();
    for base in cut {
        if let Some((sub, name)) = files.remove(&base) {
            fs::remove_file(sub.join(name))?;
        }
    }
    // Then those whose name carries their UID: a delivery whose index line a crash lost
    // after the file was durable in cur/ (acknowledged, maybe seen under that UID): taken
    // back as they were, in UID order. A UID the folder has given otherwise is not taken
    // twice.
    let mut by_uid: BTreeMap<u32, (String, u64)> = BTreeMap::new();
    for base in files.keys() {
        if let Some((uid, modseq)) = uid_and_modseq(base) {
            if uid > 0 && !ix.entries.contains_key(&uid) {
                by_uid.entry(uid).or_insert((base.clone(), modseq));
            }
        }
    }
    let mut adopt = Vec::new();
    for (uid, (base, modseq)) in by_uid {
        if let Some((sub, name)) = files.remove(&base) {
            adopt.push((Some((uid, if legacy { 0 } else { modseq })), base, sub, name));
        }
    }
    // Then the others: mail put there by hand (or an older version's delivery interrupted
    // before its index line), adopted with new UIDs after every UID given.
    adopt.extend(files.into_iter().map(|(base, (sub, name))| (None, base, sub, name)));
    for (kept, base, sub, name) in adopt {
        let data = fs::read(sub.join(&name))?;
        let info = name.split_once(":2,").map(|(_, i)| i).unwrap_or("");
        let flags: Vec<String> = info.chars().filter_map(flag_of_letter).map(str::to_string).collect();
        let date = base.split('.').next().and_then(|d| d.parse().ok()).unwrap_or(0);
        let (uid, modseq) = match kept {
            Some(k) => k,
            None => (ix.uid_next, if legacy { 0 } else { ix.next_modseq() }),
        };
        // Into cur/ under its own name, so that the index can find it.
        fs::rename(sub.join(&name), dir.join("cur").join(file_name(&base, &flags)))?;
        ix.added(uid, Entry { base, flags: flags.clone(), date, modseq });
        messages.push(StoredMessage { uid, data, flags, internal_date: date, modseq });
    }
    // In UID order, as a mailbox keeps them (a UID taken back may be below one indexed).
    messages.sort_by_key(|m| m.uid);
    let mailbox = Mailbox {
        messages,
        uid_next: ix.uid_next,
        uid_validity: validity.unwrap_or(fallback_validity),
        // None is \Recent after a restart.
        recent_from: ix.uid_next,
        highest_modseq: ix.highest_modseq,
        vanished: ix.vanished.clone(),
    };
    Ok((mailbox, ix))
}

/// After the store took a folder back ([`mailsim_proto::store::MailStore::restore_folder`],
/// which gives mod-sequences to a folder kept without them): the index says the same.
pub(super) fn follow(ix: &mut Index, restored: &Mailbox) {
    for m in &restored.messages {
        if let Some(e) = ix.entries.get_mut(&m.uid) {
            e.modseq = m.modseq;
        }
    }
    ix.highest_modseq = ix.highest_modseq.max(restored.highest_modseq);
    ix.uid_next = ix.uid_next.max(restored.uid_next);
}
