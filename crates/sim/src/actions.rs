//! What a learner adds to a scenario: messages they compose, lines they type at a terminal,
//! faults they cause. Actions are data (serializable, so the page can keep them in local
//! storage); [`crate::scenario::run_with`] replays the scenario with them, so the world
//! stays deterministic: same scenario, same actions, same log.

use crate::log::Millis;
use serde::{Deserialize, Serialize};

/// How a composed message reaches the sender's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubmitMode {
    /// Port 587, AUTH PLAIN without TLS.
    Plain587,
    /// Port 587, STARTTLS then AUTH.
    Starttls587,
    /// Port 465, implicit TLS, then AUTH.
    Tls465,
}

/// How the recipient's mail program reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    Pop3Delete,
    Pop3Keep,
    Imap,
    /// Nobody reads it (yet).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    /// The file, base64-encoded (so the action stays JSON).
    pub base64: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Action {
    /// Alice or Bob writes a message.
    Compose {
        at: Millis,
        /// `alice` or `bob`.
        sender: String,
        to: String,
        cc: String,
        bcc: String,
        subject: String,
        body: String,
        attachment: Option<Attachment>,
        submit: SubmitMode,
        read: ReadMode,
    },
    /// A terminal session from a client to `host`:`port`; `lines` as typed so far.
    Terminal { at: Millis, client: String, host: String, port: u16, lines: Vec<String> },
    /// Something breaks (or is repaired) on a server.
    Fault { at: Millis, server: String, fault: Fault },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    Down,
    Up,
    GreylistOn,
    GreylistOff,
    MailboxFull,
    MailboxRoom,
}

impl Action {
    pub fn at(&self) -> Millis {
        match self {
            Action::Compose { at, .. } | Action::Terminal { at, .. } | Action::Fault { at, .. } => *at,
        }
    }
}

/// Encodes actions for storage.
pub fn to_json(actions: &[Action]) -> String {
    serde_json::to_string(actions).unwrap_or_else(|_| "[]".into())
}

/// Reads stored actions; anything unreadable gives no actions.
pub fn from_json(text: &str) -> Vec<Action> {
    serde_json::from_str(text).unwrap_or_default()
}
