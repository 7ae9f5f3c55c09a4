//! Scenarios as data. A scenario is a TOML file (the built-in ones are `scenarios/*.toml` at
//! the top of the repository, compiled in); loading checks it and points at what is wrong,
//! staging builds the world it describes and schedules what its people do. Same file, same
//! actions, same log, on every platform.
//!
//! - [`format`](mod@format): the file's tables and how they are read (docs/scenarios.md is
//!   the guide); `reader`: taking a parsed TOML table apart key by key, with types checked.
//! - [`load`](mod@load): text to a checked [`Scenario`], or a [`LoadError`] with file, line and
//!   column.
//! - [`cast`]: the actors, the standard cast files name without describing, and building a
//!   file's cast from `[cast]` and `[actor.ID]`.
//! - `resolve` and `acts`: the checks that need the whole file (who is in the cast, which
//!   message, which host) for the header, seeds and messages, and for each action.
//! - `stage`: builds the [`World`](crate::world::World) and runs it; the seeded RNG is drawn
//!   in file order, so a file's log never changes unless the file does.
//! - `repeat`: `[repeat] n = COUNT`, `{n}` in keys and list items: many alike actors and
//!   actions written once (the class of 200), expanded on the parsed tree before reading.
//! - `builtin`: the built-in files: their [`index`] (the picker's list), their texts compiled
//!   into the binary (`SCENARIOS`, `FILES`), or in the page fetched and [`provide`]d.
//!
//! To add a scenario: write `scenarios/ID.toml`, add its id to `builtin.rs`, and bless its golden
//! log (`BLESS=1 cargo test -p mailsim-sim --test golden`) and the descriptions the page fetches
//! (`BLESS=1 cargo test -p mailsim-sim the_descriptions_file`).

mod address;
mod builtin;

pub use address::check_recipients;

pub(crate) use builtin::ACTIVITY_INDEX;
#[cfg(builtin_text)]
pub use builtin::FILES;
pub use builtin::{descriptions_url, entry, index, read_descriptions, Entry, IDS};

engine! {
mod acts;
pub mod cast;
pub mod format;
pub mod load;
pub(crate) mod reader;
mod repeat;
mod resolve;
mod stage;

pub(crate) use acts::learner_actions;
pub use builtin::{is_ready, provide};
#[cfg(builtin_text)]
pub use builtin::SCENARIOS;
pub use load::{load, LoadError};

use crate::actions::{Action, ReadMode};
use crate::log::{EventLog, Millis};
use cast::Actor;
use mailsim_proto::message::{Attachment, Person};

/// Unix time at the start of every built-in scenario: Monday 14 September 2026, 09:00:00 UTC.
pub const EPOCH: i64 = 1_789_376_400;

/// A checked scenario: what the picker shows, the world it builds and what happens in it.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub topic: String,
    /// One line, for `mailsim run --list`.
    pub summary: String,
    /// One paragraph: what it teaches.
    pub description: String,
    /// The page opens it with "show decrypted" ticked: the commands inside TLS are what the
    /// scenario is about (`decrypted = true` in `[scenario]`).
    pub decrypted: bool,
    /// The file it came from, and its text (to save it again with a learner's additions).
    pub file: String,
    pub source: String,
    pub(crate) seed: u64,
    /// Unix time at the start.
    pub(crate) start: i64,
    pub(crate) cast: Vec<Actor>,
    /// The `[message.NAME]` tables, in the file's order.
    pub(crate) messages: Vec<MessageSpec>,
    pub(crate) seeds: Vec<SeedSpec>,
    pub(crate) acts: Vec<Act>,
}

impl Scenario {
    /// Runs the scenario with what a learner added (composed mail, terminal lines, faults).
    pub fn run_with(&self, actions: &[Action]) -> EventLog {
        stage::run(self, actions)
    }

    pub fn run(&self) -> EventLog {
        self.run_with(&[])
    }

    /// The lifelines, left to right: (id, name, kind).
    pub fn cast(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.cast.iter().map(|a| (a.id.as_str(), a.name.as_str(), a.kind()))
    }

