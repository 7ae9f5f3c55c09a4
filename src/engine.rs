//! The page's one door to the engines: loading and running scenarios, reading and grading
//! activities, checking tasks, reading a message's structure. Everything else in the page
//! (the diagram, the panels, the exports, the live view) is a function of an event log and
//! needs no engine (`mailsim-sim`'s feature `model`).
//!
//! Today the engines are linked into the page and every call here is a plain call. The plan
//! (docs/benchmarks.md, "The way to 300 KB") moves them into a second wasm module fetched
//! after the first draw: then these are the calls that cross, each with arguments and a
//! reply that JSON can carry (names, texts, actions, items and responses), and the only
//! place that waits for the module. Keep it that way: a new use of the engines goes here,
//! not into a view (a test below holds the rest of `src/` to it).
//!
//! | call | arguments | reply |
//! |---|---|---|
//! | [`scenario`], [`load_scenario`] | a built-in id; a file name and text | a [`Loaded`] (its header), or why not |
//! | [`provide_scenario`], [`scenario_ready`] | a built-in id and its fetched text | whether it loads |
//! | [`run`], [`save`] | a [`Loaded`], learner actions | the event log; the file with the actions |
//! | [`actions_from_toml`] | `[[action]]` tables | the actions |
//! | [`check_recipients`] | the composer's To/Cc/Bcc list | ok, or the message |
//! | [`parse_activity`], [`builtin_activities`], [`provide_activity`] | a file name and text | the activity, or located errors |
//! | [`baseline`], [`play`] | an activity, learner actions | the event log |
//! | [`grade`], [`score`], [`completion_code`], [`check_task`] | an item and a response; answers; a task's check, its log and actions | feedback; counts; the code; the outcome |
//! | [`message_tree`] | a message's bytes | the inspector's header table and MIME tree |

use mailsim_sim::actions::Action;
use mailsim_sim::activity::{self, Activity, Answered, Check, Feedback, Item, LocatedError, Response, TaskOutcome};
use mailsim_sim::proto::message::Inspection;
use mailsim_sim::scenario::{self, Scenario};
use mailsim_sim::EventLog;
use std::rc::Rc;

/// A scenario the engine has loaded: what the page shows of it. The engine keeps the rest
/// (its cast, messages and acts); two are equal when they are the same loaded file.
#[derive(Clone)]
pub struct Loaded {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    /// The page opens it with "show decrypted" ticked.
    pub decrypted: bool,
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Builtin(&'static Scenario),
    File(Rc<Scenario>),
}

impl Inner {
    fn get(&self) -> &Scenario {
        match self {
            Inner::Builtin(s) => s,
            Inner::File(s) => s,
        }
    }
}

impl Loaded {
    fn new(inner: Inner) -> Loaded {
        let s = inner.get();
        Loaded {
            id: s.id.clone(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            description: s.description.clone(),
            decrypted: s.decrypted,
            inner,
        }
    }
}

impl PartialEq for Loaded {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.inner.get(), other.inner.get())
    }
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Loaded({})", self.id)
    }
}

/// Built-in scenario `id`, once its file is at hand ([`provide_scenario`]).
pub fn scenario(id: &str) -> Option<Loaded> {
    scenario::info_of(id).map(|s| Loaded::new(Inner::Builtin(s)))
}

/// Whether built-in scenario `id` is at hand.
pub fn scenario_ready(id: &str) -> bool {
    scenario::is_ready(id)
}

/// Hands over the fetched text of built-in scenario `id`; why not, if it does not load.
pub fn provide_scenario(id: &str, text: &str) -> Result<(), String> {
    scenario::provide(id, text).map(|_| ())
}

/// A scenario file (opened, dropped or pasted): loaded, or its located error as text.
pub fn load_scenario(name: &str, text: &str) -> Result<Loaded, String> {
    scenario::load(name, text).map(|s| Loaded::new(Inner::File(Rc::new(s)))).map_err(|e| e.to_string())
}

/// Runs a scenario with what the learner added.
pub fn run(s: &Loaded, actions: &[Action]) -> EventLog {
    s.inner.get().run_with(actions)
}

