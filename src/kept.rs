//! A returning learner's first draw without waiting for the engines.
//!
//! A built-in scenario the learner added to (actions in local storage) has to be run: its
//! precomputed log is the run without their actions, and running takes the engine module
//! (about 450 KB gzipped, fetched and compiled after the page). So when the page draws a log
//! the engine made with the learner's actions, it keeps that log in local storage with what
//! it depends on ([`keep`]), and the next load draws it at once ([`get`]); the engine comes
//! after the first draw, as for a first-time visitor. When the engine has the scenario, the
//! player runs the stored actions again and draws the engine's log; if it differs from the
//! kept one (it should not: the run is deterministic), that is noted in the console when it
//! is kept again.
//!
//! A kept log is drawn only if all of these hold (else the page waits for the engine, as
//! before):
//! - the page and the engine are the build that kept it (`window.mailsimEngine.build`, a hash
//!   of every wasm and JS file of the build, scripts/externalize-init.mjs);
//! - the scenario's file is the same (its version in the index, a hash of its text);
//! - the learner's stored actions (`mailsim.actions.ID`, `[[action]]` TOML) are, byte for
//!   byte, those it was made with;
//! - no action is set aside and no replay of this scenario is pending (the crash recovery's
//!   marker, [`crate::guard`]): after a crash the page takes the engine's path, which sets the
//!   newest action aside. Drawing a kept log arms the marker as a replay does, so a log that
//!   crashed the page is not drawn again.
//!
//! The record is read and written in JavaScript (src/engine.js, `kept_*`: the boot script
//! reads it too, before the page's wasm has started, to fetch what the first draw needs):
//! `mailsim.kept.ID`, a first line `mailsim-kept/1 VERSION BUILD`, the stored actions it was
//! made with (their TOML, as a JSON string), the actions as JSON, the log as JSON lines.
//! Bounded: one log is kept, the last drawn with the learner's actions (a learner comes back
//! to where they were), of at most a million characters (the class of 200, 10,000 events, is
//! never kept). It is a cache: when local storage is full, the learner's actions and an
//! opened log win ([`forget_all`], then they are written again), and a log that does not fit
//! is not kept.

use mailsim_sim::actions::{self, Action};
use mailsim_sim::{scenario, EventLog};
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(module = "/src/engine.js")]
extern "C" {
    fn kept_read(id: &str, version: &str) -> Option<String>;
    /// Forgets what was kept, then keeps this (if `actions` is not empty and it fits). A kept
    /// log of the same build, scenario version and actions that is not `log` (it should not
    /// be) is noted in the console: the player has just drawn the engine's.
    fn kept_write(id: &str, version: &str, actions: &str, log: &str);
}

/// Forgets the kept log (local storage is full, and the learner's own data needs the room).
pub fn forget_all() {
    kept_write("", "", "", "");
}

/// A log with more events is not kept (the class of 200 has about 10,000).
const MAX_EVENTS: usize = 2000;

/// A kept log, with the learner's actions it was made with.
pub struct Kept {
    pub actions: Rc<Vec<Action>>,
    pub log: Rc<EventLog>,
}

/// The log kept for built-in scenario `id`, if it is what the engine would make now with the
/// learner's stored actions (see the module's doc).
pub fn get(id: &str) -> Option<Kept> {
    let text = kept_read(id, scenario::entry(id)?.version)?;
    let (list, log) = text.split_once('\n')?;
    let list: serde_json::Value = serde_json::from_str(list).ok()?;
    let actions = actions::from_json(&list);
    if actions.is_empty() || list.as_array().map(Vec::len) != Some(actions.len()) {
        return None;
    }
    Some(Kept { actions: Rc::new(actions), log: Rc::new(EventLog::from_jsonl(log).ok()?) })
}

/// Keeps `log`, which the engine made for built-in scenario `id` with the learner's `actions`,
/// those stored now; no actions (or too long a log): forgets what was kept.
pub fn keep(id: &str, actions: &[Action], log: &EventLog) {
    let Some(entry) = scenario::entry(id) else { return };
    if actions.is_empty() || log.events.len() > MAX_EVENTS {
        kept_write(id, entry.version, "", "");
    } else {
        kept_write(id, entry.version, &actions::to_json(actions).to_string(), &log.to_jsonl());
    }
}
