//! IMAP (RFC 9051 IMAP4rev2, accepting RFC 3501 IMAP4rev1 clients).
//!
//! - [`command`]: the command codec (tagged lines, quoted strings, lists, synchronizing and
//!   LITERAL+ literals), with `Incomplete` while a literal is still arriving.
//! - [`server`]: the server engine (states, mailbox view, session sync, IDLE); [`client`]: the
//!   scripted client used by user agents and webmail.
//! - [`fetch`]: ENVELOPE, BODYSTRUCTURE, sections and dates; [`search`]: SEARCH criteria.
//! - [`scram`]: SCRAM-SHA-256 for AUTHENTICATE (RFC 5802, RFC 7677).
//!
//! ## What is hand-written, and why not imap-codec
//! The codec and the engine are hand-written. `imap-codec`/`imap-types` 1.0 were tried: they
//! build for wasm32, but they implement the IMAP4rev1 grammar (no ESEARCH, NAMESPACE,
//! LIST-EXTENDED RETURN or STATUS SIZE, all of which a rev2 server sends), their parse errors
//! do not say what the learner typed wrong (we answer `BAD` with the expected syntax), and a
//! typed response would still need a printer that reproduces the exact bytes for the raw view.
//! Instead `imap-codec` is the independent referee: `crates/sim/tests/imap_codec.rs` re-parses
//! every greeting, response and command of every scenario with it, and lists which messages
//! belong to the extensions it lacks.

pub mod client;
pub mod command;
pub mod explain;
pub mod fetch;
pub mod flag;
pub mod folder;
pub mod response;
pub mod scram;
pub mod search;
pub mod sequence;
pub mod server;
pub mod token;
