//! Accounts and mailboxes: what a mail server keeps for its users. One store per server;
//! delivery appends, POP3 reads a snapshot at login and removes at QUIT (UPDATE state).
//!
//! Plain data, `BTreeMap` only, so that iterating it is deterministic.

use std::collections::BTreeMap;

/// The accounts a server checks logins against, as (address, password): shared between a
/// host's sessions (each SMTP submission and IMAP session holds the same list, not a copy).
pub type Accounts = std::sync::Arc<[(String, String)]>;

/// One stored message: its UID (unique per mailbox, never reused), its bytes, its IMAP
/// flags (`\Seen`, `\Deleted`...) and when it arrived (IMAP's INTERNALDATE, Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredMessage {
    pub uid: u32,
    pub data: Vec<u8>,
    pub flags: Vec<String>,
    pub internal_date: i64,
    /// CONDSTORE's mod-sequence (RFC 7162 §3.1.1): the mailbox's counter when the message
    /// arrived or its flags last changed.
    pub modseq: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mailbox {
    pub messages: Vec<StoredMessage>,
    pub uid_next: u32,
    /// IMAP's UIDVALIDITY: UIDs stay valid as long as this does not change.
    pub uid_validity: u32,
    /// IMAP4rev1's `\Recent` (RFC 3501 §2.3.2): messages from this UID on have not been
    /// seen by a session that selected the mailbox yet.
    pub recent_from: u32,
    /// The highest mod-sequence given in this mailbox (RFC 7162 HIGHESTMODSEQ).
    pub highest_modseq: u64,
    /// Expunged UIDs with the mod-sequence of their expunge (QRESYNC's VANISHED, RFC 7162 §3.2.5).
    pub vanished: Vec<(u32, u64)>,
}

/// How many expunged UIDs a mailbox remembers with their mod-sequences (past it, the older
/// half is forgotten).
pub const VANISHED_KEPT: usize = 10_000;

impl Mailbox {
    /// A new, empty mailbox.
    pub fn new(uid_validity: u32) -> Self {
        Mailbox { uid_next: 1, uid_validity, ..Default::default() }
    }

    /// The next mod-sequence: every change gets a higher one.
    fn next_modseq(&mut self) -> u64 {
        self.highest_modseq += 1;
        self.highest_modseq
    }

    /// Adds a message with the next UID and mod-sequence; returns a copy of it.
    fn push(&mut self, data: Vec<u8>, flags: Vec<String>, internal_date: i64) -> StoredMessage {
        let uid = self.uid_next;
        self.uid_next += 1;
        let modseq = self.next_modseq();
        let message = StoredMessage { uid, data, flags, internal_date, modseq };
        self.messages.push(message.clone());
        message
    }

    /// Sets a message's flags (a new mod-sequence if they changed); its mod-sequence now, or
    /// `None` if there is no such UID.
    fn set_flags(&mut self, uid: u32, flags: &[String]) -> Option<u64> {
        let i = self.messages.iter().position(|m| m.uid == uid)?;
        if self.messages[i].flags != flags {
            self.messages[i].modseq = self.next_modseq();
            self.messages[i].flags = flags.to_vec();
        }
        Some(self.messages[i].modseq)
    }

    /// Removes messages, each expunge with its mod-sequence; returns the UIDs removed with
    /// the mod-sequences of their expunges.
    fn remove(&mut self, uids: &[u32]) -> Vec<(u32, u64)> {
        let set = UidSet::new(uids.iter().copied());
        let gone: Vec<u32> = self.messages.iter().map(|m| m.uid).filter(|u| set.contains(*u)).collect();
        self.messages.retain(|m| !set.contains(m.uid));
        let gone: Vec<(u32, u64)> = gone.into_iter().map(|uid| (uid, self.next_modseq())).collect();
        self.vanished.extend_from_slice(&gone);
        forget_old_expunges(&mut self.vanished);
        gone
    }
}