/// The scenario's file with the learner's actions added as `[[action]]` tables: (name, text).
pub fn save(s: &Loaded, actions: &[Action]) -> (String, String) {
    let s = s.inner.get();
    (format!("{}.toml", s.id), s.save_with(actions))
}

/// Reads `[[action]]` tables (the learner's stored actions); what does not read is left out.
pub fn actions_from_toml(text: &str) -> Vec<Action> {
    mailsim_sim::actions::from_toml(text)
}

/// Whether the composer's comma-separated list holds only addresses; if not, which is not.
pub fn check_recipients(list: &str) -> Result<(), String> {
    scenario::check_recipients(list)
}

/// An activity file: checked against its kinds and its scenario, or located errors.
pub fn parse_activity(name: &str, text: &str) -> Result<Activity, Vec<LocatedError>> {
    activity::parse(name, text)
}

/// The built-in activities at hand (fetched and provided), parsed.
pub fn builtin_activities() -> Vec<Activity> {
    activity::builtin()
}

/// Hands over the fetched text of built-in activity file `name`.
pub fn provide_activity(name: &str, text: &str) {
    activity::provide(name, text)
}

/// The built-in activity files at hand: (file name, text).
pub fn builtin_activity_files() -> Vec<(&'static str, &'static str)> {
    activity::builtin_files()
}

/// The built-in activity files, without their texts.
pub fn activity_index() -> Vec<activity::IndexEntry> {
    activity::builtin_index()
}

/// The activity's scenario as the instructor wrote it: what items' steps refer to.
pub fn baseline(a: &Activity) -> EventLog {
    a.baseline()
}

/// The activity's scenario with the learner's actions.
pub fn play(a: &Activity, actions: &[Action]) -> EventLog {
    a.play(actions)
}

/// Grades a response to a question.
pub fn grade(item: &Item, response: &Response) -> Feedback {
    activity::grade(item, response)
}

/// (right, graded) over the recorded answers.
pub fn score(a: &Activity, answers: &[Option<Answered>]) -> (usize, usize) {
    activity::score(a, answers)
}

/// The completion code of the recorded answers.
pub fn completion_code(a: &Activity, answers: &[Option<Answered>]) -> String {
    activity::completion_code(a, answers)
}

/// Whether a task's goal is met in the log of what the learner did.
pub fn check_task(check: &Check, log: &EventLog, actions: &[Action]) -> TaskOutcome {
    activity::check_task(check, log, actions)
}

/// A message taken apart for the inspector: header table and MIME tree.
pub fn message_tree(raw: &[u8]) -> Inspection {
    mailsim_sim::proto::message::inspect(raw)
}

#[cfg(test)]
mod tests {
    /// The engines' entry points are called from this module only: the rest of the page
    /// reads logs (the split into a second wasm module depends on it).
    #[test]
    fn only_the_facade_calls_the_engines() {
        let calls = [
            "scenario::load(",
            "scenario::info_of(",
            "scenario::provide(",
            "scenario::is_ready(",
            "scenario::check_recipients(",
            "run_with(",
            "save_with(",
            "actions::from_toml(",
            "activity::parse(",
            "activity::builtin(",
            "activity::builtin_files(",
            "activity::builtin_index(",
            "activity::provide(",
            "message::inspect",
            ".baseline()",
            "mailsim_sim::activity::{self",
            "mailsim_sim::activity::{check_task",
            "mailsim_sim::activity::{grade",
            "mailsim_sim::activity::{completion_code",
            "mailsim_sim::activity::{score",
            "mailsim_sim::World",
            "mailsim_sim::world",
            "mailsim_sim::host",
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.clone()];
        let mut found = vec![];
        while let Some(p) = files.pop() {
            if p.is_dir() {
                files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") || p.ends_with("engine.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            // Tests may run scenarios natively (layout's checks over every scenario).
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let line = line.trim_start();
                if line.starts_with("//") {
                    continue;
                }
                for c in calls.iter().filter(|c| line.contains(*c)) {
                    found.push(format!("{}:{}: {c}", p.display(), n + 1));
                }
            }
        }
        assert!(found.is_empty(), "engine calls outside src/engine.rs:\n{}", found.join("\n"));
    }
}
