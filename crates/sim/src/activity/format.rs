//! The activity file as written: TOML, one activity per file. These types mirror the file
//! exactly (`deny_unknown_fields` everywhere, spans kept) so that every mistake can be
//! reported at its line and column; [`super::parse`] turns them into the checked
//! [`super::Activity`].
//!
//! ```toml
//! [activity]
//! id = "send-protocols"
//! title = "How does Bob send mail?"
//! scenario = "alice-to-bob"
//! intro = "Markdown shown before the first item."
//! goals = ["Describe the functionality of SMTP, POP3, IMAP"]
//!
//! [[item]]
//! kind = "choice"
//! step = 0
//! prompt = "Which protocols could Bob use to send a newly composed message to his own server?"
//! choices = ["SMTP", "POP3", "IMAP", "Some other protocol"]
//! answer = [0, 3]
//! explain = "Markdown revealed after answering."
//! hint = "Optional."
//! ```

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub activity: Spanned<Head>,
    #[serde(default, rename = "item")]
    pub items: Vec<Spanned<RawItem>>,
}

/// The `[activity]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub scenario: Spanned<String>,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub goals: Vec<Spanned<String>>,
}

/// One `[[item]]` table, before its fields are checked against its kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawItem {
    pub kind: Spanned<String>,
    pub step: Option<Spanned<i64>>,
    pub prompt: Spanned<String>,
    pub choices: Option<Spanned<Vec<Spanned<String>>>>,
    /// choice/multi: indices; short: accepted answers (strings, or `/regex/`).
    /// A single value is read as a list of one.
    pub answer: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub explain: Option<Spanned<String>>,
    pub hint: Option<Spanned<String>>,
    /// task: what must have happened in the playground (see [`super::check::Check`]).
    pub check: Option<Spanned<toml::Value>>,
    /// discuss: the model answer the presenter reveals.
    pub model: Option<Spanned<String>>,
}
