//! `mailsim serve`'s persistent store: every account's mailboxes as Maildir, with a small
//! index per folder for what Maildir does not keep (UIDVALIDITY, UIDNEXT, UIDs, IMAP flags).
//!
//! ```text
//! DIR/.mailsim-uidvalidity          the next UIDVALIDITY to give (never reused)
//! DIR/<address>/{cur,new,tmp}/      INBOX
//! DIR/<address>/.<Name>/{cur,...}   other folders, Maildir++ style ("a/b" is ".a.b")
//! DIR/<address>/[.<Name>/]mailsim-index
//! ```
//! A message file is `cur/<unique>:2,<flags>` (Maildir's info: D F R S T for \Draft
//! \Flagged \Answered \Seen \Deleted). The index starts with `mailsim-index v1 VALIDITY
//! UIDNEXT`, then one line per change: `+ UID DATE FILE FLAGS...` (added), `F UID FLAGS...`
//! (flags are now), `- UID` (removed). It is appended and fsync'd per change (O(1) per
//! change), rewritten whole only at start and when it has grown to several times its
//! messages (tmp file, fsync, rename). A line torn by a crash has no newline and is ignored.
//!
//! Order on disk, so that a crash at any moment loses nothing acknowledged:
//! - a new message: written to `tmp/`, fsync'd, renamed into `cur/`, the directory fsync'd,
//!   then its index line appended and fsync'd; only then does the hub send the `250` (or the
//!   tagged OK of APPEND). A crash before the index line leaves a file the index does not
//!   know: it is adopted at the next start with a new UID (delivered at least once).
//! - a removal: the file is unlinked first, then `- UID` appended: a crash in between
//!   leaves an index line without its file, dropped at the next start (never resurrected).

use mailsim_proto::store::{MailStore, Mailbox, StoreChange, StoredMessage};
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const INDEX: &str = "mailsim-index";
const VALIDITY_FILE: &str = ".mailsim-uidvalidity";
/// In each folder but INBOX: the folder's IMAP name, as it is (its directory's name is
/// an encoding of it, shortened with a hash when it would be too long for a file name).
const NAME_FILE: &str = "mailsim-name";

struct Entry {
    /// The unique part of the file name (before `:2,`).
    base: String,
    flags: Vec<String>,
    date: i64,
}

struct FolderDisk {
    dir: PathBuf,
    uid_validity: u32,
    uid_next: u32,
    entries: BTreeMap<u32, Entry>,
    /// Lines appended since the index was last written whole.
    appended: usize,
    index: File,
}

/// What a group commit still has to do: directories to fsync, index lines to append.
#[derive(Default)]
struct Commit {
    dirs: std::collections::BTreeSet<PathBuf>,
    lines: BTreeMap<(String, String), String>,
}

impl Commit {
    fn line(&mut self, key: (String, String), line: String) {
        self.lines.entry(key).or_default().push_str(&line);
    }
}

/// The mail store's folders on disk.
pub struct Maildir {
    root: PathBuf,
    folders: HashMap<(String, String), FolderDisk>,
    seq: u64,
}

impl Maildir {
    /// Opens (creating) `root`; returns it and the smallest UIDVALIDITY not given yet.
    pub fn open(root: &Path) -> io::Result<(Maildir, u32)> {
        fs::create_dir_all(root)?;
        claim(root)?;
        let next = fs::read_to_string(root.join(VALIDITY_FILE)).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        Ok((Maildir { root: root.into(), folders: HashMap::new(), seq: 0 }, next))
    }

