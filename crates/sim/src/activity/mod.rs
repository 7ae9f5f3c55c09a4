//! In-class activities: clicker questions, predict-the-next-message, hands-on tasks in the
//! playground and discussion prompts, written by instructors as TOML files (one activity per
//! file; the built-in ones are `activities/*.toml` at the top of the repository).
//!
//! ## Layout
//! - `format`: the file as written, read from the TOML parser's tree by hand (the scenario
//!   files' reader; no serde), every key known and every value's place kept.
//! - `load`: [`parse`] checks a file against its kinds and its scenario, and gives
//!   [`LocatedError`]s (file, line, column, what was expected), never a silent default.
//! - [`check`]: the vocabulary of `task` goals ([`Check`]) and [`check_task`], which reads
//!   the event log of what the learner did.
//! - `grade`: [`grade`] an answer, the expected answer of a `predict` item, and the
//!   [`completion_code`].
//! - [`gift`]: Moodle GIFT export (choice, multi, short) and a GIFT reader.
//!
//! ## How the page uses it
//! 1. [`builtin`] (or [`parse`] of a pasted or fetched file) gives the [`Activity`].
//! 2. [`Activity::baseline`] runs its scenario; an item's `step` is a diagram step of it
//!    (0 = before the first message, `n` = after the n-th arrow, as [`crate::Diagram`]
//!    counts them). For a `predict` item the page shows steps `..=step` only.
//! 3. Questions: [`grade`] with the learner's [`Response`] gives [`Feedback`].
//! 4. Tasks: [`Activity::play`] with the learner's actions, then [`check_task`] on that log.
//! 5. At the end, [`completion_code`] over the recorded [`Answered`] list.

macro_rules! builtin_files {
    ($($name:literal),* $(,)?) => {
        /// The built-in activity files (`activities/*.toml`), in teaching order (the lectures'
        /// order). A test checks that every file in `activities/` is listed here.
        pub const BUILTIN_NAMES: &[&str] = &[$(concat!("activities/", $name)),*];
        /// The built-in activity files as (file name, text), where they are compiled in (not
        /// in the page, which fetches them: [`builtin_index`], [`provide`]).
        #[cfg(builtin_text)]
        pub const BUILTIN_FILES: &[(&str, &str)] =
            &[$((concat!("activities/", $name), include_str!(concat!("../../../../activities/", $name)))),*];
    };
}

pub mod check;
#[cfg(feature = "engine")]
mod evidence;
#[cfg(feature = "engine")]
mod format;
#[cfg(feature = "engine")]
pub mod gift;
#[cfg(feature = "engine")]
mod grade;
mod json;
#[cfg(feature = "engine")]
mod leak;
#[cfg(feature = "engine")]
mod load;

#[cfg(feature = "engine")]
pub use check::check_task;
pub use check::{Check, TaskOutcome};
#[cfg(feature = "engine")]
pub use grade::{code_is_well_formed, completion_code, expected_next, grade, score};
#[cfg(feature = "engine")]
pub use leak::{leaks, Leak};
#[cfg(feature = "engine")]
pub use load::{parse, parse_all, parse_all_with, parse_with};

#[cfg(feature = "engine")]
use crate::actions::Action;
#[cfg(feature = "engine")]
use crate::log::EventLog;
use serde::Serialize;

/// One activity, checked: every item fits its kind, every step exists in the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Unique and URL-safe (`[a-z0-9-]`): `#/activity/ID`.
    pub id: String,
    pub title: String,
    /// The scenario id as written in the file (see [`resolve_scenario`]).
    pub scenario: String,
    /// Markdown shown before the first item.
    pub intro: String,
    /// The learning goals it serves.
    pub goals: Vec<String>,
    pub items: Vec<Item>,
    /// The file it came from (for messages), e.g. `activities/send-protocols.toml`.
    pub file: String,
    /// The scenario file beside it, when `scenario` names one (read when it was parsed).
    pub scenario_file: Option<ScenarioFile>,
}

/// A scenario file an activity brought along: its name and text, loaded again by the engine
/// when the activity's scenario runs (the text loaded when the activity was parsed, so it
/// loads). Name and text, not the loaded scenario: an activity crosses from the engine to the
/// page as JSON (`Activity::to_json`, `Activity::from_json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioFile {
    pub name: String,
    pub text: String,
}

