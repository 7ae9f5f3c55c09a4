//! Accounts and mailboxes: what a mail server keeps for its users. One store per server;
//! delivery appends, POP3 reads a snapshot at login and removes at QUIT (UPDATE state).
//!
//! Plain data, `BTreeMap` only, so that iterating it is deterministic.

use std::collections::BTreeMap;

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

impl Mailbox {
    /// The next mod-sequence: every change gets a higher one.
    fn next_modseq(&mut self) -> u64 {
        self.highest_modseq += 1;
        self.highest_modseq
    }

    fn push(&mut self, data: Vec<u8>, flags: Vec<String>, internal_date: i64) -> u32 {
        let uid = self.uid_next;
        self.uid_next += 1;
        let modseq = self.next_modseq();
        self.messages.push(StoredMessage { uid, data, flags, internal_date, modseq });
        uid
    }

    fn set_flags(&mut self, uid: u32, flags: &[String]) {
        let Some(i) = self.messages.iter().position(|m| m.uid == uid) else { return };
        if self.messages[i].flags != flags {
            self.messages[i].modseq = self.next_modseq();
            self.messages[i].flags = flags.to_vec();
        }
    }

    fn remove(&mut self, uids: &[u32]) -> Vec<u32> {
        let gone: Vec<u32> = self.messages.iter().map(|m| m.uid).filter(|u| uids.contains(u)).collect();
        self.messages.retain(|m| !uids.contains(&m.uid));
        for &uid in &gone {
            let m = self.next_modseq();
            self.vanished.push((uid, m));
        }
        gone
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
    /// DELETE gets a new one (RFC 9051 §2.3.1.1).
    pub last_validity: u32,
}

/// Why a login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    BadCredentials,
    InUse,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailStore {
    accounts: BTreeMap<String, Account>,
}

impl MailStore {
    pub fn add_account(&mut self, address: &str, password: &str) {
        self.accounts.insert(
            address.to_ascii_lowercase(),
            Account {
                password: password.into(),
                mailbox: Mailbox { uid_next: 1, uid_validity: 3_857_529_045, ..Default::default() },
                folders: ["Sent", "Trash"]
                    .iter()
                    .map(|f| {
                        (f.to_string(), Mailbox { uid_next: 1, uid_validity: 3_857_529_046, ..Default::default() })
                    })
                    .collect(),
                locked: false,
                subscribed: ["INBOX", "Sent", "Trash"].iter().map(|f| f.to_string()).collect(),
                last_validity: 3_857_529_046,
            },
        );
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
        Some(mb.push(data, flags.iter().map(|f| f.to_string()).collect(), internal_date))
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
        // The same numbers as before for a fresh account; never one given before.
        let validity = (3_857_529_050 + a.folders.len() as u32).max(a.last_validity + 1);
        a.last_validity = validity;
        a.folders.insert(name.into(), Mailbox { uid_next: 1, uid_validity: validity, ..Default::default() });
        true
    }

    /// Subscribes to (or unsubscribes from) a mailbox name; false if nothing changed.
    pub fn subscribe(&mut self, address: &str, name: &str, on: bool) -> bool {
        let name = if name.eq_ignore_ascii_case("INBOX") { "INBOX" } else { name };
        self.accounts.get_mut(&address.to_ascii_lowercase()).is_some_and(|a| {
            if on {
                a.subscribed.insert(name.to_string())
            } else {
                a.subscribed.remove(name)
            }
        })
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
        self.accounts.get_mut(&address.to_ascii_lowercase()).is_some_and(|a| a.folders.remove(name).is_some())
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
        Some(self.folder_mut(address, folder)?.push(data, flags.to_vec(), internal_date))
    }

    /// Copies messages between folders; returns (old UID, new UID) pairs, or None if either
    /// folder is missing.
    pub fn copy(&mut self, address: &str, from: &str, uids: &[u32], to: &str) -> Option<Vec<(u32, u32)>> {
        let msgs: Vec<StoredMessage> =
            self.folder(address, from)?.messages.iter().filter(|m| uids.contains(&m.uid)).cloned().collect();
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
        if let Some(f) = self.folder_mut(address, folder) {
            f.set_flags(uid, flags);
        }
    }

    /// Removes messages from a folder; returns the UIDs removed.
    pub fn expunge_folder(&mut self, address: &str, folder: &str, uids: &[u32]) -> Vec<u32> {
        self.folder_mut(address, folder).map(|f| f.remove(uids)).unwrap_or_default()
    }

    /// The password of an account (for SASL mechanisms that compute with it, like SCRAM).
    pub fn password(&self, address: &str) -> Option<&str> {
        self.accounts.get(&address.to_ascii_lowercase()).map(|a| a.password.as_str())
    }

    /// Sets the flags of a message (IMAP STORE).
    pub fn set_flags(&mut self, address: &str, uid: u32, flags: &[String]) {
        if let Some(a) = self.accounts.get_mut(&address.to_ascii_lowercase()) {
            a.mailbox.set_flags(uid, flags);
        }
    }

    /// Removes messages (IMAP EXPUNGE); returns the UIDs removed.
    pub fn expunge(&mut self, address: &str, uids: &[u32]) -> Vec<u32> {
        let Some(acct) = self.accounts.get_mut(&address.to_ascii_lowercase()) else { return vec![] };
        acct.mailbox.remove(uids)
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
        acct.mailbox.remove(remove)
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
}
