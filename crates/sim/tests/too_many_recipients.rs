//! Recipients refused for now (4yz) while others are accepted. A mail program's message to more
//! recipients than a server takes in one transaction: the server answers 452 4.5.3 past its
//! limit (100), and the client sends the message again, in a second transaction, to those (RFC
//! 5321 §4.5.3.1.8, §4.5.3.1.10). A relay whose recipient's mailbox is full (452 4.2.2) keeps
//! that recipient queued and retries, rather than bouncing (RFC 5321 §4.2.1, §4.5.4.1).

use mailsim_sim::log::Event;
use mailsim_sim::scenario;

#[test]
fn every_one_of_101_recipients_gets_one_copy() {
    let rcpts: Vec<String> = (1..=101).map(|i| format!("\"s{i:03}@bob.example\"")).collect();
    let text = format!(
        r#"[scenario]
id = "many"
title = "Many"

[repeat]
n = 101

[actor.bob-server]
accounts = ["bob@bob.example", "s{{n:3}}@bob.example"]

[[action]]
kind = "send"
at = 0
sender = "alice-ua"
to = "Students <students@bob.example>"
rcpt-to = [{}]
subject = "No lecture on Thursday"
body = "Dear all,\n"
"#,
        rcpts.join(", ")
    );
    let log = scenario::load("many.toml", &text).unwrap_or_else(|e| panic!("{e}")).run();
    let sent = |port: u16, prefix: &str| {
        log.events
            .iter()
            .filter(|e| matches!(e, Event::MessageSent { port: p, raw, .. } if *p == port && raw.starts_with(prefix.as_bytes())))
            .count()
    };
    // Submission (587): the 101st is refused as too many, then sent in a second transaction.
    assert_eq!(sent(587, "452 4.5.3"), 1);
    assert_eq!(sent(587, "MAIL FROM"), 2);
    assert_eq!(sent(587, "RCPT TO:<s101@bob.example>"), 2);
    // The relay takes them as two queued messages, 100 and 1: each fits in one transaction.
    assert_eq!(sent(25, "MAIL FROM"), 2);
    assert_eq!(sent(25, "452"), 0);
    for i in 1..=101 {
        let mailbox = format!("s{i:03}@bob.example");
        let copies =
            log.events.iter().filter(|e| matches!(e, Event::MessageStored { mailbox: m, .. } if *m == mailbox)).count();
        assert_eq!(copies, 1, "{mailbox}");
    }
    // No bounce to Alice, and her mail program reports two submissions, both sent.
    assert!(!log
        .events
        .iter()
        .any(|e| matches!(e, Event::MessageStored { mailbox, .. } if mailbox == "alice@alice.example")));
    let reports = log
        .events
        .iter()
        .filter(
            |e| matches!(e, Event::Narrated { text, .. } if text.starts_with("The user agent reports: message sent")),
        )
        .count();
    assert_eq!(reports, 2);
}

const PARTIAL: &str = r#"[scenario]
id = "partial"
title = "Partial"

[cast]
actors = ["alice-ua", "alice-server", "dns", "old-server"]

[actor.old-server]
accounts = ["olga@old.example", "oscar@old.example"]
policy = { quota = 512 }

[[seed]]
mailbox = "olga@old.example"
from = "Admin <postmaster@old.example>"
subject = "Big"
body = """
0123456789012345678901234567890123456789012345678901234567890123456789
0123456789012345678901234567890123456789012345678901234567890123456789
0123456789012345678901234567890123456789012345678901234567890123456789
0123456789012345678901234567890123456789012345678901234567890123456789
0123456789012345678901234567890123456789012345678901234567890123456789
0123456789012345678901234567890123456789012345678901234567890123456789
0123456789012345678901234567890123456789012345678901234567890123456789
0123456789012345678901234567890123456789012345678901234567890123456789
"""

[[action]]
kind = "send"
at = 0
sender = "alice-ua"
to = "olga@old.example, oscar@old.example"
subject = "Hello both"
body = "Hi.\n"

[[action]]
kind = "fault"
at = "2 min"
server = "old-server"
fault = "mailbox-room"
"#;

#[test]
fn a_recipient_refused_for_now_is_retried_not_bounced() {
    let log = scenario::load("partial.toml", PARTIAL).unwrap_or_else(|e| panic!("{e}")).run();
    let stored = |mailbox: &str| {
        log.events
            .iter()
            .filter_map(|e| match e {
                Event::MessageStored { mailbox: m, subject, t, .. } if m == mailbox && subject == "Hello both" => {
                    Some(*t)
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    // Oscar's copy at the first attempt; Olga's mailbox was full (452 4.2.2), so hers waits
    // for the retry, after her mailbox has room again.
    let (oscar, olga) = (stored("oscar@old.example"), stored("olga@old.example"));
    assert_eq!(oscar.len(), 1, "one copy for Oscar");
    assert_eq!(olga.len(), 1, "one copy for Olga");
    assert!(olga[0] > oscar[0] + 4 * 60_000, "Olga's comes with the retry: {olga:?} {oscar:?}");
    let deferred: Vec<&str> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageDeferred { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deferred.len(), 1, "{deferred:?}");
    assert!(deferred[0].contains("<olga@old.example>: 452 4.2.2"), "{deferred:?}");
    // The retry names only Olga; no bounce reaches Alice.
    let rcpts_25 = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageSent { port: 25, raw, .. } if raw.starts_with(b"RCPT TO:<oscar")))
        .count();
    assert_eq!(rcpts_25, 1, "Oscar is not sent a second copy");
    assert!(stored("alice@alice.example").is_empty());
    assert!(!log
        .events
        .iter()
        .any(|e| matches!(e, Event::MessageStored { mailbox, .. } if mailbox == "alice@alice.example")));
}
