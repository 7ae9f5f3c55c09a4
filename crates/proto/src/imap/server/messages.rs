//! Commands on the messages of the selected mailbox: FETCH (RFC 9051 §6.4.5), STORE
//! (§6.4.6) and SEARCH (§6.4.4, ESEARCH per §7.3.4 and RFC 4731).

use super::{ImapServer, ImapServerEvent};
use crate::imap::binary::{binary_section, BinaryError};
use crate::imap::command::StoreMode;
use crate::imap::fetch::{self, FetchItem};
use crate::imap::flag::flag_order;
use crate::imap::response::Line;
use crate::imap::search::{Candidate, SearchKey};
use crate::imap::sequence;
use crate::imap::sort;

impl ImapServer {
    /// A sequence set (not a UID set) may only name numbers up to EXISTS: else BAD, sent
    /// here (RFC 9051 §9 `seq-number`). Returns whether the command may go on.
    pub(super) fn in_range(&mut self, tag: &str, name: &str, set: &str, uid: bool) -> bool {
        if uid {
            return true;
        }
        match sequence::beyond(set, self.messages.len() as u32) {
            Some(0) => {
                self.bad(
                    tag,
                    name,
                    "the mailbox is empty: no sequence number, not even *, names a message (RFC 9051 section 9)",
                );
                false
            }
            Some(n) => {
                let text = format!(
                    "message number {n} does not exist: this mailbox has {} (sequence numbers run from 1 to EXISTS; RFC 9051 section 9)",
                    self.messages.len()
                );
                self.bad(tag, name, &text);
                false
            }
            None => true,
        }
    }

