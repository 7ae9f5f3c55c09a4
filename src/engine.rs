//! The page's one door to the engines: loading and running scenarios, reading and grading
//! activities, checking tasks, reading a message's structure. Everything else in the page
//! (the diagram, the panels, the exports, the live view) is a function of an event log and
//! needs no engine (`mailsim-sim`'s feature `model`).
//!
//! The engines are a second wasm module (crates/engine-wasm, `mailsim-engine`), fetched after
//! the first draw ([`load`]; docs/benchmarks.md, "The way to 300 KB"): these are the calls
//! that cross, with JSON and TOML as strings and event logs as the bytes of their JSON lines
//! (read by the same `EventLog::from_jsonl` as a log opened from a file), and this is the only
//! place that knows the module. Once it is here every call is a plain synchronous call; before, the
//! pages wait for it (`data::then_engine`, the activities' `Gate`, the inspector) and what is
//! handed over ([`provide_scenario`], [`provide_activity`]) is kept until it comes. Keep it
//! that way: a new use of the engines goes here, not into a view (a test below holds the
//! rest of `src/` to it).
//!
//! | call | arguments | reply |
//! |---|---|---|
//! | [`scenario`], [`load_scenario`] | a built-in id; a file name and text | a [`Loaded`] (its header), or why not |
//! | [`provide_scenario`], [`scenario_ready`] | a built-in id and its fetched text | whether it loads |
//! | [`run`], [`save`] | a [`Loaded`], learner actions | the event log (its JSON lines' bytes across); the file with the actions |
//! | [`actions_from_toml`] | `[[action]]` tables | the actions |
//! | [`check_recipients`] | the composer's To/Cc/Bcc list | ok, or the message |
//! | [`parse_activity`], [`builtin_activities`], [`provide_activity`] | a file name and text | the activity, or located errors |
//! | [`parse_activity_in`] | the same, and the scenario files fetched from its folder | the same, or the scenario file it needs |
//! | [`baseline`], [`play`] | an activity, learner actions | the event log |
//! | [`grade`], [`score`], [`completion_code`], [`check_task`] | an item and a response; answers; a task's check, its log and actions | feedback; counts; the code; the outcome |
//! | [`message_tree`] | a message's bytes | the inspector's header table and MIME tree |

use mailsim_sim::actions::{self, Action};
use mailsim_sim::activity::{self, Activity, Answered, Check, Feedback, Item, LocatedError, Response, TaskOutcome};
use mailsim_sim::proto::message::{Inspection, PartView};
use mailsim_sim::EventLog;
use serde_json::Value;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::js_sys::{Array, Function, Reflect, Uint8Array};

#[wasm_bindgen(module = "/src/engine.js")]
extern "C" {
    /// The engine module's exports, once imported and started (the same promise every time).
    fn engine_module() -> web_sys::js_sys::Promise;
}