    /// Puts back into `store` every folder kept for its accounts, and creates on disk every
    /// folder of the store that is not there yet. Returns the number of messages loaded.
    pub fn load(&mut self, store: &mut MailStore) -> io::Result<usize> {
        let mut loaded = 0;
        let addresses: Vec<String> = store.addresses().map(str::to_string).collect();
        for address in &addresses {
            let account = self.root.join(encode(address, b"@.+"));
            fs::create_dir_all(&account)?;
            let mut on_disk = vec![("INBOX".to_string(), account.clone())];
            for e in fs::read_dir(&account)? {
                let e = e?;
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(enc) = name.strip_prefix('.') {
                    if e.file_type()?.is_dir() && !enc.is_empty() {
                        let name = fs::read_to_string(e.path().join(NAME_FILE))
                            .unwrap_or_else(|_| decode(&enc.replace('.', "/")));
                        on_disk.push((name, e.path()));
                    }
                } else if name.starts_with("deleted.") {
                    // A folder whose deletion a crash interrupted.
                    fs::remove_dir_all(e.path())?;
                }
            }
            for (folder, dir) in on_disk {
                let fallback = store.next_uid_validity().unwrap_or(1);
                let (mailbox, entries) = read_folder(&dir, fallback)?;
                loaded += mailbox.messages.len();
                let (validity, next) = (mailbox.uid_validity, mailbox.uid_next);
                store.restore_folder(address, &folder, mailbox);
                self.track(address, &folder, dir, validity, next, entries)?;
            }
            for folder in store.folder_names(address) {
                if !self.folders.contains_key(&(address.clone(), folder.clone())) {
                    let m = store.folder(address, &folder).cloned().unwrap_or_default();
                    let dir = self.folder_dir(address, &folder);
                    self.track(address, &folder, dir, m.uid_validity, m.uid_next, BTreeMap::new())?;
                }
            }
        }
        if let Some(next) = store.next_uid_validity() {
            write_atomically(&self.root.join(VALIDITY_FILE), format!("{next}\n").as_bytes())?;
        }
        Ok(loaded)
    }

    fn folder_dir(&self, address: &str, folder: &str) -> PathBuf {
        let account = self.root.join(encode(address, b"@.+"));
        if folder == "INBOX" {
            return account;
        }
        let mut name = encode(folder, b"/").replace('/', ".");
        if name.len() > 200 {
            // Too long for a file name (255 octets) once encoded: a prefix and a hash.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(folder, &mut h);
            name = format!("{}~{:016x}", name.get(..120).unwrap_or_default(), std::hash::Hasher::finish(&h));
        }
        account.join(format!(".{name}"))
    }

    /// Starts keeping a folder: its directories and a fresh index.
    fn track(
        &mut self,
        address: &str,
        folder: &str,
        dir: PathBuf,
        uid_validity: u32,
        uid_next: u32,
        entries: BTreeMap<u32, Entry>,
    ) -> io::Result<()> {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        if folder != "INBOX" {
            write_synced(&dir.join(NAME_FILE), folder.as_bytes())?;
        }
        write_index(&dir, uid_validity, uid_next, &entries)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        let index = OpenOptions::new().append(true).open(dir.join(INDEX))?;
        let fd = FolderDisk { dir, uid_validity, uid_next, entries, appended: 0, index };
        self.folders.insert((address.to_string(), folder.to_string()), fd);
        Ok(())
    }

