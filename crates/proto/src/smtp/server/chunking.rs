//! CHUNKING (RFC 3030 §2): `BDAT n [LAST]` is followed by exactly `n` octets of message, with
//! no dot-stuffing and no end line. The server reads the whole chunk before it answers, even
//! when it will refuse it (otherwise the chunk's octets would be read as commands), so an
//! error is decided when the command arrives and sent after the chunk is consumed.
//!
//! The chunks of one transaction are joined by a [`DataReader`] in raw mode: one pass over
//! the octets, the message bounded by the size limit (past it the rest is read and thrown
//! away, and the answer is `552 5.3.4`), the same line checks as DATA unless the body is
//! BINARYMIME (RFC 3030 §3).

use super::{ServerState, SmtpServer};
use crate::pdu::{Pdu, SmtpReplyTo};
use crate::smtp::command::Command;
use crate::smtp::data::DataReader;
use crate::smtp::reply::Reply;

/// The BDAT chunk being read.
#[derive(Debug)]
pub(super) struct Chunk {
    size: u64,
    last: bool,
    /// Octets still to read.
    remaining: u64,
    /// The reply decided when the command came, sent once the chunk is read.
    error: Option<Reply>,
    /// Whether the error ends the open transaction (a transaction was open).
    aborts: bool,
    /// The command line and the chunk as they came, for the log (bounded).
    shown: Vec<u8>,
    /// The state to return to.
    resume: ServerState,
}

/// At most this much of a chunk is shown in the log of what the server read.
const SHOWN: usize = 64 * 1024;

impl SmtpServer {
    /// `BDAT size [LAST]` arrived (its line is `line`): decide now, read the chunk next.
    pub(super) fn on_bdat(&mut self, size: u64, last: bool, line: Vec<u8>) {
        let (error, aborts) = if self.config.rules.refuse_all {
            (Some(Reply::enhanced(521, "5.3.2", format!("{} does not accept mail", self.config.hostname))), false)
        } else {
            match self.state {
                ServerState::RcptTo => (None, false),
                ServerState::MailFrom => (Some(Reply::enhanced(554, "5.5.1", "No valid recipients")), true),
                _ => (
                    Some(Reply::enhanced(
                        503,
                        "5.5.1",
                        "Bad sequence: BDAT needs MAIL FROM and RCPT TO first (the chunk was read and discarded)",
                    )),
                    false,
                ),
            }
        };
        let resume = self.state;
        self.chunk = Some(Chunk { size, last, remaining: size, error, aborts, shown: line, resume });
        self.state = ServerState::Chunk;
    }

    /// Reads what there is of the chunk; `true` when it is complete (and answered).
    pub(super) fn read_chunk(&mut self) -> bool {
        let keep = self.data_keep();
        let Some(chunk) = self.chunk.as_mut() else {
            self.state = ServerState::Ready;
            return true;
        };
        let n = usize::try_from(chunk.remaining).unwrap_or(usize::MAX).min(self.io.inbuf.len());
        let bytes = self.io.inbuf.get(..n).unwrap_or_default();
        if chunk.error.is_none() {
            self.bdat.get_or_insert_with(|| DataReader::new(keep)).feed_raw(bytes);
        }
        let room = SHOWN.saturating_sub(chunk.shown.len());
        chunk.shown.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
        chunk.remaining = chunk.remaining.saturating_sub(n as u64);
        self.io.inbuf.consume(n);
        if chunk.remaining > 0 {
            return false;
        }
        let Some(chunk) = self.chunk.take() else { return true };
        let Chunk { size, last, error, aborts, mut shown, resume, .. } = chunk;
        if usize::try_from(size).map_or(true, |s| s > SHOWN) {
            shown.extend_from_slice(format!("… ({size} octets in all)").as_bytes());
        }
        self.io.receive(shown, Pdu::SmtpCommand(Command::Bdat { size, last }));
        self.state = resume;
        if let Some(reply) = error {
            let to = if last { SmtpReplyTo::EndOfData } else { SmtpReplyTo::Bdat };
            if aborts {
                self.end_transaction();
            }
            self.send(reply, to);
            return true;
        }
        if self.bdat.as_ref().is_some_and(DataReader::dropped) {
            // RFC 3030 §2: the chunk is read, then refused; the message is failed.
            let limit = self.config.max_message_size;
            let r = Reply::enhanced(552, "5.3.4", format!("Message size exceeds fixed limit of {limit} octets"));
            self.send(r, if last { SmtpReplyTo::EndOfData } else { SmtpReplyTo::Bdat });
            self.end_transaction();
            return true;
        }
        if !last {
            let total = self.bdat.as_ref().map_or(0, |r| r.len());
            let r = Reply::enhanced(250, "2.0.0", format!("{size} octets received ({total} so far)"));
            self.send(r, SmtpReplyTo::Bdat);
            return true;
        }
        let md = self.bdat.take().unwrap_or_else(|| DataReader::new(keep)).finish_raw();
        self.on_data(md);
        true
    }
}
