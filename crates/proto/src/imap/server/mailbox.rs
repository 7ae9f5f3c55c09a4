//! The selected mailbox as this session sees it (RFC 9051 §5.2, §7.5): the messages it
//! knows, what other sessions changed since (reported with the next response, or at once
//! in IDLE), and the commands that remove or leave: NOOP, EXPUNGE, CLOSE, IDLE.

use super::{ImapServer, ImapServerEvent, ImapState};
use crate::imap::response::Line;
use crate::imap::sequence;
use crate::store::StoredMessage;

/// A flag list as IMAP writes it: `(\\Seen \\Deleted)`.
pub(super) fn flags_list(flags: &[String]) -> String {
    format!("({})", flags.join(" "))
}

impl ImapServer {
    /// The INBOX of the user who just logged in (and its UIDVALIDITY and UIDNEXT).
    pub fn set_mailbox(&mut self, messages: Vec<StoredMessage>, uid_validity: u32, uid_next: u32) {
        self.messages = messages;
        self.uid_validity = uid_validity;
        self.uid_next = uid_next;
        self.awaiting_mailbox = false;
        self.process();
    }

    /// The mailbox as the store has it now (other sessions may have changed it): the
    /// differences are reported to this client as untagged responses (RFC 9051 §5.2, §7.5).
    pub fn refresh(&mut self, latest: &[StoredMessage]) {
        if self.user.is_none() || self.awaiting_mailbox {
            return;
        }
        let selected = self.state == ImapState::Selected;
        for (i, m) in self.messages.iter_mut().enumerate() {
            match latest.iter().find(|l| l.uid == m.uid) {
                Some(l) if l.flags != m.flags => {
                    m.flags = l.flags.clone();
                    if selected {
                        self.pending.push(format!("* {} FETCH (FLAGS {})", i + 1, flags_list(&m.flags)).into());
                    }
                }
                None if !self.pending_expunge.contains(&m.uid) => self.pending_expunge.push(m.uid),
                _ => {}
            }
        }
        let known = self.messages.iter().map(|m| m.uid).max().unwrap_or(0).max(self.uid_next.saturating_sub(1));
        let new: Vec<StoredMessage> = latest.iter().filter(|l| l.uid > known).cloned().collect();
        if !new.is_empty() {
            self.uid_next = new.iter().map(|m| m.uid + 1).max().unwrap_or(self.uid_next);
            self.messages.extend(new);
            if selected {
                self.pending.push(format!("* {} EXISTS", self.messages.len()).into());
            }
        }
        if self.idling.is_some() {
            // In IDLE the client hears about changes as they happen, expunges included.
            let mut lines = self.take_expunges();
            lines.append(&mut self.pending);
            if !lines.is_empty() {
                self.respond(lines, None, "IDLE");
            }
        }
    }

    /// Reports expunges made elsewhere (only where message numbers may change).
    fn take_expunges(&mut self) -> Vec<Line> {
        let mut lines = Vec::new();
        for uid in std::mem::take(&mut self.pending_expunge) {
            if let Some(i) = self.messages.iter().position(|m| m.uid == uid) {
                self.messages.remove(i);
                if self.state == ImapState::Selected {
                    lines.push(format!("* {} EXPUNGE", i + 1).into());
                }
            }
        }
        lines
    }

    /// Message indexes (0-based) for a sequence set or UID set.
    pub(super) fn resolve(&self, set: &str, uid: bool) -> Vec<usize> {
        let max = if uid { self.messages.last().map(|m| m.uid).unwrap_or(0) } else { self.messages.len() as u32 };
        // The set is read once (an 8 KB set against a large mailbox stays cheap).
        let ranges = sequence::ranges(set, max);
        (0..self.messages.len())
            .filter(|&i| sequence::in_ranges(&ranges, if uid { self.messages[i].uid } else { i as u32 + 1 }))
            .collect()
    }

    /// Removes `\\Deleted` messages; returns the `* n EXPUNGE` lines (each number as of then).
    fn expunge(&mut self) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut uids = Vec::new();
        let mut i = 0;
        while i < self.messages.len() {
            if self.messages[i].flags.iter().any(|f| f == "\\Deleted") {
                uids.push(self.messages.remove(i).uid);
                lines.push(format!("* {} EXPUNGE", i + 1).into());
            } else {
                i += 1;
            }
        }
        if !uids.is_empty() {
            self.events.push_back(ImapServerEvent::Expunged {
                user: self.user.clone().unwrap_or_default(),
                folder: self.folder.clone(),
                uids,
            });
        }
        lines
    }

    pub(super) fn on_noop(&mut self, tag: &str) {
        let lines = self.take_expunges();
        self.ok(tag, "NOOP", lines, "NOOP completed".into())
    }

    pub(super) fn on_expunge(&mut self, tag: &str) {
        if self.read_only {
            return self.no(tag, "EXPUNGE", "[READ-ONLY] The mailbox was opened with EXAMINE");
        }
        let mut lines = self.take_expunges();
        lines.extend(self.expunge());
        self.ok(tag, "EXPUNGE", lines, "EXPUNGE completed".into())
    }

    pub(super) fn on_close(&mut self, tag: &str) {
        if !self.read_only {
            self.expunge();
        }
        self.state = ImapState::Authenticated;
        self.ok(tag, "CLOSE", vec![], "CLOSE completed".into())
    }

    pub(super) fn on_idle(&mut self, tag: &str) {
        self.idling = Some(tag.to_string());
        let mut lines = self.take_expunges();
        lines.append(&mut self.pending);
        if !lines.is_empty() {
            self.respond(lines, None, "IDLE");
        }
        self.continuation("idling", "");
    }
}