    /// Writes the store's changes, in order; returns once they are on disk. Many changes are
    /// written together: first every message file (each fsync'd) and every unlink, then each
    /// directory touched is fsync'd once, then each index touched gets its lines and one
    /// fsync (group commit). Folder operations are barriers.
    pub fn apply(&mut self, changes: &[StoreChange]) -> io::Result<()> {
        let mut work = Commit::default();
        let mut written = self.prewrite(changes)?.into_iter();
        for c in changes {
            match c {
                StoreChange::Added { address, folder, message } => {
                    let base = written.next().flatten();
                    self.add(address, folder, message, base, &mut work)?
                }
                StoreChange::Flags { address, folder, uid, flags } => {
                    let key = (address.clone(), folder.clone());
                    let fd = self.get(address, folder)?;
                    if let Some(e) = fd.entries.get_mut(uid) {
                        let (old, new) = (file_name(&e.base, &e.flags), file_name(&e.base, flags));
                        if old != new {
                            let cur = fd.dir.join("cur");
                            // Best effort: the index is what counts for flags.
                            let _ = fs::rename(cur.join(old), cur.join(new));
                        }
                        e.flags = flags.clone();
                        work.line(key, format!("F {uid}{}\n", flag_words(flags)));
                    }
                }
                StoreChange::Removed { address, folder, uids } => {
                    let key = (address.clone(), folder.clone());
                    let fd = self.get(address, folder)?;
                    for uid in uids {
                        if let Some(e) = fd.entries.remove(uid) {
                            match fs::remove_file(fd.dir.join("cur").join(file_name(&e.base, &e.flags))) {
                                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                                _ => {}
                            }
                            work.dirs.insert(fd.dir.join("cur"));
                            work.line(key.clone(), format!("- {uid}\n"));
                        }
                    }
                }
                StoreChange::FolderCreated { address, folder, uid_validity } => {
                    self.commit(&mut work)?;
                    let dir = self.folder_dir(address, folder);
                    if dir.exists() {
                        fs::remove_dir_all(&dir)?;
                    }
                    self.track(address, folder, dir, *uid_validity, 1, BTreeMap::new())?;
                    let next = uid_validity.saturating_add(1).to_string();
                    write_atomically(&self.root.join(VALIDITY_FILE), next.as_bytes())?;
                }
                StoreChange::FolderDeleted { address, folder } => {
                    self.commit(&mut work)?;
                    if let Some(fd) = self.folders.remove(&(address.clone(), folder.clone())) {
                        self.seq += 1;
                        let parent = fd.dir.parent().map(Path::to_path_buf).unwrap_or_default();
                        let gone = parent.join(format!("deleted.{}.{}", std::process::id(), self.seq));
                        fs::rename(&fd.dir, &gone)?;
                        sync_dir(&parent)?;
                        fs::remove_dir_all(gone)?;
                    }
                }
                StoreChange::FolderRenamed { address, from, to } => {
                    self.commit(&mut work)?;
                    if let Some(mut fd) = self.folders.remove(&(address.clone(), from.clone())) {
                        let dir = self.folder_dir(address, to);
                        fs::rename(&fd.dir, &dir)?;
                        write_atomically(&dir.join(NAME_FILE), to.as_bytes())?;
                        if let Some(parent) = dir.parent() {
                            sync_dir(parent)?;
                        }
                        fd.dir = dir;
                        self.folders.insert((address.clone(), to.clone()), fd);
                    }
                }
            }
        }
        self.commit(&mut work)
    }

    /// The first half of a group commit: every new message's file written to `tmp/` and
    /// fsync'd, several at once (the file system merges their journal commits). One entry
    /// per `Added` change: the file's unique name, or `None` to leave it to [`Maildir::add`]
    /// (a batch with folder operations, whose directories may change under it).
    fn prewrite(&mut self, changes: &[StoreChange]) -> io::Result<Vec<Option<String>>> {
        let added = changes.iter().filter(|c| matches!(c, StoreChange::Added { .. })).count();
        let folder_ops = changes.iter().any(|c| {
            matches!(
                c,
                StoreChange::FolderCreated { .. }
                    | StoreChange::FolderDeleted { .. }
                    | StoreChange::FolderRenamed { .. }
            )
        });
        if added < 2 || folder_ops {
            return Ok(vec![None; added]);
        }
        let mut jobs: Vec<(PathBuf, &[u8])> = Vec::new();
        let mut names = Vec::new();
        for c in changes {
            if let StoreChange::Added { address, folder, message } = c {
                let base = self.unique(message.internal_date);
                let fd = self.get(address, folder)?;
                jobs.push((fd.dir.join("tmp").join(&base), &message.data));
                names.push(Some(base));
            }
        }
        let threads = jobs.len().min(16);
        let per = jobs.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .chunks(per)
                .map(|chunk| scope.spawn(move || chunk.iter().try_for_each(|(path, data)| write_synced(path, data))))
                .collect();
            handles.into_iter().try_for_each(|h| h.join().unwrap_or_else(|_| Err(io::Error::other("writer panicked"))))
        })?;
        Ok(names)
    }

    /// A file name no other message has had (Maildir's time.unique.host, the host being us).
    fn unique(&mut self, date: i64) -> String {
        self.seq += 1;
        format!("{}.M{}P{}.mailsim", date.max(0), self.seq, std::process::id())
    }

    /// The second half of a group commit: the directories, then the indexes.
    fn commit(&mut self, work: &mut Commit) -> io::Result<()> {
        for dir in std::mem::take(&mut work.dirs) {
            sync_dir(&dir)?;
        }
        for (key, lines) in std::mem::take(&mut work.lines) {
            if let Some(fd) = self.folders.get_mut(&key) {
                append(fd, &lines)?;
            }
        }
        Ok(())
    }

    fn get(&mut self, address: &str, folder: &str) -> io::Result<&mut FolderDisk> {
        self.folders
            .get_mut(&(address.to_string(), folder.to_string()))
            .ok_or_else(|| io::Error::other(format!("no folder {folder} of {address} on disk")))
    }

    /// A new message: its file (written and fsync'd to `tmp/` already if `written` names
    /// it) moved into `cur/`, its index line queued.
    fn add(
        &mut self,
        address: &str,
        folder: &str,
        m: &StoredMessage,
        written: Option<String>,
        work: &mut Commit,
    ) -> io::Result<()> {
        let base = match written {
            Some(b) => b,
            None => {
                let b = self.unique(m.internal_date);
                write_synced(&self.get(address, folder)?.dir.join("tmp").join(&b), &m.data)?;
                b
            }
        };
        let fd = self.get(address, folder)?;
        let tmp = fd.dir.join("tmp").join(&base);
        fs::rename(&tmp, fd.dir.join("cur").join(file_name(&base, &m.flags)))?;
        work.dirs.insert(fd.dir.join("cur"));
        let line = format!("+ {} {} {base}{}\n", m.uid, m.internal_date, flag_words(&m.flags));
        work.line((address.to_string(), folder.to_string()), line);
        fd.uid_next = fd.uid_next.max(m.uid.saturating_add(1));
        fd.entries.insert(m.uid, Entry { base, flags: m.flags.clone(), date: m.internal_date });
        Ok(())
    }
}

