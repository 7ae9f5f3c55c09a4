//! LIST and LSUB responses (RFC 9051 §6.3.9, §7.3.1; LIST-EXTENDED RFC 5258; CHILDREN
//! RFC 3348; SPECIAL-USE RFC 6154; LIST-STATUS RFC 5819; LSUB RFC 3501 §6.3.9), and the
//! STATUS line they share with STATUS (§7.4).

use super::folders::{astring, list_match};
use super::ImapServer;
use crate::imap::command::ListArgs;
use crate::imap::folder::FolderStatus;

/// The special use of a folder (RFC 6154 §2), by the names the store starts with.
fn special_use(name: &str) -> Option<&'static str> {
    match name {
        "Sent" => Some("\\Sent"),
        "Trash" => Some("\\Trash"),
        "Drafts" => Some("\\Drafts"),
        "Junk" => Some("\\Junk"),
        "Archive" => Some("\\Archive"),
        _ => None,
    }
}

/// The name a pattern is matched against: reference and pattern joined (RFC 9051 §6.3.9).
fn full_pattern(reference: &str, pattern: &str) -> String {
    format!("{reference}{pattern}")
}

impl ImapServer {
    /// The `* LIST` lines (and LIST-STATUS `* STATUS` lines) for the names that match.
    pub(super) fn list_lines(
        &self,
        args: &ListArgs,
        names: &[String],
        subscribed: &[String],
        status: &[FolderStatus],
    ) -> Vec<String> {
        let patterns: Vec<String> = args.patterns.iter().map(|p| full_pattern(&args.reference, p)).collect();
        let matches = |n: &str| patterns.iter().any(|p| list_match(p, n));
        let is_sub = |n: &str| subscribed.iter().any(|s| s == n);
        let exists = |n: &str| names.iter().any(|x| x == n);
        // With SUBSCRIBED selection: subscribed names, existing or not; else existing names.
        let mut candidates: Vec<String> = if args.subscribed_only {
            let mut c: Vec<String> = names.iter().filter(|n| is_sub(n)).cloned().collect();
            c.extend(subscribed.iter().filter(|s| !exists(s)).cloned());
            c
        } else {
            names.to_vec()
        };
        // RECURSIVEMATCH: a parent that matches is listed when a child meets the selection
        // (RFC 5258 §3.5: CHILDINFO).
        let mut childinfo: Vec<String> = Vec::new();
        if args.recursive {
            for c in &candidates {
                let mut parent = c.as_str();
                while let Some((p, _)) = parent.rsplit_once('/') {
                    if !childinfo.iter().any(|x| x == p) {
                        childinfo.push(p.to_string());
                    }
                    parent = p;
                }
            }
            for p in &childinfo {
                if !candidates.contains(p) && matches(p) {
                    candidates.push(p.clone());
                }
            }
        }
        let mut lines = Vec::new();
        for n in candidates.iter().filter(|n| matches(n)) {
            let special = special_use(n);
            if args.special_use_only && special.is_none() {
                continue;
            }
            let mut attrs: Vec<&str> = Vec::new();
            if !exists(n) {
                attrs.push("\\NonExistent");
            } else {
                let prefix = format!("{n}/");
                attrs.push(if names.iter().any(|x| x.starts_with(&prefix)) {
                    "\\HasChildren"
                } else {
                    "\\HasNoChildren"
                });
            }
            if args.return_subscribed && is_sub(n) {
                attrs.push("\\Subscribed");
            }
            attrs.extend(special);
            let mut line = format!("* LIST ({}) \"/\" {}", attrs.join(" "), astring(n));
            if args.recursive && childinfo.contains(n) && !(args.subscribed_only && is_sub(n)) {
                line.push_str(" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
            }
            lines.push(line);
            if let (Some(items), Some(i)) = (&args.status, names.iter().position(|x| x == n)) {
                if let Some(st) = status.get(i) {
                    lines.push(self.status_line(n, items, st));
                }
            }
        }
        lines
    }

    /// `* LSUB` lines: the subscribed names that match; `\Noselect` for a name that no
    /// longer exists (RFC 3501 §6.3.9).
    pub(super) fn lsub_lines(
        &self,
        reference: &str,
        pattern: &str,
        names: &[String],
        subscribed: &[String],
    ) -> Vec<String> {
        let full = full_pattern(reference, pattern);
        subscribed
            .iter()
            .filter(|s| list_match(&full, s))
            .map(|s| {
                let attrs = if names.contains(s) { special_use(s).unwrap_or("") } else { "\\Noselect" };
                format!("* LSUB ({attrs}) \"/\" {}", astring(s))
            })
            .collect()
    }

    /// `* STATUS name (ITEM n ...)` in the order asked (RFC 9051 §7.4).
    pub(super) fn status_line(&self, mailbox: &str, items: &[String], st: &FolderStatus) -> String {
        let parts: Vec<String> = items
            .iter()
            .map(|i| match i.as_str() {
                "MESSAGES" => format!("MESSAGES {}", st.messages),
                "UNSEEN" => format!("UNSEEN {}", st.unseen),
                "UIDNEXT" => format!("UIDNEXT {}", st.uid_next),
                "UIDVALIDITY" => format!("UIDVALIDITY {}", st.uid_validity),
                "SIZE" => format!("SIZE {}", st.size),
                "DELETED" => format!("DELETED {}", st.deleted),
                "HIGHESTMODSEQ" => format!("HIGHESTMODSEQ {}", st.highest_modseq),
                "DELETED-STORAGE" => format!("DELETED-STORAGE {}", st.deleted_storage),
                _ => format!("RECENT {}", st.recent),
            })
            .collect();
        format!("* STATUS {} ({})", astring(mailbox), parts.join(" "))
    }
}
