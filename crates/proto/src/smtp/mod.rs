//! SMTP (RFC 5321): codecs for commands and replies, and the client and server engines.
//!
//! - [`command`]: one command line ⇄ [`Command`]; [`explain`]: what commands and replies mean.
//! - [`reply`]: one (possibly multi-line) reply ⇄ [`Reply`].
//! - [`params`]: MAIL and RCPT parameters (SIZE, BODY, SMTPUTF8, DSN's RET, ENVID, NOTIFY, ORCPT).
//! - [`data`]: the mail data between `354` and the line holding only `.` (dot-stuffing).
//! - [`server`]: [`SmtpServer`], the receiving side of one connection.
//! - [`client`]: [`SmtpClient`], the sending side of one connection, for one message.
//! - [`typed`]: [`typed::TypedSession`], a person typing commands at a terminal.
//! - [`phase`]: which phase of the dialog (handshake, transfer, closure) a unit opens.

pub mod client;
pub mod command;
pub mod data;
pub mod explain;
pub mod params;
pub mod phase;
pub mod reply;
pub mod server;
pub mod typed;

pub use client::{ClientEvent, ClientState, SmtpClient, SmtpJob};
pub use command::{Command, MAX_COMMAND_LINE};
pub use data::MAX_TEXT_LINE;
pub use params::{Body, MailParams, Notify, RcptParams, Ret};
pub use phase::{phase_of, Phase};
pub use reply::Reply;
pub use server::{
    closing_reply, postmaster_mailbox, ReceivedMessage, Role, ServerConfig, ServerEvent, ServerState, SmtpRules,
    SmtpServer,
};
