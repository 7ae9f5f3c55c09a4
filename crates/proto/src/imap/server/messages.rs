//! Commands on the messages of the selected mailbox: FETCH (RFC 9051 §6.4.5), STORE
//! (§6.4.6) and SEARCH (§6.4.4, ESEARCH per §7.3.4 and RFC 4731).

use super::mailbox::flags_list;
use super::{ImapServer, ImapServerEvent};
use crate::imap::command::StoreMode;
use crate::imap::fetch::{self, FetchItem};
use crate::imap::flag::flag_order;
use crate::imap::response::Line;
use crate::imap::search::{Candidate, SearchKey};
use crate::imap::sequence;

impl ImapServer {
    pub(super) fn on_fetch(&mut self, tag: &str, uid: bool, set: &str, items: &[FetchItem]) {
        let mut lines = Vec::new();
        for i in self.resolve(set, uid) {
            let mut parts: Vec<Line> = Vec::new();
            let mut set_seen = false;
            let wants_flags = items.contains(&FetchItem::Flags);
            if uid && !items.contains(&FetchItem::Uid) {
                parts.push(format!("UID {}", self.messages[i].uid).into());
            }
            for item in items {
                let m = &self.messages[i];
                parts.push(match item {
                    FetchItem::Flags => format!("FLAGS {}", flags_list(&m.flags)).into(),
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
                let (uid, flags) = (self.messages[i].uid, self.messages[i].flags.clone());
                self.events.push_back(ImapServerEvent::Stored {
                    user: self.user.clone().unwrap_or_default(),
                    folder: self.folder.clone(),
                    uid,
                    flags: flags.clone(),
                });
                if !wants_flags {
                    parts.insert(0, format!("FLAGS {}", flags_list(&flags)).into());
                }
            }
            let mut line = Line::new(format!("* {} FETCH (", i + 1));
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

    pub(super) fn on_store(
        &mut self,
        tag: &str,
        uid: bool,
        set: &str,
        mode: StoreMode,
        silent: bool,
        flags: &[String],
    ) {
        if self.read_only {
            return self.no(tag, "STORE", "[READ-ONLY] The mailbox was opened with EXAMINE");
        }
        let mut lines = Vec::new();
        for i in self.resolve(set, uid) {
            let m = &mut self.messages[i];
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
            let (u, fl) = (m.uid, m.flags.clone());
            if !silent {
                let uid_part = if uid { format!("UID {u} ") } else { String::new() };
                lines.push(format!("* {} FETCH ({uid_part}FLAGS {})", i + 1, flags_list(&fl)).into());
            }
            self.events.push_back(ImapServerEvent::Stored {
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
        self.ok(tag, "STORE", lines, format!("{what} completed"))
    }

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
        let max_uid = self.messages.last().map(|m| m.uid).unwrap_or(0);
        let max_seq = self.messages.len() as u32;
        let ids: Vec<u32> = self
            .messages
            .iter()
            .enumerate()
            .filter(|(i, m)| key.matches(&Candidate { message: m, seq: *i as u32 + 1, max_seq, max_uid }))
            .map(|(i, m)| if uid { m.uid } else { i as u32 + 1 })
            .collect();
        let line = if self.rev2 || ret.is_some() {
            // RFC 9051 §7.3.4: ESEARCH; with no RETURN options, ALL is meant.
            let ret = ret.filter(|r| !r.is_empty()).unwrap_or_else(|| vec!["ALL".to_string()]);
            let mut parts = vec![format!("* ESEARCH (TAG \"{tag}\")")];
            if uid {
                parts.push("UID".into());
            }
            for o in &ret {
                match o.as_str() {
                    "MIN" if !ids.is_empty() => parts.push(format!("MIN {}", ids[0])),
                    "MAX" if !ids.is_empty() => parts.push(format!("MAX {}", ids[ids.len() - 1])),
                    "COUNT" => parts.push(format!("COUNT {}", ids.len())),
                    "ALL" if !ids.is_empty() => parts.push(format!("ALL {}", sequence::compact(&ids))),
                    _ => {}
                }
            }
            parts.join(" ")
        } else {
            format!("* SEARCH{}", ids.iter().map(|n| format!(" {n}")).collect::<String>())
        };
        self.ok(tag, "SEARCH", vec![line.into()], "SEARCH completed".into())
    }
}