/// One server per directory: `DIR/.mailsim-pid` names the process that keeps it. A file
/// left by a server that is gone (killed) is taken over; one of a running process is not.
fn claim(root: &Path) -> io::Result<()> {
    let file = root.join(".mailsim-pid");
    let me = std::process::id();
    if let Some(pid) = fs::read_to_string(&file).ok().and_then(|s| s.trim().parse::<u32>().ok()) {
        // Where /proc tells which processes run (Linux); elsewhere the file is taken over.
        let running =
            pid != me && Path::new("/proc").join(pid.to_string()).exists() && Path::new("/proc/self").exists();
        if running {
            return Err(io::Error::other(format!(
                "another mailsim serve (process {pid}) keeps its mail there; stop it, or remove {} if it is not running",
                file.display()
            )));
        }
    }
    write_atomically(&file, format!("{me}\n").as_bytes())
}

/// Appends lines to a folder's index and makes them durable; rewrites the index whole
/// when it has grown to several times what it describes.
fn append(fd: &mut FolderDisk, lines: &str) -> io::Result<()> {
    fd.index.write_all(lines.as_bytes())?;
    fd.index.sync_data()?;
    fd.appended += lines.matches('\n').count();
    if fd.appended > 4 * fd.entries.len() + 256 {
        write_index(&fd.dir, fd.uid_validity, fd.uid_next, &fd.entries)?;
        fd.index = OpenOptions::new().append(true).open(fd.dir.join(INDEX))?;
        fd.appended = 0;
    }
    Ok(())
}

fn write_index(dir: &Path, validity: u32, uid_next: u32, entries: &BTreeMap<u32, Entry>) -> io::Result<()> {
    let mut text = format!("mailsim-index v1 {validity} {uid_next}\n");
    for (uid, e) in entries {
        text.push_str(&format!("+ {uid} {} {}{}\n", e.date, e.base, flag_words(&e.flags)));
    }
    write_atomically(&dir.join(INDEX), text.as_bytes())
}

