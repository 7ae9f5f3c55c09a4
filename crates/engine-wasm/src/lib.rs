//! The engines behind the page's facade (src/engine.rs), as calls whose arguments and replies
//! are strings: JSON (activities, items, responses, outcomes: `mailsim_sim::activity`'s
//! `to_json`/`from_json`; actions: `mailsim_sim::actions::to_json`), JSON lines (event logs,
//! read by the page with `EventLog::from_jsonl`) and the TOML of stored actions. This module
//! is compiled twice: natively for these tests, and to wasm as the page's second module
//! (main.rs exports every call with wasm-bindgen). No call panics on what it is given: a
//! reply that cannot be made is an `{"error": ...}` object, or empty where said.
//!
//! | call | arguments | reply |
//! |---|---|---|
//! | [`provide_scenario`] | built-in id, its file's text | `""`, or why it does not load |
//! | [`scenario`] | built-in id | its header (below), `""` until provided |
//! | [`load_scenario`] | file name, text | header `{"key","id","title","summary","description","decrypted"}` or `{"error"}` |
//! | [`run`], [`save`] | a header's `key`, actions (JSON) | the log (JSON lines, `""` for an unknown key); `{"name","text"}` |
//! | [`actions_from_toml`] | `[[action]]` tables | actions (JSON) |
//! | [`check_recipients`] | the composer's list | `""`, or what is wrong |
//! | [`provide_activity`], [`builtin_activities`] | built-in file name, text; - | -; the activities provided (JSON array) |
//! | [`parse_activity`] | file name, text, the files beside it (`""`: it has no folder; else a JSON array of [name, text]) | `{"activity"}` or `{"errors": [...]}`, with `"needs": NAME` when it names a scenario file not given |
//! | [`play`] | activity, actions (`[]`: its baseline) | the log (JSON lines) |
//! | [`grade`], [`score`], [`completion_code`] | item and response; activity and answers | feedback; `[right, graded]`; the code |
//! | [`check_task`] | a check, the log (JSON lines), actions | the outcome |
//! | [`message_tree`] | a message's bytes | `{"header": [[name, value]], "parts": [...]}` |

use mailsim_sim::actions::{self, Action};
use mailsim_sim::activity::{self, Activity, Answered, Check, Item, LocatedError, Response};
use mailsim_sim::scenario::{self, Scenario};
use mailsim_sim::EventLog;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// The scenario files loaded with [`load_scenario`]: key `#N` is the N-th.
    static FILES: RefCell<Vec<Rc<Scenario>>> = const { RefCell::new(Vec::new()) };
}

fn error(message: impl std::fmt::Display) -> String {
    json!({ "error": message.to_string() }).to_string()
}