    /// FETCH, with CHANGEDSINCE (only messages changed since; MODSEQ implied) and, for UID
    /// FETCH with QRESYNC, VANISHED (RFC 7162 §3.1.4.1, §3.2.6).
    // `i` comes from `self.resolve` or `self.matching` (indexes of `self.messages`, which
    // nothing removes from while these run): in bounds.
    #[allow(clippy::indexing_slicing)]
    pub(super) fn on_fetch(
        &mut self,
        tag: &str,
        uid: bool,
        set: &str,
        items: &[FetchItem],
        changed_since: Option<u64>,
        vanished: bool,
    ) {
        if !self.in_range(tag, "FETCH", set, uid) {
            return;
        }
        if vanished && !self.view.qresync {
            return self.bad(tag, "FETCH", "VANISHED needs ENABLE QRESYNC first (RFC 7162 section 3.2.6)");
        }
        self.view.condstore |= changed_since.is_some() || items.contains(&FetchItem::ModSeq);
        let mut items = items.to_vec();
        if changed_since.is_some() && !items.contains(&FetchItem::ModSeq) {
            items.push(FetchItem::ModSeq);
        }
        let items = &items[..];
        // BINARY of a part whose encoding is unknown: NO [UNKNOWN-CTE] (RFC 3516 §4.2).
        for i in self.resolve(set, uid) {
            for item in items {
                if let FetchItem::Binary { section, .. } | FetchItem::BinarySize(section) = item {
                    if let Err(BinaryError::UnknownCte(c)) = binary_section(&self.messages[i].data, section) {
                        let text = format!("[UNKNOWN-CTE] part {section} is in {c}, which this server cannot decode");
                        return self.no(tag, "FETCH", &text);
                    }
                }
            }
        }
        let mut lines = Vec::new();
        if let (true, Some(since)) = (vanished, changed_since) {
            lines.extend(self.vanished_earlier(Some(set), since));
        }
        for i in self.resolve(set, uid) {
            if changed_since.is_some_and(|n| self.messages[i].modseq <= n) {
                continue;
            }
            let mut parts: Vec<Line> = Vec::new();
            let mut set_seen = false;
            let wants_flags = items.contains(&FetchItem::Flags);
            if uid && !items.contains(&FetchItem::Uid) {
                parts.push(format!("UID {}", self.messages[i].uid).into());
            }
            for item in items {
                let m = &self.messages[i];
                parts.push(match item {
                    FetchItem::Flags => format!("FLAGS {}", self.shown_flags(i)).into(),
                    FetchItem::BinarySize(section) => {
                        let n = binary_section(&m.data, section).map(|b| b.len()).unwrap_or(0);
                        format!("BINARY.SIZE[{section}] {n}").into()
                    }
                    FetchItem::Binary { peek, section, partial } => {
                        set_seen |= !peek && !self.read_only && !m.flags.iter().any(|f| f == "\\Seen");
                        let whole = binary_section(&m.data, section).unwrap_or_default();
                        let body = match partial {
                            Some((start, count)) => {
                                let a = (*start).min(whole.len());
                                &whole[a..a.saturating_add(*count).min(whole.len())]
                            }
                            None => &whole[..],
                        };
                        // literal8 (`~{n}`) when the octets hold a NUL (RFC 3516 §4.2).
                        let mut part = Line::new(format!("{item} {}", if body.contains(&0) { "~" } else { "" }));
                        part.literal(body);
                        part
                    }
                    FetchItem::InternalDate => {
                        format!("INTERNALDATE \"{}\"", fetch::internal_date(m.internal_date)).into()
                    }
                    FetchItem::Rfc822Size => format!("RFC822.SIZE {}", m.data.len()).into(),
                    FetchItem::Envelope => format!("ENVELOPE {}", fetch::envelope(&m.data)).into(),
                    FetchItem::Body => format!("BODY {}", fetch::body_structure(&m.data, false)).into(),
                    FetchItem::BodyStructure => {
                        format!("BODYSTRUCTURE {}", fetch::body_structure(&m.data, true)).into()
                    }
                    FetchItem::Uid => format!("UID {}", m.uid).into(),
                    FetchItem::ModSeq => format!("MODSEQ ({})", m.modseq).into(),
                    FetchItem::Section { peek, section, partial, .. } => {
                        set_seen |= !peek && !self.read_only && !m.flags.iter().any(|f| f == "\\Seen");
                        let whole = fetch::section_bytes(&m.data, section);
                        let body = match partial {
                            // <start.count>: both may be up to 2^64-1 (RFC 9051 number64), so saturate.
                            Some((start, count)) => {
                                let from = (*start).min(whole.len());
                                let to = start.saturating_add(*count).min(whole.len());
                                whole.get(from..to).unwrap_or_default()
                            }
                            None => &whole[..],
                        };
                        // The literal carries the octets as they are: {n} counts octets.
                        let mut part = Line::new(format!("{item} "));
                        part.literal(body);
                        part
                    }
                });
            }
            if set_seen {
                // RFC 9051 §6.4.5: fetching BODY[...] sets \Seen, and the server says so.
                self.messages[i].flags.push("\\Seen".into());
                self.messages[i].modseq = self.bump_modseq();
                let (uid, flags) = (self.messages[i].uid, self.messages[i].flags.clone());
                self.io.events.push_back(ImapServerEvent::Stored {
                    user: self.user.clone().unwrap_or_default(),
                    folder: self.folder.clone(),
                    uid,
                    flags: flags.clone(),
                });
                if !wants_flags {
                    let ms = if items.contains(&FetchItem::ModSeq) { String::new() } else { self.modseq_part(i) };
                    parts.insert(0, format!("FLAGS {}{ms}", self.shown_flags(i)).into());
                }
            }
            let mut line = Line::new(format!("* {} FETCH (", seq_number(i)));
            for (k, part) in parts.iter().enumerate() {
                if k > 0 {
                    line.push(" ");
                }
                line.append(part);
            }
            line.push(")");
            lines.push(line);
        }
        let what = if uid { "UID FETCH" } else { "FETCH" };
        self.ok(tag, "FETCH", lines, format!("{what} completed"))
    }

