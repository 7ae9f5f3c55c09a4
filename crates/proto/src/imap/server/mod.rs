//! The server side of one IMAP session (RFC 9051; IMAP4rev1 clients per RFC 3501 accepted).
//!
//! Driven through [`Engine`](crate::engine::Engine) (see its doc for the order):
//! ```text
//! new(config, now) ──> "* OK [CAPABILITY ...]" queued   Not Authenticated
//!   LoggedIn { user } ──> owner calls set_mailbox(INBOX snapshot)   Authenticated
//!   SELECT INBOX                                                     Selected
//!   Stored / Expunged ──> owner writes the change to the store
//!   LOGOUT                                                           Logout
//! ```
//! All responses to one command (untagged data, then the tagged status) leave as one
//! [`Transmit`]: one arrow on the diagram. Continuation requests (`+ ...`) are their own.
//!
//! This file holds the session (state, input loop, dispatch); each group of commands has its
//! handlers in a module: `auth` (STARTTLS, LOGIN, AUTHENTICATE), `folders` (SELECT, LIST,
//! CREATE, STATUS, APPEND, COPY/MOVE... done by the owner), `mailbox` (NOOP, EXPUNGE, CLOSE,
//! IDLE, and the changes other sessions made), `messages` (FETCH, STORE, SEARCH).

mod auth;
#[cfg(test)]
mod condstore_tests;
mod folders;
mod list;
mod mailbox;
mod messages;
mod modseq;
#[cfg(test)]
mod rev1_tests;
#[cfg(test)]
mod tests;

use super::command::{self, Command, Tagged};
use super::response::{Line, Status};
use super::scram::ScramServer;
use super::token::{frame, Frame, Skip};
use crate::codec::Decoded;
use crate::engine::{sasl_shown, Closing, Millis, Server, ServerIo, IMAP_IDLE_TIMEOUT};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use crate::store::StoredMessage;
use std::fmt;

pub use super::folder::{answer_from_store, apply_folder_op, FolderOp, FolderResult};

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub hostname: String,
    /// Offer STARTTLS (modelled).
    pub starttls: bool,
    /// TLS from the first byte (port 993).
    pub implicit_tls: bool,
    /// LOGINDISABLED and no AUTH=PLAIN until TLS (RFC 9051 §6.2.3).
    pub login_requires_tls: bool,
    pub accounts: crate::store::Accounts,
    pub scram_salt: Vec<u8>,
    pub scram_iterations: u32,
    /// This server's part of the SCRAM nonce (from the owner's RNG).
    pub server_nonce: String,
    /// The autologout timer; `None`: never. RFC 9051 §5.4: at least 30 minutes once the
    /// client has logged in.
    pub idle_timeout: Option<Millis>,
}

