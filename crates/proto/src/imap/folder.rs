//! Folder work an IMAP session asks its owner to do (the owner keeps the mailbox store):
//! [`FolderOp`] out, [`FolderResult`] back, and [`apply_folder_op`], the one place that maps
//! it to the [`MailStore`].

use crate::store::{MailStore, StoredMessage};

/// Folder work the engine asks its owner to do (the owner keeps the mailbox store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderOp {
    Select(String),
    List,
    Create(String),
    Delete(String),
    Rename(String, String),
    Status(String),
    Append {
        folder: String,
        flags: Vec<String>,
        message: Vec<u8>,
    },
    /// Copy these UIDs of the selected folder to `to`.
    Copy {
        from: String,
        uids: Vec<u32>,
        to: String,
    },
}

/// The owner's answer to a [`FolderOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderResult {
    /// The folder's messages, UIDVALIDITY and UIDNEXT.
    Selected(Vec<StoredMessage>, u32, u32),
    List(Vec<String>),
    /// MESSAGES, UNSEEN, UIDNEXT, UIDVALIDITY, SIZE (octets), DELETED.
    Status(usize, usize, u32, u32, u64, usize),
    /// UIDVALIDITY of the target and the new UID(s).
    Appended(u32, u32),
    Copied(u32, Vec<(u32, u32)>),
    Done,
    NoSuchFolder,
    AlreadyExists,
}

/// Carries out a [`FolderOp`] on the store: the one place that maps IMAP folder work to the
/// mailbox store, shared by every driver (the simulated world, `mailsim serve`, tests).
pub fn apply_folder_op(store: &mut MailStore, user: &str, op: &FolderOp, internal_date: i64) -> FolderResult {
    match op {
        FolderOp::Select(f) => match store.folder(user, f) {
            Some(m) => FolderResult::Selected(m.messages.clone(), m.uid_validity, m.uid_next),
            None => FolderResult::NoSuchFolder,
        },
        FolderOp::List => FolderResult::List(store.folder_names(user)),
        FolderOp::Create(f) => {
            if store.create_folder(user, f) {
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
                FolderResult::AlreadyExists
            } else if store.rename_folder(user, a, b) {
                FolderResult::Done
            } else {
                FolderResult::NoSuchFolder
            }
        }
        FolderOp::Status(f) => match store.folder(user, f) {
            Some(m) => {
                let count = |flag: &str| m.messages.iter().filter(|x| x.flags.iter().any(|f| f == flag)).count();
                let size = m.messages.iter().map(|x| x.data.len() as u64).sum();
                FolderResult::Status(
                    m.messages.len(),
                    m.messages.len() - count("\\Seen"),
                    m.uid_next,
                    m.uid_validity,
                    size,
                    count("\\Deleted"),
                )
            }
            None => FolderResult::NoSuchFolder,
        },
        FolderOp::Append { folder, flags, message } => {
            match store.append(user, folder, message.clone(), flags, internal_date) {
                Some(uid) => {
                    FolderResult::Appended(store.folder(user, folder).map(|m| m.uid_validity).unwrap_or(0), uid)
                }
                None => FolderResult::NoSuchFolder,
            }
        }
        FolderOp::Copy { from, uids, to } => match store.copy(user, from, uids, to) {
            Some(pairs) => FolderResult::Copied(store.folder(user, to).map(|m| m.uid_validity).unwrap_or(0), pairs),
            None => FolderResult::NoSuchFolder,
        },
    }
}
