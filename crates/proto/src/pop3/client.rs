//! A POP3 user agent session (RFC 1939): log in, look at the maildrop, download every
//! message and (in download-and-delete mode) delete it, then QUIT so the deletions happen.
//! In download-and-keep mode it asks UIDL for the unique-ids and downloads only messages
//! whose id it has not seen before (RFC 1939 §7: what UIDL is for).
//!
//! Driven through [`Engine`], like every engine.

use super::command::Command;
use super::response::{self, Response};
use crate::codec::Decoded;
use crate::engine::{Engine, Millis};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use std::collections::VecDeque;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Job {
    pub user: String,
    pub pass: String,
    /// Download-and-delete (true) or download-and-keep (false).
    pub delete: bool,
    /// Download-and-keep: the unique-ids already downloaded in earlier sessions.
    pub known: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3ClientEvent {
    /// Message `number` of the maildrop was downloaded; `uid` is its UIDL unique-id when
    /// the session asked for them (download-and-keep).
    Retrieved { number: u32, data: Vec<u8>, uid: Option<String> },
    /// The server refused the login.
    LoginFailed { text: String },
    /// The session is over: close the connection.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3ClientState {
    AwaitGreeting,
    AwaitUser,
    AwaitPass,
    AwaitStat,
    AwaitList,
    AwaitUidl,
    AwaitRetr(u32),
    AwaitDele(u32),
    AwaitQuit,
    Done,
}

/// The client's machine: [`Pop3ClientState`] in table form.
pub static MACHINE: StateMachine = StateMachine {
    protocol: "POP3",
    side: Side::Client,
    title: "POP3 user agent",
    states: &[
        st("greeting", "connected: waiting for +OK greeting", "Connected; the server speaks first."),
        st("USER", "sending USER, then waiting", "The client sends the user name."),
        st("PASS", "sending PASS, then waiting", "The client sends the password."),
        st("STAT", "sending STAT, then waiting", "How many messages, how big?"),
        st("LIST", "sending LIST, then waiting for the scan listing", "The size of each message."),
        st("UIDL", "sending UIDL: which messages are new?", "Download-and-keep: the unique-ids tell what is new."),
        st("RETR", "sending RETR {n}, then downloading", "Message n is downloaded."),
        st("DELE", "sending DELE {n}, then waiting", "Message n is marked for deletion."),
        st("QUIT", "sending QUIT, then waiting", "The session ends; the server removes what was marked."),
        st("done", "done: connection closing", "The session is over."),
    ],
    from_any: None,
    entries: &[],
    transitions: &[
        main(0, 1, "+OK"),
        main(1, 2, "+OK"),
        main(2, 3, "+OK"),
        main(3, 4, "+OK"),
        main(4, 6, "+OK"),
        main(6, 7, "+OK (download and delete)"),
        main(7, 6, "+OK (next message)"),
        main(7, 8, "+OK (no message left)"),
        main(8, 9, "+OK"),
        side(4, 5, "+OK (download and keep)"),
        side(5, 6, "+OK"),
        side(6, 6, "+OK (keep, next message)"),
        side(2, 8, "-ERR (login refused)"),
    ],
};

impl Pop3ClientState {
    pub fn view(self) -> StateView {
        use Pop3ClientState::*;
        let v = |i| StateView::new(&MACHINE, StateId(i));
        match self {
            AwaitGreeting => v(0),
            AwaitUser => v(1),
            AwaitPass => v(2),
            AwaitStat => v(3),
            AwaitList => v(4),
            AwaitUidl => v(5),
            AwaitRetr(n) => StateView::with_n(&MACHINE, StateId(6), n.into()),
            AwaitDele(n) => StateView::with_n(&MACHINE, StateId(7), n.into()),
            AwaitQuit => v(8),
            Done => v(9),
        }
    }
}

impl fmt::Display for Pop3ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

#[derive(Debug)]
pub struct Pop3Client {
    job: Pop3Job,
    state: Pop3ClientState,
    expect_multiline: bool,
    input: response::ResponseReader,
    /// Message numbers still to download, from the LIST response.
    todo: VecDeque<u32>,
    /// Unique-ids by message number, from UIDL (download-and-keep).
    uids: Vec<(u32, String)>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Pop3ClientEvent>,
}

impl Engine for Pop3Client {
    type Event = Pop3ClientEvent;

    fn handle_input(&mut self, _now: Millis, bytes: &[u8]) {
        self.input.push(bytes);
        while self.state != Pop3ClientState::Done {
            match self.input.next(self.expect_multiline) {
                Decoded::Complete(r, _) => {
                    self.on_response(r);
                }
                Decoded::Invalid(..) => {
                    self.send(Command::Quit, Pop3ClientState::AwaitQuit);
                }
                Decoded::Incomplete => return,
            }
        }
    }

    fn handle_timeout(&mut self, _now: Millis) {}

    fn handle_close(&mut self, _now: Millis) {
        self.state = Pop3ClientState::Done;
        self.input.clear();
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<Pop3ClientEvent> {
        self.events.pop_front()
    }

    fn state(&self) -> StateView {
        self.state.view()
    }

    fn is_closed(&self) -> bool {
        self.state == Pop3ClientState::Done
    }
}

impl Pop3Client {
    pub fn new(job: Pop3Job) -> Self {
        Pop3Client {
            job,
            state: Pop3ClientState::AwaitGreeting,
            expect_multiline: false,
            input: Default::default(),
            todo: VecDeque::new(),
            uids: Vec::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    fn send(&mut self, cmd: Command, next: Pop3ClientState) {
        self.expect_multiline = cmd.expects_multiline();
        self.transmits.push_back(Transmit { bytes: cmd.encode(), pdu: Pdu::Pop3Command(cmd) });
        self.state = next;
    }

    fn next_message(&mut self) {
        match self.todo.pop_front() {
            Some(n) => self.send(Command::Retr(n), Pop3ClientState::AwaitRetr(n)),
            None => self.send(Command::Quit, Pop3ClientState::AwaitQuit),
        }
    }

    fn on_response(&mut self, r: Response) {
        use Pop3ClientState::*;
        match self.state {
            AwaitGreeting if r.ok => self.send(Command::User(self.job.user.clone()), AwaitUser),
            AwaitUser if r.ok => self.send(Command::Pass(self.job.pass.clone()), AwaitPass),
            AwaitPass if r.ok => self.send(Command::Stat, AwaitStat),
            AwaitPass | AwaitUser => {
                self.events.push_back(Pop3ClientEvent::LoginFailed { text: r.text });
                self.send(Command::Quit, AwaitQuit);
            }
            AwaitStat if r.ok => self.send(Command::List(None), AwaitList),
            AwaitList if r.ok => {
                let body = r.body.unwrap_or_default();
                self.todo = String::from_utf8_lossy(&body)
                    .lines()
                    .filter_map(|l| l.split(' ').next().and_then(|n| n.parse().ok()))
                    .collect();
                if self.job.delete || self.todo.is_empty() {
                    self.next_message();
                } else {
                    self.send(Command::Uidl(None), AwaitUidl);
                }
            }
            AwaitUidl => {
                // "n unique-id" lines; keep only the messages not downloaded before. A server
                // without UIDL (-ERR) gets everything downloaded again, as real clients do.
                if r.ok {
                    let body = r.body.unwrap_or_default();
                    self.uids = String::from_utf8_lossy(&body)
                        .lines()
                        .filter_map(|l| l.split_once(' '))
                        .filter_map(|(n, u)| Some((n.parse().ok()?, u.trim().to_string())))
                        .collect();
                    let (uids, known) = (&self.uids, &self.job.known);
                    self.todo.retain(|n| !uids.iter().any(|(m, u)| m == n && known.contains(u)));
                }
                self.next_message();
            }
            AwaitRetr(n) => {
                if r.ok {
                    let uid = self.uids.iter().find(|(m, _)| *m == n).map(|(_, u)| u.clone());
                    self.events.push_back(Pop3ClientEvent::Retrieved {
                        number: n,
                        data: r.body.unwrap_or_default(),
                        uid,
                    });
                    if self.job.delete {
                        return self.send(Command::Dele(n), AwaitDele(n));
                    }
                }
                self.next_message();
            }
            AwaitDele(_) => self.next_message(),
            AwaitQuit => {
                self.state = Done;
                self.events.push_back(Pop3ClientEvent::Closed);
            }
            Done => {}
            _ => self.send(Command::Quit, AwaitQuit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pop3::server::{Pop3Config, Pop3Server, Pop3ServerEvent};
    use crate::store::StoredMessage;

    #[test]
    fn downloads_and_deletes_everything_against_the_real_server() {
        let mut c = Pop3Client::new(Pop3Job { user: "bob".into(), pass: "pw".into(), delete: true, known: vec![] });
        let mut s = Pop3Server::new(Pop3Config::new("mail.bob.example"), 0);
        let mut commands = Vec::new();
        let mut events = Vec::new();
        let mut committed = None;
        for _ in 0..50 {
            while let Some(t) = s.poll_transmit() {
                c.handle_input(0, &t.bytes);
            }
            while let Some(t) = c.poll_transmit() {
                commands.push(String::from_utf8(t.bytes.clone()).unwrap());
                s.handle_input(0, &t.bytes);
            }
            while let Some(e) = s.poll_event() {
                match e {
                    Pop3ServerEvent::LoginRequested { .. } => s.grant(vec![
                        StoredMessage { uid: 1, data: b"Subject: one\r\n\r\n.dot\r\n".to_vec(), ..Default::default() },
                        StoredMessage { uid: 2, data: b"Subject: two\r\n\r\nx\r\n".to_vec(), ..Default::default() },
                    ]),
                    Pop3ServerEvent::Commit { deleted, .. } => committed = Some(deleted),
                    Pop3ServerEvent::Closed | Pop3ServerEvent::TlsStarted => {}
                    Pop3ServerEvent::ApopRequested { .. } => s.deny("[AUTH] not used here"),
                }
            }
            events.extend(std::iter::from_fn(|| c.poll_event()));
        }
        assert_eq!(
            commands.concat(),
            "USER bob\r\nPASS pw\r\nSTAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n"
        );
        assert_eq!(
            events[0],
            Pop3ClientEvent::Retrieved { number: 1, data: b"Subject: one\r\n\r\n.dot\r\n".to_vec(), uid: None }
        );
        assert_eq!(events.last(), Some(&Pop3ClientEvent::Closed));
        assert_eq!(committed, Some(vec![1, 2]));
    }

    #[test]
    fn download_and_keep_fetches_only_what_uidl_says_is_new() {
        let mut c =
            Pop3Client::new(Pop3Job { user: "bob".into(), pass: "pw".into(), delete: false, known: vec!["u1".into()] });
        c.handle_input(0, b"+OK hi\r\n+OK send PASS\r\n+OK 2 messages\r\n+OK 2 messages\r\n+OK\r\n1 10\r\n2 20\r\n.\r\n+OK\r\n1 u1\r\n2 u2\r\n.\r\n+OK 20 octets\r\nSubject: two\r\n\r\n.\r\n+OK bye\r\n");
        let sent: Vec<_> = std::iter::from_fn(|| c.poll_transmit()).map(|t| t.bytes).collect();
        assert_eq!(
            String::from_utf8(sent.concat()).unwrap(),
            "USER bob\r\nPASS pw\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 2\r\nQUIT\r\n",
            "no RETR 1, no DELE"
        );
        assert_eq!(
            c.poll_event(),
            Some(Pop3ClientEvent::Retrieved {
                number: 2,
                data: b"Subject: two\r\n\r\n".to_vec(),
                uid: Some("u2".into())
            })
        );
    }

    #[test]
    fn a_refused_login_quits() {
        let mut c = Pop3Client::new(Pop3Job { user: "bob".into(), pass: "pw".into(), delete: true, known: vec![] });
        c.handle_input(0, b"+OK hi\r\n+OK send PASS\r\n-ERR [AUTH] wrong\r\n");
        let sent: Vec<_> = std::iter::from_fn(|| c.poll_transmit()).map(|t| t.bytes).collect();
        assert_eq!(sent.concat(), b"USER bob\r\nPASS pw\r\nQUIT\r\n");
        assert_eq!(c.poll_event(), Some(Pop3ClientEvent::LoginFailed { text: "[AUTH] wrong".into() }));
    }
}