thread_local! {
    /// The engine module's exports, once here.
    static MODULE: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    /// Built-in scenarios handed over before the module came: (id, text).
    static PENDING: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// Built-in activity files handed over before the module came: (name, text).
    static PENDING_ACTIVITIES: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    /// The built-in scenarios the module has.
    static READY: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Whether the engine module is here.
pub fn loaded() -> bool {
    MODULE.with(|m| m.borrow().is_some())
}

/// Fetches and starts the engine module, unless it is here, and hands it what was provided
/// meanwhile. Why not, if it could not be loaded.
pub async fn load() -> Result<(), String> {
    if loaded() {
        return Ok(());
    }
    let m = wasm_bindgen_futures::JsFuture::from(engine_module()).await.map_err(|e| {
        format!("could not load the mail engine ({})", e.as_string().unwrap_or_else(|| format!("{e:?}")))
    })?;
    if loaded() {
        return Ok(());
    }
    MODULE.with(|x| *x.borrow_mut() = Some(m));
    for (id, text) in PENDING.with(|p| std::mem::take(&mut *p.borrow_mut())) {
        let _ = provide_scenario(&id, &text);
    }
    for (name, text) in PENDING_ACTIVITIES.with(|p| std::mem::take(&mut *p.borrow_mut())) {
        provide_activity(&name, &text);
    }
    Ok(())
}

/// Calls export `name` with `args`; `None` while the module is not here (or the call threw).
fn call(name: &str, args: &[JsValue]) -> Option<JsValue> {
    MODULE.with(|m| {
        let m = m.borrow();
        let f: Function = Reflect::get(m.as_ref()?, &JsValue::from_str(name)).ok()?.dyn_into().ok()?;
        f.apply(&JsValue::NULL, &args.iter().collect::<Array>()).ok()
    })
}

/// Calls export `name` with string arguments; its string reply.
fn call_str(name: &str, args: &[&str]) -> Option<String> {
    let args: Vec<JsValue> = args.iter().map(|a| JsValue::from_str(a)).collect();
    call(name, &args)?.as_string()
}

fn json(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// Calls export `name` with string arguments; its reply of bytes (a `Uint8Array` the engine
/// module copied out of its memory), copied into ours.
fn call_bytes(name: &str, args: &[&str]) -> Option<Vec<u8>> {
    let args: Vec<JsValue> = args.iter().map(|a| JsValue::from_str(a)).collect();
    Some(call(name, &args)?.dyn_into::<Uint8Array>().ok()?.to_vec())
}

/// The log whose JSON lines' bytes the engine handed over (an empty one if they do not read).
fn log_of(jsonl: Option<Vec<u8>>) -> EventLog {
    let text = jsonl.and_then(|b| String::from_utf8(b).ok());
    text.and_then(|t| EventLog::from_jsonl(&t).ok()).unwrap_or_else(|| EventLog {
        scenario: String::new(),
        seed: 0,
        epoch: 0,
        events: vec![],
    })
}

fn actions_json(actions: &[Action]) -> String {
    actions::to_json(actions).to_string()
}

/// A scenario the engine has loaded: what the page shows of it. The engine keeps the rest
/// (its cast, messages and acts) under `key` (a built-in id, or `#N` for a file); two are
/// equal when they are the same loaded file.
#[derive(Clone)]
pub struct Loaded {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    /// The page opens it with "show decrypted" ticked.
    pub decrypted: bool,
    key: String,
}

impl Loaded {
    fn from_json(v: &Value) -> Option<Loaded> {
        let s = |k: &str| Some(v.get(k)?.as_str()?.to_string());
        Some(Loaded {
            id: s("id")?,
            title: s("title")?,
            summary: s("summary")?,
            description: s("description")?,
            decrypted: v.get("decrypted")?.as_bool()?,
            key: s("key")?,
        })
    }
}

impl PartialEq for Loaded {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Loaded({})", self.id)
    }
}

/// Built-in scenario `id`, once the engine has it ([`scenario_ready`]).
pub fn scenario(id: &str) -> Option<Loaded> {
    Loaded::from_json(&json(&call_str("scenario", &[id])?)?)
}

/// Whether the engine is here and has built-in scenario `id`.
pub fn scenario_ready(id: &str) -> bool {
    READY.with(|r| r.borrow().iter().any(|x| x == id))
}

/// Whether built-in scenario `id`'s text was handed over and waits for the engine module.
pub fn scenario_held(id: &str) -> bool {
    PENDING.with(|p| p.borrow().iter().any(|(x, _)| x == id))
}

/// Hands over the fetched text of built-in scenario `id` (kept until the engine is here);
/// why not, if it does not load.
pub fn provide_scenario(id: &str, text: &str) -> Result<(), String> {
    if !loaded() {
        PENDING.with(|p| p.borrow_mut().push((id.to_string(), text.to_string())));
        return Ok(());
    }
    match call_str("provide_scenario", &[id, text]) {
        Some(e) if e.is_empty() => {
            READY.with(|r| r.borrow_mut().push(id.to_string()));
            Ok(())
        }
        Some(e) => Err(e),
        None => Err("the mail engine did not answer".into()),
    }
}

/// A scenario file (opened, dropped or pasted): loaded, or its located error as text. The
/// engine must be here ([`load`]).
pub fn load_scenario(name: &str, text: &str) -> Result<Loaded, String> {
    let v = json(&call_str("load_scenario", &[name, text]).ok_or("the mail engine is not loaded yet")?)
        .ok_or("the mail engine's reply does not read")?;
    if let Some(e) = v.get("error").and_then(Value::as_str) {
        return Err(e.to_string());
    }
    Loaded::from_json(&v).ok_or_else(|| "the mail engine's reply does not read".into())
}

/// Runs a scenario with what the learner added.
pub fn run(s: &Loaded, actions: &[Action]) -> EventLog {
    log_of(call_bytes("run", &[&s.key, &actions_json(actions)]))
}

/// The scenario's file with the learner's actions added as `[[action]]` tables: (name, text).
pub fn save(s: &Loaded, actions: &[Action]) -> (String, String) {
    let v = call_str("save", &[&s.key, &actions_json(actions)]).and_then(|t| json(&t)).unwrap_or(Value::Null);
    let get = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    (get("name"), get("text"))
}

/// Reads `[[action]]` tables (the learner's stored actions); what does not read is left out.
/// The engine must be here: the pages that read stored actions wait for it.
pub fn actions_from_toml(text: &str) -> Vec<Action> {
    call_str("actions_from_toml", &[text]).and_then(|t| json(&t)).map(|v| actions::from_json(&v)).unwrap_or_default()
}

/// Whether the composer's comma-separated list holds only addresses; if not, which is not
/// (in the page: no engine needed).
pub fn check_recipients(list: &str) -> Result<(), String> {
    mailsim_sim::scenario::check_recipients(list)
}

fn errors_of(v: &Value) -> Vec<LocatedError> {
    v.get("errors")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(LocatedError::from_json).collect())
        .unwrap_or_default()
}

/// An activity file with no folder (pasted, uploaded): checked against its kinds and its
/// scenario (a built-in one), or located errors.
pub fn parse_activity(name: &str, text: &str) -> Result<Activity, Vec<LocatedError>> {
    parse_activity_in(name, text, None).map_err(|e| e.0)
}

