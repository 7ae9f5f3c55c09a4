//! The services of the mail world, as one table: which protocol listens on which
//! well-known port, with which kind of TLS, for what. Drivers look a port up here instead of
//! matching port numbers themselves (the world opens, serves and labels connections with it;
//! `mailsim serve` names its listeners with it).

use std::fmt;

/// An application protocol, named as on the diagram ([`crate::Pdu::protocol`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Smtp,
    Pop3,
    Imap,
    Http,
    Dns,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smtp => "SMTP",
            Protocol::Pop3 => "POP3",
            Protocol::Imap => "IMAP",
            Protocol::Http => "HTTP",
            Protocol::Dns => "DNS",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a service uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsStyle {
    /// No TLS on this port.
    None,
    /// The session starts in the clear and is upgraded on request: SMTP's STARTTLS (RFC
    /// 3207), POP3's STLS (RFC 2595), IMAP's STARTTLS (RFC 9051 §6.2.1).
    Upgrade,
    /// TLS from the first byte (RFC 8314 §3.1–3.3: the ports 995, 993, 465).
    Implicit,
}

/// What a service is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRole {
    /// Server-to-server transfer (MTA to MTA, RFC 5321): mail for the server's own domains.
    Relay,
    /// A user agent hands in new mail (MUA to MSA, RFC 6409), after logging in.
    Submission,
    /// A user agent reads its mailbox (POP3, IMAP).
    Access,
    /// Web pages, e.g. webmail.
    Web,
    /// Name resolution: MX and A records (RFC 1035, RFC 5321 §5.1).
    Naming,
}

/// The transport a service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The service's usual name, e.g. `submissions` or `pop3s`.
    pub name: &'static str,
    pub protocol: Protocol,
    pub port: u16,
    pub transport: Transport,
    pub tls: TlsStyle,
    pub role: ServiceRole,
    /// Where it is defined.
    pub rfc: &'static str,
}

impl Service {
    /// For an SMTP service: the role its server plays (whom it relays for).
    pub fn smtp_role(&self) -> Option<crate::smtp::Role> {
        match (self.protocol, self.role) {
            (Protocol::Smtp, ServiceRole::Relay) => Some(crate::smtp::Role::Relay),
            (Protocol::Smtp, ServiceRole::Submission) => Some(crate::smtp::Role::Submission),
            _ => None,
        }
    }

    /// TLS is on from the first byte.
    pub fn implicit_tls(&self) -> bool {
        self.tls == TlsStyle::Implicit
    }
}

const fn row(
    name: &'static str,
    protocol: Protocol,
    port: u16,
    tls: TlsStyle,
    role: ServiceRole,
    rfc: &'static str,
) -> Service {
    let transport = if port == 53 { Transport::Udp } else { Transport::Tcp };
    Service { name, protocol, port, transport, tls, role, rfc }
}

/// Every service, by port.
pub static SERVICES: [Service; 9] = [
    row("smtp", Protocol::Smtp, 25, TlsStyle::Upgrade, ServiceRole::Relay, "RFC 5321 §4.5.4; RFC 3207"),
    row("dns", Protocol::Dns, 53, TlsStyle::None, ServiceRole::Naming, "RFC 1035 §4.2"),
    row("http", Protocol::Http, 80, TlsStyle::None, ServiceRole::Web, "RFC 9110 §4.2.1"),
    row("pop3", Protocol::Pop3, 110, TlsStyle::Upgrade, ServiceRole::Access, "RFC 1939 §3; RFC 2595"),
    row("imap", Protocol::Imap, 143, TlsStyle::Upgrade, ServiceRole::Access, "RFC 9051 §2.1"),
    row("submissions", Protocol::Smtp, 465, TlsStyle::Implicit, ServiceRole::Submission, "RFC 8314 §3.3"),
    row("submission", Protocol::Smtp, 587, TlsStyle::Upgrade, ServiceRole::Submission, "RFC 6409 §3.1"),
    row("imaps", Protocol::Imap, 993, TlsStyle::Implicit, ServiceRole::Access, "RFC 8314 §3.2"),
    row("pop3s", Protocol::Pop3, 995, TlsStyle::Implicit, ServiceRole::Access, "RFC 8314 §3.1"),
];

/// The service on a well-known port.
pub fn by_port(port: u16) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.port == port)
}

/// The protocol spoken on a well-known port.
pub fn protocol_of(port: u16) -> Option<Protocol> {
    by_port(port).map(|s| s.protocol)
}

/// The services of one protocol, by port.
pub fn of_protocol(protocol: Protocol) -> impl Iterator<Item = &'static Service> {
    SERVICES.iter().filter(move |s| s.protocol == protocol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worlds_port_map() {
        for (port, p) in [
            (25, Protocol::Smtp),
            (587, Protocol::Smtp),
            (465, Protocol::Smtp),
            (110, Protocol::Pop3),
            (995, Protocol::Pop3),
            (143, Protocol::Imap),
            (993, Protocol::Imap),
            (80, Protocol::Http),
            (53, Protocol::Dns),
        ] {
            assert_eq!(protocol_of(port), Some(p), "port {port}");
        }
        assert_eq!(by_port(8080), None);
        assert_eq!(by_port(53).map(|s| s.transport), Some(Transport::Udp));
        assert!(SERVICES.iter().filter(|s| s.port != 53).all(|s| s.transport == Transport::Tcp));
    }

    #[test]
    fn tls_styles_and_roles() {
        let implicit: Vec<u16> = SERVICES.iter().filter(|s| s.implicit_tls()).map(|s| s.port).collect();
        assert_eq!(implicit, [465, 993, 995]);
        assert_eq!(by_port(25).unwrap().smtp_role(), Some(crate::smtp::Role::Relay));
        assert_eq!(by_port(587).unwrap().smtp_role(), Some(crate::smtp::Role::Submission));
        assert_eq!(by_port(465).unwrap().smtp_role(), Some(crate::smtp::Role::Submission));
        assert_eq!(by_port(110).unwrap().smtp_role(), None);
        assert_eq!(by_port(143).unwrap().tls, TlsStyle::Upgrade);
        assert_eq!(of_protocol(Protocol::Pop3).map(|s| s.name).collect::<Vec<_>>(), ["pop3", "pop3s"]);
    }

    #[test]
    fn the_table_is_sorted_by_port_without_duplicates_and_names_its_rfcs() {
        assert!(SERVICES.windows(2).all(|w| w[0].port < w[1].port));
        assert!(SERVICES.iter().all(|s| s.rfc.starts_with("RFC ")));
        for s in &SERVICES {
            assert_eq!(s.protocol.to_string(), s.protocol.name());
        }
    }
}
