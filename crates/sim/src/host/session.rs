//! The host's protocol sessions: a server engine per connection, chosen by the service port,
//! and what the host does about each engine's events.

use super::{Ctx, HostOutput, MailHost, SessionId};
use crate::log::Event;
use crate::log::Millis;
use mailsim_proto::dns::{self, DnsMessage};
use mailsim_proto::imap::server::{apply_folder_op, ImapConfig, ImapServer, ImapServerEvent};
use mailsim_proto::pop3::{login_apop, Pop3Config, Pop3Server, Pop3ServerEvent};
use mailsim_proto::service::{self, Protocol, TlsStyle};
use mailsim_proto::smtp::{ServerConfig, ServerEvent, SmtpServer};
use mailsim_proto::{Engine, Transmit};

/// One connection's server engine.
#[derive(Debug)]
pub(super) enum Session {
    Smtp { engine: SmtpServer, service: u16, peer_ip: String },
    Pop3 { engine: Pop3Server, login: Option<String> },
    Imap(ImapServer),
}

impl MailHost {
    /// A connection from `peer_ip` arrived on `service` (the well-known port of the service:
    /// 25, 587, 465, 110, 995, 143 or 993, whatever port the driver really listens on). Returns
    /// the protocol, or `None` if the host offers nothing there (connection refused).
    pub fn accept(&mut self, ctx: &mut Ctx, sid: SessionId, service: u16, peer_ip: &str) -> Option<&'static str> {
        let (accounts, local_users) = self.shared_accounts();
        let p = &self.policy;
        let now = ctx.now;
        let svc = service::by_port(service)?;
        let plaintext = p.plaintext_auth.allows(peer_ip);
        let (session, protocol) = match svc.protocol {
            Protocol::Smtp => {
                let role = svc.smtp_role()?;
                let mut config = ServerConfig::basic(&self.hostname, role, &[], &[]);
                if let Some(t) = p.idle_timeout {
                    config.idle_timeout = t;
                }
                config.local_domains = self.domains.clone();
                config.local_users = local_users;
                config.max_message_size = p.max_message_size;
                config.starttls = p.starttls && service != 465;
                config.implicit_tls = service == 465;
                config.require_tls = service == 587 && plaintext.map_or(p.require_tls_on_submission, |ok| !ok);
                config.trusted_peer = p.trusted_ips.iter().any(|ip| ip == peer_ip);
                // Asked only when a policy needs it (greylisting or quotas, which faults on
                // demand may switch on: they apply to connections opened afterwards).
                config.ask_owner_about_recipients = service == 25 && (p.greylist.is_some() || p.quota.is_some());
                config.check_remote_recipients = service != 25 && p.verify_recipient_domains;
                config.rules = p.smtp.clone();
                config.require_tls_inbound = service == 25 && p.require_tls_inbound;
                if service != 25 {
                    config.accounts = accounts;
                }
                let engine = SmtpServer::new(config, now);
                (Session::Smtp { engine, service, peer_ip: peer_ip.into() }, "SMTP")
            }
            // POP3 over implicit TLS (995, RFC 8314 §3.1) where the host can do TLS: real in
            // `mailsim serve`, modelled in the world.
            Protocol::Pop3 if svc.tls == TlsStyle::Implicit && !p.tls => return None,
            Protocol::Pop3 => {
                // RFC 1939 §7: the APOP timestamp must be unique per greeting; the session
                // number and the clock make it so (and keep simulated runs deterministic).
                let timestamp = format!("<{}.{}@{}>", sid, ctx.unix(), self.hostname);
                let implicit_tls = svc.tls == TlsStyle::Implicit;
                let mut config = Pop3Config {
                    timestamp: Some(timestamp),
                    stls: p.tls && !implicit_tls,
                    implicit_tls,
                    plaintext_auth: plaintext.unwrap_or(!p.disable_plaintext_auth),
                    ..Pop3Config::new(&self.hostname)
                };
                if let Some(t) = p.idle_timeout {
                    config.idle_timeout = t;
                }
                (Session::Pop3 { engine: Pop3Server::new(config, now), login: None }, "POP3")
            }
            Protocol::Imap => {
                let scram_salt: Vec<u8> = (0..2).flat_map(|_| ctx.rng.next_u64().to_be_bytes()).collect();
                let mut config = ImapConfig {
                    idle_timeout: Some(mailsim_proto::engine::IMAP_IDLE_TIMEOUT),
                    hostname: self.hostname.clone(),
                    starttls: service == 143 && p.tls,
                    implicit_tls: service == 993,
                    // Without TLS (loopback) LOGIN and AUTH=PLAIN are allowed in the clear.
                    login_requires_tls: plaintext.map_or(p.tls, |ok| !ok),
                    accounts,
                    scram_salt,
                    scram_iterations: 4096,
                    server_nonce: ctx.rng.hex(16),
                };
                if let Some(t) = p.idle_timeout {
                    config.idle_timeout = t;
                }
                (Session::Imap(ImapServer::new(config, now)), "IMAP")
            }
            _ => return None,
        };
        if let Some(old) = self.sessions.insert(sid, session) {
            self.unindex_imap(sid, &old);
        }
        Some(protocol)
    }

    /// The store's accounts (address, password) and addresses, for a new session: the lists
    /// made for the last session when the store still has the same accounts (the class's
    /// hosts have dozens, and every submission and IMAP session used to copy them all).
    fn shared_accounts(&mut self) -> (mailsim_proto::store::Accounts, std::sync::Arc<[String]>) {
        let (accounts, users) = &mut self.shared;
        if !accounts.iter().map(|(a, p)| (a.as_str(), p.as_str())).eq(self.store.accounts()) {
            *accounts = self.store.accounts().map(|(a, p)| (a.to_string(), p.to_string())).collect();
        }
        if !users.iter().map(String::as_str).eq(self.store.addresses()) {
            *users = self.store.addresses().map(str::to_string).collect();
        }
        self.shared.clone()
    }

    /// Bytes from the client of `sid`.
    pub fn handle_input(&mut self, now: Millis, sid: SessionId, bytes: &[u8]) {
        let store = &self.store;
        let mut took = None;
        match self.sessions.get_mut(&sid) {
            Some(Session::Smtp { engine, .. }) => engine.handle_input(now, bytes),
            Some(Session::Pop3 { engine, .. }) => engine.handle_input(now, bytes),
            Some(Session::Imap(e)) => {
                // Report what other sessions changed (flags, new mail, expunges) first.
                if let Some(user) = e.user().map(str::to_string) {
                    let folder = e.folder().to_string();
                    let empty = Default::default();
                    let m = store.folder(&user, &folder).unwrap_or(&empty);
                    if e.refresh_mailbox(m, m.recent_from) {
                        took = Some((user, folder));
                    }
                }
                e.handle_input(now, bytes)
            }
            None => {}
        }
        // A login it just read makes it hear of its account's changes from now on.
        self.index_imap(sid);
        // New mail it saw first is \Recent to it alone (RFC 3501 §2.3.2).
        if let Some((user, folder)) = took {
            self.store.take_recent(&user, &folder);
        }
    }

    /// Takes session `sid` out of the host, so that its engine can read input while the host
    /// serves others (`mailsim serve` runs it outside the host's lock). An IMAP session is
    /// brought up to date first, as [`MailHost::handle_input`] does. Put it back with
    /// [`MailHost::attach`] (then drive it as after `handle_input`), or drop it with
    /// [`MailHost::abort_detached`]. While it is out, nothing is sent to it.
    pub fn detach(&mut self, sid: SessionId) -> Option<Detached> {
        let store = &self.store;
        if let Some(Session::Imap(e)) = self.sessions.get_mut(&sid) {
            if let Some(user) = e.user().map(str::to_string) {
                e.refresh(store.folder(&user, e.folder()).map_or(&[][..], |m| m.messages.as_slice()));
            }
        }
        let session = self.sessions.remove(&sid)?;
        self.unindex_imap(sid, &session);
        Some(Detached { sid, session, generation: self.generation })
    }

    /// Puts back a session taken out with [`MailHost::detach`]; an IMAP session hears what
    /// changed meanwhile.
    pub fn attach(&mut self, d: Detached) {
        let Detached { sid, mut session, generation } = d;
        if let (Session::Imap(e), true) = (&mut session, generation != self.generation) {
            if let Some(user) = e.user().map(str::to_string) {
                e.refresh(self.store.folder(&user, e.folder()).map_or(&[][..], |m| m.messages.as_slice()));
            }
        }
        self.sessions.insert(sid, session);
        self.index_imap(sid);
    }

    /// Drops a detached session whose engine failed: a POP3 maildrop it held is released,
    /// nothing deleted.
    pub fn abort_detached(&mut self, d: Detached) {
        if let Session::Pop3 { login: Some(address), .. } = d.session {
            self.store.logout(&address, &[]);
        }
    }

    /// When session `sid` wants [`MailHost::handle_timeout`] (its idle timer), if ever.
    pub fn session_timeout(&self, sid: SessionId) -> Option<Millis> {
        self.sessions.get(&sid).and_then(|s| s.engine().poll_timeout())
    }

    /// The deadline of `sid` has passed: an idle client gets the protocol's timeout reply
    /// (421, -ERR, BYE) and the session ends; drain it, then close the connection.
    pub fn handle_timeout(&mut self, now: Millis, sid: SessionId) {
        if let Some(s) = self.sessions.get_mut(&sid) {
            s.engine_mut().handle_timeout(now);
        }
    }

    /// The service is stopping: every session gets the protocol's shutdown reply. Returns the
    /// sessions to drain and close.
    pub fn shutdown(&mut self, now: Millis) -> Vec<SessionId> {
        for s in self.sessions.values_mut() {
            match s {
                Session::Smtp { engine, .. } => engine.shutdown(now),
                Session::Pop3 { engine, .. } => engine.shutdown(now),
                Session::Imap(e) => e.shutdown(now),
            }
        }
        self.sessions.keys().copied().collect()
    }

    /// The next bytes for the client of `sid`.
    #[must_use]
    pub fn poll_transmit(&mut self, sid: SessionId) -> Option<Transmit> {
        match self.sessions.get_mut(&sid)? {
            Session::Smtp { engine, .. } => engine.poll_transmit(),
            Session::Pop3 { engine, .. } => engine.poll_transmit(),
            Session::Imap(e) => e.poll_transmit(),
        }
    }

    /// What the engine of `sid` read from its client, as typed units (for drivers that log
    /// what arrives, like `mailsim serve`).
    #[must_use]
    pub fn poll_received(&mut self, sid: SessionId) -> Option<Transmit> {
        match self.sessions.get_mut(&sid)? {
            Session::Smtp { engine, .. } => engine.poll_received(),
            Session::Pop3 { engine, .. } => engine.poll_received(),
            Session::Imap(e) => e.poll_received(),
        }
    }

    /// The protocol state of `sid`, as the diagram shows it.
    pub fn session_state(&self, sid: SessionId) -> String {
        match self.sessions.get(&sid) {
            Some(s) => s.engine().state().to_string(),
            None => "listening".into(),
        }
    }

    /// Whether the engine of `sid` has ended the session (QUIT, LOGOUT, too many errors).
    pub fn session_closed(&self, sid: SessionId) -> bool {
        self.sessions.get(&sid).is_none_or(|s| s.engine().is_closed())
    }

    /// The connection of `sid` is gone. A POP3 session that ends without QUIT deletes
    /// nothing and releases the maildrop (RFC 1939 §6).
    pub fn close_session(&mut self, now: Millis, sid: SessionId) {
        let Some(mut s) = self.sessions.remove(&sid) else { return };
        self.unindex_imap(sid, &s);
        s.engine_mut().handle_close(now);
        if let Session::Pop3 { login: Some(address), .. } = s {
            self.store.logout(&address, &[]);
        }
    }

    /// Drops session `sid` without calling its engine again (the driver caught a panic in
    /// it): a POP3 maildrop it held is released, nothing deleted.
    pub fn abort_session(&mut self, _now: Millis, sid: SessionId) {
        let Some(s) = self.sessions.remove(&sid) else { return };
        self.unindex_imap(sid, &s);
        if let Session::Pop3 { login: Some(address), .. } = s {
            self.store.logout(&address, &[]);
        }
    }

    /// Acts on what the engine of `sid` decided (a login to check, a message received, a
    /// mailbox change). True if there was anything.
    pub fn drive(&mut self, ctx: &mut Ctx, sid: SessionId) -> bool {
        match self.sessions.get(&sid) {
            Some(Session::Smtp { .. }) => self.drive_smtp(ctx, sid),
            Some(Session::Pop3 { .. }) => self.drive_pop3(ctx, sid),
            Some(Session::Imap(_)) => self.drive_imap(ctx, sid),
            None => false,
        }
    }

    fn drive_smtp(&mut self, ctx: &mut Ctx, sid: SessionId) -> bool {
        let Some(Session::Smtp { engine, service, peer_ip }) = self.sessions.get_mut(&sid) else { return false };
        let events: Vec<ServerEvent> = std::iter::from_fn(|| engine.poll_event()).collect();
        if events.is_empty() {
            // Asked after every delivery: nothing to copy when the engine decided nothing.
            return false;
        }
        let (service, peer_ip) = (*service, peer_ip.clone());
        for ev in events {
            match ev {
                ServerEvent::MessageReceived(m) => {
                    let qid = ctx.rng.hex(10);
                    let decision = self.take_message(ctx, service, &peer_ip, &qid, m);
                    if let Some(e) = self.smtp(sid) {
                        match decision {
                            Ok(()) => e.accept_message(&qid),
                            Err(reply) => e.reject_message(reply),
                        }
                    }
                }
                ServerEvent::RecipientProposed { rcpt, .. } if !self.is_local(&rcpt) => {
                    // Check the domain in DNS while the client waits (RFC 7505 §4.3).
                    let domain = rcpt.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).unwrap_or_default();
                    let q = ctx.rng.below(65536) as u16;
                    self.rcpt_checks.push((q, sid, domain.clone()));
                    let query = DnsMessage::query(q, &domain, dns::TYPE_MX);
                    self.out.push_back(HostOutput::Resolve { query, state: "checking the recipient's domain".into() });
                }
                ServerEvent::RecipientProposed { mail_from, rcpt } => {
                    let refusal = self.check_recipient_policy(ctx, &peer_ip, &mail_from, &rcpt);
                    if let Some(e) = self.smtp(sid) {
                        e.decide_recipient(refusal);
                    }
                }
                ServerEvent::TlsStarted => self.out.push_back(HostOutput::TlsStarted(sid)),
                ServerEvent::Closed => {}
            }
        }
        true
    }

    fn drive_pop3(&mut self, ctx: &mut Ctx, sid: SessionId) -> bool {
        let Some(Session::Pop3 { engine, login }) = self.sessions.get_mut(&sid) else { return false };
        let events: Vec<Pop3ServerEvent> = std::iter::from_fn(|| engine.poll_event()).collect();
        let any = !events.is_empty();
        let mut deleted_uids = Vec::new();
        for ev in events {
            match ev {
                Pop3ServerEvent::LoginRequested { user, pass } => {
                    let verdict = self.store.login_user(&user, &pass);
                    if let Some(mb) = verdict.as_ref().ok().and_then(|(a, _)| self.store.mailbox(a)) {
                        engine.set_uid_validity(mb.uid_validity);
                    }
                    *login = engine.answer_login(verdict)
                }
                Pop3ServerEvent::ApopRequested { user, digest, timestamp } => {
                    let verdict = login_apop(&mut self.store, &user, &digest, &timestamp);
                    if let Some(mb) = verdict.as_ref().ok().and_then(|(a, _)| self.store.mailbox(a)) {
                        engine.set_uid_validity(mb.uid_validity);
                    }
                    *login = engine.answer_login(verdict)
                }
                Pop3ServerEvent::Commit { deleted, .. } => {
                    let address = login.take().unwrap_or_default();
                    for uid in self.store.logout(&address, &deleted) {
                        deleted_uids.push((address.clone(), uid));
                    }
                }
                Pop3ServerEvent::TlsStarted => self.out.push_back(HostOutput::TlsStarted(sid)),
                Pop3ServerEvent::Closed => {}
            }
        }
        for (mailbox, uid) in deleted_uids {
            self.mailbox_changed(&mailbox);
            self.log(Event::MessageDeleted { t: ctx.now, node: self.id.clone(), mailbox, uid });
        }
        self.notify_imap(Some(sid));
        any
    }

    fn drive_imap(&mut self, ctx: &mut Ctx, sid: SessionId) -> bool {
        let Some(Session::Imap(engine)) = self.sessions.get_mut(&sid) else { return false };
        let events: Vec<ImapServerEvent> = std::iter::from_fn(|| engine.poll_event()).collect();
        let any = !events.is_empty();
        let changed = events.iter().any(|e| {
            matches!(
                e,
                ImapServerEvent::Stored { .. } | ImapServerEvent::Expunged { .. } | ImapServerEvent::Folder { .. }
            )
        });
        let unix = ctx.unix();
        for ev in events {
            match ev {
                ImapServerEvent::LoggedIn { user } => {
                    let mb = self.store.mailbox(&user).cloned().unwrap_or_default();
                    engine.set_mailbox(mb.messages, mb.uid_validity, mb.uid_next);
                    self.imap_by_account.entry(user.to_ascii_lowercase()).or_default().insert(sid);
                }
                ImapServerEvent::Folder { user, op } => {
                    self.changed_accounts.insert(user.to_ascii_lowercase());
                    let r = apply_folder_op(&mut self.store, &user, &op, unix);
                    // An APPEND, COPY or MOVE into the selected mailbox: the engine announces it
                    // (EXISTS) with its own reply from the result (RFC 9051 §6.3.12).
                    engine.folder_result(r);
                }
                ImapServerEvent::Stored { user, folder, uid, flags } => {
                    self.changed_accounts.insert(user.to_ascii_lowercase());
                    self.store.set_folder_flags(&user, &folder, uid, &flags);
                    if folder == "INBOX" {
                        let node = self.id.clone();
                        self.out.push_back(HostOutput::Log(Event::FlagsChanged {
                            t: ctx.now,
                            node,
                            mailbox: user,
                            uid,
                            flags,
                        }));
                    }
                }
                ImapServerEvent::Expunged { user, folder, uids } => {
                    self.changed_accounts.insert(user.to_ascii_lowercase());
                    for uid in self.store.expunge_folder(&user, &folder, &uids) {
                        if folder == "INBOX" {
                            let (node, mailbox) = (self.id.clone(), user.clone());
                            self.out.push_back(HostOutput::Log(Event::MessageDeleted {
                                t: ctx.now,
                                node,
                                mailbox,
                                uid,
                            }));
                        }
                    }
                }
                ImapServerEvent::TlsStarted => self.out.push_back(HostOutput::TlsStarted(sid)),
                ImapServerEvent::Closed => {}
            }
        }
        if changed {
            // The store numbered this session's changes (RFC 7162 mod-sequences): keep in step.
            if let Some(Session::Imap(e)) = self.sessions.get_mut(&sid) {
                if let Some(m) = e.user().and_then(|u| self.store.folder(u, e.folder())) {
                    e.sync_modseq(m.highest_modseq);
                }
            }
            self.notify_imap(Some(sid));
        }
        any
    }
}

/// A session out of its host (see [`MailHost::detach`]): only its engine, fed input.
#[derive(Debug)]
pub struct Detached {
    sid: SessionId,
    session: Session,
    generation: u64,
}

impl Detached {
    pub fn sid(&self) -> SessionId {
        self.sid
    }

    /// Bytes from the client, to the engine alone (what [`MailHost::handle_input`] does, but
    /// without the store; its events are acted on once attached).
    pub fn handle_input(&mut self, now: Millis, bytes: &[u8]) {
        self.session.engine_mut().handle_input(now, bytes);
    }
}

impl Session {
    fn engine(&self) -> &dyn mailsim_proto::Wire {
        match self {
            Session::Smtp { engine, .. } => engine,
            Session::Pop3 { engine, .. } => engine,
            Session::Imap(e) => e,
        }
    }

    fn engine_mut(&mut self) -> &mut dyn mailsim_proto::Wire {
        match self {
            Session::Smtp { engine, .. } => engine,
            Session::Pop3 { engine, .. } => engine,
            Session::Imap(e) => e,
        }
    }
}
