//! A person typing POP3 commands (`telnet mail.bob.example 110`), one line per response,
//! as in the lecture's POP3 example. The client knows from each command whether its
//! positive answer is multi-line (RFC 1939 §3).

use super::command::{self, Command};
use super::response;
use crate::pdu::{Pdu, Transmit};
use crate::Decoded;
use std::collections::VecDeque;

#[derive(Debug)]
pub struct Pop3Typed {
    lines: VecDeque<String>,
    multiline: bool,
    after_quit: bool,
    done: bool,
    inbuf: Vec<u8>,
    transmits: VecDeque<Transmit>,
}

impl Pop3Typed {
    pub fn new(lines: Vec<String>) -> Self {
        Pop3Typed {
            lines: lines.into(),
            multiline: false,
            after_quit: false,
            done: false,
            inbuf: vec![],
            transmits: VecDeque::new(),
        }
    }

    pub fn state(&self) -> &'static str {
        if self.done {
            "terminal: session over"
        } else {
            "terminal: waiting for the server's response"
        }
    }

    /// True once the server answered QUIT: close the connection.
    pub fn is_done(&self) -> bool {
        self.done
    }

    pub fn handle_input(&mut self, bytes: &[u8]) {
        self.inbuf.extend_from_slice(bytes);
        while !self.done {
            match response::decode(&self.inbuf, self.multiline) {
                Decoded::Complete(_, n) | Decoded::Invalid(_, n) => {
                    self.inbuf.drain(..n);
                    if self.after_quit {
                        self.done = true;
                        return;
                    }
                    self.type_next();
                }
                Decoded::Incomplete => return,
            }
        }
    }

    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn type_next(&mut self) {
        let Some(line) = self.lines.pop_front() else { return };
        let bytes = format!("{line}\r\n").into_bytes();
        let pdu = match command::decode(&bytes) {
            Decoded::Complete(cmd, _) => {
                self.multiline = cmd.expects_multiline();
                self.after_quit = cmd == Command::Quit;
                Pdu::Pop3Command(cmd)
            }
            _ => {
                self.multiline = false;
                Pdu::Pop3Typed { line }
            }
        };
        self.transmits.push_back(Transmit { bytes, pdu });
    }
}
