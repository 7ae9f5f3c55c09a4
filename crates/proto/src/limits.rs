//! Every limit the engines enforce, in one place, each with the RFC section that sets (or
//! allows) it and the reply a client gets when it goes past it.
//!
//! A server never holds more than one limit's worth of a client's input: past a line limit
//! the rest of the line is skipped up to its CRLF ([`crate::codec::LineSkip`]), so the next
//! line is read as a fresh command; past the message size the data is dropped up to the
//! end-of-data line and answered with 552.

use std::sync::atomic::{AtomicUsize, Ordering};

/// SMTP: the longest command line, CRLF included (RFC 5321 §4.5.3.1.4). A longer line is
/// answered `500 5.5.2 Line too long` (§4.5.3.1.10 lists "500 Line too long"; 5.5.2 is
/// the enhanced code for a syntax error, RFC 3463 §3.6) and skipped up to its CRLF.
pub const SMTP_COMMAND_LINE: usize = 512;

/// SMTP: the longest text line of mail data, CRLF included (RFC 5321 §4.5.3.1.6). A message
/// with a longer line is refused at its end with `500 5.5.2` (§4.5.3.1.10).
pub const SMTP_TEXT_LINE: usize = 1000;

/// SMTP: the longest line of an AUTH exchange, CRLF included: RFC 4954 §4 raises the
/// command line limit to 12,288 octets for AUTH; longer is `500 5.5.6 Authentication
/// Exchange line is too long` (RFC 4954 §6).
pub const SMTP_AUTH_LINE: usize = 12_288;

/// SMTP: the most recipients of one transaction (RFC 5321 §4.5.3.1.8 asks servers to take
/// at least 100); one more is `452 4.5.3 Too many recipients` (§4.5.3.1.10).
pub const SMTP_MAX_RECIPIENTS: usize = 100;

/// SMTP: the default message size, announced as `SIZE` in EHLO (RFC 1870 §4); a larger
/// message is `552 5.3.4` (RFC 5321 §4.5.3.1.10, RFC 1870 §6). Servers can set their own in
/// `ServerConfig::max_message_size`; the IMAP APPEND literal uses this one.
pub const MESSAGE_SIZE: usize = 10_240_000;

/// POP3: the longest command line, CRLF included (RFC 2449 §4: 255 octets). Longer is
/// `-ERR` and the line is skipped up to its CRLF.
pub const POP3_COMMAND_LINE: usize = 255;

/// IMAP: the longest line of a command, CRLF included, and the most text of one command
/// outside its literals (RFC 9051 §4: the protocol sets no limit, servers must; RFC 7162
/// §4 recommends clients keep lines under 8192 octets). Past it: `tag BAD` (the tag if it
/// could be read, else `*`) and the rest of the line is skipped up to its CRLF.
pub const IMAP_LINE: usize = 8192;

/// The line limits a server that real clients use may raise (`mailsim serve
/// --max-line-length`): process-wide, set once by the driver before any session starts. The
/// simulated world and the page never set them, so they keep [`IMAP_LINE`] and
/// [`POP3_COMMAND_LINE`]. Values below the protocol's minimum, or above [`LINE_MAX`], are refused.
static IMAP_LINE_NOW: AtomicUsize = AtomicUsize::new(IMAP_LINE);
static POP3_LINE_NOW: AtomicUsize = AtomicUsize::new(POP3_COMMAND_LINE);

/// IMAP: the least a server may set its line limit to: RFC 7162 §4 asks clients to keep
/// command lines under about 8192 octets, so a server must take at least that (RFC 2683
/// §3.2.1.5 asked for 8000).
pub const IMAP_LINE_MIN: usize = IMAP_LINE;

/// POP3: the least a server may set its command line limit to (RFC 2449 §4: 255 octets).
pub const POP3_LINE_MIN: usize = POP3_COMMAND_LINE;

/// The most any line limit may be set to (1 MiB): a server holds up to a line of a client's
/// input.
pub const LINE_MAX: usize = 1 << 20;

/// The IMAP line limit in force ([`IMAP_LINE`] unless raised with [`set_imap_line`]).
pub fn imap_line() -> usize {
    IMAP_LINE_NOW.load(Ordering::Relaxed)
}

