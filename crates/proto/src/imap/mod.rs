//! IMAP (RFC 9051 IMAP4rev2, accepting RFC 3501 IMAP4rev1 clients).
//!
//! - [`scram`]: SCRAM-SHA-256 for AUTHENTICATE (RFC 5802, RFC 7677).

pub mod client;
pub mod command;
pub mod fetch;
pub mod scram;
pub mod search;
pub mod server;
