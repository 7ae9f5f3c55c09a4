//! The reserved mailbox "postmaster" (RFC 5321 §4.5.1): a server that delivers mail MUST take
//! `RCPT TO:<Postmaster>` (no domain) and `postmaster@` each of its domains, in any case, and
//! the mail must arrive somewhere: here in the mailbox of the domain's first account (Bob runs
//! bob.example). Before, `<postmaster>` got 250 and the message vanished (neither stored nor
//! bounced), and `postmaster@bob.example` got 550.

use mailsim_sim::log::Event;
use mailsim_sim::scenario;

const TEXT: &str = r#"[scenario]
id = "postmaster"
title = "Postmaster"

[[action]]
kind = "terminal"
at = 0
client = "alice-ua"
host = "mail.bob.example"
port = 25
lines = ["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<postmaster>", "DATA", "Subject: one", "", "bare", ".", "QUIT"]

[[action]]
kind = "terminal"
at = "1 min"
client = "alice-ua"
host = "mail.bob.example"
port = 25
lines = ["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<PostMaster@Bob.Example>", "DATA", "Subject: two", "", "domain", ".", "QUIT"]

[[action]]
kind = "send"
at = "2 min"
sender = "alice-ua"
to = "postmaster@bob.example"
subject = "three"
body = "Through Alice's server.\n"

[[action]]
kind = "terminal"
at = "3 min"
client = "alice-ua"
host = "mail.alice.example"
port = 587
lines = ["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<postmaster>", "DATA", "Subject: four", "", "submitted", ".", "QUIT"]
"#;

#[test]
fn mail_for_the_postmaster_is_accepted_and_stored() {
    let log = scenario::load("postmaster.toml", TEXT).unwrap_or_else(|e| panic!("{e}")).run();
    let replies = |prefix: &str| {
        log.events
            .iter()
            .filter(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(prefix.as_bytes())))
            .count()
    };
    assert_eq!(replies("550"), 0, "no postmaster is refused");
    let stored = |mailbox: &str, subject: &str| {
        log.events
            .iter()
            .any(|e| matches!(e, Event::MessageStored { mailbox: m, subject: s, .. } if m == mailbox && s == subject))
    };
    assert!(stored("bob@bob.example", "one"), "<postmaster> on port 25");
    assert!(stored("bob@bob.example", "two"), "postmaster@bob.example on port 25");
    assert!(stored("bob@bob.example", "three"), "postmaster@bob.example relayed from Alice's server");
    assert!(stored("alice@alice.example", "four"), "<postmaster> submitted to Alice's server is hers");
    // Nothing bounced back to Alice.
    let bounces = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageStored { mailbox, from, .. } if mailbox == "alice@alice.example" && from.contains("MAILER-DAEMON")))
        .count();
    assert_eq!(bounces, 0);
}

#[test]
fn the_postmaster_and_its_account_named_together_get_one_copy() {
    let text = r#"[scenario]
id = "pm-twice"
title = "Postmaster twice"

[[action]]
kind = "terminal"
at = 0
client = "alice-ua"
host = "mail.bob.example"
port = 25
lines = ["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<postmaster>", "RCPT TO:<postmaster@bob.example>", "RCPT TO:<bob@bob.example>", "DATA", "Subject: once", "", "x", ".", "QUIT"]
"#;
    let log = scenario::load("pm-twice.toml", text).unwrap_or_else(|e| panic!("{e}")).run();
    let accepted = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"250 2.1.5")))
        .count();
    assert_eq!(accepted, 3, "all three recipients are accepted");
    let copies = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageStored { mailbox, subject, .. } if mailbox == "bob@bob.example" && subject == "once"))
        .count();
    assert_eq!(copies, 1);
}