/// What an item asks of the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Pick one (radio buttons, like a clicker). Usually one choice is right; if `answer`
    /// lists several, picking any of them is right.
    Choice,
    /// Any number of right choices (check boxes); all and only those are right.
    Multi,
    /// A typed answer compared with accepted strings (case- and space-insensitive) or /regex/.
    Short,
    /// Predict the next message at `step`: its command verb or reply code, which the
    /// scenario's log decides. The diagram hides everything after `step`.
    Predict,
    /// Do something in the playground; [`check_task`] decides from the log.
    Task,
    /// An open question; the presenter reveals the model answer.
    Discuss,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Choice, Kind::Multi, Kind::Short, Kind::Predict, Kind::Task, Kind::Discuss];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Choice => "choice",
            Kind::Multi => "multi",
            Kind::Short => "short",
            Kind::Predict => "predict",
            Kind::Task => "task",
            Kind::Discuss => "discuss",
        }
    }
}

/// One question or task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    /// The diagram step where the item appears (0 = before the first message); `None`:
    /// wherever the learner is.
    pub step: Option<usize>,
    /// Markdown.
    pub prompt: String,
    /// choice, multi (required), predict (optional: the learner picks instead of typing).
    pub choices: Vec<String>,
    pub answer: Answer,
    /// Markdown revealed after answering (or, for a task, once it is done).
    pub explain: String,
    pub hint: Option<String>,
    /// task only.
    pub check: Option<Check>,
    /// discuss only: the model answer.
    pub model: Option<String>,
    /// 1-based line of its `[[item]]` header in the file.
    pub line: usize,
}

impl Item {
    /// Where this item closes the future while it is open: a predict item at its step, and a
    /// question (choice, multi, short) placed at a step, whose answer the messages after its
    /// step may give away. Tasks and discussions keep the whole run. The page hides what
    /// follows (and the protocol states at that step); [`leaks`] reads what it leaves shown.
    pub fn closes_future_at(&self) -> Option<usize> {
        match self.kind {
            Kind::Predict => Some(self.step.unwrap_or(0)),
            Kind::Choice | Kind::Multi | Kind::Short => self.step,
            Kind::Task | Kind::Discuss => None,
        }
    }
}

/// What counts as right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// task, discuss: nothing to compare.
    None,
    /// choice (any one of them is right), multi (exactly these): indices into `choices`,
    /// sorted.
    Indices { indices: Vec<usize> },
    /// short: any of these.
    Accepted { accepted: Vec<Accepted> },
    /// predict: taken from the scenario's log when the file was loaded.
    Predicted(Predicted),
}

/// One accepted short answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Compared ignoring case, surrounding space and runs of inner space.
    Text(String),
    /// A regular expression (written `/.../` in the file; checked when loaded), matched
    /// against the whole trimmed answer, case-insensitively.
    Pattern(String),
}

/// The message that follows a predict item's step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Predicted {
    /// What the learner must give: a command verb (`MAIL`, `RETR`, `SELECT`, `GET`) or a
    /// reply (`250`, `+OK`, `OK`, `200`), upper case.
    pub expected: String,
    /// The whole label of that message, as the diagram shows it, for the reveal.
    pub label: String,
    /// `SMTP`, `POP3`, `IMAP`, `HTTP`.
    pub protocol: String,
    /// True when the next message is a command (client to server), false for a reply.
    pub command: bool,
    /// The step that reveals it (`step + 1`).
    pub reveal_step: usize,
}

/// A learner's answer to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum Response {
    /// choice, multi, predict with choices: the indices picked.
    Choices(Vec<usize>),
    /// short, predict: the text typed.
    Text(String),
    /// task: done in the playground (the page records it after [`check_task`] said so).
    TaskDone,
    /// discuss: the model answer was revealed.
    Revealed,
}

/// What the learner is told after answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub correct: bool,
    /// Plain text: "Right." / "Not quite: the next message is 354 ...". The item's `explain`
    /// is shown beside it by the page.
    pub message: String,
}

/// One recorded answer, as the page keeps it (in localStorage) and feeds it to
/// [`completion_code`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answered {
    pub response: Response,
    pub correct: bool,
}

impl Answered {
    /// Reads what serde wrote ([`Serialize`]): `{"response": ..., "correct": ...}`, other
    /// keys ignored; `None` where serde's derived reader fails. By hand over a JSON value: the
    /// derived reader of the adjacently tagged [`Response`] costs the page more code.
    pub fn from_json(v: &serde_json::Value) -> Option<Answered> {
        Some(Answered { response: Response::from_json(v.get("response")?)?, correct: v.get("correct")?.as_bool()? })
    }
}

