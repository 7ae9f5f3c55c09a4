//! A person typing POP3 commands (`telnet mail.bob.example 110`), one line per response,
//! as in the lecture's POP3 example. The client knows from each command whether its
//! positive answer is multi-line (RFC 1939 §3).

use super::command::{self, Command};
use super::response;
use crate::codec::Decoded;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, st, Side, StateId, StateMachine, StateView};
use std::collections::VecDeque;

/// What the terminal tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3TypedEvent {
    /// The server answered QUIT: close the connection.
    Closed,
}

/// The terminal's machine.
pub static MACHINE: StateMachine = StateMachine {
    protocol: "POP3",
    side: Side::Terminal,
    title: "POP3 at a terminal",
    states: &[
        st(
            "waiting",
            "terminal: waiting for the server's response",
            "A person types the next line once the response is complete.",
        ),
        st("over", "terminal: session over", "The server answered QUIT."),
    ],
    from_any: None,
    entries: &[],
    transitions: &[main(0, 1, "QUIT answered")],
};

#[derive(Debug)]
pub struct Pop3Typed {
    lines: VecDeque<String>,
    multiline: bool,
    after_quit: bool,
    /// The server's last line was a SASL challenge (`+ ...`): the next line typed answers it.
    in_sasl: bool,
    done: bool,
    input: response::ResponseReader,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Pop3TypedEvent>,
}

impl Engine for Pop3Typed {
    type Event = Pop3TypedEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        self.input.push(bytes);
        while !self.done {
            match self.input.next(self.multiline) {
                Decoded::Complete(r, _) => {
                    self.in_sasl = r.challenge;
                    if self.after_quit {
                        self.done = true;
                        self.events.push_back(Pop3TypedEvent::Closed);
                        return;
                    }
                    self.type_next();
                }
                Decoded::Invalid(..) => {
                    self.in_sasl = false;
                    if self.after_quit {
                        self.done = true;
                        self.events.push_back(Pop3TypedEvent::Closed);
                        return;
                    }
                    self.type_next();
                }
                Decoded::Incomplete => return,
            }
        }
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.done = true;
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<Pop3TypedEvent> {
        self.events.pop_front()
    }

    fn state(&self) -> StateView {
        StateView::new(&MACHINE, StateId(u8::from(self.done)))
    }

    fn is_closed(&self) -> bool {
        self.done
    }
}

impl Pop3Typed {
    pub fn new(lines: Vec<String>) -> Self {
        Pop3Typed {
            lines: lines.into(),
            multiline: false,
            after_quit: false,
            in_sasl: false,
            done: false,
            input: Default::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    fn type_next(&mut self) {
        let Some(line) = self.lines.pop_front() else { return };
        let bytes = format!("{line}\r\n").into_bytes();
        if self.in_sasl {
            self.multiline = false;
            let pdu = Pdu::Pop3Command(Command::SaslResponse(line));
            return self.transmits.push_back(Transmit { bytes, pdu });
        }
        let pdu = match command::decode(&bytes) {
            Decoded::Complete(cmd, _) => {
                self.multiline = cmd.expects_multiline();
                self.after_quit = cmd == Command::Quit;
                Pdu::Pop3Line { cmd, line }
            }
            _ => {
                self.multiline = false;
                Pdu::Pop3Typed { line }
            }
        };
        self.transmits.push_back(Transmit { bytes, pdu });
    }
}
