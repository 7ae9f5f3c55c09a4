//! Shared by the activity tests: a scripted learner that acts like the page records it.

#![allow(dead_code)]

use mailsim_sim::actions::{Action, Fault, ReadMode, SubmitMode};
use mailsim_sim::activity::{check_task, Check};
use mailsim_sim::log::{Event, EventLog};
use mailsim_sim::scenario;

/// A learner acting in a scenario the way the page records it: a terminal or a composed
/// message starts a second after the end of the log so far; a fault happens just after the
/// last message (the page puts it at the current step).
pub struct Learner {
    pub scenario: String,
    pub actions: Vec<Action>,
}

impl Learner {
    pub fn new(scenario: &str) -> Self {
        Learner { scenario: scenario.into(), actions: vec![] }
    }

    pub fn log(&self) -> EventLog {
        scenario::run_with(&self.scenario, &self.actions).expect("a scenario")
    }

    fn end(&self) -> u64 {
        self.log().events.iter().map(Event::time).max().unwrap_or(0)
    }

    pub fn terminal(mut self, client: &str, host: &str, port: u16, lines: &[&str]) -> Self {
        let at = self.end() + 1000;
        self.actions.push(Action::Terminal {
            at,
            client: client.into(),
            host: host.into(),
            port,
            lines: lines.iter().map(|l| l.to_string()).collect(),
        });
        self
    }

    pub fn compose(mut self, sender: &str, to: &str, cc: &str, bcc: &str, subject: &str, read: ReadMode) -> Self {
        let at = self.end() + 1000;
        self.actions.push(Action::Compose {
            at,
            sender: sender.into(),
            to: to.into(),
            cc: cc.into(),
            bcc: bcc.into(),
            subject: subject.into(),
            body: "Hi,\n\nsee you soon.\n".into(),
            attachment: None,
            submit: SubmitMode::Plain587,
            read,
        });
        self
    }

    /// A fault at virtual time `at` (the page: the time of the step the learner is on).
    pub fn fault_at(mut self, at: u64, server: &str, fault: Fault) -> Self {
        self.actions.push(Action::Fault { at, server: server.into(), fault });
        self
    }

    /// A fault right after the last event so far.
    pub fn fault(self, server: &str, fault: Fault) -> Self {
        let at = self.end() + 1;
        self.fault_at(at, server, fault)
    }

    pub fn check(&self, c: &Check) -> (bool, String) {
        let o = check_task(c, &self.log(), &self.actions);
        (o.done, o.detail)
    }
}

pub const BY_HAND: &[&str] = &[
    "HELO laptop",
    "MAIL FROM:<alice@alice.example>",
    "RCPT TO:<bob@bob.example>",
    "DATA",
    "From: Alice <alice@alice.example>",
    "To: Bob <bob@bob.example>",
    "Subject: typed by hand",
    "",
    "Hello Bob, I typed this.",
    ".",
    "QUIT",
];

/// Log in to IMAP (after STARTTLS, which the playground's servers want before a password) and wait in IDLE.
pub const IDLE: &[&str] = &["a starttls", "b login bob bob-pw", "c select inbox", "d idle"];