impl ImapConfig {
    /// A server with STARTTLS, LOGIN only inside TLS, and the 30-minute autologout timer.
    pub fn new(
        hostname: &str,
        accounts: impl Into<crate::store::Accounts>,
        scram_salt: Vec<u8>,
        server_nonce: &str,
    ) -> Self {
        ImapConfig {
            hostname: hostname.into(),
            starttls: true,
            implicit_tls: false,
            login_requires_tls: true,
            accounts: accounts.into(),
            scram_salt,
            scram_iterations: 4096,
            server_nonce: server_nonce.into(),
            idle_timeout: Some(IMAP_IDLE_TIMEOUT),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ImapState {
    NotAuthenticated,
    Authenticated,
    Selected,
    Logout,
}

/// The server's machine (RFC 9051 §3): [`ImapState`] in table form.
pub static MACHINE: StateMachine = StateMachine {
    protocol: "IMAP",
    side: Side::Server,
    title: "IMAP states (RFC 9051)",
    states: &[
        st(
            "Not Authenticated",
            "Not Authenticated",
            "The client must log in (LOGIN or AUTHENTICATE), usually after STARTTLS.",
        ),
        st("Authenticated", "Authenticated", "Logged in: the client selects a mailbox, or manages mailboxes."),
        st("Selected", "Selected", "A mailbox is selected: its messages can be fetched, searched and changed."),
        st("Logout", "Logout", "The session is over: BYE was sent."),
    ],
    from_any: Some((StateId(3), "LOGOUT")),
    entries: &[
        (StateId(0), "OK", "(1) OK greeting: log in first"),
        (StateId(1), "PREAUTH", "(2) PREAUTH greeting: the connection is already authenticated"),
        (StateId(3), "BYE", "(3) BYE greeting: the connection is rejected"),
    ],
    transitions: &[
        main(0, 1, "LOGIN/AUTH"),
        main(1, 2, "SELECT/EXAMINE"),
        main(2, 1, "CLOSE"),
        main(2, 3, "LOGOUT"),
        side(2, 1, "UNSELECT / failed SELECT"),
        side(2, 2, "SELECT (another mailbox)"),
        side(0, 3, "LOGOUT / BYE"),
        side(1, 3, "LOGOUT / BYE"),
        side(2, 3, "BYE (autologout, shutdown)"),
    ],
};

impl ImapState {
    pub fn view(self) -> StateView {
        StateView::new(&MACHINE, StateId(self as u8))
    }
}

impl fmt::Display for ImapState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// The untagged BYE a server sends when it ends a session on its own: an idle client, a
/// service shutting down, or (in place of the greeting) too many connections.
pub fn closing_response(why: Closing) -> Transmit {
    let line = match why {
        Closing::IdleTimeout => "* BYE Autologout; idle for too long",
        Closing::Shutdown => "* BYE [UNAVAILABLE] Server shutting down",
        Closing::Busy => "* BYE [UNAVAILABLE] too many connections, try again later",
    };
    Transmit { bytes: format!("{line}\r\n").into_bytes(), pdu: Pdu::ImapClosing { reason: why, line: line.into() } }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapServerEvent {
    /// Call [`ImapServer::set_mailbox`] with the user's INBOX.
    LoggedIn {
        user: String,
    },
    /// Do `op` on the user's folders and call [`ImapServer::folder_result`].
    Folder {
        user: String,
        op: FolderOp,
    },
    /// A message's flags changed (STORE, or a FETCH of BODY[] setting `\Seen`).
    Stored {
        user: String,
        folder: String,
        uid: u32,
        flags: Vec<String>,
    },
    /// Messages were removed (EXPUNGE, CLOSE, MOVE).
    Expunged {
        user: String,
        folder: String,
        uids: Vec<u32>,
    },
    TlsStarted,
    Closed,
}

/// Where an AUTHENTICATE exchange stands.
#[derive(Debug)]
enum Auth {
    None,
    /// `+` sent after AUTHENTICATE SCRAM-SHA-256: waiting for client-first.
    ScramFirst(String),
    /// server-first sent: waiting for client-final.
    ScramFinal(String, ScramServer),
    /// server-final sent: waiting for the client's empty line.
    ScramDone(String, String),
    /// `+` sent after AUTHENTICATE PLAIN.
    Plain(String),
}

#[derive(Debug)]
pub struct ImapServer {
    config: ImapConfig,
    state: ImapState,
    /// Input, queues, idle timer and TLS: the plumbing every server shares.
    io: ServerIo<ImapServerEvent>,
    user: Option<String>,
    rev2: bool,
    awaiting_mailbox: bool,
    messages: Vec<StoredMessage>,
    uid_validity: u32,
    uid_next: u32,
    read_only: bool,
    auth: Auth,
    /// Changes made by other sessions, to report with the next response (flags, EXISTS).
    pending: Vec<Line>,
    /// Messages other sessions expunged, reported at the next NOOP, EXPUNGE or CLOSE.
    pending_expunge: Vec<u32>,
    /// In IDLE (RFC 2177, RFC 9051 §6.3.13) under this tag: changes are sent at once.
    idling: Option<String>,
    /// The selected folder's name.
    folder: String,
    /// A command waiting for the owner's folder work.
    waiting: Option<(String, Command)>,
    /// The literal we sent a continuation for (position of its line's end).
    continued_at: Option<usize>,
    /// What this session keeps about the selected mailbox beyond its messages (boxed: the
    /// host keeps sessions in an enum, whose variants should stay close in size).
    view: Box<mailbox::View>,
    /// Octets of a too-large non-synchronizing literal still to throw away (an over-long
    /// line is skipped by `io.skip`, see [`crate::limits::IMAP_LINE`]).
    skip_octets: usize,
}

impl Server for ImapServer {
    type Event = ImapServerEvent;
    const CLOSED: ImapServerEvent = ImapServerEvent::Closed;

    fn io(&self) -> &ServerIo<ImapServerEvent> {
        &self.io
    }

    fn io_mut(&mut self) -> &mut ServerIo<ImapServerEvent> {
        &mut self.io
    }

    fn view(&self) -> StateView {
        self.state.view()
    }

    fn closed(&self) -> bool {
        self.state == ImapState::Logout
    }

    fn set_closed(&mut self) {
        self.state = ImapState::Logout;
        self.idling = None;
    }

    fn process(&mut self) {
        self.read_input();
    }

    fn closing(&self, why: Closing) -> Transmit {
        closing_response(why)
    }
}

impl ImapServer {
    /// A new session at `now`: the greeting (with the capabilities) is queued.
    pub fn new(config: ImapConfig, now: Millis) -> Self {
        let mut s = ImapServer {
            io: ServerIo::new(config.idle_timeout, config.implicit_tls, now),
            config,
            state: ImapState::NotAuthenticated,
            user: None,
            rev2: false,
            awaiting_mailbox: false,
            messages: vec![],
            uid_validity: 0,
            uid_next: 1,
            read_only: false,
            auth: Auth::None,
            pending: vec![],
            pending_expunge: vec![],
            idling: None,
            folder: "INBOX".into(),
            waiting: None,
            continued_at: None,
            view: Box::default(),
            skip_octets: 0,
        };
        let caps = s.capabilities();
        let host = s.config.hostname.clone();
        s.respond(vec![format!("* OK [CAPABILITY {caps}] {host} IMAP4rev2 Service Ready").into()], None, "greeting");
        s
    }

    /// The service is stopping: `* BYE [UNAVAILABLE]` and close.
    pub fn shutdown(&mut self, _now: Millis) {
        self.close_with(Closing::Shutdown);
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The folder whose messages this session shows (INBOX until something else is selected).
    pub fn folder(&self) -> &str {
        &self.folder
    }

    /// Sends all `lines` as one response group, then the tagged status if any. News from
    /// other sessions goes first (RFC 9051 §7: untagged data may come with any response).
    fn respond(&mut self, mut lines: Vec<Line>, tagged: Option<(&str, Status, String)>, command: &str) {
        if tagged.is_some() && !self.pending.is_empty() {
            let mut news = std::mem::take(&mut self.pending);
            news.append(&mut lines);
            lines = news;
        }
        let untagged = lines.len();
        // Response text has no control characters, and until the client enables IMAP4rev2 it
        // is 7-bit (RFC 3501 section 9 and RFC 9051 section 9, TEXT-CHAR): what it echoes of
        // the client's own bytes (a verb typed in Latin-1, a NUL, a mailbox name in UTF-8
        // rather than modified UTF-7) is shown with '?' for those.
        let rev2 = self.rev2;
        let shown = |c: char| if c.is_control() || (!rev2 && !c.is_ascii()) { '?' } else { c };
        let status = tagged
            .as_ref()
            .map(|(tag, status, text)| format!("{tag} {status} {}", text.chars().map(shown).collect::<String>()));
        lines.extend(status.clone().map(Line::from));
        let mut bytes = Vec::new();
        lines.iter().for_each(|l| l.encode_into(&mut bytes));
        let first = lines.first().map(Line::to_text).unwrap_or_default();
        let pdu = Pdu::ImapResponse {
            command: command.into(),
            status: status.unwrap_or_else(|| first.clone()),
            untagged: untagged.saturating_sub(usize::from(tagged.is_none())),
            first,
        };
        self.io.transmits.push_back(Transmit { bytes, pdu });
    }

    fn ok(&mut self, tag: &str, command: &str, lines: Vec<Line>, text: String) {
        self.respond(lines, Some((tag, Status::Ok, text)), command)
    }

    fn no(&mut self, tag: &str, command: &str, text: &str) {
        self.respond(vec![], Some((tag, Status::No, text.into())), command)
    }

    fn bad(&mut self, tag: &str, command: &str, text: &str) {
        self.respond(vec![], Some((tag, Status::Bad, text.into())), command)
    }

    fn wrong_state(&mut self, tag: &str, command: &str) {
        let text = format!("{command} is not valid in the {} state", self.state);
        self.bad(tag, command, &text)
    }

    fn continuation(&mut self, text: &str, decoded: &str) {
        let bytes = format!("+ {text}\r\n").into_bytes();
        let pdu = Pdu::ImapContinuation { text: text.into(), decoded: decoded.into() };
        self.io.transmits.push_back(Transmit { bytes, pdu });
    }

    /// Drops what is being skipped (the rest of an over-long line, a refused literal's
    /// octets); `true` while there is more to skip.
    fn skipping(&mut self) -> bool {
        if self.skip_octets > 0 {
            let n = self.skip_octets.min(self.io.inbuf.len());
            self.io.inbuf.consume(n);
            self.skip_octets = self.skip_octets.saturating_sub(n);
            if self.skip_octets > 0 {
                return true;
            }
        }
        self.io.skip.skip_in(&mut self.io.inbuf)
    }

    /// A line (DONE, a SASL response) that has no CRLF within the line limit
    /// ([`crate::limits::imap_line`]) octets: starts
    /// skipping it and returns `true`.
    fn line_too_long(&mut self) -> bool {
        self.io.overlong(crate::limits::imap_line())
    }

    /// Reads what the client sent: the line ending IDLE, a SASL response, or commands.
    fn read_input(&mut self) {
        while self.state != ImapState::Logout && !self.awaiting_mailbox && self.waiting.is_none() {
            if self.skipping() {
                return;
            }
            if let Some(tag) = self.idling.clone() {
                if self.line_too_long() {
                    self.idling = None;
                    self.bad(&tag, "IDLE", "Expected DONE to end IDLE (this line is too long)");
                    continue;
                }
                let Some((bytes, line)) = self.io.next_line() else { return };
                self.io
                    .receive(bytes, Pdu::ImapCommand { tag: String::new(), name: "DONE".into(), line: line.clone() });
                self.idling = None;
                if line.eq_ignore_ascii_case("DONE") {
                    self.ok(&tag, "IDLE", vec![], "IDLE terminated".into());
                } else {
                    self.bad(&tag, "IDLE", "Expected DONE to end IDLE");
                }
                continue;
            }
            if !matches!(self.auth, Auth::None) {
                if self.line_too_long() {
                    let tag = match std::mem::replace(&mut self.auth, Auth::None) {
                        Auth::ScramFirst(t) | Auth::ScramFinal(t, _) | Auth::ScramDone(t, _) | Auth::Plain(t) => t,
                        Auth::None => "*".into(),
                    };
                    let text =
                        format!("Authentication line too long: the limit is {} octets", crate::limits::imap_line());
                    self.bad(&tag, "AUTHENTICATE", &text);
                    continue;
                }
                let Some((bytes, line)) = self.io.next_line() else { return };
                let decoded = sasl_shown(&line);
                self.io.receive(bytes, Pdu::ImapSaslResponse { line: line.clone(), decoded });
                self.on_sasl(&line);
                continue;
            }
            let whole = match frame(&self.io.inbuf) {
                Frame::Whole(n) => n,
                Frame::Partial(literal) => {
                    // A synchronizing literal: say "go ahead" once (RFC 9051 §7.5).
                    if let Some((line_end, true)) = literal {
                        if self.continued_at != Some(line_end) {
                            self.continued_at = Some(line_end);
                            self.continuation("Ready for literal data", "");
                        }
                    }
                    return;
                }
                Frame::Refused { tag, text, consumed, then } => {
                    self.continued_at = None;
                    let dropped: Vec<u8> = self.io.inbuf.take(consumed);
                    match then {
                        Skip::Nothing => {}
                        Skip::RestOfLine => self.io.skip.start(&dropped),
                        Skip::Octets(n) => self.skip_octets = n,
                    }
                    // What the log keeps of it: the start, not megabytes.
                    let shown = dropped.get(..dropped.len().min(80)).unwrap_or_default();
                    let line = format!("{}… ({} octets)", String::from_utf8_lossy(shown).trim_end(), dropped.len());
                    let pdu = Pdu::ImapCommand { tag: tag.clone().unwrap_or_default(), name: String::new(), line };
                    self.io.receive(dropped, pdu);
                    self.bad(tag.as_deref().unwrap_or("*"), "error", &text);
                    continue;
                }
            };
            match command::decode(self.io.inbuf.get(..whole).unwrap_or_default()) {
                Decoded::Complete(t, n) => {
                    self.continued_at = None;
                    let (bytes, line) = self.io.take_line(n);
                    self.io
                        .receive(bytes, Pdu::ImapCommand { tag: t.tag.clone(), name: t.command.name().into(), line });
                    self.on_command(t);
                }
                Decoded::Invalid(e, n) => {
                    let (bytes, line) = self.io.take_line(n);
                    let tag = e.tag.clone().unwrap_or_default();
                    self.io.receive(bytes, Pdu::ImapCommand { tag, name: String::new(), line });
                    let tag = e.tag.unwrap_or_else(|| "*".into());
                    self.bad(&tag, "error", &e.text);
                }
                // Not expected (the frame is whole): never leave the bytes to stall the session.
                Decoded::Incomplete => {
                    self.io.inbuf.consume(whole);
                    self.bad("*", "error", "Command could not be read");
                }
            }
        }
    }

    /// One command: which handler, in which state (RFC 9051 §6: what each state allows).
    /// To add a command: one arm here, its handler in the module of its group.
    fn on_command(&mut self, t: Tagged) {
        use ImapState::*;
        let Tagged { tag, command } = t;
        let name = command.name();
        match (self.state, command) {
            (_, Command::Capability) => {
                let caps = self.capabilities();
                self.ok(&tag, name, vec![format!("* CAPABILITY {caps}").into()], "CAPABILITY completed".into())
            }
            (_, Command::Noop) => self.on_noop(&tag),
            (_, Command::Id) => {
                // RFC 2971 §3.2: the server's own identification.
                let id = "* ID (\"name\" \"Mailsim\" \"vendor\" \"Mailsim e-mail playground\" \"support-url\" \"https://www.rfc-editor.org/rfc/rfc9051\")";
                self.ok(&tag, name, vec![id.into()], "ID completed".into())
            }
            (_, Command::Logout) => self.on_logout(&tag),
            (NotAuthenticated, Command::StartTls) => self.on_starttls(&tag),
            (NotAuthenticated, Command::Login { user, pass }) => self.on_login(&tag, &user, &pass),
            (NotAuthenticated, Command::Authenticate { mechanism, initial }) => {
                self.on_authenticate(&tag, &mechanism, initial)
            }
            (NotAuthenticated, _) => self.wrong_state(&tag, name),
            (_, Command::Login { .. } | Command::Authenticate { .. } | Command::StartTls) => {
                self.wrong_state(&tag, name)
            }
            (Authenticated, Command::Enable(caps)) => self.on_enable(&tag, &caps),
            (_, Command::Enable(_)) => self.wrong_state(&tag, name),
            (_, Command::Namespace) => {
                self.ok(&tag, name, vec!["* NAMESPACE ((\"\" \"/\")) NIL NIL".into()], "NAMESPACE completed".into())
            }
            (Selected, c @ Command::Copy { .. }) => self.on_folder_command(&tag, c),
            (
                _,
                c @ (Command::Select { .. }
                | Command::List { .. }
                | Command::Lsub { .. }
                | Command::GetQuotaRoot(_)
                | Command::GetQuota(_)
                | Command::Create(_)
                | Command::Delete(_)
                | Command::Rename(..)
                | Command::Subscribe(_)
                | Command::Unsubscribe(_)
                | Command::Status(..)
                | Command::Append { .. }),
            ) => self.on_folder_command(&tag, c),
            (Selected, Command::Fetch { uid, set, items, changed_since, vanished, .. }) => {
                self.on_fetch(&tag, uid, &set, &items, changed_since, vanished)
            }
            (Selected, Command::Store { uid, set, mode, silent, flags, unchanged_since }) => {
                self.on_store(&tag, uid, &set, (mode, silent, unchanged_since), &flags)
            }
            (Selected, Command::Search { uid, charset, ret, key }) => {
                self.on_search(&tag, uid, charset.as_deref(), ret, &key)
            }
            (Selected, Command::Expunge) => self.on_expunge(&tag, None),
            (Selected, Command::UidExpunge(set)) => self.on_expunge(&tag, Some(&set)),
            (Selected, Command::Check) => self.ok(&tag, name, vec![], "CHECK completed".into()),
            (Selected, Command::Sort { uid, criteria, key }) => self.on_sort(&tag, uid, &criteria, &key),
            (Selected, Command::Thread { uid, algorithm, key }) => self.on_thread(&tag, uid, &algorithm, &key),
            (Selected, Command::Close) => self.on_close(&tag),
            (Selected, Command::Unselect) => {
                self.state = Authenticated;
                self.ok(&tag, name, vec![], "UNSELECT completed".into())
            }
            (Authenticated | Selected, Command::Idle) => self.on_idle(&tag),
            _ => self.wrong_state(&tag, name),
        }
    }
}
