//! How a mail host behaves: its Postfix `main.cf`, roughly. Scenarios set these; `mailsim
//! serve` sets a few from its flags.

use crate::log::Millis;
use mailsim_proto::smtp::SmtpRules;

/// How a mail server behaves.
#[derive(Debug, Clone)]
pub struct ServerPolicy {
    /// Offer STARTTLS on ports 25 and 587.
    pub starttls: bool,
    /// On 587: no AUTH and no MAIL before STARTTLS.
    pub require_tls_on_submission: bool,
    /// Addresses allowed to send without AUTH and to relay through port 25 (`mynetworks`).
    pub trusted_ips: Vec<String>,
    /// Greylisting: refuse a new (client, sender, recipient) with 450 until this much time
    /// has passed since the first try.
    pub greylist: Option<Millis>,
    /// SIZE limit (RFC 1870).
    pub max_message_size: usize,
    /// Mailbox quota in octets.
    pub quota: Option<usize>,
    /// Send all outgoing mail through this host (a smarthost) instead of the MX.
    pub relayhost: Option<String>,
    /// Delays between delivery attempts; the last one repeats.
    pub retry_delays: Vec<Millis>,
    /// Give up (bounce) on mail still undelivered after this long (Postfix: 5 days).
    pub queue_lifetime: Millis,
    /// How long the queue manager waits before it picks up new mail.
    pub queue_delay: Millis,
    /// Use STARTTLS when relaying, if the next hop offers it.
    pub relay_starttls: bool,
    /// Pipeline when relaying, if the next hop offers it.
    pub relay_pipelining: bool,
    /// On submission, look up each remote recipient's domain in DNS during RCPT TO
    /// (556 for a null MX, 550 for a domain that does not exist).
    pub verify_recipient_domains: bool,
    /// What every SMTP session of the host is given as it is: the error limit before 421,
    /// moved users (251/551; the host also forwards for them), accounts in password
    /// transition (432), AUTH LOGIN too weak (534), STARTTLS unavailable (454), short of disk
    /// (452/455), no mail at all (521).
    pub smtp: SmtpRules,
    /// Port 25 wants TLS before MAIL (523).
    pub require_tls_inbound: bool,
    /// Writing the queue file fails: 451 after the data.
    pub storage_fails: bool,
    /// The host can do TLS (modelled in the world). Without it (`mailsim serve` on loopback)
    /// POP3 offers no STLS, IMAP no STARTTLS, and IMAP allows LOGIN in the clear.
    pub tls: bool,
    /// The servers' idle timers: `None` = each protocol's RFC default (SMTP 5 min, POP3
    /// 10 min, IMAP 30 min); `Some(None)` = never; `Some(Some(t))` = `t` for all of them.
    pub idle_timeout: Option<Option<Millis>>,
    /// POP3 takes no password before TLS (`-ERR [AUTH]` to USER, AUTH), as Dovecot's
    /// `disable_plaintext_auth = yes` (RFC 2595 §2.3); the world's IMAP always waits for TLS.
    /// Applies where `plaintext_auth` is [`PlaintextAuth::AsConfigured`] (the world).
    pub disable_plaintext_auth: bool,
    /// Who may send a password before TLS (real TLS in `mailsim serve`). [`PlaintextAuth::AsConfigured`]
    /// (the world): SMTP as `require_tls_on_submission` says, POP3 always, IMAP only without `tls`.
    pub plaintext_auth: PlaintextAuth,
}

/// Where logins in the clear (SMTP AUTH PLAIN/LOGIN, POP3 USER/PASS and AUTH, IMAP LOGIN and
/// AUTHENTICATE PLAIN) are allowed before TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlaintextAuth {
    /// Each protocol as the rest of the policy says (the simulated world).
    #[default]
    AsConfigured,
    /// From loopback peers only, as Dovecot treats localhost as secure; elsewhere only inside
    /// TLS (SMTP 538 5.7.11, RFC 4954 §4; IMAP LOGINDISABLED, RFC 9051 §6.2.3; POP3 `-ERR [AUTH]`).
    LoopbackOnly,
    /// Everywhere (`--allow-plaintext-auth`).
    Anywhere,
}

impl PlaintextAuth {
    /// Whether a password may be sent in the clear by `peer_ip`; `None`: as configured.
    pub fn allows(self, peer_ip: &str) -> Option<bool> {
        match self {
            PlaintextAuth::AsConfigured => None,
            PlaintextAuth::Anywhere => Some(true),
            PlaintextAuth::LoopbackOnly => Some(peer_ip.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
                std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
                v4 => v4.is_loopback(),
            })),
        }
    }
}

impl Default for ServerPolicy {
    fn default() -> Self {
        ServerPolicy {
            starttls: false,
            require_tls_on_submission: false,
            trusted_ips: vec![],
            greylist: None,
            max_message_size: 10_240_000,
            quota: None,
            relayhost: None,
            retry_delays: vec![5 * 60_000, 10 * 60_000, 20 * 60_000, 40 * 60_000],
            queue_lifetime: 5 * 24 * 3_600_000,
            queue_delay: 1000,
            relay_starttls: false,
            relay_pipelining: false,
            verify_recipient_domains: false,
            smtp: SmtpRules::default(),
            require_tls_inbound: false,
            storage_fails: false,
            tls: true,
            idle_timeout: None,
            disable_plaintext_auth: false,
            plaintext_auth: PlaintextAuth::AsConfigured,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PlaintextAuth;

    #[test]
    fn plaintext_logins_from_loopback_only() {
        let rule = PlaintextAuth::LoopbackOnly;
        for ip in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(rule.allows(ip), Some(true), "{ip}");
        }
        for ip in ["192.0.2.1", "10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1", "not an address", ""] {
            assert_eq!(rule.allows(ip), Some(false), "{ip}");
        }
        assert_eq!(PlaintextAuth::Anywhere.allows("192.0.2.1"), Some(true));
        assert_eq!(PlaintextAuth::AsConfigured.allows("127.0.0.1"), None);
    }
}
