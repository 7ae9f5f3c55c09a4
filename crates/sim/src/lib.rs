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
//! - [`world`]: the [`World`]: nodes, connections, the agenda, queue runs, DNS.
//! - [`scenario`]: the scenarios by id, each with what it teaches; [`scenario::run`].
//! - [`actions`]: what a learner adds (composed mail, terminal lines, faults), as data.
//! - [`activity`]: in-class activities (questions, predictions, tasks) read from TOML files,
//!   graded against the scenario's log and the learner's actions.
//! - [`diagram`]: pure functions of a log prefix: the sequence diagram model, the
//!   mailbox/queue [`diagram::Snapshot`] as of a step, the transcript, raw-byte views.
//! - [`export`]: Mermaid, PlantUML and pcapng (for Wireshark) from a log.
//! - [`rng`]: SplitMix64, the only randomness.
//!
//! To add a scenario: one entry in `scenario::SCENARIOS`, one function that schedules what
//! the people do, one golden log in `tests/golden/`.

pub mod actions;
pub mod activity;
pub mod diagram;
pub mod export;
pub mod log;
pub mod rng;
pub mod scenario;
pub mod world;

pub use diagram::Diagram;
pub use log::{Event, EventLog};
/// The protocol crate, for views that take a message apart (the inspector).
pub use mailsim_proto as proto;
pub use world::World;