/// A set of UIDs that answers membership in O(log n): a sorted copy. COPY, MOVE and EXPUNGE
/// take up to a whole mailbox, and `contains` on their list was O(mailbox × set): the
/// fuzzer's `imap_session` spent 7 % of its time in one such loop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UidSet(Vec<u32>);

impl UidSet {
    pub fn new(uids: impl IntoIterator<Item = u32>) -> Self {
        let mut v: Vec<u32> = uids.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        UidSet(v)
    }

    pub fn contains(&self, uid: u32) -> bool {
        self.0.binary_search(&uid).is_ok()
    }
}

/// Keeps an expunge history bounded: past [`VANISHED_KEPT`] entries the older ones are
/// dropped, and their UIDs are reported as expunged at a time not known, which QRESYNC allows
/// (RFC 7162 §3.2.5.2). For a driver that keeps the history on disk too.
pub fn forget_old_expunges(vanished: &mut Vec<(u32, u64)>) {
    if vanished.len() > VANISHED_KEPT {
        vanished.drain(..vanished.len() - VANISHED_KEPT / 2);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub password: String,
    /// The INBOX.
    pub mailbox: Mailbox,
    /// Other IMAP folders by name (Sent and Trash from the start).
    pub folders: BTreeMap<String, Mailbox>,
    /// Held while a POP3 session owns the maildrop (RFC 1939 §8: exclusive lock).
    pub locked: bool,
    /// IMAP subscriptions (RFC 9051 §6.3.7): names, which need not exist.
    pub subscribed: std::collections::BTreeSet<String>,
    /// The highest UIDVALIDITY given to a folder so far: a folder created again after a
    /// DELETE gets a new one (RFC 9051 §2.3.1.1), in the playground too.
    pub last_validity: u32,
}

/// Why a login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    BadCredentials,
    InUse,
}

