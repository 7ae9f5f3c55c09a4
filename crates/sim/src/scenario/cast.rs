//! Who takes part: the actors of a scenario, the standard cast that files name without
//! describing (Alice, Bob, their providers' servers, DNS, and a few extras: data, in
//! `standard-cast.toml`), and building a file's cast from `[cast]` and `[actor.ID]`.

use super::load::Located;
use super::reader::{self, choice, each, integer, parse_ip, stable_sort, string, Table, Value};
use super::resolve::{decode_base64, is_address, not_address};
use crate::world::ServerPolicy;
use mailsim_proto::dns::{RData, Record};
use std::sync::LazyLock;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One lifeline of the diagram, fully described.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub host: String,
    pub ip: [u8; 4],
    pub role: Role,
}

#[derive(Debug, Clone)]
pub enum Role {
    /// A mail program (or a browser): `person` is the name it puts in From:, `server` the
    /// actor id of its own mail server (empty: none).
    UserAgent {
        person: String,
        address: String,
        password: String,
        server: String,
        /// Ports the network this user agent is on does not let it reach (a firewall drops the
        /// SYN: no answer, the connection times out), as a hotel's Wi-Fi may block 587.
        blocked_ports: Vec<u16>,
    },
    MailServer {
        domain: String,
        accounts: Vec<(String, String)>,
        policy: ServerPolicy,
    },
    /// The zone, sorted by name.
    Dns {
        zone: Vec<Record>,
    },
    Web {
        site: SiteSpec,
    },
}

#[derive(Debug, Clone)]
pub enum SiteSpec {
    /// A provider's webmail front end for the mail server with this actor id.
    Webmail { mail_server: String },
    /// Pages: (path, content type, body).
    Static(Vec<(String, String, Vec<u8>)>),
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self.role {
            Role::UserAgent { .. } => "user-agent",
            Role::MailServer { .. } => "mail-server",
            Role::Dns { .. } => "dns",
            Role::Web { .. } => "web-server",
        }
    }

    /// A user agent's address, if this is one.
    pub fn address(&self) -> Option<&str> {
        match &self.role {
            Role::UserAgent { address, .. } => Some(address),
            _ => None,
        }
    }
}

/// The lifelines of a file that says nothing about its cast.
pub const DEFAULT_CAST: [&str; 5] = ["alice-ua", "alice-server", "dns", "bob-server", "bob-ua"];

/// The standard cast, as data: `[actor.ID]` tables like a scenario file's.
pub const STANDARD_CAST: &str = include_str!("standard-cast.toml");

/// The standard actors, read once.
static STANDARD: LazyLock<Vec<Actor>> = LazyLock::new(|| {
    let Ok(root) = DeTable::parse(STANDARD_CAST) else { return vec![] };
    let root = Spanned::new(root.span(), DeValue::Table(root.into_inner()));
    let Some(tables) = Table::open(&root).ok().and_then(|t| t.get("actor")).and_then(|a| Table::open(a).ok()) else {
        return vec![];
    };
    tables.entries().into_iter().filter_map(|(id, v)| actor(id.get_ref(), None, v).ok()).collect()
});

/// One of the standard actors, as a file that names it without changes gets it.
pub fn standard(id: &str) -> Option<Actor> {
    STANDARD.iter().find(|a| a.id == id).cloned()
}

/// The password of an account a file lists by address only: its local part and `-pw`.
pub fn default_password(address: &str) -> String {
    format!("{}-pw", address.split('@').next().unwrap_or(address))
}

// ---- building the cast from a file ----

