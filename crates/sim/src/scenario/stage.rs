//! Staging a checked [`Scenario`]: the cast joins the world (lifelines in file order), the
//! seeded messages go into their mailboxes, then every action, the file's and then the
//! learner's, is scheduled in order. Drafting a message draws its Message-ID token (8 hex
//! digits) and, for MIME, its boundary (12) from the world's RNG; a SCRAM login draws its
//! nonce (16). Those draws happen in file order, which is what keeps every log reproducible.

use super::cast::{Actor, Role, SiteSpec};
use super::{acts::is_smtp_port, Act, ImapSpec, Item, MessageRef, MessageSpec, RequestSpec, Scenario, SeedContent};
use crate::actions::{Action, Fault, ReadMode, SubmitMode};
use crate::log::{Event, EventLog, Millis};
use crate::world::{Site, Submission, Task, UserSpec, World};
use mailsim_proto::http::{url_encode, HttpMessage};
use mailsim_proto::imap::client::ImapStep;
use mailsim_proto::message::{self, Attachment, Draft, Person};
use mailsim_proto::smtp::typed::Typed;

pub(super) fn run(s: &Scenario, actions: &[Action]) -> EventLog {
    let mut stage = Stage {
        world: World::new(&s.id, s.seed, s.start),
        s,
        story: vec![],
        counter: 0,
        named: vec![None; s.messages.len()],
    };
    stage.build();
    for seed in &s.seeds {
        let data = match &seed.content {
            SeedContent::Raw(raw) => raw.clone(),
            SeedContent::Drafted(i) => stage.named(*i).1,
        };
        let node = stage.world.node(&seed.server);
        let flags: Vec<&str> = seed.flags.iter().map(String::as_str).collect();
        stage.world.seed_message(node, &seed.mailbox, data, seed.received, &flags);
    }
    for act in &s.acts {
        stage.act(act);
    }
    for a in actions {
        stage.learner(a);
    }
    stage.finish()
}

/// A scenario being set up: the world, and the story told alongside it.
struct Stage<'a> {
    world: World,
    s: &'a Scenario,
    /// Narrations to insert at their times after the run: (time, actor id, text).
    story: Vec<(Millis, String, String)>,
    /// Messages drafted so far (the `{n}` of a Message-ID).
    counter: u32,
    /// The `[message.NAME]` messages drafted so far.
    named: Vec<Option<(Draft, Vec<u8>)>>,
}

