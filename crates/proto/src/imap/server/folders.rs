//! Folder commands (RFC 9051 §6.3): SELECT/EXAMINE, LIST, CREATE, DELETE, RENAME,
//! SUBSCRIBE, STATUS, APPEND and COPY/MOVE (RFC 6851). The folders live in the owner's store:
//! the session asks for the work ([`ImapServerEvent::Folder`]) and answers once
//! [`ImapServer::folder_result`] brings the result.

use super::{ImapServer, ImapServerEvent, ImapState};
use crate::imap::command::Command;
use crate::imap::fetch;
use crate::imap::flag::SYSTEM_FLAGS;
use crate::imap::folder::{FolderOp, FolderResult};
use crate::imap::response::Line;
use crate::limits::MAILBOX_NAME;

impl ImapServer {
    pub(super) fn on_folder_command(&mut self, tag: &str, command: Command) {
        let name = command.name();
        if let Command::Create(m) | Command::Rename(_, m) = &command {
            if m.len() > MAILBOX_NAME {
                let text = format!("[LIMIT] A mailbox name may have at most {MAILBOX_NAME} octets");
                return self.no(tag, name, &text);
            }
        }
        let op = match &command {
            Command::Select { mailbox, .. } => FolderOp::Select(mailbox.clone()),
            Command::List { pattern, .. } if pattern.is_empty() => {
                // RFC 9051 §6.3.9: an empty pattern asks for the hierarchy delimiter.
                let line = "* LIST (\\Noselect) \"/\" \"\"";
                return self.ok(tag, name, vec![line.into()], "LIST completed".into());
            }
            Command::List { .. } => FolderOp::List,
            Command::Create(m) => FolderOp::Create(m.clone()),
            Command::Delete(m) if m.eq_ignore_ascii_case("INBOX") => {
                return self.no(tag, name, "[CANNOT] INBOX cannot be deleted")
            }
            Command::Delete(m) => FolderOp::Delete(m.clone()),
            Command::Rename(a, b) => FolderOp::Rename(a.clone(), b.clone()),
            Command::Subscribe(_) | Command::Unsubscribe(_) => {
                return self.ok(tag, name, vec![], format!("{name} completed"))
            }
            Command::Status(m, _) => FolderOp::Status(m.clone()),
            Command::Append { mailbox, flags, message } => {
                FolderOp::Append { folder: mailbox.clone(), flags: flags.clone(), message: message.clone() }
            }
            Command::Copy { is_move: true, .. } if self.read_only => {
                return self.no(tag, name, "[READ-ONLY] The mailbox was opened with EXAMINE")
            }
            Command::Copy { uid, set, mailbox, .. } => {
                let uids: Vec<u32> = self.resolve(set, *uid).into_iter().map(|i| self.messages[i].uid).collect();
                FolderOp::Copy { from: self.folder.clone(), uids, to: mailbox.clone() }
            }
            _ => return self.wrong_state(tag, name),
        };
        self.ask(tag, command, op);
    }

    fn ask(&mut self, tag: &str, command: Command, op: FolderOp) {
        self.waiting = Some((tag.to_string(), command));
        let user = self.user.clone().unwrap_or_default();
        self.events.push_back(ImapServerEvent::Folder { user, op });
    }