fn parse(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// `f` of a built-in scenario by id, or of a loaded file by `#N`; `None` if there is none.
fn with_scenario<T>(key: &str, f: impl FnOnce(&Scenario) -> T) -> Option<T> {
    match key.strip_prefix('#') {
        Some(n) => {
            let n: usize = n.parse().ok()?;
            let s = FILES.with(|files| files.borrow().get(n).cloned())?;
            Some(f(&s))
        }
        None => scenario::info_of(key).map(f),
    }
}

fn header(key: &str, s: &Scenario) -> String {
    json!({
        "key": key,
        "id": s.id,
        "title": s.title,
        "summary": s.summary,
        "description": s.description,
        "decrypted": s.decrypted,
    })
    .to_string()
}

fn actions_of(text: &str) -> Vec<Action> {
    parse(text).map(|v| actions::from_json(&v)).unwrap_or_default()
}

/// Hands over the fetched text of built-in scenario `id`: `""`, or why it does not load.
pub fn provide_scenario(id: &str, text: &str) -> String {
    scenario::provide(id, text).map(|_| String::new()).unwrap_or_else(|e| e)
}

/// Built-in scenario `id`'s header (its `key` is the id), `""` while its file is not at hand.
pub fn scenario(id: &str) -> String {
    scenario::info_of(id).map(|s| header(id, s)).unwrap_or_default()
}

/// A scenario file (opened, dropped, pasted, beside an activity): its header with a new
/// `key`, or `{"error": "file:line:column: ..."}`.
pub fn load_scenario(name: &str, text: &str) -> String {
    match scenario::load(name, text) {
        Ok(s) => FILES.with(|f| {
            let mut f = f.borrow_mut();
            let key = format!("#{}", f.len());
            let reply = header(&key, &s);
            f.push(Rc::new(s));
            reply
        }),
        Err(e) => error(e),
    }
}

/// The scenario `key` run with the learner's actions: its log as JSON lines (`""`: no such key).
pub fn run(key: &str, actions: &str) -> String {
    with_scenario(key, |s| s.run_with(&actions_of(actions)).to_jsonl()).unwrap_or_default()
}

/// The scenario's file with the actions added as `[[action]]` tables: `{"name", "text"}`.
pub fn save(key: &str, actions: &str) -> String {
    with_scenario(key, |s| json!({ "name": format!("{}.toml", s.id), "text": s.save_with(&actions_of(actions)) }))
        .map(|v| v.to_string())
        .unwrap_or_else(|| error(format!("no scenario {key}")))
}

/// Stored `[[action]]` tables as actions (JSON); what does not read is left out.
pub fn actions_from_toml(text: &str) -> String {
    actions::to_json(&actions::from_toml(text)).to_string()
}

/// `""` when the composer's comma-separated list holds only addresses, else which is not.
pub fn check_recipients(list: &str) -> String {
    scenario::check_recipients(list).err().unwrap_or_default()
}

/// Hands over the fetched text of built-in activity file `name`.
pub fn provide_activity(name: &str, text: &str) {
    activity::provide(name, text)
}

/// The built-in activities provided so far, parsed, in teaching order (JSON array).
pub fn builtin_activities() -> String {
    Value::Array(activity::builtin().iter().map(Activity::to_json).collect()).to_string()
}

/// An activity file: `{"activity": ...}`, or `{"errors": [{"file","line","column","message"}]}`.
/// `beside` is `""` for a file with no folder (pasted, uploaded: its scenario must be built
/// in), else the scenario files fetched from its folder so far as a JSON array of [name, text];
/// when the activity names one that is not among them, the errors come with `"needs": NAME`
/// (fetch it from the folder and call again).
pub fn parse_activity(name: &str, text: &str, beside: &str) -> String {
    let needs = RefCell::new(None);
    let result = if beside.is_empty() {
        activity::parse(name, text)
    } else {
        let files = parse(beside).unwrap_or(Value::Null);
        activity::parse_with(name, text, &|file| {
            let pairs = files.as_array().map(Vec::as_slice).unwrap_or_default();
            let text = pairs.iter().find(|p| p[0] == file).and_then(|p| Some(p.get(1)?.as_str()?.to_string()));
            if text.is_none() {
                *needs.borrow_mut() = Some(file.to_string());
            }
            text
        })
    };
    match result {
        Ok(a) => json!({ "activity": a.to_json() }).to_string(),
        Err(errors) => {
            let mut reply = json!({ "errors": errors.iter().map(LocatedError::to_json).collect::<Vec<_>>() });
            if let Some(file) = needs.into_inner() {
                reply["needs"] = Value::String(file);
            }
            reply.to_string()
        }
    }
}

fn activity_of(text: &str) -> Option<Activity> {
    Activity::from_json(&parse(text)?)
}

/// The activity's scenario with the learner's actions (`[]`: the baseline its steps refer
/// to), as JSON lines; `""` if `activity` does not read.
pub fn play(activity: &str, actions: &str) -> String {
    activity_of(activity).map(|a| a.play(&actions_of(actions)).to_jsonl()).unwrap_or_default()
}

/// Grades a response to an item: `{"correct", "message"}`.
pub fn grade(item: &str, response: &str) -> String {
    let item = parse(item).and_then(|v| Item::from_json(&v));
    let response = parse(response).and_then(|v| Response::from_json(&v));
    match (item, response) {
        (Some(i), Some(r)) => activity::grade(&i, &r).to_json().to_string(),
        _ => error("the item or the response does not read"),
    }
}

fn answers_of(text: &str) -> Vec<Option<Answered>> {
    let list = parse(text).and_then(|v| v.as_array().cloned()).unwrap_or_default();
    list.iter().map(Answered::from_json).collect()
}

/// `[right, graded]` over the recorded answers (a JSON array, `null` for unanswered).
pub fn score(activity: &str, answers: &str) -> String {
    match activity_of(activity) {
        Some(a) => {
            let (right, graded) = activity::score(&a, &answers_of(answers));
            json!([right, graded]).to_string()
        }
        None => error("the activity does not read"),
    }
}

/// The completion code of the recorded answers (`""` if the activity does not read).
pub fn completion_code(activity: &str, answers: &str) -> String {
    activity_of(activity).map(|a| activity::completion_code(&a, &answers_of(answers))).unwrap_or_default()
}

/// Whether a task's goal is met in the log (JSON lines) of the learner's actions: `{"done", "detail"}`.
pub fn check_task(check: &str, log: &str, actions: &str) -> String {
    let Some(check) = parse(check).and_then(|v| Check::from_json(&v)) else {
        return error("the check does not read");
    };
    match EventLog::from_jsonl(log) {
        Ok(log) => activity::check_task(&check, &log, &actions_of(actions)).to_json().to_string(),
        Err(e) => error(format!("the log does not read: {e}")),
    }
}

/// A message taken apart for the inspector: header fields and MIME tree.
pub fn message_tree(raw: &[u8]) -> String {
    let i = mailsim_sim::proto::message::inspect(raw);
    let parts: Vec<Value> = i
        .parts
        .iter()
        .map(|p| {
            json!({
                "depth": p.depth, "content_type": p.content_type, "filename": p.filename,
                "encoding": p.encoding, "size": p.size, "text": p.text,
            })
        })
        .collect();
    json!({ "header": i.header, "parts": parts }).to_string()
}

/// The phases of [`run`] one by one, for the benchmark (feature `phases`): bench/world-wasm.mjs
/// times each call from JavaScript, so that the world alone (`Scenario::run`), the log written
/// as JSON lines, the string crossing into JavaScript and back, and the page's reading of the
/// lines (`EventLog::from_jsonl`, the same code at the same optimization as the page's) each
/// have a figure in wasm to set against the native one (`examples/world_phases.rs`).
#[cfg(feature = "phases")]
pub mod phases {
    use super::*;

    thread_local! {
        static LOG: RefCell<Option<EventLog>> = const { RefCell::new(None) };
        static JSONL: RefCell<String> = const { RefCell::new(String::new()) };
    }

    /// Runs scenario `key` (no actions) and keeps its log: the number of events.
    pub fn run_world(key: &str) -> usize {
        let log = with_scenario(key, |s| s.run_with(&[])).unwrap_or_else(|| EventLog {
            scenario: String::new(),
            seed: 0,
            epoch: 0,
            events: vec![],
        });
        let n = log.events.len();
        LOG.with(|l| *l.borrow_mut() = Some(log));
        n
    }

    /// Writes the kept log as JSON lines and keeps them: their length in bytes.
    pub fn write_jsonl() -> usize {
        let text = LOG.with(|l| l.borrow().as_ref().map(EventLog::to_jsonl)).unwrap_or_default();
        let n = text.len();
        JSONL.with(|j| *j.borrow_mut() = text);
        n
    }

    /// The kept JSON lines' bytes (what crosses into JavaScript, as `run`'s reply).
    pub fn take_jsonl() -> Vec<u8> {
        JSONL.with(|j| std::mem::take(&mut *j.borrow_mut())).into_bytes()
    }

    /// The length of `bytes` (what crossing them into wasm costs alone).
    pub fn length(bytes: &[u8]) -> usize {
        bytes.len()
    }

    /// Reads the JSON lines' bytes as the page does (src/engine.rs `log_of`): the number of
    /// events, 0 if they do not read.
    pub fn read_jsonl(bytes: &[u8]) -> usize {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        EventLog::from_jsonl(text).map(|l| l.events.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