impl Stage<'_> {
    fn build(&mut self) {
        for a in &self.s.cast {
            let w = &mut self.world;
            match &a.role {
                Role::UserAgent { address, password, server, blocked_ports, .. } => {
                    let spec = UserSpec { id: &a.id, name: &a.name, host: &a.host, ip: a.ip, address, password };
                    let node = w.add_user_agent(spec, server);
                    w.block_ports(node, blocked_ports);
                }
                Role::MailServer { domain, accounts, policy } => {
                    let refs: Vec<(&str, &str)> = accounts.iter().map(|(a, p)| (a.as_str(), p.as_str())).collect();
                    w.add_mail_server_with(&a.id, &a.name, &a.host, a.ip, domain, &refs, policy.clone());
                }
                Role::Dns { zone } => {
                    w.add_dns(&a.id, &a.name, &a.host, a.ip, zone.clone());
                }
                Role::Web { site } => {
                    let site = match site {
                        SiteSpec::Webmail { mail_server } => {
                            Site::Webmail { mail_server: mail_server.clone(), sessions: vec![] }
                        }
                        SiteSpec::Static(pages) => Site::Static(pages.clone()),
                    };
                    w.add_web_server(&a.id, &a.name, &a.host, a.ip, site);
                }
            }
        }
    }

    fn actor(&self, id: &str) -> Option<&Actor> {
        self.s.cast.iter().find(|a| a.id == id)
    }

    fn say(&mut self, at: Millis, actor: &str, text: Option<&str>) {
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            self.story.push((at, actor.into(), text.into()));
        }
    }

    /// Drafts a message: a fresh Message-ID token, then (for MIME) a boundary.
    fn draft(&mut self, m: &MessageSpec) -> (Draft, Vec<u8>) {
        self.counter += 1;
        let token = self.world.rng().hex(8).to_ascii_lowercase();
        let message_id = m
            .message_id
            .replace("{token}", &token)
            .replace("{n}", &self.counter.to_string())
            .replace("{date}", &compact_date(m.date));
        let draft = Draft {
            from: m.from.clone(),
            to: m.to.clone(),
            cc: m.cc.clone(),
            bcc: m.bcc.clone(),
            subject: m.subject.clone(),
            body: m.body.clone(),
            date: m.date,
            message_id,
        };
        let bytes = if m.html.is_none() && m.attachments.is_empty() {
            draft.to_bytes()
        } else {
            let boundary = match &m.boundary {
                Some(b) => b.clone(),
                None => self.world.rng().hex(12),
            };
            message::build_mime(&draft, m.html.as_deref(), &m.attachments, &boundary)
        };
        (draft, bytes)
    }

    /// A `[message.NAME]`, drafted the first time it is used.
    fn named(&mut self, i: usize) -> (Draft, Vec<u8>) {
        if let Some(done) = &self.named[i] {
            return done.clone();
        }
        let spec = &self.s.messages[i];
        let done = self.draft(spec);
        self.named[i] = Some(done.clone());
        done
    }

    fn act(&mut self, act: &Act) {
        match act {
            Act::Learner(a) => self.learner(a),
            Act::Send { at, sender, message, mail_from, rcpt_to, port, server, starttls, auth, pipelining, say } => {
                let (draft, bytes) = match message {
                    MessageRef::Named(i) => self.named(*i),
                    MessageRef::Inline(m) => self.draft(m),
                };
                let sub = Submission {
                    message: bytes,
                    mail_from: mail_from.clone().unwrap_or(draft.from.address.clone()),
                    rcpt_to: rcpt_to.clone().unwrap_or_else(|| draft.envelope_recipients()),
                    port: *port,
                    server: server.clone(),
                    starttls: *starttls,
                    auth: auth.clone(),
                    pipelining: *pipelining,
                };
                let node = self.world.node(sender);
                self.say(*at, sender, say.as_deref());
                self.world.schedule(*at, node, Task::Submit(sub));
            }
            Act::Terminal { at, client, host, port, items, say } => {
                let node = self.world.node(client);
                let task = if is_smtp_port(*port) {
                    Task::Type { server: host.clone().unwrap_or_default(), port: *port, script: self.script(items) }
                } else {
                    let lines: Vec<String> = items
                        .iter()
                        .filter_map(|i| if let Item::Text(t) = i { Some(t.clone()) } else { None })
                        .collect();
                    match host {
                        None => Task::TypePop3(lines),
                        Some(h) => Task::TypeLines { server: h.clone(), port: *port, lines },
                    }
                };
                let default =
                    format!("A terminal session to {} port {port}, typed by hand.", host.as_deref().unwrap_or(""));
                self.say(*at, client, Some(say.as_deref().unwrap_or(&default)));
                self.world.schedule(*at, node, task);
            }
            Act::CheckMail { at, actor, read, say } => {
                let task = self.check_mail(actor, *read);
                let node = self.world.node(actor);
                self.say(*at, actor, say.as_deref());
                self.world.schedule(*at, node, task);
            }
            Act::Imap { at, actor, steps, say } => {
                let steps = steps
                    .iter()
                    .map(|s| match s {
                        ImapSpec::Line(l) => ImapStep::Line(l.clone()),
                        ImapSpec::Idle(tag) => ImapStep::IdleUntilNews(tag.clone()),
                        ImapSpec::Scram { tag, user, password } => ImapStep::Scram {
                            tag: tag.clone(),
                            user: user.clone(),
                            password: password.clone(),
                            nonce: self.world.rng().hex(16),
                        },
                    })
                    .collect();
                let node = self.world.node(actor);
                self.say(*at, actor, say.as_deref());
                self.world.schedule(*at, node, Task::Imap(steps));
            }
            Act::Browse { at, actor, server, version, per_object, requests, say } => {
                let requests = requests.iter().map(|r| http_request(server, version, r)).collect();
                let node = self.world.node(actor);
                self.say(*at, actor, say.as_deref());
                let task = Task::Browse { server: server.clone(), requests, per_object: *per_object };
                self.world.schedule(*at, node, task);
            }
            Act::Narrate { at, actor, say } => self.say(*at, actor, Some(say)),
        }
    }

    /// A typed SMTP session: after DATA, the lines up to `.` (or a named message) are the
    /// message; a `{ line = ... }` is only ever a line.
    fn script(&mut self, items: &[Item]) -> Vec<Typed> {
        let mut script = Vec::new();
        let mut message: Option<String> = None;
        for item in items {
            match (item, &mut message) {
                (Item::Text(l), Some(m)) if l == "." => {
                    script.push(Typed::Raw(std::mem::take(m).into_bytes()));
                    message = None;
                }
                (Item::Text(l), Some(m)) => {
                    m.push_str(l);
                    m.push_str("\r\n");
                }
                (Item::Text(l), None) => {
                    script.push(Typed::Line(l.clone()));
                    if l.trim().eq_ignore_ascii_case("DATA") {
                        message = Some(String::new());
                    }
                }
                (Item::Message(i), _) => {
                    script.push(Typed::Message(self.named(*i).1));
                    message = None;
                }
                (Item::Line(l), _) => script.push(Typed::Line(l.clone())),
            }
        }
        // No `.` after DATA: if DATA is refused, those lines are commands (typed::group).
        if let Some(m) = message {
            script.push(Typed::Open(m.into_bytes()));
        }
        script
    }

    /// The task of a user agent fetching its mail: POP3 (delete or keep), or an IMAP session
    /// that lists and reads the newest message.
    fn check_mail(&mut self, actor: &str, read: ReadMode) -> Task {
        match read {
            ReadMode::Pop3Keep => Task::CheckMailPop3 { delete: false },
            ReadMode::Imap => {
                let (user, password) = match self.actor(actor).map(|a| &a.role) {
                    Some(Role::UserAgent { address, password, .. }) => {
                        (address.split('@').next().unwrap_or_default().to_string(), password.clone())
                    }
                    _ => Default::default(),
                };
                Task::Imap(vec![
                    ImapStep::Scram { tag: "r1".into(), user, password, nonce: self.world.rng().hex(16) },
                    ImapStep::Line("r2 select inbox".into()),
                    ImapStep::Line("r3 fetch 1:* (flags envelope)".into()),
                    ImapStep::Line("r4 fetch * body[]".into()),
                    ImapStep::Line("r5 logout".into()),
                ])
            }
            ReadMode::Pop3Delete | ReadMode::None => Task::CheckMailPop3 { delete: true },
        }
    }

    /// Compose's sender: a user agent's id, or `alice`/`bob` for `alice-ua`/`bob-ua`.
    fn compose_sender(&self, sender: &str) -> Option<Actor> {
        let ua = |id: &str| self.actor(id).filter(|a| matches!(a.role, Role::UserAgent { .. })).cloned();
        ua(sender).or_else(|| ua(&format!("{sender}-ua")))
    }

    /// Adds what a learner did (or a file's compose and fault), at its time.
    fn learner(&mut self, a: &Action) {
        match a {
            Action::Compose { at, sender, to, cc, bcc, subject, body, attachment, submit, read } => {
                let Some(ua) = self.compose_sender(sender) else { return };
                let Role::UserAgent { person, address, password, .. } = &ua.role else { return };
                let Some(node) = self.world.find(&ua.id) else { return };
                let token = self.world.rng().hex(8).to_ascii_lowercase();
                let unix = self.s.start + (*at / 1000) as i64;
                let domain = address.split('@').nth(1).unwrap_or("");
                let draft = Draft {
                    from: Person::new(person, address),
                    to: people(to),
                    cc: people(cc),
                    bcc: people(bcc),
                    subject: subject.clone(),
                    body: body.clone(),
                    date: unix,
                    message_id: format!("{unix}.{token}@{domain}"),
                };
                let message = match attachment {
                    Some(att) => {
                        use base64::Engine as _;
                        let data = base64::engine::general_purpose::STANDARD.decode(&att.base64).unwrap_or_default();
                        let boundary = self.world.rng().hex(12);
                        let file =
                            Attachment { filename: att.filename.clone(), content_type: att.content_type.clone(), data };
                        message::build_mime(&draft, None, &[file], &boundary)
                    }
                    None => draft.to_bytes(),
                };
                let port = if *submit == SubmitMode::Tls465 { 465 } else { 587 };
                let recipients = draft.envelope_recipients();
                let sub = Submission {
                    message,
                    mail_from: address.clone(),
                    rcpt_to: recipients.clone(),
                    port,
                    server: None,
                    starttls: *submit == SubmitMode::Starttls587,
                    auth: Some((address.clone(), password.clone())),
                    pipelining: false,
                };
                let how = match submit {
                    SubmitMode::Plain587 => "port 587 with AUTH",
                    SubmitMode::Starttls587 => "port 587 with STARTTLS and AUTH",
                    SubmitMode::Tls465 => "port 465 (implicit TLS) with AUTH",
                };
                let text = format!("{person} sends \"{subject}\" to {} through {how}.", recipients.join(", "));
                self.story.push((*at, ua.id.clone(), text));
                self.world.schedule(*at, node, Task::Submit(sub));
                // The first recipient who has a mail program here reads it two minutes later.
                let reader = recipients.iter().find_map(|r| {
                    self.s.cast.iter().find(|a| {
                        matches!(&a.role, Role::UserAgent { address, server, .. }
                            if address.eq_ignore_ascii_case(r) && !server.is_empty())
                    })
                });
                if let (Some(reader), false) = (reader.map(|r| r.id.clone()), *read == ReadMode::None) {
                    let Some(rnode) = self.world.find(&reader) else { return };
                    let when = *at + 120_000;
                    let task = self.check_mail(&reader, *read);
                    let text = "Two minutes later the recipient's mail program checks for new mail.";
                    self.story.push((when, reader, text.into()));
                    self.world.schedule(when, rnode, task);
                }
            }
            Action::Terminal { at, client, host, port, lines } => {
                let Some(node) = self.world.find(client) else { return };
                let text = format!("A terminal session to {host} port {port}, typed by hand.");
                self.story.push((*at, client.clone(), text));
                let task = Task::TypeLines { server: host.clone(), port: *port, lines: lines.clone() };
                self.world.schedule(*at, node, task);
            }
            Action::Fault { at, server, fault } => {
                let Some(node) = self.world.find(server) else { return };
                let task = match fault {
                    Fault::Down => Task::SetDown(true),
                    Fault::Up => Task::SetDown(false),
                    Fault::GreylistOn => Task::SetGreylist(Some(4 * 60_000)),
                    Fault::GreylistOff => Task::SetGreylist(None),
                    Fault::MailboxFull => Task::SetQuota(Some(0)),
                    Fault::MailboxRoom => Task::SetQuota(None),
                    Fault::Crash => Task::Crash { before_reply: false },
                    Fault::CrashBeforeReply => Task::Crash { before_reply: true },
                    Fault::Shutdown => Task::Shutdown,
                };
                self.world.schedule(*at, node, task);
            }
        }
    }

    fn finish(self) -> EventLog {
        let mut log = self.world.run();
        // Each narration goes just before the first event at or after its time.
        for (t, actor, text) in self.story {
            let at = log
                .events
                .iter()
                .position(|e| !matches!(e, Event::ActorJoined { .. }) && e.time() >= t)
                .unwrap_or(log.events.len());
            log.events.insert(at, Event::Narrated { t, actor, text });
        }
        log
    }
}