    /// STORE, with UNCHANGEDSINCE (RFC 7162 §3.1.3): messages changed after that
    /// mod-sequence are left alone and listed in `[MODIFIED ...]`.
    // `i` comes from `self.resolve` or `self.matching` (indexes of `self.messages`, which
    // nothing removes from while these run): in bounds.
    #[allow(clippy::indexing_slicing)]
    pub(super) fn on_store(
        &mut self,
        tag: &str,
        uid: bool,
        set: &str,
        (mode, silent, unchanged_since): (StoreMode, bool, Option<u64>),
        flags: &[String],
    ) {
        if self.read_only {
            return self.no(tag, "STORE", "[READ-ONLY] The mailbox was opened with EXAMINE");
        }
        if !self.in_range(tag, "STORE", set, uid) {
            return;
        }
        self.view.condstore |= unchanged_since.is_some();
        // A keyword used for the first time: FLAGS and PERMANENTFLAGS say so first (§7.3.5).
        let mut lines = self.note_keywords(flags.iter());
        let mut modified = Vec::new();
        for i in self.resolve(set, uid) {
            if unchanged_since.is_some_and(|n| self.messages[i].modseq > n) {
                modified.push(if uid { self.messages[i].uid } else { seq_number(i) });
                continue;
            }
            let m = &mut self.messages[i];
            let before = m.flags.clone();
            match mode {
                StoreMode::Replace => m.flags = flags.to_vec(),
                StoreMode::Add => flags.iter().for_each(|f| {
                    if !m.flags.contains(f) {
                        m.flags.push(f.clone())
                    }
                }),
                StoreMode::Remove => m.flags.retain(|f| !flags.contains(f)),
            }
            m.flags.sort_by_key(|f| flag_order(f));
            if m.flags != before {
                // The store gives the change the next mod-sequence, as here.
                self.messages[i].modseq = self.bump_modseq();
            }
            let (u, fl) = (self.messages[i].uid, self.messages[i].flags.clone());
            let uid_part = if uid { format!("UID {u} ") } else { String::new() };
            if !silent {
                let (shown, ms) = (self.shown_flags(i), self.modseq_part(i));
                lines.push(format!("* {} FETCH ({uid_part}FLAGS {shown}{ms})", seq_number(i)).into());
            } else if unchanged_since.is_some() {
                // A conditional STORE answers with each message's new MODSEQ even when
                // .SILENT, so the client learns the mod-sequence of its change (§3.1.3).
                lines
                    .push(format!("* {} FETCH ({uid_part}MODSEQ ({}))", seq_number(i), self.messages[i].modseq).into());
            }
            self.io.events.push_back(ImapServerEvent::Stored {
                user: self.user.clone().unwrap_or_default(),
                folder: self.folder.clone(),
                uid: u,
                flags: fl,
            });
        }
        let what = match mode {
            StoreMode::Add => "+FLAGS",
            StoreMode::Remove => "-FLAGS",
            StoreMode::Replace => "FLAGS",
        };
        if modified.is_empty() {
            self.ok(tag, "STORE", lines, format!("{what} completed"))
        } else {
            let text = format!("[MODIFIED {}] Conditional STORE failed for these", sequence::compact(&modified));
            self.ok(tag, "STORE", lines, text)
        }
    }

    // `i` comes from `self.resolve` or `self.matching` (indexes of `self.messages`, which
    // nothing removes from while these run): in bounds.
    #[allow(clippy::indexing_slicing)]
    pub(super) fn on_search(
        &mut self,
        tag: &str,
        uid: bool,
        charset: Option<&str>,
        ret: Option<Vec<String>>,
        key: &SearchKey,
    ) {
        if let Some(cs) = charset.filter(|cs| !["UTF-8", "US-ASCII"].contains(&cs.to_ascii_uppercase().as_str())) {
            return self.no(tag, "SEARCH", &format!("[BADCHARSET (UTF-8 US-ASCII)] {cs} is not supported"));
        }
        let Some(found) = self.matching(tag, "SEARCH", key) else { return };
        let ids: Vec<u32> = found.iter().map(|&i| if uid { self.messages[i].uid } else { seq_number(i) }).collect();
        // SEARCH MODSEQ: CONDSTORE on, and the highest mod-sequence found (RFC 7162 §3.1.5).
        let modseq = if key.uses_modseq() {
            self.view.condstore = true;
            found.iter().map(|&i| self.messages[i].modseq).max()
        } else {
            None
        };
        if let Some(r) = ret.as_ref().filter(|r| r.iter().any(|o| o == "SAVE")) {
            // RFC 5182 §2.1: SAVE keeps the result for `$`; with MIN or MAX (and not ALL or
            // COUNT), only the messages those return.
            let uids: Vec<u32> = found.iter().map(|&i| self.messages[i].uid).collect();
            let (min, max) = (r.iter().any(|o| o == "MIN"), r.iter().any(|o| o == "MAX"));
            self.view.saved = if (min || max) && !r.iter().any(|o| o == "ALL" || o == "COUNT") {
                let mut v: Vec<u32> = Vec::new();
                v.extend(uids.first().filter(|_| min));
                v.extend(uids.last().filter(|_| max && (!min || uids.len() > 1)));
                v
            } else {
                uids
            };
            if r.iter().all(|o| o == "SAVE") {
                // SAVE alone: no ESEARCH response (RFC 5182 §2.4).
                return self.ok(tag, "SEARCH", vec![], "SEARCH completed, result saved".into());
            }
        }
        let line = if self.rev2 || ret.is_some() {
            // RFC 9051 §7.3.4: ESEARCH; with no RETURN options, ALL is meant.
            let ret = ret.filter(|r| r.iter().any(|o| o != "SAVE")).unwrap_or_else(|| vec!["ALL".to_string()]);
            let mut parts = vec![format!("* ESEARCH (TAG \"{tag}\")")];
            if uid {
                parts.push("UID".into());
            }
            for o in &ret {
                match o.as_str() {
                    "MIN" if !ids.is_empty() => parts.extend(ids.first().map(|n| format!("MIN {n}"))),
                    "MAX" if !ids.is_empty() => parts.extend(ids.last().map(|n| format!("MAX {n}"))),
                    "COUNT" => parts.push(format!("COUNT {}", ids.len())),
                    "ALL" if !ids.is_empty() => parts.push(format!("ALL {}", sequence::compact(&ids))),
                    _ => {}
                }
            }
            parts.extend(modseq.map(|m| format!("MODSEQ {m}")));
            parts.join(" ")
        } else {
            let mut line = format!("* SEARCH{}", ids.iter().map(|n| format!(" {n}")).collect::<String>());
            line.extend(modseq.map(|m| format!(" (MODSEQ {m})")));
            line
        };
        self.ok(tag, "SEARCH", vec![line.into()], "SEARCH completed".into())
    }

