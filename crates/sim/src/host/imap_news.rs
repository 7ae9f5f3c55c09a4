//! Which IMAP sessions hear of a mailbox change: those logged in to the account that changed,
//! found through an index by account kept beside the sessions, so a delivery costs
//! O(sessions of its recipients), not O(all sessions).
//!
//! The host marks an account when it changes one of its mailboxes (a delivery, a POP3 session
//! deleting, an IMAP session storing flags, expunging or changing folders), then calls
//! `notify_imap`: each logged-in IMAP session of a marked account refreshes its view (an
//! idling one tells its client at once, RFC 2177) and is drained. Sessions of other accounts
//! have nothing to hear; they are brought up to date with their next input anyway.

use super::session::Session;
use super::{HostOutput, MailHost, SessionId};
use std::collections::BTreeSet;

impl MailHost {
    /// One of the mailboxes of `account` changed.
    pub(super) fn mailbox_changed(&mut self, account: &str) {
        if !self.changed_accounts.contains(account) {
            self.changed_accounts.insert(account.to_ascii_lowercase());
        }
    }

    /// Session `sid`, if it is an IMAP session that has logged in, joins its account's
    /// listeners (its account never changes afterwards: there is no way back to the
    /// not-authenticated state, RFC 9051 §3).
    pub(super) fn index_imap(&mut self, sid: SessionId) {
        if let Some(Session::Imap(e)) = self.sessions.get(&sid) {
            if let Some(user) = e.user() {
                self.imap_by_account.entry(user.to_ascii_lowercase()).or_default().insert(sid);
            }
        }
    }

    /// Session `sid`, taken out of `sessions`, leaves its account's listeners.
    pub(super) fn unindex_imap(&mut self, sid: SessionId, session: &Session) {
        let Session::Imap(e) = session else { return };
        let Some(account) = e.user().map(str::to_ascii_lowercase) else { return };
        if let Some(set) = self.imap_by_account.get_mut(&account) {
            set.remove(&sid);
            if set.is_empty() {
                self.imap_by_account.remove(&account);
            }
        }
    }

    /// Mailboxes changed (the accounts marked since the last call): every IMAP session of
    /// those accounts refreshes its view, in the order of their numbers, except `except`,
    /// which made the change itself.
    pub(super) fn notify_imap(&mut self, except: Option<SessionId>) {
        self.generation += 1;
        let changed = std::mem::take(&mut self.changed_accounts);
        let listeners: BTreeSet<SessionId> =
            changed.iter().filter_map(|a| self.imap_by_account.get(a)).flatten().copied().collect();
        let store = &self.store;
        // New mail is \Recent to the first session that hears of it only (RFC 3501 §2.3.2).
        let mut took: Vec<(String, String)> = Vec::new();
        let empty = Default::default();
        for id in listeners {
            if Some(id) == except {
                continue;
            }
            let Some(Session::Imap(e)) = self.sessions.get_mut(&id) else { continue };
            let Some(user) = e.user().map(str::to_string) else { continue };
            if !changed.contains(&user.to_ascii_lowercase()) {
                continue;
            }
            let folder = e.folder().to_string();
            let m = store.folder(&user, &folder).unwrap_or(&empty);
            let taken = took.iter().any(|(u, f)| *u == user && f.eq_ignore_ascii_case(&folder));
            if e.refresh_mailbox(m, if taken { u32::MAX } else { m.recent_from }) {
                took.push((user, folder));
            }
            self.out.push_back(HostOutput::Touched(id));
        }
        for (user, folder) in took {
            self.store.take_recent(&user, &folder);
        }
    }
}