/// A comma-separated list of `Name <address>` or `address`, as the composer takes it.
fn people(list: &str) -> Vec<Person> {
    list.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| match (x.find('<'), x.rfind('>')) {
            (Some(a), Some(b)) if a < b => Person::new(x[..a].trim().trim_matches('"'), x[a + 1..b].trim()),
            _ => Person::new("", x),
        })
        .collect()
}

/// A browser's request: GET with Host and User-Agent, POST with a url-encoded form.
fn http_request(host: &str, version: &str, r: &RequestSpec) -> HttpMessage {
    if r.method == "POST" {
        let body: Vec<String> = r.form.iter().map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v))).collect();
        let headers = [("Host", host), ("Content-Type", "application/x-www-form-urlencoded")];
        HttpMessage::request("POST", &r.path, version, &headers, body.join("&").as_bytes())
    } else {
        HttpMessage::request("GET", &r.path, version, &[("Host", host), ("User-Agent", "Mailsim-Browser/1.0")], b"")
    }
}

/// `YYYYMMDDhhmmss` (UTC), for Message-IDs.
fn compact_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn compact_dates() {
        assert_eq!(super::compact_date(super::super::EPOCH), "20260914090000");
        assert_eq!(super::compact_date(0), "19700101000000");
        assert_eq!(super::compact_date(837_570_265), "19960717022425");
    }
}
