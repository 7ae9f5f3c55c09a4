//! AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms: the 334 challenges, the
//! base64 answers, and the checks against the server's accounts.

use super::{AuthStep, ServerState, SmtpServer};
use crate::pdu::SmtpReplyTo;
use crate::smtp::reply::Reply;
use base64::Engine as _;

fn encode64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode64(s: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD.decode(s.trim()).ok().and_then(|b| String::from_utf8(b).ok())
}

impl SmtpServer {
    pub(super) fn on_auth(&mut self, mechanism: &str, initial: Option<String>) {
        match &self.helo {
            None => return self.bad_sequence("Send EHLO first"),
            // AUTH is a service extension: in force only after EHLO advertised it (RFC 4954
            // §3, RFC 5321 §2.2.1); Exim answers the same, Postfix lets it pass.
            Some((_, false)) => {
                let text = "AUTH is an extension: HELO offers none, send EHLO first";
                return self.send(Reply::enhanced(503, "5.5.1", text), SmtpReplyTo::Auth);
            }
            Some(_) => {}
        }
        if self.config.accounts.is_empty() {
            return self
                .send(Reply::enhanced(503, "5.5.1", "Authentication is not enabled on this port"), SmtpReplyTo::Auth);
        }
        if self.authenticated.is_some() {
            return self.bad_sequence("Already authenticated");
        }
        if self.state != ServerState::Ready {
            return self.bad_sequence("AUTH is not permitted during a mail transaction");
        }
        if self.config.require_tls && !self.io.tls {
            let r = Reply::enhanced(
                538,
                "5.7.11",
                "Encryption required for requested authentication mechanism: use STARTTLS first",
            );
            return self.send(r, SmtpReplyTo::Auth);
        }
        match (mechanism, initial) {
            ("PLAIN", Some(resp)) => self.check_plain(&resp),
            ("PLAIN", None) => {
                self.auth = AuthStep::PlainResponse;
                self.state = ServerState::Authenticating;
                self.send(Reply::new(334, ""), SmtpReplyTo::AuthChallenge);
            }
            ("LOGIN", _) if self.config.rules.login_too_weak => self.send(
                Reply::enhanced(534, "5.7.9", "Authentication mechanism is too weak: use PLAIN inside TLS"),
                SmtpReplyTo::Auth,
            ),
            ("LOGIN", Some(user)) => match decode64(&user) {
                Some(u) => self.ask_password(u),
                None => {
                    self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth)
                }
            },
            ("LOGIN", None) => {
                self.auth = AuthStep::LoginUser;
                self.state = ServerState::Authenticating;
                self.send(Reply::new(334, encode64(b"Username:")), SmtpReplyTo::AuthChallenge);
            }
            _ => self.send(
                Reply::enhanced(
                    504,
                    "5.5.4",
                    format!("Unrecognized authentication type {mechanism}: this server offers PLAIN and LOGIN"),
                ),
                SmtpReplyTo::Auth,
            ),
        }
    }

    fn ask_password(&mut self, user: String) {
        self.auth = AuthStep::LoginPass(user);
        self.state = ServerState::Authenticating;
        self.send(Reply::new(334, encode64(b"Password:")), SmtpReplyTo::AuthChallenge);
    }

    pub(super) fn on_auth_response(&mut self, line: &str) {
        let step = std::mem::replace(&mut self.auth, AuthStep::None);
        self.state = ServerState::Ready;
        if line == "*" {
            return self
                .send(Reply::enhanced(501, "5.0.0", "Authentication cancelled by the client"), SmtpReplyTo::Auth);
        }
        match step {
            AuthStep::PlainResponse => self.check_plain(line),
            AuthStep::LoginUser => match decode64(line) {
                Some(u) => self.ask_password(u),
                None => {
                    self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth)
                }
            },
            AuthStep::LoginPass(user) => match decode64(line) {
                Some(pass) => self.finish_auth(&user, &pass),
                None => {
                    self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth)
                }
            },
            AuthStep::None => {}
        }
    }

    /// `authzid NUL authcid NUL passwd`, base64 (RFC 4616 §2).
    fn check_plain(&mut self, b64: &str) {
        let decoded = if b64 == "=" { Some(String::new()) } else { decode64(b64) };
        let Some(decoded) = decoded else {
            return self.send(Reply::enhanced(501, "5.5.2", "Cannot decode the base64 response"), SmtpReplyTo::Auth);
        };
        let parts: Vec<&str> = decoded.split('\0').collect();
        match parts.as_slice() {
            [authz, user, pass] if authz.is_empty() || authz == user => {
                let (user, pass) = (user.to_string(), pass.to_string());
                self.finish_auth(&user, &pass)
            }
            _ => self.send(
                Reply::enhanced(501, "5.5.2", "PLAIN response must be authzid NUL authcid NUL password"),
                SmtpReplyTo::Auth,
            ),
        }
    }

    fn finish_auth(&mut self, user: &str, pass: &str) {
        let account = self.config.accounts.iter().find(|(a, p)| {
            (a.eq_ignore_ascii_case(user) || a.split('@').next().is_some_and(|l| l.eq_ignore_ascii_case(user)))
                && p == pass
        });
        match account {
            Some((address, _))
                if self.config.rules.password_transition.iter().any(|a| a.eq_ignore_ascii_case(address)) =>
            {
                self.send(
                    Reply::enhanced(
                        432,
                        "4.7.12",
                        "A password transition is needed: change your password in webmail, then try again",
                    ),
                    SmtpReplyTo::Auth,
                )
            }
            Some((address, _)) => {
                self.authenticated = Some(address.clone());
                self.send(Reply::enhanced(235, "2.7.0", "Authentication successful"), SmtpReplyTo::Auth);
            }
            None => self.send(Reply::enhanced(535, "5.7.8", "Authentication credentials invalid"), SmtpReplyTo::Auth),
        }
    }
}
