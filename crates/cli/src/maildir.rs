//! `mailsim serve`'s persistent store: every account's mailboxes as Maildir, with a small
//! index per folder for what Maildir does not keep (UIDVALIDITY, UIDNEXT, UIDs, IMAP flags,
//! mod-sequences and the expunge history: [`index`]), and each account's subscriptions.
//!
//! ```text
//! DIR/.mailsim-uidvalidity          the next UIDVALIDITY to give (never reused)
//! DIR/<address>/{cur,new,tmp}/      INBOX
//! DIR/<address>/.<Name>/{cur,...}   other folders, Maildir++ style ("a/b" is ".a.b")
//! DIR/<address>/[.<Name>/]mailsim-index
//! DIR/<address>/mailsim-subscriptions
//! ```
//! A message file is `cur/<unique>,U=<uid>,M=<modseq>:2,<flags>`: Maildir's unique name (with
//! `,key=value` fields after it, as Dovecot's `,S=<size>`), the UID and the mod-sequence it
//! was given on arrival, then Maildir's info (D F R S T for \Draft \Flagged \Answered \Seen
//! \Deleted). The index is appended per change (O(1) per change), rewritten whole only at
//! start and when it has grown to several times what it describes (tmp file, fsync, rename).
//! The subscriptions file is rewritten whole (tmp file, fsync, rename) when they change: one
//! percent-encoded name a line.
//!
//! # Crash safety
//!
//! What must survive a crash (a kill -9, or the machine losing power) is everything the
//! server acknowledged: a message's `250` (or APPEND's tagged OK) promises its bytes, the UID
//! a client may have seen, its flags and its mod-sequence. Each is made durable before the
//! reply, in this order (the disk thread does whatever is queued together: group commit):
//! - **A new message**, two fsyncs: (1) its file is written to `tmp/` and fsync'd; it is
//!   renamed into `cur/` under a name that carries its UID, mod-sequence and the flags Maildir
//!   has letters for, and (2) `cur/` is fsync'd (that makes the rename durable, POSIX asks
//!   for it). Now the message is complete on disk, with all the index would say of it. Its
//!   index line (`+`) waits in memory, and is written (not fsync'd) before the folder's next
//!   line that must be durable, every [`UNSYNCED_LINES`] lines, and when the server stops;
//!   only a message with flags Maildir has no letter for (an APPEND with keywords) waits for
//!   an index fsync too (a third).
//!   A crash before (2) leaves the file in `tmp/` or not at all: never acknowledged, cleared
//!   at the next start. A crash after (2) but before the index line is durable leaves a file
//!   in `cur/` the index does not know: at the next start it is taken back with the UID and
//!   mod-sequence its name carries ([`index::read_folder`]), so a client that saw it sees the
//!   same message under the same UID. A file the index does not know and whose name carries
//!   no UID (or one the folder has used otherwise) is mail put there by hand: it is adopted
//!   with a new UID.
//! - **A removal** (EXPUNGE, DELE, the source of a MOVE), one fsync: the messages added in the
//!   same batch are durable first (their directories fsync'd), then `- UID MODSEQ` is
//!   appended to the index (after the `+` lines held for it) and fsync'd, and only then is
//!   the file unlinked. The `-` line is the removal: a crash before it leaves the message
//!   there (the removal was not acknowledged); a crash after it but before the unlink is
//!   durable leaves a file whose name carries a UID the index says was expunged: the next
//!   start unlinks it (never resurrected). A MOVE never loses the message: its copy is
//!   durable before the original's `-` line. And a UID is never given twice: the file of a
//!   message whose `+` line is not durable is only unlinked once its `-` line is (which
//!   takes the `+` line along), so either its file or its lines say the UID was used.
//! - **Flags, mod-sequences** (`F UID MODSEQ FLAGS...`), subscriptions: on disk (fsync'd)
//!   before the tagged OK that acknowledges them. The file's Maildir letters follow (a
//!   rename, best effort: the index is what counts for flags).
//!
//! An fsync of the index makes every line appended before it durable (one file, appended in
//! order), so an unsynced `+` line is never lost behind a later line that was synced. The
//! `+` lines held in memory are what a kill -9 loses: the start after it takes their
//! messages back by name, so the interop test's kill -9 goes through that path. The
//! tests (`maildir/tests.rs`) put a folder in each state a crash can leave and read it back;
//! tests/interop/test_crash_delivery.py kills the server with SIGKILL in the middle of
//! deliveries, APPENDs and expunges and checks every acknowledged message, UID and flag.