impl Response {
    /// Reads `{"type": "choices", "value": [0, 2]}`, `{"type": "text", "value": "..."}`,
    /// `{"type": "task-done"}` or `{"type": "revealed"}` (a unit variant's `value` absent or
    /// `null`), as serde's derived reader of this adjacently tagged enum does.
    pub fn from_json(v: &serde_json::Value) -> Option<Response> {
        let value = v.as_object()?.get("value");
        let unit = value.is_none_or(|x| x.is_null());
        match v.get("type")?.as_str()? {
            "choices" => value?
                .as_array()?
                .iter()
                .map(|x| x.as_u64().and_then(|n| usize::try_from(n).ok()))
                .collect::<Option<Vec<usize>>>()
                .map(Response::Choices),
            "text" => Some(Response::Text(value?.as_str()?.to_string())),
            "task-done" if unit => Some(Response::TaskDone),
            "revealed" if unit => Some(Response::Revealed),
            _ => None,
        }
    }
}

/// A problem in an activity file, where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedError {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for LocatedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// Where an activity's scenario comes from.
#[cfg(feature = "engine")]
#[derive(Debug, Clone)]
pub enum ScenarioSource {
    /// A built-in scenario ([`crate::scenario::SCENARIOS`]).
    Builtin(&'static str),
    /// A scenario file beside the activity file (`scenario = "my-scenario.toml"`).
    File(std::sync::Arc<crate::scenario::Scenario>),
}

#[cfg(feature = "engine")]
impl ScenarioSource {
    /// Runs it with what the learner did.
    pub fn run(&self, actions: &[Action]) -> EventLog {
        match self {
            ScenarioSource::Builtin(id) => {
                crate::scenario::run_with(id, actions).expect("a resolved built-in scenario runs")
            }
            ScenarioSource::File(s) => s.run_with(actions),
        }
    }
}

/// Finds the scenario an activity names: a built-in scenario id, or (a name ending in
/// `.toml`) a scenario file beside the activity, whose text `beside` gives (`None`: there is
/// no such file). The error says what was expected (the caller locates it).
#[cfg(feature = "engine")]
pub fn resolve_scenario_with(name: &str, beside: &dyn Fn(&str) -> Option<String>) -> Result<ScenarioSource, String> {
    if name.ends_with(".toml") {
        let Some(text) = beside(name) else {
            return Err(format!(
                "no scenario file \"{name}\" beside this activity: expected a scenario file in the same folder (or URL), or a built-in scenario id"
            ));
        };
        return match crate::scenario::load(name, &text) {
            Ok(s) => Ok(ScenarioSource::File(std::sync::Arc::new(s))),
            Err(e) => Err(format!("the scenario file has an error: {e}")),
        };
    }
    match crate::scenario::info_of(name) {
        Some(info) => Ok(ScenarioSource::Builtin(info.id.as_str())),
        None => {
            Err(format!(
                "unknown scenario \"{name}\": expected a built-in scenario id (mailsim run --list shows them), e.g. alice-to-bob, or a scenario file name ending in .toml{}",
                format::did_you_mean(name, crate::scenario::IDS)
            ))
        }
    }
}

/// [`resolve_scenario_with`] where no file is at hand: built-in ids only.
#[cfg(feature = "engine")]
pub fn resolve_scenario(name: &str) -> Result<ScenarioSource, String> {
    resolve_scenario_with(name, &|_| None)
}

#[cfg(feature = "engine")]
impl Activity {
    /// Its scenario's source (resolved when the file was parsed, so this succeeds: a file
    /// beside it is its text loaded again).
    pub fn source(&self) -> ScenarioSource {
        let file = self.scenario_file.as_ref().and_then(|f| crate::scenario::load(&f.name, &f.text).ok());
        match file {
            Some(s) => ScenarioSource::File(std::sync::Arc::new(s)),
            None => resolve_scenario(&self.scenario).unwrap_or(ScenarioSource::Builtin("playground")),
        }
    }

    /// The scenario as the instructor wrote it, with no learner actions: what items' steps
    /// and predictions refer to.
    pub fn baseline(&self) -> EventLog {
        self.source().run(&[])
    }

