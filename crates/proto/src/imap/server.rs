//! The server side of one IMAP session (RFC 9051; IMAP4rev1 clients per RFC 3501 accepted).
//!
//! Driven through [`Engine`] (see its doc for the order):
//! ```text
//! new(config, now) ──> "* OK [CAPABILITY ...]" queued   Not Authenticated
//!   LoggedIn { user } ──> owner calls set_mailbox(INBOX snapshot)   Authenticated
//!   SELECT INBOX                                                     Selected
//!   Stored / Expunged ──> owner writes the change to the store
//!   LOGOUT                                                           Logout
//! ```
//! All responses to one command (untagged data, then the tagged status) leave as one
//! [`Transmit`]: one arrow on the diagram. Continuation requests (`+ ...`) are their own.

use super::command::{self, Command, StoreMode, Tagged};
use super::fetch::{self, FetchItem};
use super::flag::{flag_order, SYSTEM_FLAGS};
use super::scram::ScramServer;
use super::search;
use super::sequence;
use crate::codec::{find_crlf, Decoded};
use crate::engine::{Closing, Engine, IdleTimer, Millis, IMAP_IDLE_TIMEOUT};
use crate::pdu::{Pdu, Transmit};
use crate::state::{main, side, st, Side, StateId, StateMachine, StateView};
use crate::store::StoredMessage;
use base64::Engine as _;
use std::collections::VecDeque;
use std::fmt;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub hostname: String,
    /// Offer STARTTLS (modelled).
    pub starttls: bool,
    /// TLS from the first byte (port 993).
    pub implicit_tls: bool,
    /// LOGINDISABLED and no AUTH=PLAIN until TLS (RFC 9051 §6.2.3).
    pub login_requires_tls: bool,
    pub accounts: Vec<(String, String)>,
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
    pub fn new(hostname: &str, accounts: Vec<(String, String)>, scram_salt: Vec<u8>, server_nonce: &str) -> Self {
        ImapConfig {
            hostname: hostname.into(),
            starttls: true,
            implicit_tls: false,
            login_requires_tls: true,
            accounts,
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
    transitions: &[
        main(0, 1, "LOGIN/AUTH"),
        main(1, 2, "SELECT"),
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

/// Folder work the engine asks its owner to do (the owner keeps the mailbox store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderOp {
    Select(String),
    List,
    Create(String),
    Delete(String),
    Rename(String, String),
    Status(String),
    Append {
        folder: String,
        flags: Vec<String>,
        message: Vec<u8>,
    },
    /// Copy these UIDs of the selected folder to `to`.
    Copy {
        from: String,
        uids: Vec<u32>,
        to: String,
    },
}

/// The owner's answer to a [`FolderOp`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderResult {
    /// The folder's messages, UIDVALIDITY and UIDNEXT.
    Selected(Vec<StoredMessage>, u32, u32),
    List(Vec<String>),
    /// MESSAGES, UNSEEN, UIDNEXT, UIDVALIDITY.
    /// MESSAGES, UNSEEN, UIDNEXT, UIDVALIDITY, SIZE (octets), DELETED.
    Status(usize, usize, u32, u32, u64, usize),
    /// UIDVALIDITY of the target and the new UID(s).
    Appended(u32, u32),
    Copied(u32, Vec<(u32, u32)>),
    Done,
    NoSuchFolder,
    AlreadyExists,
}

/// Carries out a [`FolderOp`] on the store: the one place that maps IMAP folder work to the
/// mailbox store, shared by every driver (the simulated world, `mailsim serve`, tests).
pub fn apply_folder_op(
    store: &mut crate::store::MailStore,
    user: &str,
    op: &FolderOp,
    internal_date: i64,
) -> FolderResult {
    match op {
        FolderOp::Select(f) => match store.folder(user, f) {
            Some(m) => FolderResult::Selected(m.messages.clone(), m.uid_validity, m.uid_next),
            None => FolderResult::NoSuchFolder,
        },
        FolderOp::List => FolderResult::List(store.folder_names(user)),
        FolderOp::Create(f) => {
            if store.create_folder(user, f) {
                FolderResult::Done
            } else {
                FolderResult::AlreadyExists
            }
        }
        FolderOp::Delete(f) => {
            if store.delete_folder(user, f) {
                FolderResult::Done
            } else {
                FolderResult::NoSuchFolder
            }
        }
        FolderOp::Rename(a, b) => {
            if store.folder(user, b).is_some() {
                FolderResult::AlreadyExists
            } else if store.rename_folder(user, a, b) {
                FolderResult::Done
            } else {
                FolderResult::NoSuchFolder
            }
        }
        FolderOp::Status(f) => match store.folder(user, f) {
            Some(m) => {
                let count = |flag: &str| m.messages.iter().filter(|x| x.flags.iter().any(|f| f == flag)).count();
                let size = m.messages.iter().map(|x| x.data.len() as u64).sum();
                FolderResult::Status(
                    m.messages.len(),
                    m.messages.len() - count("\\Seen"),
                    m.uid_next,
                    m.uid_validity,
                    size,
                    count("\\Deleted"),
                )
            }
            None => FolderResult::NoSuchFolder,
        },
        FolderOp::Append { folder, flags, message } => {
            match store.append(user, folder, message.clone(), flags, internal_date) {
                Some(uid) => {
                    FolderResult::Appended(store.folder(user, folder).map(|m| m.uid_validity).unwrap_or(0), uid)
                }
                None => FolderResult::NoSuchFolder,
            }
        }
        FolderOp::Copy { from, uids, to } => match store.copy(user, from, uids, to) {
            Some(pairs) => FolderResult::Copied(store.folder(user, to).map(|m| m.uid_validity).unwrap_or(0), pairs),
            None => FolderResult::NoSuchFolder,
        },
    }
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
    inbuf: Vec<u8>,
    tls: bool,
    user: Option<String>,
    rev2: bool,
    awaiting_mailbox: bool,
    messages: Vec<StoredMessage>,
    uid_validity: u32,
    uid_next: u32,
    read_only: bool,
    auth: Auth,
    /// Changes made by other sessions, to report with the next response (flags, EXISTS).
    pending: Vec<String>,
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
    received: VecDeque<Transmit>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ImapServerEvent>,
    idle: IdleTimer,
}

impl Engine for ImapServer {
    type Event = ImapServerEvent;

    fn handle_input(&mut self, now: Millis, bytes: &[u8]) {
        if self.state == ImapState::Logout {
            return;
        }
        self.idle.touch(now);
        self.inbuf.extend_from_slice(bytes);
        self.process();
    }

    /// After the autologout timer: `* BYE Autologout` and close (RFC 9051 §5.4).
    fn handle_timeout(&mut self, now: Millis) {
        if self.idle.expired(now) {
            self.close_with(Closing::IdleTimeout);
        }
    }

    fn handle_close(&mut self, _now: Millis) {
        self.state = ImapState::Logout;
        self.inbuf.clear();
        self.idling = None;
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    fn poll_received(&mut self) -> Option<Transmit> {
        self.received.pop_front()
    }

    fn poll_event(&mut self) -> Option<ImapServerEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Millis> {
        if self.state == ImapState::Logout {
            None
        } else {
            self.idle.deadline()
        }
    }

    fn state(&self) -> StateView {
        self.state.view()
    }

    fn is_closed(&self) -> bool {
        self.state == ImapState::Logout
    }
}

impl ImapServer {
    /// A new session at `now`: the greeting (with the capabilities) is queued.
    pub fn new(config: ImapConfig, now: Millis) -> Self {
        let mut s = ImapServer {
            idle: IdleTimer::new(config.idle_timeout, now),
            tls: config.implicit_tls,
            config,
            state: ImapState::NotAuthenticated,
            inbuf: vec![],
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
            received: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        };
        let caps = s.capabilities();
        let host = s.config.hostname.clone();
        s.respond(vec![format!("* OK [CAPABILITY {caps}] {host} IMAP4rev2 Service Ready")], None, "greeting");
        s
    }

    /// The service is stopping: `* BYE [UNAVAILABLE]` and close.
    pub fn shutdown(&mut self, _now: Millis) {
        self.close_with(Closing::Shutdown);
    }

    fn close_with(&mut self, why: Closing) {
        if self.state == ImapState::Logout {
            return;
        }
        self.transmits.push_back(closing_response(why));
        self.state = ImapState::Logout;
        self.inbuf.clear();
        self.idling = None;
        self.events.push_back(ImapServerEvent::Closed);
    }

    /// The INBOX of the user who just logged in (and its UIDVALIDITY and UIDNEXT).
    pub fn set_mailbox(&mut self, messages: Vec<StoredMessage>, uid_validity: u32, uid_next: u32) {
        self.messages = messages;
        self.uid_validity = uid_validity;
        self.uid_next = uid_next;
        self.awaiting_mailbox = false;
        self.process();
    }

    /// The logged-in user, if any.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The folder whose messages this session shows (INBOX until something else is selected).
    pub fn folder(&self) -> &str {
        &self.folder
    }

    fn ask(&mut self, tag: &str, command: Command, op: FolderOp) {
        self.waiting = Some((tag.to_string(), command));
        let user = self.user.clone().unwrap_or_default();
        self.events.push_back(ImapServerEvent::Folder { user, op });
    }

    /// The owner did the folder work asked for: finish the waiting command.
    pub fn folder_result(&mut self, result: FolderResult) {
        let Some((tag, command)) = self.waiting.take() else { return };
        let name = command.name();
        let ok = |s: &mut Self, lines: Vec<String>, text: String| s.respond(lines, Some((&tag, "OK", text)), name);
        let no = |s: &mut Self, text: String| s.respond(vec![], Some((&tag, "NO", text)), name);
        match (command, result) {
            (Command::Select { mailbox, read_only }, FolderResult::Selected(messages, validity, next)) => {
                self.messages = messages;
                self.uid_validity = validity;
                self.uid_next = next;
                self.pending.clear();
                self.pending_expunge.clear();
                self.folder = if mailbox.eq_ignore_ascii_case("INBOX") { "INBOX".into() } else { mailbox.clone() };
                self.state = ImapState::Selected;
                self.read_only = read_only;
                let mut lines = vec![
                    format!("* {} EXISTS", self.messages.len()),
                    format!("* FLAGS ({})", SYSTEM_FLAGS.join(" ")),
                    format!("* OK [PERMANENTFLAGS ({} \\*)] Flags permitted", SYSTEM_FLAGS.join(" ")),
                    format!("* OK [UIDVALIDITY {}] UIDs valid", self.uid_validity),
                    format!("* OK [UIDNEXT {}] Predicted next UID", self.uid_next),
                ];
                if self.rev2 {
                    lines.push(format!("* LIST () \"/\" {}", self.folder));
                } else {
                    lines.push("* 0 RECENT".into());
                }
                let mode = if read_only { "READ-ONLY" } else { "READ-WRITE" };
                ok(self, lines, format!("[{mode}] {name} completed"))
            }
            (Command::Select { mailbox, .. }, _) => {
                self.state = ImapState::Authenticated;
                no(self, format!("[NONEXISTENT] Mailbox {mailbox} does not exist"))
            }
            (Command::List { reference, pattern, special_use_only, subscribed }, FolderResult::List(names)) => {
                // RFC 9051 §6.3.9: the reference is prefixed to the pattern; "*" matches
                // anything, "%" anything but the hierarchy delimiter "/".
                let full = format!("{reference}{pattern}");
                let lines = names
                    .iter()
                    .filter(|n| list_match(&full, n))
                    .filter_map(|n| {
                        let special = match n.as_str() {
                            "Sent" => " \\Sent",
                            "Trash" => " \\Trash",
                            _ => "",
                        };
                        if special_use_only && special.is_empty() {
                            return None;
                        }
                        // A simplification: there are no unsubscribed mailboxes here (SUBSCRIBE and
                        // UNSUBSCRIBE are accepted), so SUBSCRIBED marks every mailbox.
                        let sub = if subscribed { " \\Subscribed" } else { "" };
                        Some(format!("* LIST (\\HasNoChildren{sub}{special}) \"/\" {}", astring(n)))
                    })
                    .collect();
                ok(self, lines, "LIST completed".into())
            }
            (
                Command::Status(mailbox, items),
                FolderResult::Status(messages, unseen, next, validity, size, deleted),
            ) => {
                let parts: Vec<String> = items
                    .iter()
                    .filter_map(|i| match i.as_str() {
                        "MESSAGES" => Some(format!("MESSAGES {messages}")),
                        "UNSEEN" => Some(format!("UNSEEN {unseen}")),
                        "UIDNEXT" => Some(format!("UIDNEXT {next}")),
                        "UIDVALIDITY" => Some(format!("UIDVALIDITY {validity}")),
                        "SIZE" => Some(format!("SIZE {size}")),
                        "DELETED" => Some(format!("DELETED {deleted}")),
                        "RECENT" => Some("RECENT 0".to_string()),
                        _ => None,
                    })
                    .collect();
                ok(self, vec![format!("* STATUS {mailbox} ({})", parts.join(" "))], "STATUS completed".into())
            }
            (Command::Append { .. }, FolderResult::Appended(validity, uid)) => {
                ok(self, vec![], format!("[APPENDUID {validity} {uid}] APPEND completed"))
            }
            (Command::Copy { is_move, .. }, FolderResult::Copied(validity, pairs)) => {
                let olds: Vec<String> = pairs.iter().map(|(o, _)| o.to_string()).collect();
                let news: Vec<String> = pairs.iter().map(|(_, n)| n.to_string()).collect();
                let code = format!("[COPYUID {validity} {} {}]", olds.join(","), news.join(","));
                let mut lines = Vec::new();
                if is_move {
                    let moved: Vec<u32> = pairs.iter().map(|(o, _)| *o).collect();
                    let mut i = 0;
                    while i < self.messages.len() {
                        if moved.contains(&self.messages[i].uid) {
                            self.messages.remove(i);
                            lines.push(format!("* {} EXPUNGE", i + 1));
                        } else {
                            i += 1;
                        }
                    }
                    let (user, folder) = (self.user.clone().unwrap_or_default(), self.folder.clone());
                    self.events.push_back(ImapServerEvent::Expunged { user, folder, uids: moved });
                    // RFC 6851 §4.4: the COPYUID code travels in an untagged OK for MOVE.
                    lines.insert(0, format!("* OK {code} Moved"));
                    ok(self, lines, format!("{name} completed"))
                } else {
                    ok(self, lines, format!("{code} {name} completed"))
                }
            }
            (Command::Append { .. } | Command::Copy { .. }, FolderResult::NoSuchFolder) => {
                no(self, "[TRYCREATE] The target mailbox does not exist: CREATE it first".into())
            }
            (Command::Create(_) | Command::Rename(..), FolderResult::AlreadyExists) => {
                no(self, "[ALREADYEXISTS] A mailbox with that name exists already".into())
            }
            (_, FolderResult::NoSuchFolder) => no(self, "[NONEXISTENT] No such mailbox".into()),
            (_, _) => ok(self, vec![], format!("{name} completed")),
        }
        self.process();
    }

    /// The mailbox as the store has it now (other sessions may have changed it): the
    /// differences are reported to this client as untagged responses (RFC 9051 §5.2, §7.5).
    pub fn refresh(&mut self, latest: &[StoredMessage]) {
        if self.user.is_none() || self.awaiting_mailbox {
            return;
        }
        let selected = self.state == ImapState::Selected;
        for (i, m) in self.messages.iter_mut().enumerate() {
            match latest.iter().find(|l| l.uid == m.uid) {
                Some(l) if l.flags != m.flags => {
                    m.flags = l.flags.clone();
                    if selected {
                        self.pending.push(format!("* {} FETCH (FLAGS {})", i + 1, Self::flags_list(&m.flags)));
                    }
                }
                None if !self.pending_expunge.contains(&m.uid) => self.pending_expunge.push(m.uid),
                _ => {}
            }
        }
        let known = self.messages.iter().map(|m| m.uid).max().unwrap_or(0).max(self.uid_next.saturating_sub(1));
        let new: Vec<StoredMessage> = latest.iter().filter(|l| l.uid > known).cloned().collect();
        if !new.is_empty() {
            self.uid_next = new.iter().map(|m| m.uid + 1).max().unwrap_or(self.uid_next);
            self.messages.extend(new);
            if selected {
                self.pending.push(format!("* {} EXISTS", self.messages.len()));
            }
        }
        if self.idling.is_some() {
            // In IDLE the client hears about changes as they happen, expunges included.
            let mut lines = self.take_expunges();
            lines.append(&mut self.pending);
            if !lines.is_empty() {
                self.respond(lines, None, "IDLE");
            }
        }
    }

    /// Reports expunges made elsewhere (only where message numbers may change).
    fn take_expunges(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for uid in std::mem::take(&mut self.pending_expunge) {
            if let Some(i) = self.messages.iter().position(|m| m.uid == uid) {
                self.messages.remove(i);
                if self.state == ImapState::Selected {
                    lines.push(format!("* {} EXPUNGE", i + 1));
                }
            }
        }
        lines
    }

    fn capabilities(&self) -> String {
        let mut c = vec!["IMAP4rev1", "IMAP4rev2"];
        if self.config.starttls && !self.tls {
            c.push("STARTTLS");
        }
        c.push("AUTH=SCRAM-SHA-256");
        if self.tls || !self.config.login_requires_tls {
            c.push("AUTH=PLAIN");
        } else {
            c.push("LOGINDISABLED");
        }
        if self.state != ImapState::NotAuthenticated {
            c.extend(["ENABLE", "IDLE", "UNSELECT", "NAMESPACE", "ESEARCH", "LITERAL+"]);
        }
        c.join(" ")
    }

    /// Sends all `lines` as one response group; `tagged` = (tag, "OK"/"NO"/"BAD", text).
    fn respond(&mut self, mut lines: Vec<String>, tagged: Option<(&str, &str, String)>, command: &str) {
        if tagged.is_some() && !self.pending.is_empty() {
            let mut news = std::mem::take(&mut self.pending);
            news.append(&mut lines);
            lines = news;
        }
        let untagged = lines.len();
        let status = tagged.as_ref().map(|(tag, status, text)| format!("{tag} {status} {text}"));
        lines.extend(status.clone());
        let bytes: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
        let pdu = Pdu::ImapResponse {
            command: command.into(),
            status: status.unwrap_or_else(|| lines[0].clone()),
            untagged: untagged.saturating_sub(usize::from(tagged.is_none())),
            first: lines[0].clone(),
        };
        self.transmits.push_back(Transmit { bytes, pdu });
    }

    fn continuation(&mut self, text: &str, decoded: &str) {
        let bytes = format!("+ {text}\r\n").into_bytes();
        self.transmits
            .push_back(Transmit { bytes, pdu: Pdu::ImapContinuation { text: text.into(), decoded: decoded.into() } });
    }

    fn process(&mut self) {
        while self.state != ImapState::Logout && !self.awaiting_mailbox && self.waiting.is_none() {
            if let Some(tag) = self.idling.clone() {
                let Some(n) = find_crlf(&self.inbuf) else { return };
                let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                let line = String::from_utf8_lossy(&bytes[..n - 2]).into_owned();
                self.received.push_back(Transmit {
                    bytes,
                    pdu: Pdu::ImapCommand { tag: String::new(), name: "DONE".into(), line: line.clone() },
                });
                self.idling = None;
                if line.eq_ignore_ascii_case("DONE") {
                    self.respond(vec![], Some((&tag, "OK", "IDLE terminated".into())), "IDLE");
                } else {
                    self.respond(vec![], Some((&tag, "BAD", "Expected DONE to end IDLE".into())), "IDLE");
                }
                continue;
            }
            if !matches!(self.auth, Auth::None) {
                let Some(n) = find_crlf(&self.inbuf) else { return };
                let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                let line = String::from_utf8_lossy(&bytes[..n - 2]).into_owned();
                let decoded = B64
                    .decode(line.trim())
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).replace('\0', "\\0"))
                    .unwrap_or_default();
                self.received.push_back(Transmit { bytes, pdu: Pdu::ImapSaslResponse { line: line.clone(), decoded } });
                self.on_sasl(&line);
                continue;
            }
            match command::decode(&self.inbuf) {
                Decoded::Complete(t, n) => {
                    self.continued_at = None;
                    let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                    let line = String::from_utf8_lossy(&bytes[..n - 2]).into_owned();
                    self.received.push_back(Transmit {
                        bytes,
                        pdu: Pdu::ImapCommand { tag: t.tag.clone(), name: t.command.name().into(), line },
                    });
                    self.on_command(t);
                }
                Decoded::Invalid(e, n) => {
                    let bytes: Vec<u8> = self.inbuf.drain(..n).collect();
                    let line = String::from_utf8_lossy(&bytes[..n - 2]).into_owned();
                    self.received.push_back(Transmit {
                        bytes,
                        pdu: Pdu::ImapCommand { tag: e.tag.clone().unwrap_or_default(), name: String::new(), line },
                    });
                    let tag = e.tag.unwrap_or_else(|| "*".into());
                    self.respond(vec![], Some((&tag, "BAD", e.text)), "error");
                }
                Decoded::Incomplete => {
                    if let Some((n, sync, line_end)) = command::pending_literal(&self.inbuf) {
                        if n > 1_000_000 {
                            self.inbuf.clear();
                            return self.respond(vec![], Some(("*", "BAD", "Literal too large".into())), "error");
                        }
                        // A synchronizing literal: say "go ahead" once (RFC 9051 §7.5).
                        if sync && self.continued_at != Some(line_end) {
                            self.continued_at = Some(line_end);
                            self.continuation("Ready for literal data", "");
                        }
                        return;
                    }
                    if self.inbuf.len() > 8192 {
                        self.inbuf.clear();
                        self.respond(vec![], Some(("*", "BAD", "Command line too long".into())), "error");
                    }
                    return;
                }
            }
        }
    }

    fn logged_in(&mut self, tag: &str, user: String, how: &str) {
        self.user = Some(user.clone());
        self.state = ImapState::Authenticated;
        self.awaiting_mailbox = true;
        let caps = self.capabilities();
        self.respond(
            vec![],
            Some((tag, "OK", format!("[CAPABILITY {caps}] {how} authentication successful"))),
            "AUTHENTICATE",
        );
        self.events.push_back(ImapServerEvent::LoggedIn { user });
    }

    fn password_of(&self, user: &str) -> Option<(String, String)> {
        self.config
            .accounts
            .iter()
            .find(|(a, _)| {
                a.eq_ignore_ascii_case(user) || a.split('@').next().is_some_and(|l| l.eq_ignore_ascii_case(user))
            })
            .cloned()
    }

    fn on_sasl(&mut self, line: &str) {
        let auth = std::mem::replace(&mut self.auth, Auth::None);
        let tag = match &auth {
            Auth::ScramFirst(t) | Auth::ScramFinal(t, _) | Auth::ScramDone(t, _) | Auth::Plain(t) => t.clone(),
            Auth::None => return,
        };
        if line == "*" {
            return self.respond(
                vec![],
                Some((&tag, "BAD", "Authentication cancelled by the client".into())),
                "AUTHENTICATE",
            );
        }
        let fail = |s: &mut Self| {
            s.respond(vec![], Some((&tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed".into())), "AUTHENTICATE")
        };
        let decoded = B64.decode(line.trim()).ok().and_then(|b| String::from_utf8(b).ok());
        match auth {
            Auth::ScramFirst(_) => {
                let Some(first) = decoded else {
                    return self.respond(
                        vec![],
                        Some((&tag, "BAD", "Cannot decode the base64 response".into())),
                        "AUTHENTICATE",
                    );
                };
                match ScramServer::start(
                    &first,
                    &self.config.server_nonce.clone(),
                    &self.config.scram_salt.clone(),
                    self.config.scram_iterations,
                ) {
                    Ok((server, server_first)) => {
                        self.continuation(&B64.encode(&server_first), &server_first);
                        self.auth = Auth::ScramFinal(tag, server);
                    }
                    Err(_) => self.respond(
                        vec![],
                        Some((&tag, "BAD", "Malformed SCRAM client-first message".into())),
                        "AUTHENTICATE",
                    ),
                }
            }
            Auth::ScramFinal(_, server) => {
                let (Some(fin), Some((address, password))) = (decoded, self.password_of(&server.user)) else {
                    return fail(self);
                };
                match server.finish(&fin, &password) {
                    Ok(server_final) => {
                        self.continuation(&B64.encode(&server_final), &server_final);
                        self.auth = Auth::ScramDone(tag, address);
                    }
                    Err(_) => fail(self),
                }
            }
            Auth::ScramDone(_, address) => self.logged_in(&tag, address, "SCRAM-SHA-256"),
            Auth::Plain(_) => self.check_plain(&tag, decoded),
            Auth::None => {}
        }
    }

    fn check_plain(&mut self, tag: &str, decoded: Option<String>) {
        let parts: Vec<String> = decoded.map(|d| d.split('\0').map(str::to_string).collect()).unwrap_or_default();
        match parts.as_slice() {
            [_, user, pass] => match self.password_of(user) {
                Some((address, p)) if &p == pass => self.logged_in(tag, address, "PLAIN"),
                _ => self.respond(
                    vec![],
                    Some((tag, "NO", "[AUTHENTICATIONFAILED] Invalid credentials".into())),
                    "AUTHENTICATE",
                ),
            },
            _ => self.respond(
                vec![],
                Some((tag, "BAD", "PLAIN wants base64 of authzid NUL user NUL password".into())),
                "AUTHENTICATE",
            ),
        }
    }

    fn flags_list(flags: &[String]) -> String {
        format!("({})", flags.join(" "))
    }

    /// Message indexes (0-based) for a sequence set or UID set.
    fn resolve(&self, set: &str, uid: bool) -> Vec<usize> {
        let max = if uid { self.messages.last().map(|m| m.uid).unwrap_or(0) } else { self.messages.len() as u32 };
        (0..self.messages.len())
            .filter(|&i| sequence::set_contains(set, if uid { self.messages[i].uid } else { i as u32 + 1 }, max))
            .collect()
    }

    fn on_command(&mut self, t: Tagged) {
        use ImapState::*;
        let Tagged { tag, command } = t;
        let name = command.name();
        let ok = |s: &mut Self, lines: Vec<String>, text: String| s.respond(lines, Some((&tag, "OK", text)), name);
        let no = |s: &mut Self, text: &str| s.respond(vec![], Some((&tag, "NO", text.into())), name);
        let wrong_state = |s: &mut Self| {
            s.respond(vec![], Some((&tag, "BAD", format!("{name} is not valid in the {} state", s.state))), name)
        };
        match (self.state, command) {
            (_, Command::Capability) => {
                let caps = self.capabilities();
                ok(self, vec![format!("* CAPABILITY {caps}")], "CAPABILITY completed".into())
            }
            (_, Command::Noop) => {
                let lines = self.take_expunges();
                ok(self, lines, "NOOP completed".into())
            }
            (_, Command::Logout) => {
                let host = self.config.hostname.clone();
                ok(
                    self,
                    vec![format!("* BYE {host} IMAP4rev2 server terminating connection")],
                    "LOGOUT completed".into(),
                );
                self.state = Logout;
                self.events.push_back(ImapServerEvent::Closed);
            }
            (NotAuthenticated, Command::StartTls) if self.config.starttls && !self.tls => {
                ok(self, vec![], "Begin TLS negotiation now".into());
                // RFC 9051 §6.2.1: discard anything the client pipelined before TLS.
                self.inbuf.clear();
                self.tls = true;
                self.events.push_back(ImapServerEvent::TlsStarted);
            }
            (NotAuthenticated, Command::StartTls) => self.respond(
                vec![],
                Some((&tag, "BAD", "STARTTLS is not available (not offered, or TLS is already active)".into())),
                name,
            ),
            (NotAuthenticated, Command::Login { .. }) if self.config.login_requires_tls && !self.tls => {
                no(self, "[PRIVACYREQUIRED] LOGIN is disabled until the connection is encrypted: use STARTTLS first")
            }
            (NotAuthenticated, Command::Login { user, pass }) => match self.password_of(&user) {
                Some((address, p)) if p == pass => {
                    self.logged_in(&tag, address, "LOGIN");
                }
                _ => no(self, "[AUTHENTICATIONFAILED] Invalid credentials"),
            },
            (NotAuthenticated, Command::Authenticate { mechanism, initial }) => match mechanism.as_str() {
                "SCRAM-SHA-256" => {
                    self.auth = Auth::ScramFirst(tag.clone());
                    match initial {
                        Some(ir) => self.on_sasl(&ir),
                        None => self.continuation("", ""),
                    }
                }
                "PLAIN" if self.tls || !self.config.login_requires_tls => match initial {
                    Some(ir) => {
                        let decoded = B64.decode(ir.trim()).ok().and_then(|b| String::from_utf8(b).ok());
                        self.check_plain(&tag, decoded)
                    }
                    None => {
                        self.auth = Auth::Plain(tag.clone());
                        self.continuation("", "");
                    }
                },
                "PLAIN" => no(self, "[PRIVACYREQUIRED] PLAIN sends the password: use STARTTLS first"),
                _ => no(self, &format!("Unsupported authentication mechanism {mechanism}: use SCRAM-SHA-256 or PLAIN")),
            },
            (NotAuthenticated, _) => wrong_state(self),
            (_, Command::Login { .. } | Command::Authenticate { .. } | Command::StartTls) => wrong_state(self),
            (Authenticated, Command::Enable(caps)) => {
                let enabled: Vec<String> =
                    caps.iter().filter(|c| c.as_str() == "IMAP4REV2").map(|_| "IMAP4rev2".to_string()).collect();
                self.rev2 |= !enabled.is_empty();
                let lines = if enabled.is_empty() { vec![] } else { vec![format!("* ENABLED {}", enabled.join(" "))] };
                ok(self, lines, "ENABLE completed".into())
            }
            (_, Command::Enable(_)) => wrong_state(self),
            (_, Command::Select { mailbox, read_only }) => {
                let op = FolderOp::Select(mailbox.clone());
                self.ask(&tag, Command::Select { mailbox, read_only }, op);
            }
            (_, Command::List { reference, pattern, special_use_only, subscribed }) => {
                if pattern.is_empty() {
                    // RFC 9051 §6.3.9: an empty pattern asks for the hierarchy delimiter.
                    return ok(self, vec!["* LIST (\\Noselect) \"/\" \"\"".to_string()], "LIST completed".into());
                }
                self.ask(&tag, Command::List { reference, pattern, special_use_only, subscribed }, FolderOp::List);
            }
            (_, Command::Create(m)) => self.ask(&tag, Command::Create(m.clone()), FolderOp::Create(m)),
            (_, Command::Delete(m)) if m.eq_ignore_ascii_case("INBOX") => no(self, "[CANNOT] INBOX cannot be deleted"),
            (_, Command::Delete(m)) => self.ask(&tag, Command::Delete(m.clone()), FolderOp::Delete(m)),
            (_, Command::Rename(a, b)) => self.ask(&tag, Command::Rename(a.clone(), b.clone()), FolderOp::Rename(a, b)),
            (_, Command::Subscribe(_) | Command::Unsubscribe(_)) => ok(self, vec![], format!("{name} completed")),
            (_, Command::Status(m, items)) => self.ask(&tag, Command::Status(m.clone(), items), FolderOp::Status(m)),
            (_, Command::Append { mailbox, flags, message }) => {
                let op = FolderOp::Append { folder: mailbox.clone(), flags: flags.clone(), message: message.clone() };
                self.ask(&tag, Command::Append { mailbox, flags, message }, op);
            }
            (Selected, Command::Copy { uid, set, mailbox, is_move }) => {
                if is_move && self.read_only {
                    return no(self, "[READ-ONLY] The mailbox was opened with EXAMINE");
                }
                let uids: Vec<u32> = self.resolve(&set, uid).into_iter().map(|i| self.messages[i].uid).collect();
                let op = FolderOp::Copy { from: self.folder.clone(), uids, to: mailbox.clone() };
                self.ask(&tag, Command::Copy { uid, set, mailbox, is_move }, op);
            }
            (_, Command::Namespace) => {
                ok(self, vec!["* NAMESPACE ((\"\" \"/\")) NIL NIL".into()], "NAMESPACE completed".into())
            }
            (Selected, Command::Fetch { uid, set, items, .. }) => {
                let mut lines = Vec::new();
                for i in self.resolve(&set, uid) {
                    let mut parts = Vec::new();
                    let mut set_seen = false;
                    let wants_flags = items.contains(&FetchItem::Flags);
                    if uid && !items.contains(&FetchItem::Uid) {
                        parts.push(format!("UID {}", self.messages[i].uid));
                    }
                    for item in &items {
                        let m = &self.messages[i];
                        parts.push(match item {
                            FetchItem::Flags => format!("FLAGS {}", Self::flags_list(&m.flags)),
                            FetchItem::InternalDate => {
                                format!("INTERNALDATE \"{}\"", fetch::internal_date(m.internal_date))
                            }
                            FetchItem::Rfc822Size => format!("RFC822.SIZE {}", m.data.len()),
                            FetchItem::Envelope => format!("ENVELOPE {}", fetch::envelope(&m.data)),
                            FetchItem::Body => format!("BODY {}", fetch::body_structure(&m.data, false)),
                            FetchItem::BodyStructure => {
                                format!("BODYSTRUCTURE {}", fetch::body_structure(&m.data, true))
                            }
                            FetchItem::Uid => format!("UID {}", m.uid),
                            FetchItem::Section { peek, section, partial, .. } => {
                                set_seen |= !peek && !self.read_only && !m.flags.iter().any(|f| f == "\\Seen");
                                let whole = fetch::section_bytes(&m.data, section);
                                let body = match partial {
                                    Some((start, count)) => {
                                        &whole[(*start).min(whole.len())..(start + count).min(whole.len())]
                                    }
                                    None => &whole[..],
                                };
                                format!("{item} {{{}}}\r\n{}", body.len(), String::from_utf8_lossy(body))
                            }
                        });
                    }
                    if set_seen {
                        // RFC 9051 §6.4.5: fetching BODY[...] sets \Seen, and the server says so.
                        self.messages[i].flags.push("\\Seen".into());
                        let (uid, flags) = (self.messages[i].uid, self.messages[i].flags.clone());
                        self.events.push_back(ImapServerEvent::Stored {
                            user: self.user.clone().unwrap_or_default(),
                            folder: self.folder.clone(),
                            uid,
                            flags: flags.clone(),
                        });
                        if !wants_flags {
                            parts.insert(0, format!("FLAGS {}", Self::flags_list(&flags)));
                        }
                    }
                    lines.push(format!("* {} FETCH ({})", i + 1, parts.join(" ")));
                }
                let what = if uid { "UID FETCH" } else { "FETCH" };
                ok(self, lines, format!("{what} completed"))
            }
            (Selected, Command::Store { .. }) if self.read_only => {
                no(self, "[READ-ONLY] The mailbox was opened with EXAMINE")
            }
            (Selected, Command::Store { uid, set, mode, silent, flags }) => {
                let mut lines = Vec::new();
                for i in self.resolve(&set, uid) {
                    let m = &mut self.messages[i];
                    match mode {
                        StoreMode::Replace => m.flags = flags.clone(),
                        StoreMode::Add => flags.iter().for_each(|f| {
                            if !m.flags.contains(f) {
                                m.flags.push(f.clone())
                            }
                        }),
                        StoreMode::Remove => m.flags.retain(|f| !flags.contains(f)),
                    }
                    m.flags.sort_by_key(|f| flag_order(f));
                    let (u, fl) = (m.uid, m.flags.clone());
                    if !silent {
                        let uid_part = if uid { format!("UID {u} ") } else { String::new() };
                        lines.push(format!("* {} FETCH ({uid_part}FLAGS {})", i + 1, Self::flags_list(&fl)));
                    }
                    self.events.push_back(ImapServerEvent::Stored {
                        user: self.user.clone().unwrap_or_default(),
                        folder: self.folder.clone(),
                        uid: u,
                        flags: fl,
                    });
                }
                let what = match mode {
                    StoreMode::Add => "+FLAGS",
                    StoreMode::Remove => "-FLAGS",
                    StoreMode::Replace => "FLAGS",
                };
                ok(self, lines, format!("{what} completed"))
            }
            (Selected, Command::Search { charset: Some(cs), .. })
                if !["UTF-8", "US-ASCII"].contains(&cs.to_ascii_uppercase().as_str()) =>
            {
                no(self, &format!("[BADCHARSET (UTF-8 US-ASCII)] {cs} is not supported"))
            }
            (Selected, Command::Search { uid, ret, key, .. }) => {
                let max_uid = self.messages.last().map(|m| m.uid).unwrap_or(0);
                let max_seq = self.messages.len() as u32;
                let ids: Vec<u32> = self
                    .messages
                    .iter()
                    .enumerate()
                    .filter(|(i, m)| {
                        key.matches(&search::Candidate { message: m, seq: *i as u32 + 1, max_seq, max_uid })
                    })
                    .map(|(i, m)| if uid { m.uid } else { i as u32 + 1 })
                    .collect();
                let line = if self.rev2 || ret.is_some() {
                    // RFC 9051 §7.3.4: ESEARCH; with no RETURN options, ALL is meant.
                    let ret = ret.filter(|r| !r.is_empty()).unwrap_or_else(|| vec!["ALL".to_string()]);
                    let mut parts = vec![format!("* ESEARCH (TAG \"{tag}\")")];
                    if uid {
                        parts.push("UID".into());
                    }
                    for o in &ret {
                        match o.as_str() {
                            "MIN" if !ids.is_empty() => parts.push(format!("MIN {}", ids[0])),
                            "MAX" if !ids.is_empty() => parts.push(format!("MAX {}", ids[ids.len() - 1])),
                            "COUNT" => parts.push(format!("COUNT {}", ids.len())),
                            "ALL" if !ids.is_empty() => parts.push(format!("ALL {}", sequence::compact(&ids))),
                            _ => {}
                        }
                    }
                    parts.join(" ")
                } else {
                    format!("* SEARCH{}", ids.iter().map(|n| format!(" {n}")).collect::<String>())
                };
                ok(self, vec![line], "SEARCH completed".into())
            }
            (Selected, Command::Expunge) if self.read_only => {
                no(self, "[READ-ONLY] The mailbox was opened with EXAMINE")
            }
            (Selected, Command::Expunge) => {
                let mut lines = self.take_expunges();
                lines.extend(self.expunge());
                ok(self, lines, "EXPUNGE completed".into())
            }
            (Selected, Command::Close) => {
                if !self.read_only {
                    self.expunge();
                }
                self.state = Authenticated;
                ok(self, vec![], "CLOSE completed".into())
            }
            (Authenticated | Selected, Command::Idle) => {
                self.idling = Some(tag.clone());
                let mut lines = self.take_expunges();
                lines.append(&mut self.pending);
                if !lines.is_empty() {
                    self.respond(lines, None, "IDLE");
                }
                self.continuation("idling", "");
            }
            (Selected, Command::Unselect) => {
                self.state = Authenticated;
                ok(self, vec![], "UNSELECT completed".into())
            }
            _ => wrong_state(self),
        }
    }

    /// Removes `\Deleted` messages; returns the `* n EXPUNGE` lines (each number as of then).
    fn expunge(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut uids = Vec::new();
        let mut i = 0;
        while i < self.messages.len() {
            if self.messages[i].flags.iter().any(|f| f == "\\Deleted") {
                uids.push(self.messages.remove(i).uid);
                lines.push(format!("* {} EXPUNGE", i + 1));
            } else {
                i += 1;
            }
        }
        if !uids.is_empty() {
            self.events.push_back(ImapServerEvent::Expunged {
                user: self.user.clone().unwrap_or_default(),
                folder: self.folder.clone(),
                uids,
            });
        }
        lines
    }
}

/// LIST pattern matching: `*` matches any run of characters, `%` any run without `/`;
/// INBOX matches case-insensitively (RFC 9051 §5.1).
fn list_match(pattern: &str, name: &str) -> bool {
    fn m(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| m(rest, &n[i..])),
            Some(('%', rest)) => (0..=n.len()).take_while(|&i| i == 0 || n[i - 1] != '/').any(|i| m(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && m(rest, &n[1..]),
        }
    }
    let fold = |s: &str| {
        if s.len() >= 5 && s[..5].eq_ignore_ascii_case("INBOX") {
            format!("INBOX{}", &s[5..])
        } else {
            s.to_string()
        }
    };
    let (p, n): (Vec<char>, Vec<char>) = (fold(pattern).chars().collect(), fold(name).chars().collect());
    m(&p, &n)
}

/// A mailbox name as an IMAP astring: bare when it is a valid atom, else quoted or a literal.
fn astring(name: &str) -> String {
    let atom = !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b));
    if atom {
        name.to_string()
    } else {
        fetch::nstring(Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::client::{ImapClient, ImapClientEvent, ImapStep};

    fn config() -> ImapConfig {
        ImapConfig {
            hostname: "mail.bob.example".into(),
            starttls: true,
            implicit_tls: false,
            login_requires_tls: true,
            accounts: vec![("bob@bob.example".into(), "bob-pw".into())],
            scram_salt: b"salt1234salt5678".to_vec(),
            scram_iterations: 4096,
            server_nonce: "srvnonce".into(),
            idle_timeout: None,
        }
    }

    fn inbox() -> Vec<StoredMessage> {
        (1..=3)
            .map(|i| StoredMessage {
                uid: i * 10,
                data: format!("From: a{i}@x.example\r\nSubject: s{i}\r\n\r\nbody {i}\r\n").into_bytes(),
                flags: if i == 1 { vec!["\\Seen".into()] } else { vec![] },
                internal_date: 0,
            })
            .collect()
    }

    /// The lecture's session, between the real client and the real server.
    #[test]
    fn the_lectures_session() {
        let steps = vec![
            ImapStep::Line("a000 starttls".into()),
            ImapStep::Scram {
                tag: "a001".into(),
                user: "bob".into(),
                password: "bob-pw".into(),
                nonce: "clinonce".into(),
            },
            ImapStep::Line("babc ENABLE IMAP4rev2".into()),
            ImapStep::Line("a002 select inbox".into()),
            ImapStep::Line("a003 fetch 2 full".into()),
            ImapStep::Line("a004 fetch 2 body[header]".into()),
            ImapStep::Line("a005 store 2 +flags \\deleted".into()),
            ImapStep::Line("a006 logout".into()),
        ];
        let (mut c, mut s) = (ImapClient::new(steps), ImapServer::new(config(), 0));
        let mut wire = Vec::new();
        let mut events = Vec::new();
        for _ in 0..60 {
            while let Some(t) = s.poll_transmit() {
                wire.push(format!("S: {}", String::from_utf8_lossy(&t.bytes)));
                c.handle_input(0, &t.bytes);
            }
            while let Some(t) = c.poll_transmit() {
                wire.push(format!("C: {}", String::from_utf8_lossy(&t.bytes)));
                s.handle_input(0, &t.bytes);
            }
            while let Some(e) = s.poll_event() {
                match &e {
                    ImapServerEvent::LoggedIn { .. } => s.set_mailbox(inbox(), 3857529045, 31),
                    ImapServerEvent::Folder { op: FolderOp::Select(_), .. } => {
                        s.folder_result(FolderResult::Selected(inbox(), 3857529045, 31))
                    }
                    _ => {}
                }
                events.push(e);
            }
            while c.poll_event().is_some() {}
        }
        let all = wire.concat();
        assert!(
            wire[0].starts_with("S: * OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED]"),
            "{}",
            wire[0]
        );
        assert!(all.contains("S: a000 OK Begin TLS negotiation now"));
        assert!(all.contains("a001 OK [CAPABILITY"), "SCRAM succeeded: {all}");
        assert!(all.contains("* ENABLED IMAP4rev2\r\nbabc OK ENABLE completed"));
        assert!(all.contains("* 3 EXISTS\r\n* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"));
        assert!(all.contains("* OK [UIDVALIDITY 3857529045] UIDs valid"));
        assert!(all.contains("* LIST () \"/\" INBOX\r\na002 OK [READ-WRITE] SELECT completed"));
        assert!(
            all.contains(
                "* 2 FETCH (FLAGS () INTERNALDATE \" 1-Jan-1970 00:00:00 +0000\" RFC822.SIZE 43 ENVELOPE (NIL \"s2\""
            ),
            "{all}"
        );
        assert!(
            all.contains("* 2 FETCH (FLAGS (\\Seen) BODY[HEADER] {35}\r\nFrom: a2@x.example\r\nSubject: s2\r\n\r\n)"),
            "{all}"
        );
        assert!(all.contains("* 2 FETCH (FLAGS (\\Deleted \\Seen))\r\na005 OK +FLAGS completed"), "{all}");
        assert!(
            all.contains("* BYE mail.bob.example IMAP4rev2 server terminating connection\r\na006 OK LOGOUT completed")
        );
        assert!(events.contains(&ImapServerEvent::Stored {
            user: "bob@bob.example".into(),
            folder: "INBOX".into(),
            uid: 20,
            flags: vec!["\\Deleted".into(), "\\Seen".into()]
        }));
        assert_eq!(events.last(), Some(&ImapServerEvent::Closed));
        let _ = ImapClientEvent::Closed;
    }

    #[test]
    fn states_are_enforced_and_bad_input_gets_bad() {
        let mut s = ImapServer::new(config(), 0);
        s.handle_input(0, b"a1 SELECT INBOX\r\na2 LOGIN bob bob-pw\r\nfoo\r\na3 FROB\r\na4 CAPABILITY\r\n");
        let out: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert!(out.contains("a1 BAD SELECT is not valid in the Not Authenticated state"));
        assert!(out.contains("a2 NO [PRIVACYREQUIRED]"));
        assert!(out.contains("foo BAD missing command after the tag"));
        assert!(out.contains("a3 BAD unknown command FROB"));
        assert!(out.contains("* CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED\r\na4 OK"));
    }

    #[test]
    fn search_expunge_and_examine() {
        let mut c = config();
        c.login_requires_tls = false;
        let mut s = ImapServer::new(c, 0);
        s.handle_input(0, b"a LOGIN bob bob-pw\r\n");
        let mut current = inbox();
        let owner = |s: &mut ImapServer, current: &mut Vec<StoredMessage>| {
            while let Some(e) = s.poll_event() {
                match e {
                    ImapServerEvent::LoggedIn { .. } => s.set_mailbox(current.clone(), 1, 31),
                    ImapServerEvent::Folder { op: FolderOp::Select(_), .. } => {
                        s.folder_result(FolderResult::Selected(current.clone(), 1, 31))
                    }
                    ImapServerEvent::Expunged { uids, .. } => current.retain(|m| !uids.contains(&m.uid)),
                    _ => {}
                }
            }
        };
        owner(&mut s, &mut current);
        for line in [
            "b SELECT INBOX",
            "c SEARCH UNSEEN",
            "d UID SEARCH SUBJECT s3",
            "c2 SEARCH RETURN (MIN MAX COUNT) OR FROM a1 NOT SEEN",
            "c3 SEARCH CHARSET KOI8-R ALL",
            "c4 SEARCH FROMM a1",
            "c5 UID SEARCH RETURN () 1:*",
            "e STORE 1:2 +FLAGS.SILENT (\\Deleted)",
            "f EXPUNGE",
            "g FETCH 1 (UID FLAGS)",
            "h EXAMINE INBOX",
            "i STORE 1 +FLAGS (\\Seen)",
        ] {
            s.handle_input(0, format!("{line}\r\n").as_bytes());
            owner(&mut s, &mut current);
        }
        let out: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert!(out.contains("* SEARCH 2 3\r\nc OK"), "rev1 client: SEARCH: {out}");
        assert!(out.contains("* SEARCH 30\r\nd OK"));
        assert!(out.contains("* ESEARCH (TAG \"c2\") MIN 1 MAX 3 COUNT 3\r\nc2 OK"), "RFC 4731 RETURN options: {out}");
        assert!(out.contains("c3 NO [BADCHARSET (UTF-8 US-ASCII)]"));
        assert!(out.contains("c4 BAD unknown search key FROMM"));
        assert!(out.contains("* ESEARCH (TAG \"c5\") UID ALL 10,20,30\r\n"), "{out}");
        assert!(out.contains("* 1 EXPUNGE\r\n* 1 EXPUNGE\r\nf OK EXPUNGE completed"), "{out}");
        assert!(out.contains("* 1 FETCH (UID 30 FLAGS ())"));
        assert!(out.contains("h OK [READ-ONLY] EXAMINE completed"));
        assert!(out.contains("i NO [READ-ONLY]"));
    }
}

#[cfg(test)]
mod sync_tests {
    use super::*;

    #[test]
    fn another_sessions_changes_are_reported() {
        let mut c = ImapConfig {
            hostname: "h".into(),
            starttls: false,
            implicit_tls: false,
            login_requires_tls: false,
            accounts: vec![("bob@b.example".into(), "pw".into())],
            scram_salt: vec![1; 16],
            scram_iterations: 4096,
            server_nonce: "n".into(),
            idle_timeout: None,
        };
        c.starttls = false;
        let msgs = |flags: &[&[&str]]| -> Vec<StoredMessage> {
            flags
                .iter()
                .enumerate()
                .map(|(i, f)| StoredMessage {
                    uid: i as u32 + 1,
                    data: b"Subject: x\r\n\r\nx\r\n".to_vec(),
                    flags: f.iter().map(|s| s.to_string()).collect(),
                    internal_date: 0,
                })
                .collect()
        };
        let mut s = ImapServer::new(c, 0);
        s.handle_input(0, b"a LOGIN bob pw\r\n");
        while let Some(e) = s.poll_event() {
            if matches!(e, ImapServerEvent::LoggedIn { .. }) {
                s.set_mailbox(msgs(&[&[], &[]]), 1, 3);
            }
        }
        s.handle_input(0, b"b SELECT INBOX\r\n");
        while let Some(e) = s.poll_event() {
            if matches!(e, ImapServerEvent::Folder { .. }) {
                s.folder_result(FolderResult::Selected(msgs(&[&[], &[]]), 1, 3));
            }
        }
        let _ = std::iter::from_fn(|| s.poll_transmit()).count();
        // Another session marked 2 \Seen, expunged 1, and a new message (uid 3) arrived.
        let mut latest = msgs(&[&[], &["\\Seen"], &[]]);
        latest.remove(0);
        s.refresh(&latest);
        s.handle_input(0, b"c FETCH 1 FLAGS\r\n");
        let out: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert!(out.starts_with("* 2 FETCH (FLAGS (\\Seen))\r\n* 3 EXISTS\r\n"), "flags and new mail at once: {out}");
        assert!(!out.contains("EXPUNGE"), "no EXPUNGE during FETCH (RFC 9051 §7.5.1)");
        s.handle_input(0, b"d NOOP\r\n");
        let out: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert_eq!(out, "* 1 EXPUNGE\r\nd OK NOOP completed\r\n");
    }
}

#[cfg(test)]
mod folder_tests {
    use super::*;
    use crate::store::MailStore;

    /// Drives a server with a real store as its owner; returns everything it sent.
    fn session(lines: &[&[u8]]) -> (String, MailStore) {
        let mut store = MailStore::default();
        store.add_account("bob@b.example", "pw");
        store.deliver("bob@b.example", b"Subject: one\r\n\r\n1\r\n".to_vec());
        store.deliver("bob@b.example", b"Subject: two\r\n\r\n2\r\n".to_vec());
        let mut s = ImapServer::new(
            ImapConfig {
                hostname: "h".into(),
                starttls: false,
                implicit_tls: false,
                login_requires_tls: false,
                accounts: vec![("bob@b.example".into(), "pw".into())],
                scram_salt: vec![1; 16],
                scram_iterations: 4096,
                server_nonce: "n".into(),
                idle_timeout: None,
            },
            0,
        );
        let mut out = String::new();
        for l in lines {
            s.handle_input(0, l);
            loop {
                let mut progressed = false;
                while let Some(t) = s.poll_transmit() {
                    out.push_str(&String::from_utf8_lossy(&t.bytes));
                    progressed = true;
                }
                while let Some(e) = s.poll_event() {
                    progressed = true;
                    match e {
                        ImapServerEvent::LoggedIn { user } => {
                            let m = store.mailbox(&user).cloned().unwrap_or_default();
                            s.set_mailbox(m.messages, m.uid_validity, m.uid_next);
                        }
                        ImapServerEvent::Folder { user, op } => {
                            let r = apply_folder_op(&mut store, &user, &op, 0);
                            s.folder_result(r);
                        }
                        ImapServerEvent::Stored { user, folder, uid, flags } => {
                            store.set_folder_flags(&user, &folder, uid, &flags)
                        }
                        ImapServerEvent::Expunged { user, folder, uids } => {
                            store.expunge_folder(&user, &folder, &uids);
                        }
                        _ => {}
                    }
                }
                if !progressed {
                    break;
                }
            }
        }
        (out, store)
    }

    #[test]
    fn list_patterns_extended_options_and_status_items() {
        let (out, _) = session(&[
            b"a LOGIN bob pw\r\n",
            b"b CREATE \"My Work\"\r\n",
            b"c CREATE Work/2026\r\n",
            b"d LIST \"\" \"%\"\r\n",
            b"e LIST \"\" \"Work/*\"\r\n",
            b"f LIST (SPECIAL-USE) \"\" \"*\"\r\n",
            b"g LIST \"\" \"inbox\" RETURN (SUBSCRIBED)\r\n",
            b"h LIST \"\" \"*\" RETURN (STATUS (MESSAGES))\r\n",
            b"i LIST (RECURSIVEMATCH) \"\" \"*\"\r\n",
            b"j STATUS INBOX (MESSAGES SIZE DELETED)\r\n",
            b"k STATUS INBOX (MESAGES)\r\n",
            b"l SELECT \"My Work\"\r\n",
        ]);
        assert!(out.contains("* LIST (\\HasNoChildren) \"/\" \"My Work\"\r\n"), "a name with a space is quoted: {out}");
        assert!(!out.contains("* LIST (\\HasNoChildren) \"/\" Work/2026\r\nd OK"), "% stops at the delimiter: {out}");
        assert!(out.contains("* LIST (\\HasNoChildren) \"/\" Work/2026\r\ne OK"), "{out}");
        assert!(
            out.contains(
                "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\nf OK"
            ),
            "{out}"
        );
        assert!(out.contains("* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX\r\ng OK"), "{out}");
        assert!(out.contains("h BAD LIST RETURN option STATUS") && out.contains("i BAD RECURSIVEMATCH needs"), "{out}");
        assert!(out.contains("* STATUS INBOX (MESSAGES 2 SIZE ") && out.contains(" DELETED 0)\r\nj OK"), "{out}");
        assert!(out.contains("k BAD unknown STATUS item MESAGES"), "{out}");
        assert!(out.contains("l OK [READ-WRITE]"), "{out}");
    }

    #[test]
    fn list_wildcards() {
        assert!(list_match("*", "Work/2026") && list_match("%", "Work") && !list_match("%", "Work/2026"));
        assert!(list_match("W%/%", "Work/2026") && list_match("inbox", "INBOX") && !list_match("work", "Work"));
    }

    #[test]
    fn folders_create_list_append_copy_move_status_rename_delete() {
        let (out, store) = session(&[
            b"a LOGIN bob pw\r\n",
            b"b CREATE Work\r\n",
            b"c CREATE Work\r\n",
            b"d LIST \"\" \"*\"\r\n",
            b"e APPEND Work (\\Seen) {20}\r\n",
            b"Subject: app\r\n\r\nhi\r\n\r\n",
            b"f SELECT INBOX\r\n",
            b"g COPY 1 Work\r\n",
            b"h MOVE 2 Work\r\n",
            b"i STATUS Work (MESSAGES UNSEEN UIDNEXT)\r\n",
            b"j COPY 1 Nope\r\n",
            b"k RENAME Work Projects\r\n",
            b"l SELECT Projects\r\n",
            b"m DELETE Nope\r\n",
            b"n DELETE INBOX\r\n",
        ]);
        assert!(out.contains("b OK CREATE completed"));
        assert!(out.contains("c NO [ALREADYEXISTS]"));
        assert!(out.contains("* LIST (\\HasNoChildren) \"/\" INBOX\r\n* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n* LIST (\\HasNoChildren \\Trash) \"/\" Trash\r\n* LIST (\\HasNoChildren) \"/\" Work\r\n"), "{out}");
        assert!(out.contains("+ Ready for literal data\r\ne OK [APPENDUID "), "a synchronizing literal gets +: {out}");
        assert!(out.contains("g OK [COPYUID "));
        assert!(out.contains("* OK [COPYUID ") && out.contains("* 2 EXPUNGE\r\nh OK MOVE completed"), "{out}");
        assert!(out.contains("* STATUS Work (MESSAGES 3 UNSEEN 2 UIDNEXT 4)"), "{out}");
        assert!(out.contains("j NO [TRYCREATE]"));
        assert!(out.contains("* 3 EXISTS"), "Projects (was Work) holds three messages: {out}");
        assert!(out.contains("m NO [NONEXISTENT]") && out.contains("n NO [CANNOT]"));
        assert_eq!(store.mailbox("bob@b.example").unwrap().messages.len(), 1, "MOVE took message 2 out of INBOX");
        assert_eq!(store.folder("bob@b.example", "Projects").unwrap().messages.len(), 3);
    }
}

#[cfg(test)]
mod partial_tests {
    use super::*;

    #[test]
    fn partial_fetch_returns_the_requested_octets() {
        let mut s = ImapServer::new(
            ImapConfig {
                hostname: "h".into(),
                starttls: false,
                implicit_tls: false,
                login_requires_tls: false,
                accounts: vec![("b@b.example".into(), "pw".into())],
                scram_salt: vec![1; 16],
                scram_iterations: 4096,
                server_nonce: "n".into(),
                idle_timeout: None,
            },
            0,
        );
        let msg = StoredMessage {
            uid: 1,
            data: b"Subject: partial\r\n\r\n0123456789abcdef\r\n".to_vec(),
            ..Default::default()
        };
        s.handle_input(0, b"a LOGIN b pw\r\n");
        while let Some(e) = s.poll_event() {
            if matches!(e, ImapServerEvent::LoggedIn { .. }) {
                s.set_mailbox(vec![msg.clone()], 1, 2);
            }
        }
        s.handle_input(0, b"b SELECT INBOX\r\n");
        while let Some(e) = s.poll_event() {
            if matches!(e, ImapServerEvent::Folder { .. }) {
                s.folder_result(FolderResult::Selected(vec![msg.clone()], 1, 2));
            }
        }
        s.handle_input(0, b"c FETCH 1 BODY.PEEK[TEXT]<4.6>\r\nd FETCH 1 BODY.PEEK[]<0.8>\r\n");
        let out: String =
            std::iter::from_fn(|| s.poll_transmit()).map(|t| String::from_utf8_lossy(&t.bytes).into_owned()).collect();
        assert!(out.contains("* 1 FETCH (BODY[TEXT]<4> {6}\r\n456789)\r\nc OK"), "{out}");
        assert!(out.contains("* 1 FETCH (BODY[]<0> {8}\r\nSubject:)\r\nd OK"), "{out}");
        assert!(out.contains("LITERAL+"));
    }
}