pub(super) fn build_cast<'a>(
    order: Option<Vec<Spanned<String>>>,
    mut tables: Vec<(Spanned<String>, &'a Value<'a>)>,
) -> Result<Vec<Actor>, Located> {
    let order = order.unwrap_or_else(|| DEFAULT_CAST.iter().map(|id| Spanned::new(0..0, id.to_string())).collect());
    let mut cast: Vec<Actor> = Vec::new();
    let mut spans = Vec::new();
    for id in &order {
        if cast.iter().any(|a| a.id == *id.get_ref()) {
            return Err((id.span(), format!("{} is in the cast twice", id.get_ref())));
        }
        let table = tables.iter().position(|(k, _)| k.get_ref() == id.get_ref()).map(|i| tables.remove(i).1);
        let (span, actor) = match (standard(id.get_ref()), table) {
            (Some(base), None) => (id.span(), base),
            (base, Some(t)) => (t.span(), actor(id.get_ref(), base, t)?),
            (None, None) => {
                return Err((
                    id.span(),
                    format!(
                        "unknown actor \"{}\"; expected one of the standard cast ({}) or an [actor.{}] table",
                        id.get_ref(),
                        STANDARD.iter().map(|a| a.id.as_str()).collect::<Vec<_>>().join(", "),
                        id.get_ref()
                    ),
                ))
            }
        };
        spans.push(span);
        cast.push(actor);
    }
    if let Some((id, _)) = tables.into_iter().next() {
        return Err((id.span(), format!("[actor.{}] is not in the cast; add it to [cast] actors", id.get_ref())));
    }
    for (i, a) in cast.iter().enumerate() {
        let span = spans[i].clone();
        if let Some(b) = cast[..i].iter().find(|b| b.host.eq_ignore_ascii_case(&a.host) || b.ip == a.ip) {
            return Err((span, format!("{} and {} have the same host name or IP address", b.id, a.id)));
        }
        // The mail server a user agent or a webmail front end works with.
        let (server, what) = match &a.role {
            Role::UserAgent { server, .. } => (server, "its mail server"),
            Role::Web { site: SiteSpec::Webmail { mail_server } } => (mail_server, "its mail-server"),
            _ => continue,
        };
        let ok = cast.iter().any(|b| b.id == *server && matches!(b.role, Role::MailServer { .. }));
        if !server.is_empty() && !ok {
            let servers: Vec<&str> =
                cast.iter().filter(|b| matches!(b.role, Role::MailServer { .. })).map(|b| b.id.as_str()).collect();
            return Err((
                span,
                format!(
                    "{}: {what} \"{server}\" is not a mail server of the cast ({})",
                    a.id,
                    if servers.is_empty() { "it has none".to_string() } else { servers.join(", ") }
                ),
            ));
        }
    }
    Ok(cast)
}

const ACTOR_KEYS: [&str; 16] = [
    "kind",
    "name",
    "host",
    "ip",
    "person",
    "address",
    "password",
    "server",
    "blocked-ports",
    "domain",
    "accounts",
    "policy",
    "zone",
    "site",
    "mail-server",
    "pages",
];

/// The keys each kind of actor takes (beyond kind, name, host and ip).
const KIND_KEYS: [(&str, &[&str]); 4] = [
    ("user-agent", &["person", "address", "password", "server", "blocked-ports"]),
    ("mail-server", &["domain", "accounts", "policy"]),
    ("dns", &["zone"]),
    ("web-server", &["site", "mail-server", "pages"]),
];

/// An actor from its `[actor.ID]` table, over the standard one of that id if there is one.
fn actor(id: &str, base: Option<Actor>, v: &Value) -> Result<Actor, Located> {
    let t = Table::new(v, &ACTOR_KEYS)?;
    let span = t.span.clone();
    let kinds = KIND_KEYS.map(|(k, _)| k);
    let kind = match (t.read("kind", |v| choice(v, &["user-agent", "mail-server", "dns", "web-server"])), &base) {
        (Some(k), Some(b)) if kinds[*k.get_ref()] != b.kind() => {
            return Err((k.span(), format!("{id} is a {}; leave out kind or give another id", b.kind())))
        }
        (Some(k), _) => kinds[*k.get_ref()],
        (None, Some(b)) => b.kind(),
        (None, None) => {
            t.finish()?;
            return Err((
                span,
                format!("[actor.{id}] is a new actor: give its kind (user-agent, mail-server, dns or web-server)"),
            ));
        }
    };
    // Keys that belong to another kind of actor.
    for (owner, keys) in KIND_KEYS {
        if let Some((key, v)) = keys.iter().find_map(|k| t.get(k).map(|v| (k, v))).filter(|_| owner != kind) {
            return Err((v.span(), format!("\"{key}\" is a key of {owner} actors; {id} is a {kind}")));
        }
    }
    let name = t.text("name").or(base.as_ref().map(|b| b.name.clone()));
    let host = t.text("host").or(base.as_ref().map(|b| b.host.clone()));
    let ip = t.read("ip", ip).or(base.as_ref().map(|b| b.ip));
    let base_role = base.map(|b| b.role);
    let role = match kind {
        "user-agent" => {
            let (p0, a0, w0, s0, b0) = match base_role {
                Some(Role::UserAgent { person, address, password, server, blocked_ports }) => {
                    (person, address, password, server, blocked_ports)
                }
                _ => Default::default(),
            };
            let address = t.read("address", |v| {
                let a = string(v)?;
                if is_address(a.get_ref()) {
                    Ok(a.into_inner())
                } else {
                    Err((v.span(), not_address(a.get_ref())))
                }
            });
            Role::UserAgent {
                person: t.text("person").unwrap_or(p0),
                address: address.unwrap_or(a0),
                password: t.text("password").unwrap_or(w0),
                server: t.text("server").unwrap_or(s0),
                blocked_ports: t.read("blocked-ports", |v| each(v, tcp_port)).unwrap_or(b0),
            }
        }
        "mail-server" => {
            let (d0, acc0, mut policy) = match base_role {
                Some(Role::MailServer { domain, accounts, policy }) => (domain, accounts, policy),
                _ => (String::new(), vec![], ServerPolicy::default()),
            };
            if let Some(p) = t.get("policy") {
                t.ok(apply_policy(&mut policy, p));
            }
            Role::MailServer {
                domain: t.text("domain").unwrap_or(d0),
                accounts: t.read("accounts", |v| each(v, account)).unwrap_or(acc0),
                policy,
            }
        }
        "dns" => {
            let mut zone = match (t.read("zone", |v| each(v, record)), base_role) {
                (Some(z), _) => z,
                (None, Some(Role::Dns { zone })) => zone,
                (None, _) => vec![],
            };
            stable_sort(&mut zone, |a, b| a.name > b.name);
            Role::Dns { zone }
        }
        _ => {
            let site = t.read("site", |v| choice(v, &["webmail", "static"])).map(|s| *s.get_ref());
            let site = match (site, t.text("mail-server"), t.read("pages", |v| each(v, page))) {
                (Some(0), Some(mail_server), None) => SiteSpec::Webmail { mail_server },
                (Some(1) | None, None, Some(pages)) => SiteSpec::Static(pages),
                _ => {
                    t.finish()?;
                    let e =
                        format!("{id} needs site = \"webmail\" with mail-server = ID, or site = \"static\" with pages");
                    return Err((span, e));
                }
            };
            Role::Web { site }
        }
    };
    t.finish()?;
    let need = |what: &str| (span.clone(), format!("[actor.{id}] needs {what}"));
    let (name, host, ip) =
        (name.ok_or_else(|| need("a name"))?, host.ok_or_else(|| need("a host"))?, ip.ok_or_else(|| need("an ip"))?);
    match &role {
        Role::UserAgent { address, .. } if address.is_empty() => return Err(need("an address")),
        Role::MailServer { domain, .. } if domain.is_empty() => return Err(need("a domain")),
        _ => {}
    }
    Ok(Actor { id: id.to_string(), name, host, ip, role })
}

