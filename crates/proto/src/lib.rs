//! # mailsim-proto: the e-mail protocols, as code a student can read
//!
//! Wire codecs, the RFC 5322 message format, the mailbox store and *sans-IO* engines for
//! SMTP (RFC 5321, submission per RFC 6409), POP3 (RFC 1939), IMAP (RFC 9051, see [`imap`]),
//! HTTP/1.x for webmail and the DNS messages used to
//! find a domain's mail exchanger (RFC 1035, MX per RFC 5321 §5.1). No clock, no randomness,
//! no I/O: an engine is fed bytes with `handle_input` and drained with `poll_transmit` and
//! `poll_event`; whatever needs the time or an identifier gets it as an argument.
//!
//! ## Layout
//! - [`smtp::command`], [`smtp::reply`]: SMTP codecs (bytes ⇄ typed commands and replies).
//! - [`smtp::server`], [`smtp::client`]: the SMTP engines.
//! - [`pop3::command`], [`pop3::response`], [`pop3::server`], [`pop3::client`]: the same for POP3.
//! - [`http`]: HTTP/1.x codec and engines (web-based e-mail, RFC 9110/9112).
//! - [`dns`]: DNS query and response messages in RFC 1035 wire format (MX, A).
//! - [`message`]: building and reading RFC 5322 messages, `Received:` trace fields, dates.
//! - [`store`]: accounts and their mailboxes (messages with UIDs), shared by POP3 and delivery.
//! - [`pdu`]: [`Transmit`], what every engine hands back for the wire: the exact bytes plus
//!   a typed description from which the diagram label and the explanation (with its RFC
//!   section) are derived.
//!
//! To add an SMTP command: one variant and one parser arm in `smtp::command`, one arm in
//! `smtp::server::SmtpServer::on_command`, one explanation in `pdu`, one test.
//!
//! ## Why the codecs are hand-written
//! SMTP and POP3 commands are single CRLF-terminated lines and their grammars are a few
//! productions each; the teaching view needs things general-purpose parsers do not give:
//! a distinct `Incomplete` for every prefix, the exact reply (code, enhanced status code and
//! a helpful text naming the expected syntax) for every kind of bad input, and typed values
//! whose `Display` is the wire form. `smtp-proto` and `pop3-codec` were considered; the
//! former's server-side parser errors do not carry the helpful texts we show, and the
//! latter pulls in `nom` for a grammar of ten verbs. MIME messages are built with
//! `mail-builder` and taken apart with `mail-parser` (see [`message`]); the plain header
//! fields of the lecture's first message are written by hand so every byte is predictable.

pub mod codec;
pub mod dns;
pub mod engine;
pub mod explain;
pub mod http;
pub mod imap;
pub mod machines;
pub mod message;
pub mod pdu;
pub mod pop3;
pub mod service;
pub mod smtp;
pub mod state;
pub mod store;

pub use codec::{visible_bytes, Decoded};
pub use engine::{Closing, Engine, Millis};
pub use pdu::{Explanation, Pdu, Transmit};
pub use state::{StateMachine, StateView};
