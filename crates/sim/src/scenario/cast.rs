//! Who takes part: the actors of a scenario, the standard cast that files name without
//! describing (Alice, Bob, their providers' servers, DNS, and a few extras: data, in
//! `standard-cast.toml`), and building a file's cast from `[cast]` and `[actor.ID]`.

use super::format::{self, ActorDoc, ActorKind, PolicyDoc, SiteKind};
use super::load::Located;
use super::reader::{parse_ip, stable_sort, Table};
use super::resolve::{decode_base64, is_address, not_address};
use crate::world::ServerPolicy;
use mailsim_proto::dns::{RData, Record};
use std::ops::Range;
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
    let read = |id: &str, v| actor(id, None, Spanned::new(0..0, format::actor_doc(v)?));
    tables.entries().into_iter().filter_map(|(id, v)| read(id.get_ref(), v).ok()).collect()
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

pub(super) fn build_cast(
    order: Option<Vec<Spanned<String>>>,
    mut tables: Vec<(Spanned<String>, Spanned<ActorDoc>)>,
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

/// An actor from its `[actor.ID]` table, over the standard one of that id if there is one.
fn actor(id: &str, base: Option<Actor>, t: Spanned<ActorDoc>) -> Result<Actor, Located> {
    let span = t.span();
    let t = t.into_inner();
    let kind = match (&t.kind, &base) {
        (Some(k), Some(b)) if k.get_ref().name() != b.kind() => {
            return Err((k.span(), format!("{id} is a {}; leave out kind or give another id", b.kind())))
        }
        (Some(k), _) => *k.get_ref(),
        (None, Some(b)) => match b.role {
            Role::UserAgent { .. } => ActorKind::UserAgent,
            Role::MailServer { .. } => ActorKind::MailServer,
            Role::Dns { .. } => ActorKind::Dns,
            Role::Web { .. } => ActorKind::WebServer,
        },
        (None, None) => {
            return Err((
                span,
                format!("[actor.{id}] is a new actor: give its kind (user-agent, mail-server, dns or web-server)"),
            ))
        }
    };
    let need = |v: Option<String>, base: Option<&str>, key: &str| -> Result<String, Located> {
        v.or(base.map(String::from)).ok_or_else(|| (span.clone(), format!("[actor.{id}] needs a {key}")))
    };
    let name = need(t.name.clone(), base.as_ref().map(|b| b.name.as_str()), "name")?;
    let host = need(t.host.clone(), base.as_ref().map(|b| b.host.as_str()), "host")?;
    let ip = match (&t.ip, &base) {
        (Some(ip), _) => ip.get_ref().0,
        (None, Some(b)) => b.ip,
        (None, None) => return Err((span, format!("[actor.{id}] needs an ip"))),
    };
    // Keys that belong to another kind of actor.
    let place = |given: Option<Range<usize>>, key: &'static str, owner: ActorKind| given.map(|s| (s, key, owner));
    let foreign = [
        place(t.person.as_ref().map(Spanned::span), "person", ActorKind::UserAgent),
        place(t.address.as_ref().map(Spanned::span), "address", ActorKind::UserAgent),
        place(t.password.as_ref().map(Spanned::span), "password", ActorKind::UserAgent),
        place(t.server.as_ref().map(Spanned::span), "server", ActorKind::UserAgent),
        place(t.domain.as_ref().map(Spanned::span), "domain", ActorKind::MailServer),
        place(t.accounts.as_ref().map(Spanned::span), "accounts", ActorKind::MailServer),
        place(t.policy.as_ref().map(Spanned::span), "policy", ActorKind::MailServer),
        place(t.zone.as_ref().map(Spanned::span), "zone", ActorKind::Dns),
        place(t.site.as_ref().map(Spanned::span), "site", ActorKind::WebServer),
        place(t.mail_server.as_ref().map(Spanned::span), "mail-server", ActorKind::WebServer),
        place(t.pages.as_ref().map(Spanned::span), "pages", ActorKind::WebServer),
    ];
    if let Some((at, key, owner)) = foreign.into_iter().flatten().find(|(_, _, owner)| *owner != kind) {
        return Err((at, format!("\"{key}\" is a key of {} actors; {id} is a {}", owner.name(), kind.name())));
    }
    let base_role = base.map(|b| b.role);
    let role = match kind {
        ActorKind::UserAgent => {
            let (p0, a0, w0, s0) = match base_role {
                Some(Role::UserAgent { person, address, password, server }) => (person, address, password, server),
                _ => Default::default(),
            };
            let address = match t.address {
                Some(a) if !is_address(a.get_ref()) => return Err((a.span(), not_address(a.get_ref()))),
                Some(a) => a.into_inner(),
                None if !a0.is_empty() => a0,
                None => return Err((span, format!("[actor.{id}] needs an address"))),
            };
            Role::UserAgent {
                person: t.person.map(Spanned::into_inner).unwrap_or(p0),
                address,
                password: t.password.map(Spanned::into_inner).unwrap_or(w0),
                server: t.server.map(Spanned::into_inner).unwrap_or(s0),
            }
        }
        ActorKind::MailServer => {
            let (d0, acc0, mut policy) = match base_role {
                Some(Role::MailServer { domain, accounts, policy }) => (domain, accounts, policy),
                _ => (String::new(), vec![], ServerPolicy::default()),
            };
            let domain = t.domain.map(Spanned::into_inner).unwrap_or(d0);
            if domain.is_empty() {
                return Err((span, format!("[actor.{id}] needs a domain")));
            }
            let accounts = match t.accounts {
                None => acc0,
                Some(list) => {
                    let mut out = Vec::new();
                    for a in list.into_inner() {
                        let (s, a) = (a.span(), a.into_inner());
                        if !is_address(&a.address) {
                            return Err((s, not_address(&a.address)));
                        }
                        let password = a.password.unwrap_or_else(|| default_password(&a.address));
                        out.push((a.address, password));
                    }
                    out
                }
            };
            if let Some(p) = t.policy {
                apply_policy(&mut policy, p.into_inner());
            }
            Role::MailServer { domain, accounts, policy }
        }
        ActorKind::Dns => {
            let mut zone = match (t.zone, base_role) {
                (Some(z), _) => {
                    let mut records = Vec::new();
                    for r in z.get_ref() {
                        records.push(record(r)?);
                    }
                    records
                }
                (None, Some(Role::Dns { zone })) => zone,
                (None, _) => vec![],
            };
            stable_sort(&mut zone, |a, b| a.name > b.name);
            Role::Dns { zone }
        }
        ActorKind::WebServer => {
            let site = match (t.site.as_ref().map(|s| *s.get_ref()), t.mail_server, t.pages) {
                (Some(SiteKind::Webmail), Some(m), None) => SiteSpec::Webmail { mail_server: m.into_inner() },
                (Some(SiteKind::Static) | None, None, Some(pages)) => {
                    let mut out = Vec::new();
                    for p in pages.into_inner() {
                        let body = match (p.body, &p.base64) {
                            (Some(b), None) => b.into_bytes(),
                            (None, Some(b)) => decode_base64(b)?,
                            _ => return Err((span, format!("a page of {id} needs body or base64"))),
                        };
                        out.push((p.path, p.content_type, body));
                    }
                    SiteSpec::Static(out)
                }
                _ => {
                    return Err((
                        span,
                        format!("{id} needs site = \"webmail\" with mail-server = ID, or site = \"static\" with pages"),
                    ))
                }
            };
            Role::Web { site }
        }
    };
    Ok(Actor { id: id.to_string(), name, host, ip, role })
}

fn apply_policy(p: &mut ServerPolicy, d: PolicyDoc) {
    let set = |target: &mut bool, v: Option<bool>| {
        if let Some(v) = v {
            *target = v;
        }
    };
    set(&mut p.starttls, d.starttls);
    set(&mut p.require_tls_on_submission, d.require_tls_on_submission);
    if let Some(ips) = d.trusted_ips {
        p.trusted_ips = ips.iter().map(|ip| ip.get_ref().0).map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}")).collect();
    }
    if let Some(g) = d.greylist {
        p.greylist = Some(g.0);
    }
    if let Some(v) = d.max_message_size {
        p.max_message_size = v;
    }
    if let Some(v) = d.quota {
        p.quota = Some(v);
    }
    if let Some(v) = d.relayhost {
        p.relayhost = Some(v);
    }
    if let Some(v) = d.retry_delays {
        p.retry_delays = v.iter().map(|t| t.0).collect();
    }
    if let Some(v) = d.queue_lifetime {
        p.queue_lifetime = v.0;
    }
    set(&mut p.relay_starttls, d.relay_starttls);
    set(&mut p.relay_pipelining, d.relay_pipelining);
    set(&mut p.verify_recipient_domains, d.verify_recipient_domains);
    if let Some(v) = d.max_errors {
        p.max_errors = v;
    }
    if let Some(v) = d.forwards {
        p.forwards = v.into_iter().map(|f| (f.address, f.to, f.forward)).collect();
    }
    if let Some(v) = d.password_transition {
        p.password_transition = v;
    }
    set(&mut p.login_too_weak, d.login_too_weak);
    set(&mut p.tls_temporarily_unavailable, d.tls_temporarily_unavailable);
    set(&mut p.low_disk, d.low_disk);
    set(&mut p.refuse_all, d.refuse_all);
    set(&mut p.require_tls_inbound, d.require_tls_inbound);
    set(&mut p.storage_fails, d.storage_fails);
}

/// `"NAME [TTL] A 192.0.2.1"` or `"NAME [TTL] MX PREFERENCE HOST"`.
fn record(r: &Spanned<String>) -> Result<Record, Located> {
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
