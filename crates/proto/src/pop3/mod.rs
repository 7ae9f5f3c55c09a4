//! POP3 (RFC 1939, CAPA and response codes per RFC 2449): codecs and engines.
//!
//! - [`command`]: one command line ⇄ [`Command`]; [`explain`]: what commands and responses mean.
//! - [`response`]: `+OK`/`-ERR` status lines and multi-line responses ⇄ [`Response`]
//!   (byte-stuffing shared with SMTP's mail data, [`crate::smtp::data`]).
//! - [`server`]: [`Pop3Server`], AUTHORIZATION → TRANSACTION → UPDATE.
//! - [`client`]: [`Pop3Client`], a user agent that downloads (and deletes) every message.
//! - [`typed`]: [`typed::Pop3Typed`], a person typing commands at a terminal.
//! - [`apop`]: the APOP digest and the store lookup that checks it.

pub mod apop;
pub mod client;
pub mod command;
pub mod explain;
pub mod response;
pub mod server;
pub mod typed;

pub use apop::{apop_digest, login_apop};
pub use client::{Pop3Client, Pop3ClientEvent, Pop3ClientState, Pop3Job};
pub use command::{Command, MAX_COMMAND_LINE};
pub use response::Response;
pub use server::{closing_response, Pop3Config, Pop3Server, Pop3ServerEvent, Pop3State};