/// The POP3 command line limit in force ([`POP3_COMMAND_LINE`] unless raised with
/// [`set_pop3_command_line`]).
pub fn pop3_command_line() -> usize {
    POP3_LINE_NOW.load(Ordering::Relaxed)
}

fn set_line(what: &str, at: &AtomicUsize, n: usize, min: usize, why: &str) -> Result<(), String> {
    if !(min..=LINE_MAX).contains(&n) {
        return Err(format!("{what} line limit {n}: it must be {min} octets at least ({why}) and {LINE_MAX} at most"));
    }
    at.store(n, Ordering::Relaxed);
    Ok(())
}

/// Sets the IMAP line limit of every session from now on (see [`imap_line`]).
pub fn set_imap_line(octets: usize) -> Result<(), String> {
    set_line("the IMAP", &IMAP_LINE_NOW, octets, IMAP_LINE_MIN, "RFC 7162 §4")
}

/// Sets the POP3 command line limit of every session from now on (see [`pop3_command_line`]).
pub fn set_pop3_command_line(octets: usize) -> Result<(), String> {
    set_line("the POP3", &POP3_LINE_NOW, octets, POP3_LINE_MIN, "RFC 2449 §4")
}

/// IMAP: the largest literal (RFC 9051 §4.3), which is also the largest APPEND: as large as
/// the largest message SMTP takes. A synchronizing literal over it gets `tag BAD [TOOBIG]`
/// instead of `+` (RFC 9051 §7.5: the client then sends no more of the command); the octets
/// of a non-synchronizing one (LITERAL+, RFC 7888 §4) are read and thrown away.
pub const IMAP_LITERAL: usize = MESSAGE_SIZE;

/// IMAP: how deep parenthesized lists may nest in one command (RFC 9051 §9 sets no limit).
/// Deeper is `tag BAD`: the tokenizer never recurses without bound.
pub const IMAP_NESTING: usize = 64;

/// IMAP: how deep SEARCH keys may nest (OR, NOT and parenthesized groups, RFC 9051
/// §6.4.4). Deeper is `tag BAD`.
pub const SEARCH_NESTING: usize = 64;

/// IMAP: the longest mailbox name CREATE and RENAME accept, in octets (a file name's
/// limit on most file systems, where a Maildir keeps each folder). Longer is
/// `tag NO [LIMIT]` (RFC 5530 §3). It also bounds LIST matching: O(pattern × name).
pub const MAILBOX_NAME: usize = 255;

/// MIME: how deep multiparts and encapsulated messages are taken apart for BODYSTRUCTURE
/// and `BODY[part]` (RFC 2046 §5.1 sets no limit; Dovecot's default is 100). Parts deeper
/// than this are shown as one opaque `APPLICATION/OCTET-STREAM` part.
pub const MIME_DEPTH: usize = 100;

/// MIME: how many parts of one message are taken apart (Dovecot's default is 10,000; mail
/// with more than a thousand parts is made to hurt). Counted cheaply as lines that may start
/// a part (boundary lines and `Content-Type:` fields); what follows the line past the limit
/// stays inside the part it is in (see `message::mime_cut`).
pub const MIME_PARTS: usize = 1000;

/// MIME: how many encapsulated messages (`message/rfc822`, `message/global`) inside each
/// other are taken apart; each is parsed again on its own, so this bounds the work to a few
/// passes over the message. Deeper ones are one opaque part.
pub const MESSAGE_DEPTH: usize = 8;

/// IMAP THREAD=REFERENCES: how many message IDs of a `References:` field are used (the
/// last ones, the nearest ancestors; RFC 5256 §4 sets no limit). More made threading
/// quadratic: the rest are ignored.
pub const THREAD_REFERENCES: usize = 100;

/// IMAP THREAD: how deep a thread tree is nested. A chain of replies deeper than this has
/// its deeper messages shown side by side under the last nested one (RFC 5256 sets no
/// limit; without one, tens of thousands of chained replies overflowed the stack of every
/// walk of the tree).
pub const THREAD_DEPTH: usize = 200;

/// HTTP: the largest request or response body (`Content-Length`) the webmail engines read;
/// larger is `413 Content Too Large` (RFC 9110 §15.5.14).
pub const HTTP_BODY: usize = 1_000_000;
