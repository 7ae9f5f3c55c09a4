//! A mail program's message to more recipients than a server takes in one transaction: the
//! server answers 452 4.5.3 past its limit (100), and the client sends the message again, in a
//! second transaction, to those (RFC 5321 §4.5.3.1.8, §4.5.3.1.10). Every recipient gets
//! exactly one copy, and nobody is reported refused.

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