mod index;

use index::{Entry, Index, INDEX};
use mailsim_proto::store::{MailStore, StoreChange, StoredMessage};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const SUBSCRIPTIONS: &str = "mailsim-subscriptions";
/// Arrival lines held in memory at most, per folder, before they are written.
pub const UNSYNCED_LINES: usize = 256;
const VALIDITY_FILE: &str = ".mailsim-uidvalidity";
/// In each folder but INBOX: the folder's IMAP name, as it is (its directory's name is
/// an encoding of it, shortened with a hash when it would be too long for a file name).
const NAME_FILE: &str = "mailsim-name";

struct FolderDisk {
    dir: PathBuf,
    uid_validity: u32,
    ix: Index,
    /// Lines appended since the index was last written whole.
    appended: usize,
    /// `+` lines not written yet (their files' names say the same), and how many.
    unsynced: String,
    unsynced_lines: usize,
    index: File,
}

/// What a group commit still has to do, in this order: directories that received messages
/// to fsync, index lines to append (and the indexes to fsync), files to unlink, subscriptions
/// to write (the last set of each account).
#[derive(Default)]
struct Commit {
    dirs: BTreeSet<PathBuf>,
    unlinks: Vec<PathBuf>,
    lines: BTreeMap<(String, String), String>,
    /// Indexes whose lines must be durable before the acknowledgement.
    sync: BTreeSet<(String, String)>,
    subscriptions: BTreeMap<String, Vec<String>>,
}

impl Commit {
    fn line(&mut self, key: (String, String), line: String, durable: bool) {
        if durable {
            self.sync.insert(key.clone());
        }
        self.lines.entry(key).or_default().push_str(&line);
    }
}

/// The mail store's folders on disk.
pub struct Maildir {
    root: PathBuf,
    folders: HashMap<(String, String), FolderDisk>,
    seq: u64,
    /// When this process opened the store (nanoseconds): part of every new file name, so that
    /// a later process with the same id (after a reboot) never writes over a file.
    opened: u128,
    /// fsyncs of message files, of directories that received or lost one, and of index
    /// lines (not of folder operations, subscriptions or index rewrites): what the tests
    /// count per delivery.
    #[cfg_attr(not(test), allow(dead_code))]
    fsyncs: u64,
}

