//! # mailsim-sim: the deterministic mail world
//!
//! A whole mail system in memory: user agents, mail servers with mailboxes and outgoing
//! queues, a DNS server, and the network between them, driven by a virtual clock and a
//! seeded RNG. The protocol engines come from `mailsim-proto`; this crate only moves their
//! bytes and acts on their events. The same scenario gives the same log, byte for byte,
//! natively and in wasm32.
//!
//! ## Layout
//! - [`log`]: the append-only [`EventLog`], the single source of truth (JSON lines).
//! - [`host`]: the [`host::MailHost`], one mail server *sans-IO*: its store, policy,
//!   outgoing queue and protocol sessions. It returns what should happen (log, resolve,
//!   relay, wake at, drain a session) and never sees the world; `mailsim serve` runs the
//!   very same host on real sockets.
//! - [`world`]: the [`World`]: the agenda (virtual clock), the network (TCP connections with
//!   latency, DNS datagrams), and the nodes that carry out what hosts return: user agents
//!   (`world/agent.rs`), mail servers (a host each), the DNS server and web servers.
//! - [`scenario`]: scenarios as data. `scenarios/*.toml` at the top of the repository are
//!   compiled in (`scenario::SCENARIOS`, [`scenario::run`]; the page fetches them instead,
//!   feature `fetch-data`, and keeps their [`scenario::index`]); [`scenario::load()`] reads any
//!   file into a checked [`scenario::Scenario`] or a located [`scenario::LoadError`].
//!   Inside: `load` (parsing, errors with line and column), `reader` and `format` (taking
//!   the TOML tree apart key by key), `cast` (actors, the standard cast as data, `[actor.ID]`),
//!   `resolve` and `acts` (checks that need the whole file; one file per concern), `stage`
//!   (builds and runs the world; the RNG is drawn in file order), `builtin` (the compiled-in
//!   files). docs/scenarios.md is the format, for instructors.
//! - [`actions`]: what a learner adds (composed mail, terminal lines, faults), as data: JSON
//!   for the page's storage, `[[action]]` tables to save a playground as a scenario file.
//! - [`activity`]: in-class activities (questions, predictions, tasks) read from TOML files,
//!   graded against the scenario's log and the learner's actions.
//! - [`diagram`]: pure functions of a log prefix: the sequence diagram model, the
//!   mailbox/queue [`diagram::Snapshot`] as of a step, the transcript, raw-byte views.
//! - [`export`]: Mermaid, PlantUML and pcapng (for Wireshark) from a log.
//! - [`rng`]: SplitMix64, the only randomness.
//!
//! To add a scenario: write `scenarios/ID.toml` (docs/scenarios.md is the guide), list it in
//! `scenario/builtin.rs`, and bless its golden log in `tests/golden/`
//! (`BLESS=1 cargo test -p mailsim-sim --test golden`).
//!
//! Scenario files are parsed with the `toml` crate, its parser only: its tree keeps every
//! value's place in the file, which gives every error a line and column. The tables are read
//! by hand rather than with serde's derives, which cost the page about 150 KB (gzipped); the
//! few `[[action]]` tables the page writes come from [`actions::to_toml`].

/// Items of the feature `engine` (the world, scenario loading and running, activities); the
/// feature `model` alone builds the log, the diagram model, the exports and the scenario index.
macro_rules! engine {
    ($($item:item)*) => { $( #[cfg(feature = "engine")] $item )* };
}

pub mod actions;
pub mod activity;
pub mod diagram;
pub mod export;
#[cfg(feature = "engine")]
pub mod host;
pub mod log;
pub mod rng;
pub mod scenario;
#[cfg(feature = "engine")]
pub mod world;

pub use diagram::Diagram;
pub use log::{Event, EventLog};
/// The protocol crate, for views that take a message apart (the inspector).
pub use mailsim_proto as proto;
#[cfg(feature = "engine")]
pub use world::World;