    /// The owner did the folder work asked for: finish the waiting command.
    pub fn folder_result(&mut self, result: FolderResult) {
        let Some((tag, command)) = self.waiting.take() else { return };
        let name = command.name();
        let ok = |s: &mut Self, lines: Vec<String>, text: String| {
            s.ok(&tag, name, lines.into_iter().map(Line::from).collect(), text)
        };
        let no = |s: &mut Self, text: &str| s.no(&tag, name, text);
        match (command, result) {
            (Command::Select { mailbox, read_only }, FolderResult::Selected(messages, validity, next)) => {
                self.messages = messages;
                self.uid_validity = validity;
                self.uid_next = next;
                self.pending.clear();
                self.pending_expunge.clear();
                self.folder = if mailbox.eq_ignore_ascii_case("INBOX") { "INBOX".into() } else { mailbox.clone() };
                self.state = ImapState::Selected;
                self.read_only = read_only;
                let mut lines = vec![
                    format!("* {} EXISTS", self.messages.len()),
                    format!("* FLAGS ({})", SYSTEM_FLAGS.join(" ")),
                    format!("* OK [PERMANENTFLAGS ({} \\*)] Flags permitted", SYSTEM_FLAGS.join(" ")),
                    format!("* OK [UIDVALIDITY {}] UIDs valid", self.uid_validity),
                    format!("* OK [UIDNEXT {}] Predicted next UID", self.uid_next),
                ];
                if self.rev2 {
                    lines.push(format!("* LIST () \"/\" {}", self.folder));
                } else {
                    lines.push("* 0 RECENT".into());
                }
                let mode = if read_only { "READ-ONLY" } else { "READ-WRITE" };
                ok(self, lines, format!("[{mode}] {name} completed"))
            }
            (Command::Select { mailbox, .. }, _) => {
                self.state = ImapState::Authenticated;
                no(self, &format!("[NONEXISTENT] Mailbox {mailbox} does not exist"))
            }
            (Command::List { reference, pattern, special_use_only, subscribed }, FolderResult::List(names)) => {
                // RFC 9051 §6.3.9: the reference is prefixed to the pattern; "*" matches
                // anything, "%" anything but the hierarchy delimiter "/".
                let full = format!("{reference}{pattern}");
                let lines = names
                    .iter()
                    .filter(|n| list_match(&full, n))
                    .filter_map(|n| {
                        let special = match n.as_str() {
                            "Sent" => " \\Sent",
                            "Trash" => " \\Trash",
                            _ => "",
                        };
                        if special_use_only && special.is_empty() {
                            return None;
                        }
                        // A simplification: there are no unsubscribed mailboxes here (SUBSCRIBE and
                        // UNSUBSCRIBE are accepted), so SUBSCRIBED marks every mailbox.
                        let sub = if subscribed { " \\Subscribed" } else { "" };
                        Some(format!("* LIST (\\HasNoChildren{sub}{special}) \"/\" {}", astring(n)))
                    })
                    .collect();
                ok(self, lines, "LIST completed".into())
            }
            (
                Command::Status(mailbox, items),
                FolderResult::Status(messages, unseen, next, validity, size, deleted),
            ) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|i| match i.as_str() {
                        "MESSAGES" => Some(format!("MESSAGES {messages}")),
                        "UNSEEN" => Some(format!("UNSEEN {unseen}")),
                        "UIDNEXT" => Some(format!("UIDNEXT {next}")),
                        "UIDVALIDITY" => Some(format!("UIDVALIDITY {validity}")),
                        "SIZE" => Some(format!("SIZE {size}")),
                        "DELETED" => Some(format!("DELETED {deleted}")),
                        "RECENT" => Some("RECENT 0".to_string()),
                        _ => None,
                    })
                    .collect();
                ok(self, vec![format!("* STATUS {mailbox} ({})", parts.join(" "))], "STATUS completed".into())
            }
            (Command::Append { .. }, FolderResult::Appended(validity, uid)) => {
                ok(self, vec![], format!("[APPENDUID {validity} {uid}] APPEND completed"))
            }
            (Command::Copy { is_move, .. }, FolderResult::Copied(validity, pairs)) => {
                let olds: Vec<String> = pairs.iter().map(|(o, _)| o.to_string()).collect();
                let news: Vec<String> = pairs.iter().map(|(_, n)| n.to_string()).collect();
                let code = format!("[COPYUID {validity} {} {}]", olds.join(","), news.join(","));
                let mut lines = Vec::new();
                if is_move {
                    let moved: Vec<u32> = pairs.iter().map(|(o, _)| *o).collect();
                    let mut i = 0;
                    while i < self.messages.len() {
                        if moved.contains(&self.messages[i].uid) {
                            self.messages.remove(i);
                            lines.push(format!("* {} EXPUNGE", i + 1));
                        } else {
                            i += 1;
                        }
                    }
                    let (user, folder) = (self.user.clone().unwrap_or_default(), self.folder.clone());
                    self.events.push_back(ImapServerEvent::Expunged { user, folder, uids: moved });
                    // RFC 6851 §4.4: the COPYUID code travels in an untagged OK for MOVE.
                    lines.insert(0, format!("* OK {code} Moved"));
                    ok(self, lines, format!("{name} completed"))
                } else {
                    ok(self, lines, format!("{code} {name} completed"))
                }
            }
            (Command::Append { .. } | Command::Copy { .. }, FolderResult::NoSuchFolder) => {
                no(self, "[TRYCREATE] The target mailbox does not exist: CREATE it first")
            }
            (Command::Create(_) | Command::Rename(..), FolderResult::AlreadyExists) => {
                no(self, "[ALREADYEXISTS] A mailbox with that name exists already")
            }
            (_, FolderResult::NoSuchFolder) => no(self, "[NONEXISTENT] No such mailbox"),
            (_, _) => ok(self, vec![], format!("{name} completed")),
        }
        self.process();
    }
}

