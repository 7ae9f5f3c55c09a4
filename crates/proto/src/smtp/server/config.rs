//! How an SMTP server behaves: its role (relay or submission), names, users and limits.

use crate::store::Accounts;
use std::sync::Arc;

use crate::engine::{Millis, SMTP_IDLE_TIMEOUT};

/// What the server is for, which decides whom it relays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Port 587 (RFC 6409): takes mail from its own users for any destination.
    Submission,
    /// Port 25: takes mail for its own domains from anyone, relays for no one.
    Relay,
}

/// How a server behaves: its name, its domains and users, its limits.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's host name, as in its greeting and `Received:` fields.
    pub hostname: String,
    pub role: Role,
    /// Domains whose mail this server delivers to local mailboxes.
    pub local_domains: Vec<String>,
    /// Addresses that have a mailbox here (shared: a host hands the same list to each of
    /// its sessions instead of a copy per connection).
    pub local_users: Arc<[String]>,
    /// The SIZE limit (RFC 1870) in octets.
    pub max_message_size: usize,
    /// Accounts that may authenticate, as (address, password); empty: AUTH is not offered.
    pub accounts: Accounts,
    /// Offer STARTTLS (RFC 3207).
    pub starttls: bool,
    /// TLS from the first byte (port 465, RFC 8314).
    pub implicit_tls: bool,
    /// No AUTH (538) and no MAIL on submission (530) before TLS is active.
    pub require_tls: bool,
    /// The client is on the provider's own network (Postfix's `mynetworks`): it may submit
    /// without authenticating.
    pub trusted_peer: bool,
    /// Let the owner decide on each local recipient that passes the checks (greylisting,
    /// full mailboxes): the engine emits [`super::ServerEvent::RecipientProposed`] and waits.
    pub ask_owner_about_recipients: bool,
    /// Also ask about remote recipients we would relay for (the owner checks their domain
    /// in DNS: 556 for a null MX, RFC 7505 §4.3).
    pub check_remote_recipients: bool,
    /// Its limits and the situations a lesson stages, the same on every port of a host.
    pub rules: SmtpRules,
    /// Port 25 takes mail only over TLS: 523 (RFC 5248 §2.4, 5.7.10 Encryption Needed).
    pub require_tls_inbound: bool,
    /// Close with 421 after this long without input; `None`: never (RFC 5321 §4.5.3.2.7).
    pub idle_timeout: Option<Millis>,
}

impl ServerConfig {
    /// A relay (port 25) or submission (port 587) server with everything extra turned off.
    pub fn basic(hostname: &str, role: Role, local_domains: &[&str], local_users: &[&str]) -> Self {
        ServerConfig {
            hostname: hostname.into(),
            role,
            local_domains: local_domains.iter().map(|s| s.to_string()).collect(),
            local_users: local_users.iter().map(|s| s.to_string()).collect(),
            max_message_size: crate::limits::MESSAGE_SIZE,
            accounts: Accounts::default(),
            starttls: false,
            implicit_tls: false,
            require_tls: false,
            trusted_peer: false,
            ask_owner_about_recipients: false,
            check_remote_recipients: false,
            rules: SmtpRules::default(),
            require_tls_inbound: false,
            idle_timeout: Some(SMTP_IDLE_TIMEOUT),
        }
    }
}

/// How an SMTP server answers where the protocol leaves a choice to the server: its error
/// limit and the situations a lesson stages (moved users, accounts in transition, a weak
/// mechanism refused, short-lived faults, a host that takes no mail). Unlike the rest of
/// [`ServerConfig`], these do not depend on the port or the peer: a host's policy holds one
/// and gives it to each SMTP session as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpRules {
    /// After this many protocol errors (500-504) the server gives up: 421 (RFC 5321 §4.2.3).
    pub max_errors: usize,
    /// Moved users: (address, new address, whether this server forwards): 251 or 551.
    pub forwards: Vec<(String, String, bool)>,
    /// Accounts that must change their password before they may log in: 432 (RFC 4954 §6).
    pub password_transition: Vec<String>,
    /// AUTH LOGIN is too weak for this server's policy: 534 (RFC 4954 §6).
    pub login_too_weak: bool,
    /// STARTTLS is offered but cannot start right now: 454 (RFC 3207 §4).
    pub tls_temporarily_unavailable: bool,
    /// Low on disk: a declared SIZE does not fit now, `452 4.3.1` (RFC 1870 §6.1); NOTIFY=SUCCESS
    /// cannot be accommodated now, `455 4.3.1` (RFC 5321 §4.1.1.11: RFC 3461 names no code).
    pub low_disk: bool,
    /// This host takes no mail at all: 521 greeting and replies (RFC 7504).
    pub refuse_all: bool,
}

impl Default for SmtpRules {
    /// 20 errors (as Postfix's `smtpd_hard_error_limit`), nothing staged.
    fn default() -> Self {
        SmtpRules {
            max_errors: 20,
            forwards: vec![],
            password_transition: vec![],
            login_too_weak: false,
            tls_temporarily_unavailable: false,
            low_disk: false,
            refuse_all: false,
        }
    }
}

impl ServerConfig {
    pub(super) fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
    }
    pub(super) fn is_local_user(&self, address: &str) -> bool {
        self.local_users.iter().any(|u| u.eq_ignore_ascii_case(address))
    }
    /// Where this server's postmaster mail goes, if `address` is its postmaster.
    pub(super) fn postmaster(&self, address: &str) -> Option<String> {
        postmaster_mailbox(address, &self.local_domains, &mut self.local_users.iter().map(String::as_str))
    }
}

/// The mailbox that mail for `address` goes to when `address` is the reserved mailbox
/// "postmaster" of a server for `domains` whose accounts are `users`: `<Postmaster>` with no
/// domain, or `postmaster@` one of `domains`, in any case (RFC 5321 §4.5.1: a server that
/// delivers mail MUST accept both). It is an alias of the first account of that domain (of the
/// first domain for `<Postmaster>`), as real servers alias it to their administrator, unless
/// an account `postmaster@domain` exists. `None` when `address` is not the postmaster, or when
/// the domain has no account to receive it.
pub fn postmaster_mailbox(address: &str, domains: &[String], users: &mut dyn Iterator<Item = &str>) -> Option<String> {
    let domain = match address.rsplit_once('@') {
        Some((local, d)) if local.eq_ignore_ascii_case("postmaster") => {
            domains.iter().find(|x| x.eq_ignore_ascii_case(d))?
        }
        None if address.eq_ignore_ascii_case("postmaster") => domains.first()?,
        _ => return None,
    };
    let own = format!("postmaster@{domain}");
    let mut first = None;
    for u in users {
        if u.eq_ignore_ascii_case(&own) {
            return Some(own.to_ascii_lowercase());
        }
        if first.is_none() && u.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain)) {
            first = Some(u.to_ascii_lowercase());
        }
    }
    first
}
