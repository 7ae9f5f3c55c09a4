//! The answer to each SMTP command (RFC 5321 §4.1.1), and to the end of the mail data.

use super::config::Role;
use super::{ReceivedMessage, ServerEvent, ServerState, SmtpServer};
use crate::pdu::SmtpReplyTo;
use crate::smtp::command::Command;
use crate::smtp::data;
use crate::smtp::params::{self, Body};
use crate::smtp::reply::Reply;

impl SmtpServer {
    pub(super) fn on_data(&mut self, md: data::MailData) {
        if md.message.len() > self.config.max_message_size {
            let limit = self.config.max_message_size;
            self.send(
                Reply::enhanced(552, "5.3.4", format!("Message size exceeds fixed limit of {limit} octets")),
                SmtpReplyTo::EndOfData,
            );
            self.end_transaction();
        } else if md.bare_cr_or_lf && self.mail_params.body != Body::BinaryMime {
            // RFC 5321 §2.3.8: a bare CR or LF is not a line ending. Receivers that treat it as
            // one can be tricked into ending DATA early (SMTP smuggling), so refuse the message.
            let r = Reply::enhanced(
                554,
                "5.5.2",
                "Message refused: it contains a bare CR or LF, which RFC 5321 section 2.3.8 forbids",
            );
            self.send(r, SmtpReplyTo::EndOfData);
            self.end_transaction();
        } else if md.longest_line > data::MAX_TEXT_LINE && self.mail_params.body != Body::BinaryMime {
            self.send(
                Reply::enhanced(
                    500,
                    "5.5.2",
                    "Line too long: text lines are limited to 1000 octets (RFC 5321 section 4.5.3.1.6)",
                ),
                SmtpReplyTo::EndOfData,
            );
            self.end_transaction();
        } else {
            let (helo, esmtp) = self.helo.clone().unwrap_or_default();
            self.state = ServerState::Deciding;
            self.io.events.push_back(ServerEvent::MessageReceived(ReceivedMessage {
                helo,
                esmtp,
                tls: self.io.tls,
                authenticated: self.authenticated.clone(),
                mail_from: self.mail_from.clone(),
                rcpt_to: self.rcpt_to.clone(),
                data: md.message,
                params: self.mail_params.clone(),
                rcpt_params: self.rcpt_params.clone(),
            }));
        }
    }

    pub(super) fn bad_sequence(&mut self, text: &str) {
        self.send(Reply::enhanced(503, "5.5.1", text), SmtpReplyTo::Error);
    }

    /// MAIL and RCPT parameters belong to service extensions, which exist only in a session
    /// opened with EHLO (RFC 5321 §4.1.1.11, §3.3; RFC 1869 §4.4): after HELO none is
    /// recognized, so any parameter is 555.
    fn params_need_ehlo(&self, params: &[String], verb: &str) -> Option<Reply> {
        let esmtp = self.helo.as_ref().is_some_and(|(_, esmtp)| *esmtp);
        let first = params.first().filter(|_| !esmtp)?;
        let name = first.split('=').next().unwrap_or(first);
        let text = format!(
            "{verb} parameters not recognized or not implemented: {name} is a service extension, and this session \
             began with HELO (send EHLO to use extensions)"
        );
        Some(Reply::enhanced(555, "5.5.4", text))
    }

    /// STARTTLS is offered where it is configured and TLS is not yet on (RFC 3207 §4.2).
    fn offers_starttls(&self) -> bool {
        self.config.starttls && !self.io.tls
    }

    /// Like Postfix's smtpd_tls_auth_only: AUTH is offered only where it may be used.
    fn offers_auth(&self) -> bool {
        !self.config.accounts.is_empty() && (self.io.tls || !self.config.require_tls)
    }

