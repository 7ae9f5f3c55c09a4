//! State machines as data: each engine's state enum carries its machine as a table of
//! states and transitions (in the spirit of h11, whose diagrams are drawn from its tables).
//!
//! One table serves three readers:
//! - the engine's `Display` (the state text written to the event log as `from_state` and
//!   `to_state`) is [`StateView`]'s `Display`, which reads the text from the table;
//! - [`StateMachine::find`] maps a logged text back to its state, from the same table, so
//!   the text and the lookup cannot drift apart;
//! - the page draws the diagram from [`StateMachine::states`] and
//!   [`StateMachine::transitions`] and lights the state it found.
//!
//! A state's `text` may hold one `{n}` (a number, e.g. `sending RETR {n}, then downloading`).
//! A *sub-state* (`part_of`) is a short wait inside another state (the server checking a
//! password, or waiting for its owner's decision): it is drawn and lit as that state.

use std::fmt;

/// An index into [`StateMachine::states`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateId(pub u8);

impl StateId {
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Which end of a connection a machine describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    /// A program that speaks the protocol for its user (user agent, relay client).
    Client,
    /// A person typing at a terminal.
    Terminal,
}

/// One state of a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    /// A short name for the diagram, e.g. `MAIL` or `TRANSACTION`.
    pub label: &'static str,
    /// The text the engine shows (and the log stores), with at most one `{n}`.
    pub text: &'static str,
    /// One sentence for the learner.
    pub description: &'static str,
    /// A sub-state is drawn and lit as this state.
    pub part_of: Option<StateId>,
}

/// One transition: in `from`, `trigger` (a command, a reply, an owner's decision) leads to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: StateId,
    pub to: StateId,
    pub trigger: &'static str,
    /// Part of the small summary diagram the page draws (the main path of the dialog).
    pub drawn: bool,
}

/// A protocol's state machine for one side of a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct StateMachine {
    /// `SMTP`, `POP3`, `IMAP`, `HTTP`: as [`crate::Pdu::protocol`] names it.
    pub protocol: &'static str,
    pub side: Side,
    /// The diagram's caption, e.g. `POP3 states (RFC 1939)`.
    pub title: &'static str,
    pub states: &'static [State],
    pub transitions: &'static [Transition],
    /// A state every other state reaches with this command (RFC 9051 §3's (7): LOGOUT from any
    /// state), drawn as one arrow under the boxes; each such transition is in `transitions`.
    pub from_any: Option<(StateId, &'static str)>,
    /// Where the server's first words put a new connection, when they choose among states
    /// (RFC 9051 §3: an OK greeting, PREAUTH or BYE): the state, the greeting, and what it
    /// means. Empty where a connection has one way in. Drawn as arrows from "server greeting".
    pub entries: &'static [(StateId, &'static str, &'static str)],
}

impl StateMachine {
    /// The state `id` names (a `StateId` comes from the machine's own table; one that does
    /// not is shown as an unknown state rather than a panic).
    pub fn state(&self, id: StateId) -> &State {
        static UNKNOWN: State = st("?", "unknown state", "This machine has no such state.");
        self.states.get(id.index()).unwrap_or(&UNKNOWN)
    }

    /// The state a logged text means (the inverse of [`StateView`]'s `Display`).
    pub fn find(&'static self, text: &str) -> Option<StateView> {
        self.states.iter().enumerate().find_map(|(i, s)| {
            let id = StateId(i as u8);
            match s.text.split_once("{n}") {
                None => (s.text == text).then_some(StateView { machine: self, id, n: None }),
                Some((pre, post)) => {
                    let digits = text.strip_prefix(pre)?.strip_suffix(post)?;
                    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    Some(StateView { machine: self, id, n: Some(digits.parse().ok()?) })
                }
            }
        })
    }

    /// The state drawn for `id`: itself, or the state it is a part of.
    pub fn drawn_as(&self, id: StateId) -> StateId {
        self.state(id).part_of.unwrap_or(id)
    }

    /// The states the summary diagram draws, in order.
    pub fn drawn_states(&self) -> impl Iterator<Item = (StateId, &State)> {
        self.states.iter().enumerate().filter(|(_, s)| s.part_of.is_none()).map(|(i, s)| (StateId(i as u8), s))
    }

    /// The transitions the summary diagram draws.
    pub fn drawn_transitions(&self) -> impl Iterator<Item = &Transition> {
        self.transitions.iter().filter(|t| t.drawn)
    }
}

/// Where an engine stands: a state of its machine (and the number, for a `{n}` text).
/// `Display` gives exactly the text the engine has always shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateView {
    pub machine: &'static StateMachine,
    pub id: StateId,
    pub n: Option<u64>,
}

impl StateView {
    pub fn new(machine: &'static StateMachine, id: StateId) -> Self {
        StateView { machine, id, n: None }
    }

    pub fn with_n(machine: &'static StateMachine, id: StateId, n: u64) -> Self {
        StateView { machine, id, n: Some(n) }
    }

    pub fn state(&self) -> &'static State {
        self.machine.state(self.id)
    }

    pub fn label(&self) -> &'static str {
        self.state().label
    }
}

impl fmt::Display for StateView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.state().text;
        match text.split_once("{n}") {
            Some((pre, post)) => write!(f, "{pre}{}{post}", self.n.unwrap_or(0)),
            None => f.write_str(text),
        }
    }
}

/// Shorthand for the tables: a state without sub-state.
pub(crate) const fn st(label: &'static str, text: &'static str, description: &'static str) -> State {
    State { label, text, description, part_of: None }
}

/// A sub-state of state number `of`.
pub(crate) const fn sub(label: &'static str, text: &'static str, description: &'static str, of: u8) -> State {
    State { label, text, description, part_of: Some(StateId(of)) }
}

/// A transition that the summary diagram draws.
pub(crate) const fn main(from: u8, to: u8, trigger: &'static str) -> Transition {
    Transition { from: StateId(from), to: StateId(to), trigger, drawn: true }
}

/// A transition that only the full table lists.
pub(crate) const fn side(from: u8, to: u8, trigger: &'static str) -> Transition {
    Transition { from: StateId(from), to: StateId(to), trigger, drawn: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbered_text_is_found_with_its_number() {
        static M: StateMachine = StateMachine {
            protocol: "X",
            side: Side::Client,
            title: "x",
            states: &[st("a", "waiting", ""), st("b", "sent #{n}: waiting", "")],
            from_any: None,
            entries: &[],
            transitions: &[main(0, 1, "go")],
        };
        let v = M.find("sent #12: waiting").unwrap();
        assert_eq!((v.id, v.n, v.label()), (StateId(1), Some(12), "b"));
        assert_eq!(v.to_string(), "sent #12: waiting");
        assert_eq!(M.find("sent #: waiting"), None);
        assert_eq!(M.find("sent #1x: waiting"), None);
        assert_eq!(M.find("waiting").map(|v| v.id), Some(StateId(0)));
        assert_eq!(M.find("listening"), None);
    }
}