    /// The indexes of the messages that match `key`, or None after sending BAD (a sequence
    /// number beyond EXISTS; RECENT, NEW or OLD once IMAP4rev2 is on). A failed search
    /// empties the saved result (RFC 5182 §2.1).
    // `i` comes from `self.resolve` or `self.matching` (indexes of `self.messages`, which
    // nothing removes from while these run): in bounds.
    #[allow(clippy::indexing_slicing)]
    fn matching(&mut self, tag: &str, name: &str, key: &SearchKey) -> Option<Vec<usize>> {
        if self.rev2 && key.uses_recent() {
            self.view.saved.clear();
            self.bad(
                tag,
                name,
                "RECENT, NEW and OLD went away with \\Recent in IMAP4rev2 (RFC 9051 section 6.4.4); use UNSEEN",
            );
            return None;
        }
        for set in key.sequence_sets() {
            if !self.in_range(tag, name, set, false) {
                self.view.saved.clear();
                return None;
            }
        }
        let max_uid = self.messages.last().map(|m| m.uid).unwrap_or(0);
        let max_seq = self.messages.len() as u32;
        Some(
            (0..self.messages.len())
                .filter(|&i| {
                    let m = &self.messages[i];
                    key.matches(&Candidate {
                        message: m,
                        seq: seq_number(i),
                        max_seq,
                        max_uid,
                        recent: self.view.recent.contains(&m.uid),
                        saved: &self.view.saved,
                    })
                })
                .collect(),
        )
    }

    /// SORT (RFC 5256 §3): `* SORT` with the numbers in sort order.
    pub(super) fn on_sort(&mut self, tag: &str, uid: bool, criteria: &[String], key: &SearchKey) {
        let Some(mut found) = self.matching(tag, "SORT", key) else { return };
        sort::sort(&self.messages, &mut found, criteria);
        let ids: String = found
            .iter()
            .map(|&i| format!(" {}", if uid { self.messages.get(i).map_or(0, |m| m.uid) } else { seq_number(i) }))
            .collect();
        self.ok(tag, "SORT", vec![format!("* SORT{ids}").into()], "SORT completed".into())
    }

    /// THREAD (RFC 5256 §3): `* THREAD (1 2)(3)`.
    // `i` comes from `self.resolve` or `self.matching` (indexes of `self.messages`, which
    // nothing removes from while these run): in bounds.
    #[allow(clippy::indexing_slicing)]
    pub(super) fn on_thread(&mut self, tag: &str, uid: bool, algorithm: &str, key: &SearchKey) {
        let Some(found) = self.matching(tag, "THREAD", key) else { return };
        let msgs = &self.messages;
        let num = |i: usize| if uid { msgs[i].uid } else { seq_number(i) };
        let threads = sort::thread(msgs, &found, algorithm, &num);
        let line = format!("* THREAD {threads}").trim_end().to_string();
        self.ok(tag, "THREAD", vec![line.into()], "THREAD completed".into())
    }
}

/// The message sequence number of index `i` (RFC 9051 §2.3.1.2: numbers start at 1).
fn seq_number(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1)
}
