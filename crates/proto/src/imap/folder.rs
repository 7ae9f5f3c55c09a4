//! Folder work an IMAP session asks its owner to do (the owner keeps the mailbox store):
//! [`FolderOp`] out, [`FolderResult`] back, and [`apply_folder_op`], the one place that maps
//! it to the [`MailStore`].

use crate::store::{MailStore, Mailbox, StoredMessage, UidSet};

/// Folder work the engine asks its owner to do (the owner keeps the mailbox store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderOp {
    /// SELECT (`read_only` false: the session takes the `\Recent` messages) or EXAMINE.
    Select {
        folder: String,
        read_only: bool,
    },
    /// Every folder name and the subscriptions; with `status`, each folder's counts too
    /// (LIST-STATUS, RFC 5819).
    List {
        status: bool,
    },
    /// CREATE: the folder and any superior names it needs (RFC 9051 §6.3.4).
    Create(String),
    Delete(String),
    /// RENAME: the folder and its inferiors (RFC 9051 §6.3.6).
    Rename(String, String),
    /// SUBSCRIBE (true) or UNSUBSCRIBE (false) a name (RFC 9051 §6.3.7, §6.3.8).
    Subscribe(String, bool),
    Status(String),
    /// `recent`: the target is the session's selected mailbox (read-write), so the message is
    /// `\Recent` to that session and to no other (RFC 3501 §2.3.2).
    Append {
        folder: String,
        flags: Vec<String>,
        /// The internal date asked for; else now.
        date: Option<i64>,
        message: Vec<u8>,
        recent: bool,
    },
    /// Copy these UIDs of the selected folder to `to` (`recent` as for Append).
    Copy {
        from: String,
        uids: Vec<u32>,
        to: String,
        recent: bool,
    },
    /// The account's storage use and limit (QUOTA, RFC 9208).
    Quota,
}

/// A folder's counts, for STATUS (RFC 9051 §6.3.11) and LIST-STATUS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderStatus {
    pub messages: usize,
    pub unseen: usize,
    pub uid_next: u32,
    pub uid_validity: u32,
    /// The octets of all its messages (STATUS SIZE).
    pub size: u64,
    pub deleted: usize,
    /// Messages no session has selected yet (IMAP4rev1 `\Recent`).
    pub recent: usize,
    /// HIGHESTMODSEQ (RFC 7162 §3.1.2.1).
    pub highest_modseq: u64,
    /// What EXPUNGE would free, in units of 1024 octets (DELETED-STORAGE, RFC 9208 §4.2).
    pub deleted_storage: u64,
}

impl FolderStatus {
    pub fn of(m: &Mailbox) -> Self {
        let count = |flag: &str| m.messages.iter().filter(|x| x.flags.iter().any(|f| f == flag)).count();
        FolderStatus {
            messages: m.messages.len(),
            unseen: m.messages.len().saturating_sub(count("\\Seen")),
            uid_next: m.uid_next,
            uid_validity: m.uid_validity,
            size: m.messages.iter().map(|x| x.data.len() as u64).sum(),
            deleted: count("\\Deleted"),
            recent: m.messages.iter().filter(|x| x.uid >= m.recent_from).count(),
            highest_modseq: m.highest_modseq.max(1),
            deleted_storage: m
                .messages
                .iter()
                .filter(|x| x.flags.iter().any(|f| f == "\\Deleted"))
                .map(|x| x.data.len() as u64)
                .sum::<u64>()
                .div_ceil(1024),
        }
    }
}

/// The owner's answer to a [`FolderOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderResult {
    /// The folder's messages, UIDVALIDITY, UIDNEXT, and the first UID that is `\Recent`
    /// for this session.
    Selected {
        messages: Vec<StoredMessage>,
        uid_validity: u32,
        uid_next: u32,
        recent_from: u32,
        /// HIGHESTMODSEQ and the expunged UIDs with their mod-sequences (RFC 7162).
        highest_modseq: u64,
        vanished: Vec<(u32, u64)>,
    },
    /// Folder names (INBOX first), subscribed names, and the counts when asked for.
    List {
        names: Vec<String>,
        subscribed: Vec<String>,
        status: Vec<FolderStatus>,
    },
    Status(FolderStatus),
    /// UIDVALIDITY of the target and the new message (its UID inside).
    Appended(u32, StoredMessage),
    /// UIDVALIDITY of the target, (old UID, new UID) pairs, and the new messages.
    Copied(u32, Vec<(u32, u32)>, Vec<StoredMessage>),
    /// Octets used by all the account's mailboxes, and the limit.
    Quota {
        used: u64,
        limit: u64,
    },
    Done,
    /// Nothing to do (UNSUBSCRIBE of a name that is not subscribed).
    Unchanged,
    NoSuchFolder,
    AlreadyExists,
    /// Over the account's storage limit (RFC 9208 `OVERQUOTA`).
    OverQuota,
}

