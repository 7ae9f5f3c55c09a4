//! IMAP (RFC 9051 IMAP4rev2, accepting RFC 3501 IMAP4rev1 clients).
//!
//! - [`token`], [`command`]: the command codec (tagged lines, quoted strings, lists,
//!   synchronizing and LITERAL+ literals), with `Incomplete` while a literal is still arriving.
//! - [`response`]: response lines as the server builds them, literals carried as octets.
//! - [`explain`]: what each command and response means, for the learner.
//! - [`server`]: the server engine: the session in `server/mod.rs`, the handlers by group
//!   (`auth`, `folders`, `mailbox`, `messages`); [`folder`]: the folder work its owner does.
//! - [`client`]: the scripted client used by user agents and webmail.
//! - [`fetch`]: FETCH items, ENVELOPE, BODYSTRUCTURE, sections and dates; [`search`]: SEARCH
//!   criteria; [`flag`]: system flags; [`sequence`]: sequence sets.
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

pub mod address;
pub mod binary;
pub mod client;
pub mod command;
pub mod condstore;
pub mod explain;
pub mod fetch;
pub mod flag;
pub mod folder;
pub mod list_args;
pub mod response;
pub mod scram;
pub mod search;
pub mod sequence;
pub mod server;
pub mod sort;
pub mod token;
