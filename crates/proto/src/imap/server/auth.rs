//! Getting in: STARTTLS (RFC 9051 §6.2.1), LOGIN (§6.2.3), AUTHENTICATE (§6.2.2) with
//! SCRAM-SHA-256 (RFC 7677) or PLAIN (RFC 4616), and the capabilities each state offers.

use super::{Auth, ImapServer, ImapServerEvent, ImapState};
use crate::imap::response::Status;
use crate::imap::scram::ScramServer;
use base64::Engine as _;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl ImapServer {
    pub(super) fn capabilities(&self) -> String {
        let mut c = vec!["IMAP4rev1", "IMAP4rev2"];
        // STARTTLS, LOGIN and AUTHENTICATE are valid only in the not authenticated state
        // (RFC 9051 §6.2): once logged in, the capabilities no longer offer them (§7.2.2,
        // as Dovecot does); the CAPABILITY after login lists what the new state offers.
        if self.state == ImapState::NotAuthenticated {
            if self.config.starttls && !self.io.tls {
                c.push("STARTTLS");
            }
            c.push("AUTH=SCRAM-SHA-256");
            if self.io.tls || !self.config.login_requires_tls {
                c.push("AUTH=PLAIN");
            } else {
                c.push("LOGINDISABLED");
            }
        } else {
            c.extend(["ENABLE", "IDLE", "UNSELECT", "NAMESPACE", "ESEARCH", "LITERAL+"]);
            // What is implemented beyond that, each with its RFC (see explain.rs).
            c.extend([
                "ID",
                "UIDPLUS",
                "MOVE",
                "CHILDREN",
                "LIST-EXTENDED",
                "LIST-STATUS",
                "SPECIAL-USE",
                "SEARCHRES",
                "BINARY",
                "CONDSTORE",
                "QRESYNC",
                "QUOTA",
                "QUOTA=RES-STORAGE",
                "SORT",
                "THREAD=ORDEREDSUBJECT",
                "THREAD=REFERENCES",
            ]);
        }
        c.join(" ")
    }

    pub(super) fn on_starttls(&mut self, tag: &str) {
        if self.config.starttls && !self.io.tls {
            self.ok(tag, "STARTTLS", vec![], "Begin TLS negotiation now".into());
            // RFC 9051 §6.2.1: discard anything the client pipelined before TLS.
            self.io.start_tls(ImapServerEvent::TlsStarted);
        } else {
            self.bad(tag, "STARTTLS", "STARTTLS is not available (not offered, or TLS is already active)");
        }
    }

    pub(super) fn on_login(&mut self, tag: &str, user: &str, pass: &str) {
        if self.config.login_requires_tls && !self.io.tls {
            return self.no(
                tag,
                "LOGIN",
                "[PRIVACYREQUIRED] LOGIN is disabled until the connection is encrypted: use STARTTLS first",
            );
        }
        match self.password_of(user) {
            Some((address, p)) if p == pass => self.logged_in(tag, address, "LOGIN"),
            _ => self.no(tag, "LOGIN", "[AUTHENTICATIONFAILED] Invalid credentials"),
        }
    }

    pub(super) fn on_authenticate(&mut self, tag: &str, mechanism: &str, initial: Option<String>) {
        match mechanism {
            "SCRAM-SHA-256" => {
                self.auth = Auth::ScramFirst(tag.to_string());
                match initial {
                    Some(ir) => self.on_sasl(&ir),
                    None => self.continuation("", ""),
                }
            }
            "PLAIN" if self.io.tls || !self.config.login_requires_tls => match initial {
                Some(ir) => {
                    let decoded = B64.decode(ir.trim()).ok().and_then(|b| String::from_utf8(b).ok());
                    self.check_plain(tag, decoded)
                }
                None => {
                    self.auth = Auth::Plain(tag.to_string());
                    self.continuation("", "");
                }
            },
            "PLAIN" => self.no(tag, "AUTHENTICATE", "[PRIVACYREQUIRED] PLAIN sends the password: use STARTTLS first"),
            _ => self.no(
                tag,
                "AUTHENTICATE",
                &format!("Unsupported authentication mechanism {mechanism}: use SCRAM-SHA-256 or PLAIN"),
            ),
        }
    }

    pub(super) fn logged_in(&mut self, tag: &str, user: String, how: &str) {
        self.user = Some(user.clone());
        self.state = ImapState::Authenticated;
        self.awaiting_mailbox = true;
        let caps = self.capabilities();
        self.respond(
            vec![],
            Some((tag, Status::Ok, format!("[CAPABILITY {caps}] {how} authentication successful"))),
            "AUTHENTICATE",
        );
        self.io.events.push_back(ImapServerEvent::LoggedIn { user });
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

    pub(super) fn on_sasl(&mut self, line: &str) {
        let auth = std::mem::replace(&mut self.auth, Auth::None);
        let tag = match &auth {
            Auth::ScramFirst(t) | Auth::ScramFinal(t, _) | Auth::ScramDone(t, _) | Auth::Plain(t) => t.clone(),
            Auth::None => return,
        };
        if line == "*" {
            return self.respond(
                vec![],
                Some((&tag, Status::Bad, "Authentication cancelled by the client".into())),
                "AUTHENTICATE",
            );
        }
        let fail = |s: &mut Self| {
            s.respond(
                vec![],
                Some((&tag, Status::No, "[AUTHENTICATIONFAILED] Authentication failed".into())),
                "AUTHENTICATE",
            )
        };
        let decoded = B64.decode(line.trim()).ok().and_then(|b| String::from_utf8(b).ok());
        match auth {
            Auth::ScramFirst(_) => {
                let Some(first) = decoded else {
                    return self.respond(
                        vec![],
                        Some((&tag, Status::Bad, "Cannot decode the base64 response".into())),
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
                        Some((&tag, Status::Bad, "Malformed SCRAM client-first message".into())),
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
                    Some((tag, Status::No, "[AUTHENTICATIONFAILED] Invalid credentials".into())),
                    "AUTHENTICATE",
                ),
            },
            _ => self.respond(
                vec![],
                Some((tag, Status::Bad, "PLAIN wants base64 of authzid NUL user NUL password".into())),
                "AUTHENTICATE",
            ),
        }
    }

    pub(super) fn on_logout(&mut self, tag: &str) {
        let host = self.config.hostname.clone();
        let bye = format!("* BYE {host} IMAP4rev2 server terminating connection");
        self.ok(tag, "LOGOUT", vec![bye.into()], "LOGOUT completed".into());
        self.state = ImapState::Logout;
        self.io.events.push_back(ImapServerEvent::Closed);
    }

    pub(super) fn on_enable(&mut self, tag: &str, caps: &[String]) {
        let mut enabled: Vec<String> = Vec::new();
        for c in caps {
            match c.as_str() {
                "IMAP4REV2" => {
                    self.rev2 = true;
                    enabled.push("IMAP4rev2".into());
                }
                // RFC 7162 §3.1, §3.2.3: QRESYNC turns CONDSTORE on too.
                "CONDSTORE" | "QRESYNC" => {
                    self.view.condstore = true;
                    self.view.qresync |= c == "QRESYNC";
                    enabled.push(c.clone());
                }
                _ => {}
            }
        }
        let lines = if enabled.is_empty() { vec![] } else { vec![format!("* ENABLED {}", enabled.join(" ")).into()] };
        self.ok(tag, "ENABLE", lines, "ENABLE completed".into())
    }
}