    /// The scenario with the learner's actions: what [`check_task`] reads.
    pub fn play(&self, actions: &[Action]) -> EventLog {
        self.source().run(actions)
    }
}

impl Activity {
    /// How many items of each kind, e.g. "3 choice, 2 predict, 1 task".
    pub fn counts(&self) -> String {
        Kind::ALL
            .iter()
            .filter_map(|k| {
                let n = self.items.iter().filter(|i| i.kind == *k).count();
                (n > 0).then(|| format!("{n} {}", k.name()))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

builtin_files!(
    "send-protocols.toml",
    "email-history.toml",
    "read-protocols.toml",
    "smtp-phases.toml",
    "reply-code-classes.toml",
    "reply-codes-positive.toml",
    "reply-codes-transient.toml",
    "reply-codes-permanent.toml",
    "too-many-recipients.toml",
    "make-a-reply.toml",
    "smtp-ports.toml",
    "port-blocked.toml",
    "envelope-and-header.toml",
    "forged-from.toml",
    "message-format.toml",
    "store-and-forward.toml",
    "two-hops.toml",
    "server-shutdown.toml",
    "pop3-keep-or-delete.toml",
    "imap-states-folders.toml",
    "imap-ports.toml",
    "pop3-ports.toml",
    "imap-organizing.toml",
    "headers-only.toml",
    "ica34-idle.toml",
    "imap-goals.toml",
    "smtp-vs-http.toml",
    "performance.toml",
    "webmail.toml",
    "by-hand-lab.toml",
);

/// A built-in activity file, without its text: (file name as in [`BUILTIN_NAMES`], id, the
/// scenario it names, a hash of its text). build.rs reads them from `activities/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    pub name: &'static str,
    pub id: &'static str,
    pub scenario: &'static str,
    pub version: &'static str,
}

impl IndexEntry {
    /// Where the page fetches the file, relative to the page.
    pub fn url(&self) -> String {
        format!("{}?v={}", self.name, self.version)
    }
}

/// The built-in activity files, in teaching order, without their texts.
pub fn builtin_index() -> Vec<IndexEntry> {
    BUILTIN_NAMES
        .iter()
        .filter_map(|name| {
            let file = name.trim_start_matches("activities/");
            let i = crate::scenario::ACTIVITY_INDEX.binary_search_by(|e| e.0.cmp(file)).ok()?;
            let (_, id, scenario, version) = crate::scenario::ACTIVITY_INDEX[i];
            Some(IndexEntry { name, id, scenario, version })
        })
        .collect()
}

#[cfg(not(builtin_text))]
thread_local! {
    /// The built-in files the page has fetched: (file name, text), kept for the page's life.
    static PROVIDED: std::cell::RefCell<Vec<(&'static str, &'static str)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Hands over the text of built-in activity file `name` (as in [`BUILTIN_NAMES`]), fetched by
/// the page from [`IndexEntry::url`]. Where the files are compiled in, this does nothing.
pub fn provide(name: &str, text: &str) {
    #[cfg(not(builtin_text))]
    if let Some(name) = BUILTIN_NAMES.iter().find(|n| **n == name) {
        PROVIDED.with(|p| {
            let mut p = p.borrow_mut();
            if !p.iter().any(|(n, _)| n == name) {
                p.push((name, Box::leak(text.to_string().into_boxed_str())));
            }
        });
    }
    #[cfg(builtin_text)]
    let _ = (name, text);
}

/// The built-in activity files at hand, as (file name, text), in teaching order: all of them
/// where they are compiled in, those [`provide`]d in the page.
pub fn builtin_files() -> Vec<(&'static str, &'static str)> {
    #[cfg(builtin_text)]
    return BUILTIN_FILES.to_vec();
    #[cfg(not(builtin_text))]
    return PROVIDED.with(|p| {
        let p = p.borrow();
        BUILTIN_NAMES.iter().filter_map(|n| p.iter().find(|(name, _)| name == n).copied()).collect()
    });
}

/// The built-in activities, parsed. Every one parses (a test holds this), so an error here
/// is a bug; such a file is skipped rather than panicking.
#[cfg(feature = "engine")]
pub fn builtin() -> Vec<Activity> {
    builtin_files().iter().filter_map(|(name, text)| parse(name, text).ok()).collect()
}

/// The built-in activity `id` (only that file is parsed and its scenario run).
#[cfg(feature = "engine")]
pub fn builtin_by_id(id: &str) -> Option<Activity> {
    builtin_files()
        .into_iter()
        .find(|(_, text)| load::id_of(text).as_deref() == Some(id))
        .and_then(|(name, text)| parse(name, text).ok())
}

#[cfg(all(test, builtin_text, feature = "engine"))]
mod tests {
    /// The index build.rs wrote says what parsing each file says, in teaching order.
    #[test]
    fn the_index_matches_the_files() {
        let index = super::builtin_index();
        let all = super::builtin();
        assert_eq!(index.len(), super::BUILTIN_NAMES.len(), "every listed file is in the index");
        assert_eq!(crate::scenario::ACTIVITY_INDEX.len(), index.len(), "every activities/*.toml is listed");
        assert_eq!(all.len(), index.len(), "every built-in activity parses");
        for (e, a) in index.iter().zip(&all) {
            assert_eq!((e.name, e.id, e.scenario), (a.file.as_str(), a.id.as_str(), a.scenario.as_str()));
            assert!(e.url().starts_with(&format!("{}?v=", e.name)), "{}", e.url());
            assert!(crate::scenario::entry(e.scenario).is_some(), "{}: a built-in scenario", e.name);
        }
    }
}