/// LIST pattern matching: `*` matches any run of characters, `%` any run without `/`;
/// INBOX matches case-insensitively (RFC 9051 §5.1).
pub(super) fn list_match(pattern: &str, name: &str) -> bool {
    // INBOX is case-insensitive (RFC 9051 §5.1); the rest of a name is compared as written.
    // `get(..5)` is None inside a multibyte character, so no byte of a name can split one.
    let fold = |s: &str| match s.get(..5) {
        Some(head) if head.eq_ignore_ascii_case("INBOX") => format!("INBOX{}", &s[5..]),
        _ => s.to_string(),
    };
    let n: Vec<char> = fold(name).chars().collect();
    // A run of wildcards is one wildcard: `*` if it holds a `*`, else `%`.
    let mut p: Vec<char> = Vec::new();
    for c in fold(pattern).chars() {
        match (p.last_mut(), c) {
            (Some(last @ ('*' | '%')), '*' | '%') => {
                if c == '*' {
                    *last = '*';
                }
            }
            _ => p.push(c),
        }
    }
    // Each other pattern character matches one name character: more of them than the name
    // has cannot match (and the pattern left is at most twice the name, plus one).
    if p.iter().filter(|c| !matches!(c, '*' | '%')).count() > n.len() {
        return false;
    }
    // ok[j]: the pattern so far matches the first j characters of the name. One row per
    // pattern character: O(pattern × name), however many wildcards (no backtracking).
    let mut ok = vec![false; n.len() + 1];
    ok[0] = true;
    for &c in &p {
        let mut next = vec![false; n.len() + 1];
        match c {
            '*' => {
                let mut any = false;
                for j in 0..=n.len() {
                    any |= ok[j];
                    next[j] = any;
                }
            }
            '%' => {
                // Like `*`, but not across the hierarchy delimiter.
                let mut any = false;
                for j in 0..=n.len() {
                    if j > 0 && n[j - 1] == '/' {
                        any = false;
                    }
                    any |= ok[j];
                    next[j] = any;
                }
            }
            _ => {
                for j in 1..=n.len() {
                    next[j] = ok[j - 1] && n[j - 1] == c;
                }
            }
        }
        ok = next;
    }
    ok[n.len()]
}

/// A mailbox name as an IMAP astring: bare when it is a valid atom, else quoted or a literal.
fn astring(name: &str) -> String {
    let atom = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b));
    if atom {
        name.to_string()
    } else {
        fetch::nstring(Some(name))
    }
}

#[cfg(test)]
mod list_match_tests {
    use super::list_match;

    #[test]
    fn wildcards_inbox_and_multibyte_names() {
        assert!(list_match("*", "Work/2026"));
        assert!(list_match("%", "Work"));
        assert!(!list_match("%", "Work/2026"));
        assert!(list_match("Work/%", "Work/2026"));
        assert!(list_match("inbox", "INBOX"));
        assert!(list_match("INBOX*", "inbox/x"));
        assert!(list_match("abcdé", "abcdé"));
        assert!(!list_match("abcdé", "abcde"));
        assert!(!list_match("INBO\u{FFFD}", "INBOX"));
        assert!(list_match("*é", "Caf\u{FFFD}é"));
        assert!(!list_match("abcdé", "Work\u{FFFD}"));
    }

    #[test]
    fn many_stars_against_a_long_name_are_fast() {
        // With backtracking, 14 stars against a 40-character name never returned; here this
        // is 8 million steps (no clock read: it finishes or the test run hangs).
        let name = "a".repeat(4000);
        let pattern = format!("{}b", "*".repeat(2000));
        assert!(!list_match(&pattern, &name));
        assert!(list_match(&"*".repeat(2000), &name));
    }
}