/// An account: `"carol@bob.example"` (password `carol-pw`) or `{ address, password }`.
fn account(v: &Value) -> Result<(String, String), Located> {
    let (address, password) = match v.get_ref() {
        DeValue::String(s) => (s.to_string(), None),
        _ => {
            let t = Table::new(v, &["address", "password"])
                .map_err(|_| reader::expected("an address, or { address = ..., password = ... }", v))?;
            let a = (t.need_string("address").into_inner(), Some(t.need_string("password").into_inner()));
            t.finish()?;
            a
        }
    };
    if !is_address(&address) {
        return Err((v.span(), not_address(&address)));
    }
    let password = password.unwrap_or_else(|| default_password(&address));
    Ok((address, password))
}

/// A page of a static site: (path, type, body).
fn page(v: &Value) -> Result<(String, String, Vec<u8>), Located> {
    let t = Table::new(v, &["path", "type", "body", "base64"])?;
    let (path, content_type) = (t.need_string("path").into_inner(), t.need_string("type").into_inner());
    let (body, b64) = (t.text("body"), t.string("base64"));
    t.finish()?;
    let body = match (body, &b64) {
        (Some(b), None) => b.into_bytes(),
        (None, Some(b)) => decode_base64(b)?,
        _ => return Err((v.span(), format!("the page {path} needs body or base64"))),
    };
    Ok((path, content_type, body))
}

/// A user who moved: `address` now lives at `to`; with `forward` this server relays to it
/// (251), without it tells the client (551).
fn forward(v: &Value) -> Result<(String, String, bool), Located> {
    let t = Table::new(v, &["address", "to", "forward"])?;
    let f =
        (t.need_string("address").into_inner(), t.need_string("to").into_inner(), t.boolean("forward") == Some(true));
    t.finish()?;
    Ok(f)
}

/// A TCP port number, 1 to 65535.
fn tcp_port(v: &Value) -> Result<u16, Located> {
    match integer(v, u16::MAX.into())? {
        0 => Err((v.span(), "0 is not a port; expected 1 to 65535".into())),
        n => Ok(n as u16),
    }
}

fn ip(v: &Value) -> Result<[u8; 4], Located> {
    reader::ip(v)
}

