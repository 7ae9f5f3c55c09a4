//! The selected mailbox as this session sees it (RFC 9051 §5.2, §7.5): the messages it
//! knows, what other sessions changed since (reported with the next response, or at once
//! in IDLE), and the commands that remove or leave: NOOP, EXPUNGE, CLOSE, IDLE.

use super::{ImapServer, ImapServerEvent, ImapState};
use crate::imap::flag::{flag_order, SYSTEM_FLAGS};
use crate::imap::response::Line;
use crate::imap::sequence;
use crate::store::StoredMessage;

/// A flag list as IMAP writes it: `(\\Seen \\Deleted)`.
pub(super) fn flags_list(flags: &[String]) -> String {
    format!("({})", flags.join(" "))
}

/// The selected mailbox's session state beyond its messages.
#[derive(Debug, Default)]
pub(super) struct View {
    /// UIDs that are `\Recent` in this session (IMAP4rev1, RFC 3501 §2.3.2).
    pub(super) recent: Vec<u32>,
    /// Keywords in use in the selected mailbox, listed in FLAGS (RFC 9051 §7.3.5).
    pub(super) keywords: Vec<String>,
    /// The UIDs of the last `SEARCH RETURN (SAVE)`: what `$` means (RFC 5182).
    pub(super) saved: Vec<u32>,
    /// CONDSTORE is on (RFC 7162 §3.1): flag changes come with MODSEQ.
    pub(super) condstore: bool,
    /// QRESYNC is on (RFC 7162 §3.2): expunges are reported as VANISHED.
    pub(super) qresync: bool,
    /// The selected mailbox's HIGHESTMODSEQ as this session knows it.
    pub(super) highest: u64,
    /// Expunged UIDs with (an upper bound of) their mod-sequences, for VANISHED (EARLIER).
    pub(super) vanished: Vec<(u32, u64)>,
}

impl ImapServer {
    /// The INBOX of the user who just logged in (and its UIDVALIDITY and UIDNEXT).
    pub fn set_mailbox(&mut self, messages: Vec<StoredMessage>, uid_validity: u32, uid_next: u32) {
        self.messages = messages;
        self.uid_validity = uid_validity;
        self.uid_next = uid_next;
        self.awaiting_mailbox = false;
        self.read_input();
    }

    /// The mailbox as the store has it now (other sessions may have changed it): the
    /// differences are reported to this client as untagged responses (RFC 9051 §5.2, §7.5).
    pub fn refresh(&mut self, latest: &[StoredMessage]) {
        self.refresh_from(latest, 0);
    }

    /// [`ImapServer::refresh`], where new messages from UID `recent_from` on are `\Recent`
    /// to this session if it has the mailbox selected read-write (RFC 3501 §2.3.2: recent to
    /// one session only). Returns whether it took any: the owner then marks them seen by a
    /// session ([`crate::store::MailStore::take_recent`]).
    pub(super) fn refresh_from(&mut self, latest: &[StoredMessage], recent_from: u32) -> bool {
        if self.user.is_none() || self.awaiting_mailbox {
            return false;
        }
        let mut took = false;
        let selected = self.state == ImapState::Selected;
        // By UID, once: O(messages) per refresh, not messages × latest (a driver refreshes
        // the session on every read, under its store lock).
        let by_uid: std::collections::HashMap<u32, &StoredMessage> = latest.iter().map(|l| (l.uid, l)).collect();
        let mut expunged: std::collections::HashSet<u32> = self.pending_expunge.iter().copied().collect();
        for i in 0..self.messages.len() {
            let Some(uid) = self.messages.get(i).map(|m| m.uid) else { continue };
            let changed = |l: &&StoredMessage| self.messages.get(i).is_some_and(|m| m.flags != l.flags);
            match by_uid.get(&uid).copied() {
                Some(l) if changed(&l) => {
                    if let Some(m) = self.messages.get_mut(i) {
                        m.flags = l.flags.clone();
                        m.modseq = l.modseq;
                    }
                    if selected {
                        // With CONDSTORE: MODSEQ too; with QRESYNC: the UID too (RFC 7162 §3.2.4).
                        let uid_part = if self.view.qresync { format!("UID {uid} ") } else { String::new() };
                        let (flags, ms) = (self.shown_flags(i), self.modseq_part(i));
                        let n = i.saturating_add(1);
                        self.pending.push(format!("* {n} FETCH ({uid_part}FLAGS {flags}{ms})").into());
                    }
                }
                None if expunged.insert(uid) => self.pending_expunge.push(uid),
                _ => {}
            }
        }
        let known = self.messages.iter().map(|m| m.uid).max().unwrap_or(0).max(self.uid_next.saturating_sub(1));
        let new: Vec<StoredMessage> = latest.iter().filter(|l| l.uid > known).cloned().collect();
        if selected {
            // New keywords: FLAGS first, then the FETCH lines that use them.
            let lines = self.note_keywords(latest.iter().flat_map(|m| m.flags.iter()));
            self.pending.splice(0..0, lines);
        }
        if !new.is_empty() {
            self.uid_next = new.iter().map(|m| m.uid.saturating_add(1)).max().unwrap_or(self.uid_next);
            let claim = selected && !self.read_only;
            took = claim && new.iter().any(|m| m.uid >= recent_from);
            let mut lines = self.add_messages(new, if claim { recent_from } else { u32::MAX });
            self.pending.append(&mut lines);
        }
        if self.idling.is_some() {
            // In IDLE the client hears about changes as they happen, expunges included.
            let mut lines = self.take_expunges();
            lines.append(&mut self.pending);
            if !lines.is_empty() {
                self.respond(lines, None, "IDLE");
            }
        }
        took
    }

