//! # mailsim-web: the playground in the browser
//!
//! The UI holds no protocol logic: it runs a scenario in `mailsim-sim` (in wasm), keeps
//! the resulting event log, and renders the prefix of it that the learner has stepped to.
//!
//! ## Layout
//! - [`state`]: the player (scenario, step, play/pause, speed) as a `use_reducer` state
//!   with its `Action` enum, and the URL fragment `#/scenario/<id>/step/<n>`.
//! - [`app`]: the page: header, controls, keyboard, timers, URL sync.
//! - [`diagram`]: the SVG sequence diagram, drawn in a window of rows around the view;
//!   [`layout`]: its lanes and rows, computed once per log and view.
//! - [`inspector`]: a message taken apart: header table, MIME tree, decoded parts, source.
//! - [`learner`]: "Try it yourself": compose, terminal, faults (actions replayed by the sim).
//! - [`states`]: the SMTP, POP3 and IMAP state diagrams with the current state lit.
//! - [`activity`]: in-class activities (`#/activities`, `#/activity/ID/item/N`), presenter
//!   mode and the embed; [`activity::Root`] picks the playground or the activities by URL.
//! - [`engine`]: the page's one door to the engines (scenarios, activities, grading); the
//!   rest of the page reads event logs.
//! - [`data`]: the built-in scenario and activity files, fetched when the page needs them
//!   ([`data::Gate`] holds the page until what its URL needs is at hand).
//! - [`kept`]: the log drawn with a returning learner's actions, kept in local storage so
//!   that the next load draws it before the engines are here.
//! - [`guard`]: the page survives its own faults (a replay that never finished sets the
//!   newest action aside; a panic shows a notice).
//! - [`live`]: the live classroom view (`#/live`): real traffic to `mailsim serve`, as it
//!   happens.
//! - [`panels`]: the details panel (raw bytes, meaning, states) and the world panel
//!   (queues, mailboxes, downloads, connections as of the step).

mod activity;
mod app;
mod data;
mod diagram;
mod engine;
mod growing;
mod guard;
mod inspector;
mod kept;
mod layout;
mod learner;
mod live;
mod panels;
mod state;
mod states;
mod transcript;

fn main() {
    guard::install();
    // The boot script starts the page itself once the first scenario file has arrived too
    // (scripts/externalize-init.mjs); without it, the page starts now and fetches the file.
    let deferred = web_sys::window()
        .and_then(|w| web_sys::js_sys::Reflect::get(&w, &"mailsimDeferStart".into()).ok())
        .is_some_and(|v| v.is_truthy());
    if !deferred {
        start_page();
    }
}

/// Draws the page (once), with the scenario file the boot script fetched, if any.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_page() {
    thread_local!(static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if STARTED.with(|s| s.replace(true)) {
        return;
    }
    data::take_preload();
    yew::Renderer::<data::Gate>::new().render();
}