impl Maildir {
    /// Opens (creating) `root`; returns it and the smallest UIDVALIDITY not given yet.
    pub fn open(root: &Path) -> io::Result<(Maildir, u32)> {
        fs::create_dir_all(root)?;
        claim(root)?;
        let next = fs::read_to_string(root.join(VALIDITY_FILE)).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
        let opened =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        Ok((Maildir { root: root.into(), folders: HashMap::new(), seq: 0, opened, fsyncs: 0 }, next))
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
                let (mailbox, mut ix) = index::read_folder(&dir, fallback)?;
                loaded += mailbox.messages.len();
                let validity = mailbox.uid_validity;
                store.restore_folder(address, &folder, mailbox);
                if let Some(restored) = store.folder(address, &folder) {
                    index::follow(&mut ix, restored);
                }
                self.track(address, &folder, dir, validity, ix)?;
            }
            for folder in store.folder_names(address) {
                if !self.folders.contains_key(&(address.clone(), folder.clone())) {
                    let m = store.folder(address, &folder).cloned().unwrap_or_default();
                    let dir = self.folder_dir(address, &folder);
                    let ix = Index { highest_modseq: m.highest_modseq, ..Index::new(m.uid_next) };
                    self.track(address, &folder, dir, m.uid_validity, ix)?;
                }
            }
            // The subscriptions as they were (without the file: every folder kept, as
            // restore_folder subscribes them, and the account's defaults).
            if let Ok(text) = fs::read_to_string(account.join(SUBSCRIPTIONS)) {
                let names: Vec<String> = text.lines().skip(1).map(decode).collect();
                store.set_subscriptions(address, &names);
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

    /// Starts keeping a folder: its directories and its index written whole.
    fn track(&mut self, address: &str, folder: &str, dir: PathBuf, uid_validity: u32, ix: Index) -> io::Result<()> {
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        if folder != "INBOX" {
            write_synced(&dir.join(NAME_FILE), folder.as_bytes())?;
        }
        write_atomically(&dir.join(INDEX), ix.text(uid_validity).as_bytes())?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        let index = OpenOptions::new().append(true).open(dir.join(INDEX))?;
        let fd = FolderDisk { dir, uid_validity, ix, appended: 0, unsynced: String::new(), unsynced_lines: 0, index };
        self.folders.insert((address.to_string(), folder.to_string()), fd);
        Ok(())
    }

    /// Writes the store's changes, in order; returns once they are on disk. Many changes are
    /// written together (group commit): first every message file (each fsync'd, several at
    /// once) and its rename into `cur/`, then each directory that received one is fsync'd
    /// once, then each index gets its lines (and one fsync if they hold more than arrivals),
    /// then the removed files are unlinked. Folder operations are barriers. The order is the
    /// module's crash argument.
    pub fn apply(&mut self, changes: &[StoreChange]) -> io::Result<()> {
        if changes.is_empty() {
            // The server is stopping (or asks for a barrier): the lines held are written.
            for fd in self.folders.values_mut().filter(|fd| !fd.unsynced.is_empty()) {
                append(fd, false)?;
            }
            return Ok(());
        }
        let mut work = Commit::default();
        self.stage(changes, &mut work)?;
        self.commit(&mut work)
    }

    /// The first half of [`Maildir::apply`]: the message files written and renamed into
    /// `cur/`, everything else queued in `work` (folder operations commit what is queued
    /// before them).
    fn stage(&mut self, changes: &[StoreChange], work: &mut Commit) -> io::Result<()> {
        let mut written = self.prewrite(changes)?.into_iter();
        for c in changes {
            match c {
                StoreChange::Added { address, folder, message } => {
                    let base = written.next().flatten();
                    self.add(address, folder, message, base, work)?
                }
                StoreChange::Flags { address, folder, uid, flags, modseq } => {
                    let key = (address.clone(), folder.clone());
                    let fd = self.get(address, folder)?;
                    if let Some(e) = fd.ix.entries.get(uid) {
                        let (old, new) = (file_name(&e.base, &e.flags), file_name(&e.base, flags));
                        if old != new {
                            let cur = fd.dir.join("cur");
                            // Best effort: the index is what counts for flags.
                            let _ = fs::rename(cur.join(old), cur.join(new));
                        }
                        fd.ix.flagged(*uid, flags.clone(), *modseq);
                        work.line(key, index::flags_line(*uid, *modseq, flags), true);
                    }
                }
                StoreChange::Removed { address, folder, uids, modseqs } => {
                    let key = (address.clone(), folder.clone());
                    let fd = self.get(address, folder)?;
                    for (i, uid) in uids.iter().enumerate() {
                        let modseq = modseqs.get(i).copied().unwrap_or(0);
                        if let Some(e) = fd.ix.removed(*uid, modseq) {
                            // Unlinked in commit(), once this line is durable.
                            work.unlinks.push(fd.dir.join("cur").join(file_name(&e.base, &e.flags)));
                            work.line(key.clone(), index::removed_line(*uid, modseq), true);
                        }
                    }
                }
                StoreChange::Subscriptions { address, names } => {
                    work.subscriptions.insert(address.clone(), names.clone());
                }
                StoreChange::FolderCreated { address, folder, uid_validity } => {
                    self.commit(work)?;
                    let dir = self.folder_dir(address, folder);
                    if dir.exists() {
                        fs::remove_dir_all(&dir)?;
                    }
                    self.track(address, folder, dir, *uid_validity, Index::new(1))?;
                    let next = uid_validity.saturating_add(1).to_string();
                    write_atomically(&self.root.join(VALIDITY_FILE), next.as_bytes())?;
                }
                StoreChange::FolderDeleted { address, folder } => {
                    self.commit(work)?;
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
                    self.commit(work)?;
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
        Ok(())
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
                let base = self.unique(message);
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
        self.fsyncs += jobs.len() as u64;
        Ok(names)
    }

    /// A file name no other message has had (Maildir's time.unique.host, the host being us;
    /// unique: the process, its start and a counter), then the message's UID and
    /// mod-sequence (`,U=` and `,M=`: what the index would say of it, see the crash argument).
    fn unique(&mut self, m: &StoredMessage) -> String {
        self.seq += 1;
        let (date, pid, opened) = (m.internal_date.max(0), std::process::id(), self.opened);
        format!("{date}.M{}P{pid}Q{opened}.mailsim,U={},M={}", self.seq, m.uid, m.modseq)
    }

    /// The second half of a group commit: the directories that received messages, the
    /// indexes, the unlinks.
    fn commit(&mut self, work: &mut Commit) -> io::Result<()> {
        for dir in std::mem::take(&mut work.dirs) {
            sync_dir(&dir)?;
            self.fsyncs += 1;
        }
        let sync = std::mem::take(&mut work.sync);
        for (key, lines) in std::mem::take(&mut work.lines) {
            let durable = sync.contains(&key);
            if let Some(fd) = self.folders.get_mut(&key) {
                fd.unsynced.push_str(&lines);
                fd.unsynced_lines += lines.matches('\n').count();
                if durable || fd.unsynced_lines >= UNSYNCED_LINES {
                    append(fd, durable)?;
                    self.fsyncs += u64::from(durable);
                }
            }
        }
        // The removals are durable in the indexes: the unlinks need no fsync (a start after
        // a crash finishes them).
        for path in std::mem::take(&mut work.unlinks) {
            match fs::remove_file(&path) {
                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
        }
        for (address, names) in std::mem::take(&mut work.subscriptions) {
            let account = self.root.join(encode(&address, b"@.+"));
            let text: String = std::iter::once("mailsim-subscriptions v1\n".to_string())
                .chain(names.iter().map(|n| format!("{}\n", encode(n, b"/."))))
                .collect();
            write_atomically(&account.join(SUBSCRIPTIONS), text.as_bytes())?;
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
                let b = self.unique(m);
                write_synced(&self.get(address, folder)?.dir.join("tmp").join(&b), &m.data)?;
                self.fsyncs += 1;
                b
            }
        };
        let fd = self.get(address, folder)?;
        let tmp = fd.dir.join("tmp").join(&base);
        fs::rename(&tmp, fd.dir.join("cur").join(file_name(&base, &m.flags)))?;
        work.dirs.insert(fd.dir.join("cur"));
        let entry = Entry { base, flags: m.flags.clone(), date: m.internal_date, modseq: m.modseq };
        // The file's name says all the index line would, unless a flag has no Maildir letter.
        let durable = m.flags.iter().any(|f| letter_of_flag(f).is_none());
        work.line((address.to_string(), folder.to_string()), index::added_line(m.uid, &entry), durable);
        fd.ix.added(m.uid, entry);
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

/// Appends the lines waiting for a folder's index, with an fsync if they must be durable
/// (which takes every line before them along); rewrites the index whole when it has grown to
/// several times what it describes.
fn append(fd: &mut FolderDisk, durable: bool) -> io::Result<()> {
    let lines = std::mem::take(&mut fd.unsynced);
    fd.index.write_all(lines.as_bytes())?;
    if durable {
        fd.index.sync_data()?;
    }
    fd.appended += std::mem::take(&mut fd.unsynced_lines);
    if fd.appended > 4 * fd.ix.lines() + 256 {
        write_atomically(&fd.dir.join(INDEX), fd.ix.text(fd.uid_validity).as_bytes())?;
        fd.index = OpenOptions::new().append(true).open(fd.dir.join(INDEX))?;
        fd.appended = 0;
    }
    Ok(())
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

pub(crate) fn flag_of_letter(c: char) -> Option<&'static str> {
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
pub(crate) fn file_name(base: &str, flags: &[String]) -> String {
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