    /// Messages new to this session join its view: `* n EXISTS` (and for an IMAP4rev1
    /// client `* n RECENT`: they are recent to this session, RFC 3501 §7.3.2).
    /// Those from UID `recent_from` on are recent to this session.
    pub(super) fn add_messages(&mut self, new: Vec<StoredMessage>, recent_from: u32) -> Vec<Line> {
        if new.is_empty() {
            return vec![];
        }
        let mut lines = if self.state == ImapState::Selected {
            self.note_keywords(new.iter().flat_map(|m| m.flags.iter()))
        } else {
            vec![]
        };
        self.view.recent.extend(new.iter().map(|m| m.uid).filter(|&u| u >= recent_from));
        self.view.highest = new.iter().map(|m| m.modseq).fold(self.view.highest, u64::max);
        self.messages.extend(new);
        if self.state == ImapState::Selected {
            lines.push(format!("* {} EXISTS", self.messages.len()).into());
            if !self.rev2 {
                lines.push(format!("* {} RECENT", self.view.recent.len()).into());
            }
        }
        lines
    }

    /// The FLAGS and PERMANENTFLAGS lines: system flags, then the keywords in use; `\*`
    /// because any keyword may be created (RFC 9051 §7.3.5, §7.1). A mailbox opened with
    /// EXAMINE permits no permanent change: `PERMANENTFLAGS ()`, as in RFC 9051 §6.3.3's example.
    pub(super) fn flag_lines(&self) -> [String; 2] {
        let all: Vec<&str> =
            SYSTEM_FLAGS.iter().copied().chain(self.view.keywords.iter().map(String::as_str)).collect();
        let permanent = if self.read_only {
            "* OK [PERMANENTFLAGS ()] No permanent flags permitted".to_string()
        } else {
            format!("* OK [PERMANENTFLAGS ({} \\*)] Flags permitted", all.join(" "))
        };
        [format!("* FLAGS ({})", all.join(" ")), permanent]
    }