    pub(super) fn on_command(&mut self, cmd: Command) {
        if self.config.rules.refuse_all && cmd != Command::Quit {
            let r = Reply::enhanced(521, "5.3.2", format!("{} does not accept mail", self.config.hostname));
            return self.send(r, SmtpReplyTo::Error);
        }
        match cmd {
            Command::Ehlo { domain } => {
                let mut lines = vec![
                    format!("{} greets {domain}", self.config.hostname),
                    "PIPELINING".into(),
                    format!("SIZE {}", self.config.max_message_size),
                    "8BITMIME".into(),
                    "ENHANCEDSTATUSCODES".into(),
                ];
                if self.offers_starttls() {
                    lines.push("STARTTLS".into());
                }
                if self.offers_auth() {
                    lines.push("AUTH PLAIN LOGIN".into());
                }
                // RFC 3461 (DSN), RFC 6531 (SMTPUTF8), RFC 3030 (CHUNKING, BINARYMIME).
                lines.extend(["DSN", "SMTPUTF8", "CHUNKING", "BINARYMIME"].map(String::from));
                self.helo = Some((domain, true));
                self.end_transaction();
                self.send(Reply { code: 250, lines }, SmtpReplyTo::Ehlo);
            }
            Command::Helo { domain } => {
                let text = format!("{} greets {domain}", self.config.hostname);
                self.helo = Some((domain, false));
                self.end_transaction();
                self.send(Reply::new(250, text), SmtpReplyTo::Helo);
            }
            Command::Mail { from, params } => {
                if self.helo.is_none() {
                    return self.bad_sequence("Send EHLO or HELO first");
                }
                if self.state != ServerState::Ready {
                    return self
                        .bad_sequence("Nested MAIL command: a transaction is already open (send RSET to start over)");
                }
                if self.config.require_tls && !self.io.tls {
                    return self
                        .send(Reply::enhanced(530, "5.7.0", "Must issue a STARTTLS command first"), SmtpReplyTo::Mail);
                }
                if self.config.require_tls_inbound && !self.io.tls {
                    return self.send(
                        Reply::enhanced(
                            523,
                            "5.7.10",
                            "Encryption Needed: this server takes mail only over TLS (STARTTLS first)",
                        ),
                        SmtpReplyTo::Mail,
                    );
                }
                if self.config.role == Role::Submission && self.authenticated.is_none() && !self.config.trusted_peer {
                    return self.send(
                        Reply::enhanced(
                            530,
                            "5.7.0",
                            "Authentication required: the submission port takes mail only from logged-in users",
                        ),
                        SmtpReplyTo::Mail,
                    );
                }
                if let Some(user) = &self.authenticated {
                    if !from.eq_ignore_ascii_case(user) {
                        let r = Reply::enhanced(
                            553,
                            "5.7.1",
                            format!("<{from}>: Sender address rejected: not owned by user {user}"),
                        );
                        return self.send(r, SmtpReplyTo::Mail);
                    }
                }
                if let Some(r) = self.params_need_ehlo(&params, "MAIL FROM") {
                    return self.send(r, SmtpReplyTo::Mail);
                }
                let mp = match params::parse_mail(&params) {
                    Ok(mp) => mp,
                    Err(r) => return self.send(r, SmtpReplyTo::Mail),
                };
                if !from.is_ascii() && !mp.smtputf8 {
                    return self.send(not_ascii(&from), SmtpReplyTo::Mail);
                }
                match mp.size {
                    // RFC 1870 §6.1: the fixed limit first (permanent), then what fits now.
                    Some(n) if n > self.config.max_message_size => {
                        let limit = self.config.max_message_size;
                        let r = Reply::enhanced(
                            552,
                            "5.3.4",
                            format!("Message size {n} exceeds fixed limit of {limit} octets"),
                        );
                        return self.send(r, SmtpReplyTo::Mail);
                    }
                    Some(n) if self.config.rules.low_disk => {
                        let text =
                            format!("Insufficient system storage: not enough free disk space for SIZE={n} right now");
                        return self.send(Reply::enhanced(452, "4.3.1", text), SmtpReplyTo::Mail);
                    }
                    _ => {}
                }
                self.mail_params = mp;
                let text = format!("Sender <{from}> OK");
                self.mail_from = from;
                self.state = ServerState::MailFrom;
                self.send(Reply::enhanced(250, "2.1.0", text), SmtpReplyTo::Mail);
            }
            Command::Rcpt { to, params } => {
                if !matches!(self.state, ServerState::MailFrom | ServerState::RcptTo) {
                    return self.bad_sequence("Need MAIL FROM before RCPT TO");
                }
                if let Some(r) = self.params_need_ehlo(&params, "RCPT TO") {
                    return self.send(r, SmtpReplyTo::Rcpt);
                }
                let rp = match params::parse_rcpt(&params) {
                    Ok(rp) => rp,
                    Err(r) => return self.send(r, SmtpReplyTo::Rcpt),
                };
                if !to.is_ascii() && !self.mail_params.smtputf8 {
                    return self.send(not_ascii(&to), SmtpReplyTo::Rcpt);
                }
                // RFC 5321 §4.1.1.11: a known parameter that cannot be accommodated now is 455
                // when its definition names no other code; RFC 3461 names none for NOTIFY.
                if self.config.rules.low_disk && rp.notify.is_some_and(|n| n.success) {
                    let text = "Server unable to accommodate parameters: NOTIFY=SUCCESS (no disk space to queue \
                                success notifications right now; retry later or without SUCCESS)";
                    return self.send(Reply::enhanced(455, "4.3.1", text), SmtpReplyTo::Rcpt);
                }
                if self.rcpt_to.len() >= Self::MAX_RECIPIENTS {
                    return self.send(Reply::enhanced(452, "4.5.3", "Too many recipients"), SmtpReplyTo::Rcpt);
                }
                if let Some((_, new, forward)) =
                    self.config.rules.forwards.iter().find(|(a, _, _)| a.eq_ignore_ascii_case(&to)).cloned()
                {
                    if !forward {
                        let r = Reply::enhanced(551, "5.1.6", format!("User not local; please try <{new}>"));
                        return self.send(r, SmtpReplyTo::Rcpt);
                    }
                    self.rcpt_to.push(to);
                    self.rcpt_params.push(rp);
                    self.state = ServerState::RcptTo;
                    return self.send(
                        Reply::enhanced(251, "2.1.5", format!("User not local; will forward to <{new}>")),
                        SmtpReplyTo::Rcpt,
                    );
                }
                let reply = self.check_recipient(&to);
                // The postmaster is exempt from the owner's checks (greylisting, quotas): it
                // must stay reachable to report problems (RFC 5321 §4.5.1).
                let ask = if self.config.postmaster(&to).is_some() {
                    false
                } else if self.is_local(&to) {
                    self.config.ask_owner_about_recipients
                } else {
                    self.config.check_remote_recipients
                };
                if reply.is_positive_completion() && ask {
                    self.state = ServerState::CheckingRecipient;
                    self.io.events.push_back(ServerEvent::RecipientProposed {
                        mail_from: self.mail_from.clone(),
                        rcpt: to.clone(),
                    });
                    self.pending_rcpt = Some(to);
                    self.pending_rcpt_params = rp;
                    return;
                }
                if reply.is_positive_completion() {
                    self.rcpt_to.push(to);
                    self.rcpt_params.push(rp);
                    self.state = ServerState::RcptTo;
                }
                self.send(reply, SmtpReplyTo::Rcpt);
            }
            Command::Data if self.bdat.is_some() && matches!(self.state, ServerState::RcptTo) => self
                .bad_sequence("DATA after BDAT: one transaction uses one or the other (RFC 3030 section 2); send RSET"),
            Command::Data
                if self.mail_params.body == Body::BinaryMime
                    && matches!(self.state, ServerState::MailFrom | ServerState::RcptTo) =>
            {
                self.bad_sequence("BODY=BINARYMIME needs BDAT, not DATA (RFC 3030 section 3)")
            }
            Command::Data => match self.state {
                ServerState::RcptTo => {
                    self.state = ServerState::Data;
                    self.send(Reply::new(354, "End data with <CR><LF>.<CR><LF>"), SmtpReplyTo::Data);
                }
                ServerState::MailFrom => {
                    self.send(Reply::enhanced(554, "5.5.1", "No valid recipients"), SmtpReplyTo::Data)
                }
                _ => self.bad_sequence("Need MAIL FROM and RCPT TO before DATA"),
            },
            Command::Rset => {
                self.end_transaction();
                self.send(Reply::enhanced(250, "2.0.0", "OK: transaction reset"), SmtpReplyTo::Rset);
            }
            Command::Noop => self.send(Reply::enhanced(250, "2.0.0", "OK"), SmtpReplyTo::Noop),
            Command::Vrfy { .. } => self.send(
                Reply::enhanced(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"),
                SmtpReplyTo::Vrfy,
            ),
            Command::Help { topic: Some(t) } if t.eq_ignore_ascii_case("STATUS") => {
                let lines = vec![
                    format!("2.0.0 {} system status", self.config.hostname),
                    format!(
                        "2.0.0 accepting mail for {}; session: {} error(s) so far",
                        self.config.local_domains.join(", "),
                        self.errors
                    ),
                    "2.0.0 end of status".into(),
                ];
                self.send(Reply { code: 211, lines }, SmtpReplyTo::Help);
            }
            Command::Help { .. } => {
                // The commands this port offers now, as its EHLO lists them.
                let mut commands = String::from("2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT");
                if self.offers_starttls() {
                    commands.push_str(" STARTTLS");
                }
                if self.offers_auth() {
                    commands.push_str(" AUTH");
                }
                let lines = vec![
                    commands,
                    "2.0.0 RSET NOOP VRFY HELP QUIT".into(),
                    "2.0.0 HELP STATUS gives the server's status; see RFC 5321".into(),
                ];
                self.send(Reply { code: 214, lines }, SmtpReplyTo::Help);
            }
            Command::StartTls => {
                if !self.config.starttls {
                    return self.send(
                        Reply::enhanced(502, "5.5.1", "STARTTLS is not offered on this port"),
                        SmtpReplyTo::StartTls,
                    );
                }
                if self.io.tls {
                    return self.send(Reply::enhanced(554, "5.5.1", "TLS is already active"), SmtpReplyTo::StartTls);
                }
                if self.config.rules.tls_temporarily_unavailable {
                    return self.send(
                        Reply::enhanced(454, "4.7.0", "TLS not available due to temporary reason"),
                        SmtpReplyTo::StartTls,
                    );
                }
                if !matches!(self.state, ServerState::Greeted | ServerState::Ready) {
                    return self.bad_sequence("STARTTLS is not allowed during a mail transaction");
                }
                self.send(Reply::enhanced(220, "2.0.0", "Ready to start TLS"), SmtpReplyTo::StartTls);
                // RFC 3207 §4.2: forget everything learned before TLS, and drop any bytes the
                // client pipelined behind STARTTLS (they were not protected: CVE-2011-0411).
                self.helo = None;
                self.authenticated = None;
                self.end_transaction();
                self.io.start_tls(ServerEvent::TlsStarted);
            }
            Command::Auth { mechanism, initial } => self.on_auth(&mechanism, initial),
            // Taken apart in `process` (the chunk follows the line); kept here for completeness.
            Command::Bdat { size, last } => self.on_bdat(size, last, Vec::new()),
            Command::Quit => {
                let text = format!("{} closing connection", self.config.hostname);
                self.send(Reply::enhanced(221, "2.0.0", text), SmtpReplyTo::Quit);
                self.state = ServerState::Closed;
                self.io.events.push_back(ServerEvent::Closed);
            }
        }
    }

    fn is_local(&self, to: &str) -> bool {
        to.rsplit_once('@').is_some_and(|(_, d)| self.config.is_local_domain(d))
    }

    fn check_recipient(&self, to: &str) -> Reply {
        let domain = to.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        // RFC 5321 §4.5.1: <Postmaster> and postmaster@ each local domain MUST be accepted.
        if to.eq_ignore_ascii_case("postmaster") || self.config.is_local_domain(domain) {
            if self.config.postmaster(to).is_some() || self.config.is_local_user(to) {
                Reply::enhanced(250, "2.1.5", format!("Recipient <{to}> OK"))
            } else {
                Reply::enhanced(550, "5.1.1", format!("<{to}>: Recipient address rejected: no such user here"))
            }
        } else if self.authenticated.is_some() || self.config.trusted_peer {
            Reply::enhanced(250, "2.1.5", format!("Recipient <{to}> OK (will relay)"))
        } else {
            Reply::enhanced(
                554,
                "5.7.1",
                format!("<{to}>: Relay access denied: {} is not a domain of this server", domain),
            )
        }
    }
}

/// RFC 6531 §3.7.4.1: a non-ASCII address without the SMTPUTF8 parameter is refused with
/// 553 and X.6.7 (RFC 5248: non-ASCII addresses not permitted for that sender/recipient).
fn not_ascii(address: &str) -> Reply {
    Reply::enhanced(
        553,
        "5.6.7",
        format!("<{address}>: non-ASCII address not permitted without the SMTPUTF8 parameter on MAIL FROM (RFC 6531)"),
    )
}