fn write_synced(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// tmp file, fsync, rename over, fsync the directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    match path.parent() {
        Some(p) => sync_dir(p),
        None => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A folder as kept: its mailbox, and what the index knows of each message.
fn read_folder(dir: &Path, fallback_validity: u32) -> io::Result<(Mailbox, BTreeMap<u32, Entry>)> {
    let text = fs::read(dir.join(INDEX)).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let mut validity = None;
    let mut uid_next = 1u32;
    let mut entries: BTreeMap<u32, Entry> = BTreeMap::new();
    // The last piece has no newline if a crash tore it: not a line.
    let complete = text.rsplit_once('\n').map(|(c, _)| c).unwrap_or("");
    for line in complete.lines() {
        let w: Vec<&str> = line.split(' ').collect();
        match w.as_slice() {
            ["mailsim-index", "v1", v, n] => {
                validity = v.parse().ok();
                uid_next = n.parse().unwrap_or(1);
            }
            ["+", uid, date, base, flags @ ..] => {
                if let (Ok(uid), Ok(date)) = (uid.parse::<u32>(), date.parse()) {
                    let flags = flags.iter().map(|f| f.to_string()).collect();
                    entries.insert(uid, Entry { base: base.to_string(), flags, date });
                    uid_next = uid_next.max(uid.saturating_add(1));
                }
            }
            ["F", uid, flags @ ..] => {
                if let Some(e) = uid.parse().ok().and_then(|u: u32| entries.get_mut(&u)) {
                    e.flags = flags.iter().map(|f| f.to_string()).collect();
                }
            }
            ["-", uid] => {
                if let Ok(uid) = uid.parse() {
                    entries.remove(&uid);
                }
            }
            _ => {}
        }
    }
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
    let mut messages = Vec::new();
    // Known messages whose file is there (a removal interrupted after the unlink is done).
    entries.retain(|_, e| files.contains_key(&e.base));
    for (uid, e) in &entries {
        let (sub, name) = files.remove(&e.base).unwrap_or_default();
        let data = fs::read(sub.join(name))?;
        messages.push(StoredMessage { uid: *uid, data, flags: e.flags.clone(), internal_date: e.date, modseq: 0 });
    }
    // Files the index does not know: a delivery interrupted before its index line, or mail
    // put there by hand. Adopted with new UIDs, flags from the Maildir info.
    for (base, (sub, name)) in files {
        let data = fs::read(sub.join(&name))?;
        let info = name.split_once(":2,").map(|(_, i)| i).unwrap_or("");
        let flags: Vec<String> = info.chars().filter_map(flag_of_letter).map(str::to_string).collect();
        let date = base.split('.').next().and_then(|d| d.parse().ok()).unwrap_or(0);
        let uid = uid_next;
        uid_next = uid_next.saturating_add(1);
        // Into cur/ under its own name, so that the index can find it.
        let (sub_cur, name_cur) = (dir.join("cur"), file_name(&base, &flags));
        fs::rename(sub.join(&name), sub_cur.join(&name_cur))?;
        entries.insert(uid, Entry { base, flags: flags.clone(), date });
        messages.push(StoredMessage { uid, data, flags, internal_date: date, modseq: 0 });
    }
    let uid_validity = validity.unwrap_or(fallback_validity);
    // Mod-sequences are given on restore (MailStore::restore_folder); none is \Recent.
    Ok((Mailbox { messages, uid_next, uid_validity, recent_from: uid_next, ..Default::default() }, entries))
}

fn flag_words(flags: &[String]) -> String {
    flags.iter().filter(|f| !f.is_empty() && !f.contains([' ', '\n', '\r'])).map(|f| format!(" {f}")).collect()
}

fn letter_of_flag(f: &str) -> Option<char> {
    match f.to_ascii_lowercase().as_str() {
        "\\draft" => Some('D'),
        "\\flagged" => Some('F'),
        "\\answered" => Some('R'),
        "\\seen" => Some('S'),
        "\\deleted" => Some('T'),
        _ => None,
    }
}

fn flag_of_letter(c: char) -> Option<&'static str> {
    match c {
        'D' => Some("\\Draft"),
        'F' => Some("\\Flagged"),
        'R' => Some("\\Answered"),
        'S' => Some("\\Seen"),
        'T' => Some("\\Deleted"),
        _ => None,
    }
}

/// `base:2,` and the Maildir letters of `flags`, in ASCII order.
fn file_name(base: &str, flags: &[String]) -> String {
    let mut letters: Vec<char> = flags.iter().filter_map(|f| letter_of_flag(f)).collect();
    letters.sort_unstable();
    letters.dedup();
    format!("{base}:2,{}", letters.into_iter().collect::<String>())
}

/// A name as a file name: ASCII letters, digits, `-`, `_` and `keep` stay; every other byte
/// is `%XX`.
fn encode(name: &str, keep: &[u8]) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = name.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes.get(i), hex) {
            (Some(b'%'), Some(v)) => {
                out.push(v);
                i += 3;
            }
            (Some(b), _) => {
                out.push(*b);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