    /// This scenario's file with `actions` appended as `[[action]]` tables: opened again, it
    /// replays the same thing. Actions that name no one of this cast (they change nothing)
    /// are left out.
    pub fn save_with(&self, actions: &[Action]) -> String {
        let actions: Vec<Action> = actions.iter().filter(|a| self.applies(a)).cloned().collect();
        let mut out = self.source.clone();
        if !actions.is_empty() {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("\n# Added in the playground.\n");
            out.push_str(&crate::actions::to_toml(&actions));
        }
        out
    }

    /// Whether a learner's action names actors of this cast (otherwise it does nothing).
    fn applies(&self, a: &Action) -> bool {
        let has = |id: &str, ua: bool| {
            self.cast.iter().any(|x| {
                x.id == id && (!ua || matches!(&x.role, cast::Role::UserAgent { server, .. } if !server.is_empty()))
            })
        };
        match a {
            Action::Compose { sender, .. } => has(sender, true) || has(&format!("{sender}-ua"), true),
            Action::Terminal { client, .. } => has(client, false),
            Action::Fault { server, .. } => has(server, false),
        }
    }
}

/// A built-in scenario by id (in the page: once its file is [`provide`]d).
pub fn info_of(id: &str) -> Option<&'static Scenario> {
    builtin::find(id)
}

/// Runs the built-in scenario `id`; `None` if there is no such scenario.
pub fn run(id: &str) -> Option<EventLog> {
    run_with(id, &[])
}

/// Runs the built-in scenario `id` with what a learner added.
pub fn run_with(id: &str, actions: &[Action]) -> Option<EventLog> {
    info_of(id).map(|s| s.run_with(actions))
}

/// A message a user agent drafts (see [`format::MessageDoc`]).
#[derive(Debug, Clone)]
pub(crate) struct MessageSpec {
    pub from: Person,
    pub to: Vec<Person>,
    pub cc: Vec<Person>,
    pub bcc: Vec<Person>,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// Unix time.
    pub date: i64,
    /// With `{token}`, `{n}` and `{date}` still to fill in.
    pub message_id: String,
    pub boundary: Option<String>,
}

/// A message in a mailbox before the story starts.
#[derive(Debug, Clone)]
pub(crate) struct SeedSpec {
    /// The mail server's actor id.
    pub server: String,
    pub mailbox: String,
    pub received: i64,
    pub flags: Vec<String>,
    pub content: SeedContent,
}

#[derive(Debug, Clone)]
pub(crate) enum SeedContent {
    Raw(Vec<u8>),
    /// A `[message.NAME]`, by index.
    Drafted(usize),
}

/// A message given by name (drafted once, on first use) or written in place.
#[derive(Debug, Clone)]
pub(crate) enum MessageRef {
    Named(usize),
    Inline(Box<MessageSpec>),
}

/// One entry of a scripted terminal session.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Text(String),
    Message(usize),
    Line(String),
}

#[derive(Debug, Clone)]
pub(crate) enum ImapSpec {
    Line(String),
    Scram { tag: String, user: String, password: String },
    Idle(String),
}

/// A web request: method, path, form fields (POST).
#[derive(Debug, Clone)]
pub(crate) struct RequestSpec {
    pub method: String,
    pub path: String,
    pub form: Vec<(String, String)>,
}

/// What happens, in file order (which is also the order the seeded RNG is drawn in).
#[derive(Debug, Clone)]
pub(crate) enum Act {
    /// `compose` and `fault`: exactly what the page's learner does.
    Learner(Action),
    Send {
        at: Millis,
        sender: String,
        message: MessageRef,
        mail_from: Option<String>,
        rcpt_to: Option<Vec<String>>,
        port: u16,
        server: Option<String>,
        starttls: bool,
        auth: Option<(String, String)>,
        pipelining: bool,
        say: Option<String>,
    },
    Terminal {
        at: Millis,
        client: String,
        /// `None`: the client's own mail server (POP3 on port 110).
        host: Option<String>,
        port: u16,
        items: Vec<Item>,
        say: Option<String>,
    },
    CheckMail {
        at: Millis,
        actor: String,
        read: ReadMode,
        say: Option<String>,
    },
    Imap {
        at: Millis,
        actor: String,
        steps: Vec<ImapSpec>,
        say: Option<String>,
    },
    Browse {
        at: Millis,
        actor: String,
        server: String,
        version: String,
        per_object: bool,
        requests: Vec<RequestSpec>,
        say: Option<String>,
    },
    Narrate {
        at: Millis,
        actor: String,
        say: String,
    },
}
}