/// An activity file from a folder (`?activity=URL`) with `beside`, the scenario files fetched
/// from it so far (`None`: it has no folder). Its errors, and the name of the scenario file it
/// names that is not in `beside` (fetch it and call again).
pub fn parse_activity_in(
    name: &str,
    text: &str,
    beside: Option<&[(String, String)]>,
) -> Result<Activity, (Vec<LocatedError>, Option<String>)> {
    let failed = || LocatedError {
        file: name.to_string(),
        line: 1,
        column: 1,
        message: "the mail engine is not loaded yet".into(),
    };
    let beside = beside
        .map(|files| {
            let pair =
                |(n, t): &(String, String)| Value::Array(vec![Value::String(n.clone()), Value::String(t.clone())]);
            Value::Array(files.iter().map(pair).collect()).to_string()
        })
        .unwrap_or_default();
    let v = call_str("parse_activity", &[name, text, &beside])
        .and_then(|t| json(&t))
        .ok_or_else(|| (vec![failed()], None))?;
    match v.get("activity").and_then(Activity::from_json) {
        Some(a) => Ok(a),
        None => Err((
            Some(errors_of(&v)).filter(|e| !e.is_empty()).unwrap_or_else(|| vec![failed()]),
            v.get("needs").and_then(Value::as_str).map(str::to_string),
        )),
    }
}

/// The built-in activities at hand (fetched and provided), parsed.
pub fn builtin_activities() -> Vec<Activity> {
    call_str("builtin_activities", &[])
        .and_then(|t| json(&t))
        .and_then(|v| v.as_array().map(|l| l.iter().filter_map(Activity::from_json).collect()))
        .unwrap_or_default()
}

/// Hands over the fetched text of built-in activity file `name` (kept until the engine is here).
pub fn provide_activity(name: &str, text: &str) {
    activity::provide(name, text);
    if loaded() {
        call_str("provide_activity", &[name, text]);
    } else {
        PENDING_ACTIVITIES.with(|p| p.borrow_mut().push((name.to_string(), text.to_string())));
    }
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
    play(a, &[])
}

/// The activity's scenario with the learner's actions.
pub fn play(a: &Activity, actions: &[Action]) -> EventLog {
    log_of(call_bytes("play", &[&a.to_json().to_string(), &actions_json(actions)]))
}

/// Grades a response to a question.
pub fn grade(item: &Item, response: &Response) -> Feedback {
    call_str("grade", &[&item.to_json().to_string(), &response.to_json().to_string()])
        .and_then(|t| Feedback::from_json(&json(&t)?))
        .unwrap_or_else(|| Feedback { correct: false, message: "The mail engine could not grade this yet.".into() })
}

fn answers_json(answers: &[Option<Answered>]) -> String {
    serde_json::to_string(answers).unwrap_or_else(|_| "[]".into())
}

/// (right, graded) over the recorded answers.
pub fn score(a: &Activity, answers: &[Option<Answered>]) -> (usize, usize) {
    let v = call_str("score", &[&a.to_json().to_string(), &answers_json(answers)]).and_then(|t| json(&t));
    let n = |i: usize| v.as_ref().and_then(|v| v.get(i)?.as_u64()).and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
    (n(0), n(1))
}

/// The completion code of the recorded answers.
pub fn completion_code(a: &Activity, answers: &[Option<Answered>]) -> String {
    call_str("completion_code", &[&a.to_json().to_string(), &answers_json(answers)]).unwrap_or_default()
}

/// Whether a task's goal is met in the log of what the learner did.
pub fn check_task(check: &Check, log: &EventLog, actions: &[Action]) -> TaskOutcome {
    call_str("check_task", &[&check.to_json().to_string(), &log.to_jsonl(), &actions_json(actions)])
        .and_then(|t| TaskOutcome::from_json(&json(&t)?))
        .unwrap_or_else(|| TaskOutcome { done: false, detail: "The mail engine could not check this yet.".into() })
}

/// A message taken apart for the inspector: header table and MIME tree (`None` until the
/// engine is here).
pub fn message_tree(raw: &[u8]) -> Option<Inspection> {
    let v = json(&call("message_tree", &[Uint8Array::from(raw).into()])?.as_string()?)?;
    let s = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).map(str::to_string);
    let header = v
        .get("header")?
        .as_array()?
        .iter()
        .filter_map(|h| Some((h.get(0)?.as_str()?.to_string(), h.get(1)?.as_str()?.to_string())))
        .collect();
    let parts = v
        .get("parts")?
        .as_array()?
        .iter()
        .filter_map(|p| {
            Some(PartView {
                depth: usize::try_from(p.get("depth")?.as_u64()?).ok()?,
                content_type: s(p, "content_type")?,
                filename: s(p, "filename"),
                encoding: s(p, "encoding")?,
                size: usize::try_from(p.get("size")?.as_u64()?).ok()?,
                text: s(p, "text"),
            })
        })
        .collect();
    Some(Inspection { header, parts })
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