/// Changes a mail server's policy (see `world::ServerPolicy`); what is left out keeps its value.
fn apply_policy(p: &mut ServerPolicy, v: &Value) -> Result<(), Located> {
    let t = Table::new(v, &POLICY_KEYS)?;
    let flags: [(&str, &mut bool); 12] = [
        ("starttls", &mut p.starttls),
        ("require-tls-on-submission", &mut p.require_tls_on_submission),
        ("relay-starttls", &mut p.relay_starttls),
        ("relay-pipelining", &mut p.relay_pipelining),
        ("verify-recipient-domains", &mut p.verify_recipient_domains),
        ("login-too-weak", &mut p.smtp.login_too_weak),
        ("tls-temporarily-unavailable", &mut p.smtp.tls_temporarily_unavailable),
        ("low-disk", &mut p.smtp.low_disk),
        ("refuse-all", &mut p.smtp.refuse_all),
        ("require-tls-inbound", &mut p.require_tls_inbound),
        ("storage-fails", &mut p.storage_fails),
        ("disable-plaintext-auth", &mut p.disable_plaintext_auth),
    ];
    for (key, flag) in flags {
        if let Some(b) = t.boolean(key) {
            *flag = b;
        }
    }
    let size = |k: &str| t.read(k, |v| integer(v, u64::MAX).map(|n| n as usize));
    if let Some(ips) = t.read("trusted-ips", |v| each(v, ip)) {
        p.trusted_ips = ips.into_iter().map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")).collect();
    }
    p.greylist = t.time("greylist").or(p.greylist);
    p.max_message_size = size("max-message-size").unwrap_or(p.max_message_size);
    p.quota = size("quota").or(p.quota);
    p.relayhost = t.text("relayhost").or(p.relayhost.take());
    p.retry_delays = t.read("retry-delays", |v| each(v, reader::time)).unwrap_or(std::mem::take(&mut p.retry_delays));
    p.queue_lifetime = t.time("queue-lifetime").unwrap_or(p.queue_lifetime);
    p.smtp.max_errors = size("max-errors").unwrap_or(p.smtp.max_errors);
    p.smtp.forwards = t.read("forwards", |v| each(v, forward)).unwrap_or(std::mem::take(&mut p.smtp.forwards));
    let strings = |v| each(v, |x| Ok(string(x)?.into_inner()));
    p.smtp.password_transition =
        t.read("password-transition", strings).unwrap_or(std::mem::take(&mut p.smtp.password_transition));
    t.finish()
}

const POLICY_KEYS: [&str; 22] = [
    "starttls",
    "require-tls-on-submission",
    "trusted-ips",
    "greylist",
    "max-message-size",
    "quota",
    "relayhost",
    "retry-delays",
    "queue-lifetime",
    "relay-starttls",
    "relay-pipelining",
    "verify-recipient-domains",
    "max-errors",
    "forwards",
    "password-transition",
    "login-too-weak",
    "tls-temporarily-unavailable",
    "low-disk",
    "refuse-all",
    "require-tls-inbound",
    "storage-fails",
    "disable-plaintext-auth",
];

/// `"NAME [TTL] A 192.0.2.1"` or `"NAME [TTL] MX PREFERENCE HOST"`.
fn record(v: &Value) -> Result<Record, Located> {
    let r = &string(v)?;
    let bad = || {
        (
            r.span(),
            format!(
                "\"{}\" is not a DNS record; expected \"NAME [TTL] A 192.0.2.1\" or \"NAME [TTL] MX 10 HOST\"",
                r.get_ref()
            ),
        )
    };
    let mut words: Vec<&str> = r.get_ref().split_whitespace().collect();
    if words.len() < 3 {
        return Err(bad());
    }
    let name = words.remove(0).trim_end_matches('.').to_string();
    let ttl = match words[0].parse::<u32>() {
        Ok(t) => {
            words.remove(0);
            t
        }
        Err(_) => 3600,
    };
    let data = match words.as_slice() {
        [t, ip] if t.eq_ignore_ascii_case("A") => RData::A(parse_ip(ip).ok_or_else(bad)?),
        [t, pref, host] if t.eq_ignore_ascii_case("MX") => {
            let exchange = if *host == "." { ".".to_string() } else { host.trim_end_matches('.').to_string() };
            RData::Mx { preference: pref.parse().map_err(|_| bad())?, exchange }
        }
        _ => return Err(bad()),
    };
    Ok(Record { name, ttl, data })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_standard_cast_reads() {
        let ids: Vec<&str> = super::STANDARD.iter().map(|a| a.id.as_str()).collect();
        let want = ["alice-ua", "alice-server", "dns", "bob-server", "bob-ua", "bob-phone", "mallory", "relay"];
        assert_eq!(ids, [&want[..], &["old-server", "nomail"]].concat());
        let dns = super::standard("dns").unwrap();
        let super::Role::Dns { zone } = dns.role else { panic!("dns") };
        let names: Vec<&str> = zone.iter().map(|r| r.name.as_str()).collect();
        let sorted = ["alice.example", "bob.example", "mail.alice.example", "mail.bob.example"];
        assert_eq!(names[..4], sorted, "sorted by name");
        assert_eq!(names.iter().filter(|n| **n == "nomail.example").count(), 2, "the MX before the A, as written");
    }
}