    /// Keywords not yet in FLAGS: added, and the new FLAGS lines returned (empty if none).
    pub(super) fn note_keywords<'a>(&mut self, flags: impl Iterator<Item = &'a String>) -> Vec<Line> {
        let mut added = false;
        for f in flags {
            if flag_order(f) == SYSTEM_FLAGS.len() && !f.starts_with('\\') && !self.view.keywords.contains(f) {
                self.view.keywords.push(f.clone());
                added = true;
            }
        }
        if added {
            self.flag_lines().into_iter().map(Line::from).collect()
        } else {
            vec![]
        }
    }

    /// A message's flags as FETCH shows them: with `\Recent` for an IMAP4rev1 client.
    pub(super) fn shown_flags(&self, i: usize) -> String {
        let Some(m) = self.messages.get(i) else { return "()".into() };
        if !self.rev2 && self.view.recent.contains(&m.uid) {
            let mut f = vec!["\\Recent".to_string()];
            f.extend(m.flags.iter().cloned());
            flags_list(&f)
        } else {
            flags_list(&m.flags)
        }
    }

    /// Reports expunges made elsewhere (only where message numbers may change).
    pub(super) fn take_expunges(&mut self) -> Vec<Line> {
        let (mut removed, mut modseqs) = (Vec::new(), Vec::new());
        for uid in std::mem::take(&mut self.pending_expunge) {
            if let Some(i) = self.messages.iter().position(|m| m.uid == uid) {
                self.messages.remove(i);
                removed.push((i.saturating_add(1), uid));
                // Made elsewhere: the mailbox's HIGHESTMODSEQ bounds its mod-sequence.
                modseqs.push(self.view.highest);
            }
        }
        let lines = self.expunged_lines(&removed, &modseqs);
        if self.state == ImapState::Selected {
            lines
        } else {
            vec![]
        }
    }

    /// Message indexes (0-based) for a sequence set or UID set; `$` is the saved search
    /// result (RFC 5182).
    pub(super) fn resolve(&self, set: &str, uid: bool) -> Vec<usize> {
        if set == "$" {
            let saved = self.messages.iter().enumerate().filter(|(_, m)| self.view.saved.contains(&m.uid));
            return saved.map(|(i, _)| i).collect();
        }
        let max = if uid { self.messages.last().map(|m| m.uid).unwrap_or(0) } else { self.messages.len() as u32 };
        // The set is read once (an 8 KB set against a large mailbox stays cheap).
        let ranges = sequence::ranges(set, max);
        let number = |i: usize, m: &StoredMessage| {
            if uid {
                m.uid
            } else {
                u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1)
            }
        };
        self.messages
            .iter()
            .enumerate()
            .filter(|&(i, m)| sequence::in_ranges(&ranges, number(i, m)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Removes `\\Deleted` messages (only those of `only`, a UID set, for UID EXPUNGE);
    /// returns the `* n EXPUNGE` lines (each number as of then).
    fn expunge(&mut self, only: Option<&str>) -> Vec<Line> {
        let (mut removed, mut modseqs) = (Vec::new(), Vec::new());
        let mut uids = Vec::new();
        let max_uid = self.messages.last().map(|m| m.uid).unwrap_or(0);
        let listed = |s: &Self, uid: u32| match only {
            None => true,
            Some("$") => s.view.saved.contains(&uid),
            Some(set) => sequence::set_contains(set, uid, max_uid),
        };
        let mut i = 0usize;
        while let Some(m) = self.messages.get(i) {
            if m.flags.iter().any(|f| f == "\\Deleted") && listed(self, m.uid) {
                let uid = self.messages.remove(i).uid;
                uids.push(uid);
                removed.push((i.saturating_add(1), uid));
                modseqs.push(self.bump_modseq());
            } else {
                i = i.saturating_add(1);
            }
        }
        if !uids.is_empty() {
            self.io.events.push_back(ImapServerEvent::Expunged {
                user: self.user.clone().unwrap_or_default(),
                folder: self.folder.clone(),
                uids,
            });
        }
        self.expunged_lines(&removed, &modseqs)
    }

    pub(super) fn on_noop(&mut self, tag: &str) {
        let lines = self.take_expunges();
        self.ok(tag, "NOOP", lines, "NOOP completed".into())
    }

    /// EXPUNGE, or UID EXPUNGE with its UID set (RFC 4315 §2.1).
    pub(super) fn on_expunge(&mut self, tag: &str, uids: Option<&str>) {
        let name = if uids.is_some() { "UID EXPUNGE" } else { "EXPUNGE" };
        if self.read_only {
            return self.no(tag, name, "[READ-ONLY] The mailbox was opened with EXAMINE");
        }
        let mut lines = self.take_expunges();
        lines.extend(self.expunge(uids));
        self.ok(tag, name, lines, format!("{name} completed"))
    }

    pub(super) fn on_close(&mut self, tag: &str) {
        if !self.read_only {
            self.expunge(None);
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
