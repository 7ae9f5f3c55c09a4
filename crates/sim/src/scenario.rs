//! The scenarios the playground offers: each builds a world, schedules what the people in
//! it do, and runs it to an [`EventLog`]. Same id, same log, on every platform.

use crate::log::EventLog;
use crate::world::{NodeId, Task, UserSpec, World};
use mailsim_proto::dns::{RData, Record};
use mailsim_proto::message::{Draft, Person};

/// What the scenario picker shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub topic: &'static str,
    /// One line, for `mailsim run --list`.
    pub summary: &'static str,
    /// One paragraph: what it teaches.
    pub description: &'static str,
}

pub const SCENARIOS: &[ScenarioInfo] = &[ScenarioInfo {
    id: "alice-to-bob",
    title: "Alice sends Bob an e-mail",
    topic: "Basics",
    summary: "Submission (SMTP :587), MX lookup, relay (SMTP :25), retrieval (POP3 :110)",
    description: "The lectures' walk-through. Alice's user agent submits her message to her own mail server over SMTP on port 587; \
                  the server queues it, asks DNS for the MX record of bob.example, and relays it over SMTP on port 25 to Bob's server, \
                  which stores it in Bob's mailbox. Later Bob's user agent downloads it over POP3 and deletes it from the server, \
                  which happens only when the session ends with QUIT. Watch the three phases of each SMTP dialog (handshake, transfer, \
                  closure), the envelope (MAIL FROM, RCPT TO) next to the message's own header fields, and the Received: lines each server adds.",
}];

/// Unix time at the start of every scenario: Monday 14 September 2026, 09:00:00 UTC.
pub const EPOCH: i64 = 1_789_376_400;

pub fn info(id: &str) -> Option<&'static ScenarioInfo> {
    SCENARIOS.iter().find(|s| s.id == id)
}

/// Runs the scenario `id`; `None` if there is no such scenario.
pub fn run(id: &str) -> Option<EventLog> {
    let info = info(id)?;
    Some(match info.id {
        "alice-to-bob" => alice_to_bob(),
        _ => return None,
    })
}

/// The people and machines of the lectures' example.
pub struct Cast {
    pub world: World,
    pub alice_ua: NodeId,
    pub alice_server: NodeId,
    pub dns: NodeId,
    pub bob_server: NodeId,
    pub bob_ua: NodeId,
}

pub fn cast(scenario: &str, seed: u64) -> Cast {
    let mut w = World::new(scenario, seed, EPOCH);
    let alice_server_ip = [192, 0, 2, 25];
    let bob_server_ip = [198, 51, 100, 25];
    // Lifelines in the order of the lectures' picture: sender on the left, DNS in the middle.
    let alice_ua = w.add_user_agent(
        UserSpec { id: "alice-ua", name: "Alice's UA", host: "laptop.alice.example", ip: [192, 0, 2, 10], address: "alice@alice.example", password: "alice-pw" },
        "alice-server",
    );
    let alice_server = w.add_mail_server("alice-server", "Alice's server", "mail.alice.example", alice_server_ip, "alice.example", &[("alice@alice.example", "alice-pw")]);
    let zone = vec![
        Record { name: "alice.example".into(), ttl: 3600, data: RData::Mx { preference: 10, exchange: "mail.alice.example".into() } },
        Record { name: "mail.alice.example".into(), ttl: 3600, data: RData::A(alice_server_ip) },
        Record { name: "bob.example".into(), ttl: 3600, data: RData::Mx { preference: 10, exchange: "mail.bob.example".into() } },
        Record { name: "mail.bob.example".into(), ttl: 3600, data: RData::A(bob_server_ip) },
    ];
    let dns = w.add_dns("dns", "DNS", "ns.example", [192, 0, 2, 53], zone);
    let bob_server = w.add_mail_server("bob-server", "Bob's server", "mail.bob.example", bob_server_ip, "bob.example", &[("bob@bob.example", "bob-pw")]);
    let bob_ua = w.add_user_agent(
        UserSpec { id: "bob-ua", name: "Bob's UA", host: "pc.bob.example", ip: [198, 51, 100, 10], address: "bob@bob.example", password: "bob-pw" },
        "bob-server",
    );
    Cast { world: w, alice_ua, alice_server, dns, bob_server, bob_ua }
}

fn alice_to_bob() -> EventLog {
    let mut c = cast("alice-to-bob", 2026);
    let w = &mut c.world;
    let message_id = format!("20260914090000.{}@alice.example", w.rng().hex(8).to_ascii_lowercase());
    let draft = Draft {
        from: Person::new("Alice", "alice@alice.example"),
        to: vec![Person::new("Bob", "bob@bob.example")],
        subject: "Catch up this week?".into(),
        body: "Hi Bob,\n\nShall we catch up this week? Thursday at 10 works for me.\n.NET meetup is on Friday, if you'd rather go there.\n\nAlice\n".into(),
        date: w.unix_now(),
        message_id,
    };
    w.narrate(c.alice_ua, "Alice writes to bob@bob.example and clicks Send: her user agent submits the message to her provider's server on port 587.");
    w.schedule(0, c.alice_ua, Task::Submit { draft, port: 587 });
    w.schedule(60_000, c.bob_ua, Task::CheckMailPop3 { delete: true });
    let mut log = c.world.run();
    // Bob's narration belongs at the moment he acts; insert it in time order.
    let at = log.events.iter().position(|e| e.time() >= 60_000).unwrap_or(log.events.len());
    log.events.insert(
        at,
        crate::log::Event::Narrated { t: 60_000, actor: "bob-ua".into(), text: "A minute later Bob opens his mail program: it downloads new mail over POP3 and deletes it from the server.".into() },
    );
    log
}