/// Storage per account (QUOTA, RFC 9208 STORAGE resource): 50 MiB, like a small provider.
pub const QUOTA_BYTES: u64 = 50 * 1024 * 1024;

fn used(store: &MailStore, user: &str) -> u64 {
    store
        .folder_names(user)
        .iter()
        .filter_map(|f| store.folder(user, f))
        .flat_map(|m| m.messages.iter())
        .map(|m| m.data.len() as u64)
        .sum()
}

/// The simplest owner of an IMAP server engine, for drivers without a mail host (tests,
/// benchmarks, fuzz targets): the store answers the login with the user's INBOX and each
/// folder request at once, dated `internal_date`. Any other event is handed back to the
/// caller. The world and `mailsim serve` go through `MailHost`, which keeps more books
/// (sessions to notify, mod-sequences on disk) around the same [`apply_folder_op`].
pub fn answer_from_store(
    server: &mut crate::imap::server::ImapServer,
    store: &mut MailStore,
    event: crate::imap::server::ImapServerEvent,
    internal_date: i64,
) -> Option<crate::imap::server::ImapServerEvent> {
    use crate::imap::server::ImapServerEvent;
    match event {
        ImapServerEvent::LoggedIn { user } => {
            let m = store.mailbox(&user).cloned().unwrap_or_default();
            server.set_mailbox(m.messages, m.uid_validity, m.uid_next);
            None
        }
        ImapServerEvent::Folder { user, op } => {
            let r = apply_folder_op(store, &user, &op, internal_date);
            server.folder_result(r);
            None
        }
        other => Some(other),
    }
}

