//! CONDSTORE and QRESYNC in the session (RFC 7162): mod-sequences of this session's own
//! changes (the store gives the same numbers, in the same order), MODSEQ in flag updates,
//! VANISHED in place of EXPUNGE once QRESYNC is on, and the resynchronization on SELECT.

use super::ImapServer;
use crate::imap::condstore::Qresync;
use crate::imap::response::Line;
use crate::imap::sequence;
use crate::store::Mailbox;

impl ImapServer {
    /// The next mod-sequence, for a change this session makes (the store counts alike).
    pub(super) fn bump_modseq(&mut self) -> u64 {
        self.view.highest = self.view.highest.saturating_add(1);
        self.view.highest
    }

    /// The owner's HIGHESTMODSEQ after this session's changes (it never goes down).
    pub fn sync_modseq(&mut self, highest: u64) {
        self.view.highest = self.view.highest.max(highest);
    }

    /// [`ImapServer::refresh`] with the whole mailbox: its HIGHESTMODSEQ too, and new
    /// messages from UID `recent_from` on (the mailbox's, unless another session has just
    /// taken them) are `\Recent` to this session. Returns whether it took any: the owner
    /// then calls [`crate::store::MailStore::take_recent`].
    pub fn refresh_mailbox(&mut self, mailbox: &Mailbox, recent_from: u32) -> bool {
        let took = self.refresh_from(&mailbox.messages, recent_from);
        self.sync_modseq(mailbox.highest_modseq);
        took
    }

    /// ` MODSEQ (n)` for message `i` once CONDSTORE is on, else nothing.
    pub(super) fn modseq_part(&self, i: usize) -> String {
        if self.view.condstore {
            format!(" MODSEQ ({})", self.messages.get(i).map_or(0, |m| m.modseq))
        } else {
            String::new()
        }
    }

    /// The HIGHESTMODSEQ shown: at least 1 (RFC 7162 §3.1.2.1).
    pub(super) fn highest_modseq(&self) -> u64 {
        self.view.highest.max(1)
    }

    /// Removed messages as (sequence number at the time, UID): `* n EXPUNGE` lines, or one
    /// `* VANISHED uids` once QRESYNC is on (RFC 7162 §3.2.10).
    pub(super) fn expunged_lines(&mut self, removed: &[(usize, u32)], modseqs: &[u64]) -> Vec<Line> {
        for (&(_, uid), &m) in removed.iter().zip(modseqs) {
            self.view.vanished.push((uid, m));
        }
        self.view.recent.retain(|u| !removed.iter().any(|(_, r)| r == u));
        if removed.is_empty() {
            return vec![];
        }
        if self.view.qresync {
            let mut uids: Vec<u32> = removed.iter().map(|(_, u)| *u).collect();
            uids.sort_unstable();
            vec![format!("* VANISHED {}", sequence::compact(&uids)).into()]
        } else {
            removed.iter().map(|(seq, _)| format!("* {seq} EXPUNGE").into()).collect()
        }
    }

    /// `* VANISHED (EARLIER) uids`: UIDs in `set` expunged after mod-sequence `since`, and
    /// those expunged at a time not known (older than the bounded history the store keeps,
    /// `store::VANISHED_KEPT`, or kept by a store of an older version): RFC 7162 §3.2.5.2
    /// allows reporting more, never fewer.
    pub(super) fn vanished_earlier(&self, set: Option<&str>, since: u64) -> Option<Line> {
        let max = self.uid_next.saturating_sub(1);
        let wanted = |u: u32| set.is_none_or(|s| sequence::set_contains(s, u, max));
        let mut uids: Vec<u32> =
            self.view.vanished.iter().filter(|(u, m)| *m > since && wanted(*u)).map(|(u, _)| *u).collect();
        if max <= 1_000_000 {
            let present: std::collections::BTreeSet<u32> = self.messages.iter().map(|m| m.uid).collect();
            let known: std::collections::BTreeSet<u32> = self.view.vanished.iter().map(|(u, _)| *u).collect();
            uids.extend((1..=max).filter(|u| !present.contains(u) && !known.contains(u) && wanted(*u)));
        }
        uids.sort_unstable();
        uids.dedup();
        (!uids.is_empty()).then(|| format!("* VANISHED (EARLIER) {}", sequence::compact(&uids)).into())
    }

    /// After SELECT (QRESYNC ...) with the right UIDVALIDITY: what vanished and what changed
    /// since the client's mod-sequence (RFC 7162 §3.2.5.2).
    pub(super) fn resync_lines(&self, q: &Qresync) -> Vec<Line> {
        if q.uid_validity != self.uid_validity {
            return vec![];
        }
        let known = q.known_uids.as_deref();
        let mut lines: Vec<Line> = self.vanished_earlier(known, q.modseq).into_iter().collect();
        let max = self.uid_next.saturating_sub(1);
        for (i, m) in self.messages.iter().enumerate() {
            if m.modseq > q.modseq && known.is_none_or(|k| sequence::set_contains(k, m.uid, max)) {
                let flags = self.shown_flags(i);
                lines.push(
                    format!("* {} FETCH (UID {} FLAGS {flags} MODSEQ ({}))", i.saturating_add(1), m.uid, m.modseq)
                        .into(),
                );
            }
        }
        lines
    }
}
