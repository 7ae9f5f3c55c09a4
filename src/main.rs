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
//!
//! ## Two builds of one page
//! This bin, `mailsim-web`, is the player's first download: without the feature `full`
//! (`data-cargo-no-default-features` in index.html), the activities' and the live view's
//! views are not linked, and an address that needs them hands the page over to
//! `mailsim-full` (src/full.rs: the same sources, `src/page.rs`, with `full`), which the boot
//! script loads instead when the page is opened there (scripts/externalize-init.mjs).

// The player links neither the activities' views nor the live view: what only they call is
// not used in it (src/page.rs).
#![cfg_attr(not(feature = "full"), allow(dead_code, unused_imports))]

include!("page.rs");