/// Carries out a [`FolderOp`] on the store: the one place that maps IMAP folder work to the
/// mailbox store, shared by every driver (the simulated world, `mailsim serve`, tests).
pub fn apply_folder_op(store: &mut MailStore, user: &str, op: &FolderOp, internal_date: i64) -> FolderResult {
    match op {
        FolderOp::Select { folder, read_only } => {
            let recent_from = if *read_only {
                store.folder(user, folder).map(|m| m.recent_from)
            } else {
                store.take_recent(user, folder)
            };
            match (store.folder(user, folder), recent_from) {
                (Some(m), Some(recent_from)) => FolderResult::Selected {
                    messages: m.messages.clone(),
                    uid_validity: m.uid_validity,
                    uid_next: m.uid_next,
                    recent_from,
                    highest_modseq: m.highest_modseq,
                    vanished: m.vanished.clone(),
                },
                _ => FolderResult::NoSuchFolder,
            }
        }
        FolderOp::List { status } => {
            let names = store.folder_names(user);
            let status = if *status {
                names.iter().map(|n| store.folder(user, n).map(FolderStatus::of).unwrap_or_default()).collect()
            } else {
                vec![]
            };
            FolderResult::List { names, subscribed: store.subscriptions(user), status }
        }
        FolderOp::Create(f) => {
            if store.folder(user, f).is_some() {
                return FolderResult::AlreadyExists;
            }
            // Superior names first: CREATE a/b/c makes a and a/b if they are missing.
            let mut created = false;
            for (i, _) in f.match_indices('/').chain(std::iter::once((f.len(), ""))) {
                let name = f.get(..i).unwrap_or_default();
                if !name.is_empty() && store.folder(user, name).is_none() && store.create_folder(user, name) {
                    store.subscribe(user, name, true);
                    created = true;
                }
            }
            if created {
                FolderResult::Done
            } else {
                FolderResult::AlreadyExists
            }
        }
        FolderOp::Delete(f) => {
            if store.delete_folder(user, f) {
                FolderResult::Done
            } else {
                FolderResult::NoSuchFolder
            }
        }
        FolderOp::Rename(a, b) => {
            if store.folder(user, b).is_some() {
                return FolderResult::AlreadyExists;
            }
            // RENAME INBOX moves its messages to a new folder and leaves INBOX empty (§6.3.6).
            if a.eq_ignore_ascii_case("INBOX") {
                let Some(msgs) = store.folder(user, "INBOX").map(|m| m.messages.clone()) else {
                    return FolderResult::NoSuchFolder;
                };
                if !store.create_folder(user, b) {
                    return FolderResult::AlreadyExists;
                }
                let uids: Vec<u32> = msgs.iter().map(|m| m.uid).collect();
                store.copy(user, "INBOX", &uids, b);
                store.expunge_folder(user, "INBOX", &uids);
                return FolderResult::Done;
            }
            if !store.rename_folder(user, a, b) {
                return FolderResult::NoSuchFolder;
            }
            // Inferior names move with it (RFC 9051 §6.3.6), and so do subscriptions.
            let prefix = format!("{a}/");
            for name in store.folder_names(user).into_iter().filter(|n| n.starts_with(&prefix)) {
                let to = format!("{b}/{}", name.get(prefix.len()..).unwrap_or_default());
                store.rename_folder(user, &name, &to);
            }
            for name in store.subscriptions(user).into_iter().filter(|n| n == a || n.starts_with(&prefix)) {
                store.subscribe(user, &name, false);
                store.subscribe(user, &format!("{b}{}", name.get(a.len()..).unwrap_or_default()), true);
            }
            FolderResult::Done
        }
        FolderOp::Subscribe(f, on) => {
            if *on && store.folder(user, f).is_none() {
                return FolderResult::NoSuchFolder;
            }
            if store.subscribe(user, f, *on) || *on {
                FolderResult::Done
            } else {
                FolderResult::Unchanged
            }
        }
        FolderOp::Status(f) => match store.folder(user, f) {
            Some(m) => FolderResult::Status(FolderStatus::of(m)),
            None => FolderResult::NoSuchFolder,
        },
        FolderOp::Append { folder, flags, date, message, recent } => {
            let internal_date = date.unwrap_or(internal_date);
            if store.folder(user, folder).is_some()
                && used(store, user).saturating_add(message.len() as u64) > QUOTA_BYTES
            {
                return FolderResult::OverQuota;
            }
            match store.append(user, folder, message.clone(), flags, internal_date) {
                Some(uid) => {
                    if *recent {
                        store.take_recent(user, folder);
                    }
                    let target = store.folder(user, folder);
                    let m = target.and_then(|t| t.messages.iter().find(|m| m.uid == uid)).cloned().unwrap_or_default();
                    FolderResult::Appended(target.map(|m| m.uid_validity).unwrap_or(0), m)
                }
                None => FolderResult::NoSuchFolder,
            }
        }
        FolderOp::Copy { from, uids, to, recent } => {
            let set = UidSet::new(uids.iter().copied());
            let adding: u64 = store
                .folder(user, from)
                .map(|m| m.messages.iter().filter(|x| set.contains(x.uid)).map(|x| x.data.len() as u64).sum())
                .unwrap_or(0);
            if store.folder(user, to).is_some() && used(store, user).saturating_add(adding) > QUOTA_BYTES {
                return FolderResult::OverQuota;
            }
            match store.copy(user, from, uids, to) {
                Some(pairs) => {
                    if *recent {
                        store.take_recent(user, to);
                    }
                    let target = store.folder(user, to);
                    let new_uids = UidSet::new(pairs.iter().map(|(_, n)| *n));
                    let news = target
                        .map(|m| m.messages.iter().filter(|x| new_uids.contains(x.uid)).cloned().collect())
                        .unwrap_or_default();
                    FolderResult::Copied(target.map(|m| m.uid_validity).unwrap_or(0), pairs, news)
                }
                None => FolderResult::NoSuchFolder,
            }
        }
        FolderOp::Quota => FolderResult::Quota { used: used(store, user), limit: QUOTA_BYTES },
    }
}