/// A change to the store, for a driver that keeps the store on disk (`mailsim serve`):
/// recorded only after [`MailStore::record_changes`], taken with [`MailStore::take_changes`].
/// `folder` is `INBOX` for the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChange {
    /// A message arrived in a folder (delivery, APPEND, COPY).
    Added {
        address: String,
        folder: String,
        message: StoredMessage,
    },
    /// A message's flags are now these, and its mod-sequence this (RFC 7162).
    Flags {
        address: String,
        folder: String,
        uid: u32,
        flags: Vec<String>,
        modseq: u64,
    },
    /// Messages left a folder (EXPUNGE, POP3's UPDATE state); `modseqs[i]` is the
    /// mod-sequence of the expunge of `uids[i]` (QRESYNC's VANISHED, RFC 7162 §3.2.5).
    Removed {
        address: String,
        folder: String,
        uids: Vec<u32>,
        modseqs: Vec<u64>,
    },
    /// An account's subscriptions (RFC 9051 §6.3.7) are now these names.
    Subscriptions {
        address: String,
        names: Vec<String>,
    },
    FolderCreated {
        address: String,
        folder: String,
        uid_validity: u32,
    },
    FolderDeleted {
        address: String,
        folder: String,
    },
    FolderRenamed {
        address: String,
        from: String,
        to: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailStore {
    accounts: BTreeMap<String, Account>,
    /// The next UIDVALIDITY to give a new mailbox; `None`: the playground's fixed values
    /// (deterministic worlds and golden logs).
    next_validity: Option<u32>,
    /// What changed since the last [`MailStore::take_changes`], when recording.
    changes: Option<Vec<StoreChange>>,
}

impl MailStore {
    /// New mailboxes get UIDVALIDITY `first`, `first + 1`... (a real server starts from the
    /// clock, so that a mailbox deleted and created again, or lost with a restart, never
    /// reuses a value: RFC 9051 §2.3.1.1). Without this, the playground's fixed values.
    pub fn set_uid_validity_from(&mut self, first: u32) {
        self.next_validity = Some(first.max(1));
    }

    /// The UIDVALIDITY a new mailbox gets (`fixed` in the playground).
    fn new_validity(&mut self, fixed: u32) -> u32 {
        match &mut self.next_validity {
            Some(n) => {
                let v = *n;
                *n = n.checked_add(1).unwrap_or(1);
                v
            }
            None => fixed,
        }
    }

    /// The next UIDVALIDITY that would be given (for a driver that keeps it on disk).
    pub fn next_uid_validity(&self) -> Option<u32> {
        self.next_validity
    }

    /// From now on, record every change for [`MailStore::take_changes`].
    pub fn record_changes(&mut self) {
        self.changes.get_or_insert_with(Vec::new);
    }

    /// The changes since the last call (none unless recording).
    pub fn take_changes(&mut self) -> Vec<StoreChange> {
        self.changes.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn changed(&mut self, c: impl FnOnce() -> StoreChange) {
        if let Some(v) = &mut self.changes {
            v.push(c());
        }
    }

    pub fn add_account(&mut self, address: &str, password: &str) {
        let inbox = self.new_validity(3_857_529_045);
        let mut folders = BTreeMap::new();
        for f in ["Sent", "Trash"] {
            let v = self.new_validity(3_857_529_046);
            folders.insert(f.to_string(), Mailbox::new(v));
        }
        let last_validity = folders.values().map(|m| m.uid_validity).max().unwrap_or(inbox);
        self.accounts.insert(
            address.to_ascii_lowercase(),
            Account {
                password: password.into(),
                mailbox: Mailbox::new(inbox),
                folders,
                locked: false,
                subscribed: ["INBOX", "Sent", "Trash"].iter().map(|f| f.to_string()).collect(),
                last_validity,
            },
        );
    }

    /// Puts back a folder as it was kept (on disk): `INBOX` or another, created if missing.
    /// The UIDVALIDITY given to new mailboxes stays above the restored one. False if there is
    /// no such account.
    pub fn restore_folder(&mut self, address: &str, name: &str, mut mailbox: Mailbox) -> bool {
        if let Some(n) = &mut self.next_validity {
            *n = (*n).max(mailbox.uid_validity.saturating_add(1));
            // A mailbox kept without its mod-sequences (HIGHESTMODSEQ 0, or messages with
            // none: an older store): they start above any given before the restart (the
            // counter is clock-based), so CHANGEDSINCE never misses a change.
            if mailbox.highest_modseq == 0 || mailbox.messages.iter().any(|m| m.modseq == 0) {
                let base = u64::from(*n) << 20;
                for m in mailbox.messages.iter_mut().filter(|m| m.modseq == 0) {
                    m.modseq = base;
                }
                mailbox.highest_modseq = mailbox.highest_modseq.max(base);
            }
        }
        let Some(a) = self.accounts.get_mut(&address.to_ascii_lowercase()) else { return false };
        a.last_validity = a.last_validity.max(mailbox.uid_validity);
        // A folder kept on disk stays subscribed, as when it was created.
        a.subscribed.insert(if name.eq_ignore_ascii_case("INBOX") { "INBOX".into() } else { name.to_string() });
        if name.eq_ignore_ascii_case("INBOX") {
            a.mailbox = mailbox;
        } else {
            a.folders.insert(name.into(), mailbox);
        }
        true
    }

    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        self.accounts.keys().map(String::as_str)
    }

    /// Every account as (address, password): what a server's AUTH checks against.
    pub fn accounts(&self) -> impl Iterator<Item = (&str, &str)> {
        self.accounts.iter().map(|(a, acct)| (a.as_str(), acct.password.as_str()))
    }

    pub fn mailbox(&self, address: &str) -> Option<&Mailbox> {
        self.accounts.get(&address.to_ascii_lowercase()).map(|a| &a.mailbox)
    }

    /// Finds the account a POP3 `USER` name means: the full address or its local part.
    pub fn resolve_login(&self, user: &str) -> Option<String> {
        let u = user.to_ascii_lowercase();
        if self.accounts.contains_key(&u) {
            return Some(u);
        }
        self.accounts.keys().find(|a| a.split('@').next() == Some(u.as_str())).cloned()
    }

    /// Appends a message; returns its UID, or `None` when there is no such mailbox.
    pub fn deliver(&mut self, address: &str, data: Vec<u8>) -> Option<u32> {
        self.deliver_at(address, data, 0, &[])
    }

    /// Appends a message with its arrival time and initial flags.
    pub fn deliver_at(&mut self, address: &str, data: Vec<u8>, internal_date: i64, flags: &[&str]) -> Option<u32> {
        let mb = &mut self.accounts.get_mut(&address.to_ascii_lowercase())?.mailbox;
        let message = mb.push(data, flags.iter().map(|f| f.to_string()).collect(), internal_date);
        let uid = message.uid;
        if let Some(v) = &mut self.changes {
            let (address, folder) = (address.to_ascii_lowercase(), "INBOX".into());
            v.push(StoreChange::Added { address, folder, message });
        }
        Some(uid)
    }

    /// A folder of an account: `INBOX` (any case) or another by exact name.
    pub fn folder(&self, address: &str, name: &str) -> Option<&Mailbox> {
        let a = self.accounts.get(&address.to_ascii_lowercase())?;
        if name.eq_ignore_ascii_case("INBOX") {
            Some(&a.mailbox)
        } else {
            a.folders.get(name)
        }
    }

    fn folder_mut(&mut self, address: &str, name: &str) -> Option<&mut Mailbox> {
        let a = self.accounts.get_mut(&address.to_ascii_lowercase())?;
        if name.eq_ignore_ascii_case("INBOX") {
            Some(&mut a.mailbox)
        } else {
            a.folders.get_mut(name)
        }
    }

    /// INBOX first, then the other folders in order.
    pub fn folder_names(&self, address: &str) -> Vec<String> {
        let Some(a) = self.accounts.get(&address.to_ascii_lowercase()) else { return vec![] };
        std::iter::once("INBOX".to_string()).chain(a.folders.keys().cloned()).collect()
    }

    /// Creates a folder; false if it exists already.
    pub fn create_folder(&mut self, address: &str, name: &str) -> bool {
        let Some(a) = self.accounts.get_mut(&address.to_ascii_lowercase()) else { return false };
        if name.eq_ignore_ascii_case("INBOX") || a.folders.contains_key(name) {
            return false;
        }
        // The playground's fixed numbers for a fresh account, but never one given before.
        let fixed = (3_857_529_050 + a.folders.len() as u32).max(a.last_validity.saturating_add(1));
        let uid_validity = self.new_validity(fixed);
        let Some(a) = self.accounts.get_mut(&address.to_ascii_lowercase()) else { return false };
        a.last_validity = a.last_validity.max(uid_validity);
        a.folders.insert(name.into(), Mailbox::new(uid_validity));
        let (address, folder) = (address.to_ascii_lowercase(), name.to_string());
        self.changed(|| StoreChange::FolderCreated { address, folder, uid_validity });
        true
    }

    /// Subscribes to (or unsubscribes from) a mailbox name; false if nothing changed.
    pub fn subscribe(&mut self, address: &str, name: &str, on: bool) -> bool {
        let name = if name.eq_ignore_ascii_case("INBOX") { "INBOX" } else { name };
        let changed = self.accounts.get_mut(&address.to_ascii_lowercase()).is_some_and(|a| {
            if on {
                a.subscribed.insert(name.to_string())
            } else {
                a.subscribed.remove(name)
            }
        });
        if changed && self.changes.is_some() {
            let (address, names) = (address.to_ascii_lowercase(), self.subscriptions(address));
            self.changed(|| StoreChange::Subscriptions { address, names });
        }
        changed
    }

    /// Puts back an account's subscriptions as they were kept (on disk); false if there is
    /// no such account.
    pub fn set_subscriptions(&mut self, address: &str, names: &[String]) -> bool {
        let Some(a) = self.accounts.get_mut(&address.to_ascii_lowercase()) else { return false };
        a.subscribed = names.iter().cloned().collect();
        true
    }

    /// The subscribed names of an account, in order.
    pub fn subscriptions(&self, address: &str) -> Vec<String> {
        self.accounts
            .get(&address.to_ascii_lowercase())
            .map(|a| a.subscribed.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A session selects a folder (not EXAMINE): the `\Recent` messages are now its own.
    /// Returns the first UID that was still recent.
    pub fn take_recent(&mut self, address: &str, name: &str) -> Option<u32> {
        let mb = self.folder_mut(address, name)?;
        let from = mb.recent_from;
        mb.recent_from = mb.uid_next;
        Some(from)
    }

    /// Deletes a folder (never INBOX); false if there is no such folder.
    pub fn delete_folder(&mut self, address: &str, name: &str) -> bool {
        let done =
            self.accounts.get_mut(&address.to_ascii_lowercase()).is_some_and(|a| a.folders.remove(name).is_some());
        if done {
            let (address, folder) = (address.to_ascii_lowercase(), name.to_string());
            self.changed(|| StoreChange::FolderDeleted { address, folder });
        }
        done
    }

    /// Renames a folder; false if `from` is missing or `to` exists.
    pub fn rename_folder(&mut self, address: &str, from: &str, to: &str) -> bool {
        let Some(a) = self.accounts.get_mut(&address.to_ascii_lowercase()) else { return false };
        if a.folders.contains_key(to) || to.eq_ignore_ascii_case("INBOX") {
            return false;
        }
        match a.folders.remove(from) {
            Some(m) => {
                a.folders.insert(to.into(), m);
                let (address, from, to) = (address.to_ascii_lowercase(), from.to_string(), to.to_string());
                self.changed(|| StoreChange::FolderRenamed { address, from, to });
                true
            }
            None => false,
        }
    }

    /// Adds a message to a folder (IMAP APPEND); returns its UID.
    pub fn append(
        &mut self,
        address: &str,
        folder: &str,
        data: Vec<u8>,
        flags: &[String],
        internal_date: i64,
    ) -> Option<u32> {
        let message = self.folder_mut(address, folder)?.push(data, flags.to_vec(), internal_date);
        let uid = message.uid;
        if self.changes.is_some() {
            let (address, folder) = (address.to_ascii_lowercase(), canonical(folder));
            self.changed(|| StoreChange::Added { address, folder, message });
        }
        Some(uid)
    }

    /// Copies messages between folders; returns (old UID, new UID) pairs, or None if either
    /// folder is missing.
    pub fn copy(&mut self, address: &str, from: &str, uids: &[u32], to: &str) -> Option<Vec<(u32, u32)>> {
        let set = UidSet::new(uids.iter().copied());
        let msgs: Vec<StoredMessage> =
            self.folder(address, from)?.messages.iter().filter(|m| set.contains(m.uid)).cloned().collect();
        self.folder(address, to)?;
        let mut out = Vec::new();
        for m in msgs {
            let new = self.append(address, to, m.data, &m.flags, m.internal_date)?;
            out.push((m.uid, new));
        }
        Some(out)
    }

    /// Sets flags in a folder.
    pub fn set_folder_flags(&mut self, address: &str, folder: &str, uid: u32, flags: &[String]) {
        if let Some(modseq) = self.folder_mut(address, folder).and_then(|f| f.set_flags(uid, flags)) {
            let (address, folder, flags) = (address.to_ascii_lowercase(), canonical(folder), flags.to_vec());
            self.changed(|| StoreChange::Flags { address, folder, uid, flags, modseq });
        }
    }

    /// Removes messages from a folder; returns the UIDs removed.
    pub fn expunge_folder(&mut self, address: &str, folder: &str, uids: &[u32]) -> Vec<u32> {
        let Some(f) = self.folder_mut(address, folder) else { return vec![] };
        let removed = f.remove(uids);
        self.removed(address, &canonical(folder), &removed)
    }

    /// The password of an account (for SASL mechanisms that compute with it, like SCRAM).
    pub fn password(&self, address: &str) -> Option<&str> {
        self.accounts.get(&address.to_ascii_lowercase()).map(|a| a.password.as_str())
    }

    /// Sets the flags of a message (IMAP STORE).
    pub fn set_flags(&mut self, address: &str, uid: u32, flags: &[String]) {
        self.set_folder_flags(address, "INBOX", uid, flags)
    }

    /// Removes messages (IMAP EXPUNGE); returns the UIDs removed.
    pub fn expunge(&mut self, address: &str, uids: &[u32]) -> Vec<u32> {
        self.expunge_folder(address, "INBOX", uids)
    }

    /// Records a removal; returns the UIDs removed.
    fn removed(&mut self, address: &str, folder: &str, gone: &[(u32, u64)]) -> Vec<u32> {
        let uids: Vec<u32> = gone.iter().map(|(u, _)| *u).collect();
        if !uids.is_empty() && self.changes.is_some() {
            let (address, folder, uids) = (address.to_ascii_lowercase(), folder.to_string(), uids.clone());
            let modseqs = gone.iter().map(|(_, m)| *m).collect();
            self.changed(|| StoreChange::Removed { address, folder, uids, modseqs });
        }
        uids
    }

    /// Logs in with a user name (local part or address) and password: see [`MailStore::login`].
    pub fn login_user(&mut self, user: &str, password: &str) -> Result<(String, Vec<StoredMessage>), LoginError> {
        self.login_with(user, |p| p == password)
    }

    /// Logs in with a user name (local part or address) when `check` accepts the account's
    /// password (a plain comparison, or a digest such as APOP's), and takes the maildrop
    /// lock like [`MailStore::login`].
    pub fn login_with(
        &mut self,
        user: &str,
        check: impl FnOnce(&str) -> bool,
    ) -> Result<(String, Vec<StoredMessage>), LoginError> {
        let address = self.resolve_login(user).ok_or(LoginError::BadCredentials)?;
        let password = self.password(&address).ok_or(LoginError::BadCredentials)?.to_string();
        if !check(&password) {
            return Err(LoginError::BadCredentials);
        }
        self.login(&address, &password).map(|m| (address, m))
    }

    /// Checks the password and takes the maildrop lock; returns a snapshot of the mailbox.
    pub fn login(&mut self, address: &str, password: &str) -> Result<Vec<StoredMessage>, LoginError> {
        let acct = self.accounts.get_mut(address).ok_or(LoginError::BadCredentials)?;
        if acct.password != password {
            return Err(LoginError::BadCredentials);
        }
        if acct.locked {
            return Err(LoginError::InUse);
        }
        acct.locked = true;
        Ok(acct.mailbox.messages.clone())
    }

    /// Releases the lock and removes the given UIDs; returns those that were removed.
    pub fn logout(&mut self, address: &str, remove: &[u32]) -> Vec<u32> {
        let Some(acct) = self.accounts.get_mut(address) else { return vec![] };
        acct.locked = false;
        let removed = acct.mailbox.remove(remove);
        self.removed(address, "INBOX", &removed)
    }
}

/// `INBOX` in any case is the inbox; other names are exact.
fn canonical(folder: &str) -> String {
    if folder.eq_ignore_ascii_case("INBOX") {
        "INBOX".into()
    } else {
        folder.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliver_login_remove() {
        let mut s = MailStore::default();
        s.add_account("bob@bob.example", "pw");
        assert_eq!(s.deliver("Bob@bob.example", b"one".to_vec()), Some(1));
        assert_eq!(s.deliver("bob@bob.example", b"two".to_vec()), Some(2));
        assert_eq!(s.deliver("eve@bob.example", b"x".to_vec()), None);
        assert_eq!(s.resolve_login("bob").as_deref(), Some("bob@bob.example"));
        assert_eq!(s.login("bob@bob.example", "nope"), Err(LoginError::BadCredentials));
        assert_eq!(s.login("bob@bob.example", "pw").unwrap().len(), 2);
        assert_eq!(s.login("bob@bob.example", "pw"), Err(LoginError::InUse));
        assert_eq!(s.logout("bob@bob.example", &[1]), vec![1]);
        assert_eq!(s.mailbox("bob@bob.example").unwrap().messages[0].uid, 2);
        assert_eq!(s.deliver("bob@bob.example", b"three".to_vec()), Some(3), "UIDs are never reused");
    }

    #[test]
    fn uid_validity_grows_and_changes_are_recorded() {
        let mut s = MailStore::default();
        s.add_account("a@x.example", "pw");
        assert_eq!(s.mailbox("a@x.example").unwrap().uid_validity, 3_857_529_045, "the playground's value");
        let mut s = MailStore::default();
        s.set_uid_validity_from(1_000);
        s.add_account("a@x.example", "pw");
        assert_eq!(s.folder("a@x.example", "INBOX").unwrap().uid_validity, 1_000);
        assert_eq!(s.folder("a@x.example", "Trash").unwrap().uid_validity, 1_002);
        s.record_changes();
        assert!(s.create_folder("a@x.example", "Work"));
        assert!(s.delete_folder("a@x.example", "Work"));
        assert!(s.create_folder("a@x.example", "Work"));
        assert_eq!(s.folder("a@x.example", "Work").unwrap().uid_validity, 1_004, "never the same twice");
        assert_eq!(s.deliver("a@x.example", b"hi".to_vec()), Some(1));
        s.set_flags("a@x.example", 1, &["\\Seen".into()]);
        assert_eq!(s.expunge("a@x.example", &[1, 7]), vec![1]);
        let c = s.take_changes();
        assert_eq!(c.len(), 6, "{c:?}");
        assert!(matches!(&c[3], StoreChange::Added { folder, message, .. } if folder == "INBOX" && message.uid == 1));
        assert!(matches!(&c[4], StoreChange::Flags { modseq: 2, .. }), "{c:?}");
        assert!(matches!(&c[5], StoreChange::Removed { uids, modseqs, .. } if uids == &[1] && modseqs == &[3]));
        assert!(s.take_changes().is_empty());
        // Subscriptions: recorded whole when they change, not when nothing changed.
        assert!(s.subscribe("a@x.example", "Work", true));
        assert!(!s.subscribe("a@x.example", "Work", true));
        let c = s.take_changes();
        assert_eq!(c.len(), 1);
        assert!(
            matches!(&c[0], StoreChange::Subscriptions { names, .. } if names == &["INBOX", "Sent", "Trash", "Work"])
        );
        assert!(s.set_subscriptions("a@x.example", &["Old".into()]));
        assert_eq!(s.subscriptions("a@x.example"), vec!["Old"]);
        let kept = Mailbox { uid_next: 9, ..Mailbox::new(5_000) };
        assert!(s.restore_folder("a@x.example", "Old", kept));
        assert!(s.create_folder("a@x.example", "New"));
        assert_eq!(s.folder("a@x.example", "New").unwrap().uid_validity, 5_001, "above what was restored");
    }

    /// COPY and EXPUNGE with UID lists out of order and with duplicates, through `UidSet`.
    #[test]
    fn copy_and_expunge_take_uid_lists_in_any_order() {
        let mut s = MailStore::default();
        s.add_account("a@x.example", "pw");
        for i in 0..5u8 {
            s.deliver("a@x.example", vec![b'a' + i]);
        }
        assert_eq!(s.copy("a@x.example", "INBOX", &[4, 2, 4, 9], "Trash"), Some(vec![(2, 1), (4, 2)]));
        let trash: Vec<_> = s.folder("a@x.example", "Trash").unwrap().messages.iter().map(|m| m.data.clone()).collect();
        assert_eq!(trash, [b"b".to_vec(), b"d".to_vec()]);
        assert_eq!(s.expunge("a@x.example", &[5, 1, 5, 3, 8]), vec![1, 3, 5]);
        let uids: Vec<u32> = s.folder("a@x.example", "INBOX").unwrap().messages.iter().map(|m| m.uid).collect();
        assert_eq!(uids, [2, 4]);
    }
}
