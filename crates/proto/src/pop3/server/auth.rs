//! POP3 logins beyond USER/PASS: SASL AUTH (RFC 5034) with PLAIN (RFC 4616) and LOGIN, the
//! rule that passwords in the clear wait for TLS where the owner says so (RFC 2595 §2.3;
//! `-ERR [AUTH]` as Dovecot answers), and CAPA listing exactly what works right now.

use super::{Pop3Server, Pop3ServerEvent, Pop3State};
use crate::pdu::Pop3ReplyTo;
use crate::pop3::command::Command;
use crate::pop3::response::Response;
use base64::Engine as _;

/// The longest client response line inside AUTH, CRLF included. RFC 5034 §4 caps the AUTH
/// command line (initial response included) at 255 octets; the response lines after a `+`
/// challenge are not command lines, and this server takes them up to this length.
pub const MAX_SASL_LINE: usize = 4096;

/// Where an AUTH exchange stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SaslStep {
    /// Sent `+ ` for PLAIN: waiting for authzid\0authcid\0password.
    Plain,
    /// LOGIN: sent `+ VXNlcm5hbWU6` ("Username:").
    LoginUser,
    /// LOGIN: sent `+ UGFzc3dvcmQ6` ("Password:") for this user.
    LoginPass(String),
}

/// The mechanisms this server knows.
pub const MECHANISMS: [&str; 2] = ["PLAIN", "LOGIN"];

const PLAINTEXT_REFUSED: &str =
    "[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections: use STLS first";

fn decode64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s.trim()).ok()
}

impl Pop3Server {
    /// Whether a password may be sent now: inside TLS, or where the owner allows it in the
    /// clear (loopback, a trusted network, a lesson on a private machine).
    pub(super) fn plaintext_ok(&self) -> bool {
        self.io.tls || self.config.plaintext_auth
    }

    /// The CAPA list (RFC 2449 §5, §6): only what this session can use now.
    pub(super) fn capabilities(&self) -> Vec<u8> {
        let mut c = vec!["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
        let sasl = format!("SASL {}", MECHANISMS.join(" "));
        if self.plaintext_ok() {
            c.push("USER");
            c.push(&sasl);
        }
        if self.config.stls && !self.io.tls {
            c.push("STLS");
        }
        c.push("IMPLEMENTATION Mailsim");
        c.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect()
    }

    /// USER when passwords may not be sent yet: refused before the password is typed.
    pub(super) fn refuse_plaintext(&self) -> Option<Response> {
        (!self.plaintext_ok()).then(|| Response::err(PLAINTEXT_REFUSED))
    }

    /// `AUTH [mechanism [initial-response]]` in the AUTHORIZATION state.
    pub(super) fn on_auth(&mut self, mechanism: Option<String>, initial: Option<String>) -> Option<Response> {
        let Some(mechanism) = mechanism else {
            // The mechanism list, as Dovecot and others answer a bare AUTH (Outlook asks so):
            // like CAPA's SASL line, only what may be used now (none before TLS if passwords
            // must wait for it).
            let usable: &[&str] = if self.plaintext_ok() { &MECHANISMS } else { &[] };
            let body = usable.iter().flat_map(|m| format!("{m}\r\n").into_bytes()).collect();
            return Some(Response::multi("Supported SASL mechanisms follow", body));
        };
        if !MECHANISMS.contains(&mechanism.as_str()) {
            let known = MECHANISMS.join(" ");
            return Some(Response::err(format!("Unsupported authentication mechanism {mechanism} (known: {known})")));
        }
        if let Some(refused) = self.refuse_plaintext() {
            return Some(refused);
        }
        self.reply_to = Pop3ReplyTo::Auth;
        match (mechanism.as_str(), initial) {
            // RFC 5034 §4: "=" is an empty initial response.
            ("PLAIN", Some(i)) => self.on_sasl_line(SaslStep::Plain, &i),
            ("PLAIN", None) => self.challenge(SaslStep::Plain, ""),
            (_, Some(i)) => self.on_sasl_line(SaslStep::LoginUser, &i),
            (_, None) => self.challenge(SaslStep::LoginUser, "VXNlcm5hbWU6"),
        }
    }

    fn challenge(&mut self, step: SaslStep, text: &str) -> Option<Response> {
        self.sasl = Some(step);
        self.send(Response::challenge(text), Pop3ReplyTo::AuthChallenge);
        None
    }

    /// A response line inside AUTH (or an initial response): the next challenge, a login
    /// for the owner to check, or -ERR.
    pub(super) fn on_sasl_line(&mut self, step: SaslStep, line: &str) -> Option<Response> {
        let fail = |why: &str| Some(Response::err(why.to_string()));
        if line == "*" {
            return fail("AUTH cancelled by the client");
        }
        let decoded = if line == "=" { Some(Vec::new()) } else { decode64(line) };
        let Some(decoded) = decoded else {
            return fail("AUTH failed: the response is not valid base64 (RFC 5034 section 4)");
        };
        let text = String::from_utf8_lossy(&decoded).into_owned();
        match step {
            SaslStep::Plain => {
                let mut parts = text.split('\0');
                let (Some(authz), Some(user), Some(pass), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return fail("[AUTH] AUTH PLAIN expects authzid NUL authcid NUL password (RFC 4616 section 2)");
                };
                if !authz.is_empty() && authz != user {
                    return fail("[AUTH] acting as another user (an authorization identity) is not supported");
                }
                self.request_login(user.to_string(), pass.to_string())
            }
            SaslStep::LoginUser => self.challenge(SaslStep::LoginPass(text), "UGFzc3dvcmQ6"),
            SaslStep::LoginPass(user) => self.request_login(user, text),
        }
    }

    fn request_login(&mut self, user: String, pass: String) -> Option<Response> {
        if user.is_empty() || pass.is_empty() {
            return Some(Response::err("[AUTH] empty user name or password"));
        }
        self.user = Some(user.clone());
        self.state = Pop3State::CheckingPassword;
        self.io.events.push_back(Pop3ServerEvent::LoginRequested { user, pass });
        None
    }

    /// Reads the client's line while an AUTH exchange waits for one; returns false when more
    /// bytes are needed.
    pub(super) fn read_sasl_line(&mut self) -> bool {
        let Some((bytes, line)) = self.io.next_line() else {
            // The rest of the line is skipped up to its CRLF, so the next line is a command.
            if self.io.overlong(MAX_SASL_LINE + 1) {
                self.sasl = None;
                self.send(Response::err("AUTH failed: response line too long"), Pop3ReplyTo::Auth);
            }
            return false;
        };
        let end = bytes.len();
        self.io.receive(bytes, crate::pdu::Pdu::Pop3Command(Command::SaslResponse(line.clone())));
        let step = self.sasl.take().unwrap_or(SaslStep::Plain);
        if end > MAX_SASL_LINE {
            self.send(Response::err("AUTH failed: response line too long"), Pop3ReplyTo::Auth);
        } else if let Some(r) = self.on_sasl_line(step, &line) {
            self.send(r, Pop3ReplyTo::Auth);
        }
        true
    }
}
