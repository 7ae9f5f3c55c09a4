//! The page's SMTP and POP3 terminals (QA3 F5, F2): the person is the client, so what they
//! type goes out as typed: no dot-stuffing after DATA, and labels keep the case of the verb.

use mailsim_sim::actions::Action;
use mailsim_sim::log::Event;
use mailsim_sim::scenario;

fn session(client: &str, port: u16, lines: &[&str]) -> Vec<Event> {
    let action = Action::Terminal {
        at: 1_000,
        client: client.into(),
        host: "mail.bob.example".into(),
        port,
        lines: lines.iter().map(|l| l.to_string()).collect(),
    };
    scenario::run_with("playground", &[action]).unwrap().events
}

#[test]
fn typed_data_lines_go_out_as_typed() {
    let lines = [
        "HELO laptop",
        "MAIL FROM:<alice@alice.example>",
        "RCPT TO:<bob@bob.example>",
        "DATA",
        "Subject: dots",
        "",
        ".dot line",
        "..two",
        ".",
        "QUIT",
    ];
    let events = session("alice-ua", 25, &lines);
    let data = events.iter().find_map(|e| match e {
        Event::MessageSent { raw, label, meaning, .. } if label.starts_with("message (") => Some((raw, meaning)),
        _ => None,
    });
    let (raw, meaning) = data.expect("the message is sent");
    assert_eq!(raw.as_slice(), b"Subject: dots\r\n\r\n.dot line\r\n..two\r\n.\r\n");
    assert!(meaning.contains("2 lines start with") && meaning.contains("\".x\" is stored as \"x\""), "{meaning}");
    let stored = events.iter().find_map(|e| match e {
        Event::MessageStored { mailbox, raw, .. } if mailbox == "bob@bob.example" => Some(raw.clone()),
        _ => None,
    });
    let stored = String::from_utf8(stored.expect("Bob's server stores it")).unwrap();
    assert!(stored.ends_with("\r\n\r\ndot line\r\n.two\r\n"), "the server removed one dot of each: {stored:?}");
}

/// pop3-session (F17): after the lecture's session deleted message 1, the learner's own
/// session still finds a copy of the lecture's message, byte-stuffed on the wire.
#[test]
fn the_learner_can_retrieve_the_lectures_message_after_the_scripted_session() {
    let action = Action::Terminal {
        at: 3_600_000,
        client: "bob-ua".into(),
        host: "mail.bob.example".into(),
        port: 110,
        lines: ["USER bob", "PASS bob-pw", "LIST", "RETR 5", "QUIT"].map(String::from).to_vec(),
    };
    let log = scenario::run_with("pop3-session", &[action]).unwrap();
    let raws: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent { raw, t, .. } if *t > 3_600_000 => Some(String::from_utf8_lossy(raw).into_owned()),
            _ => None,
        })
        .collect();
    assert!(raws.iter().any(|r| r.starts_with("+OK 5 messages")), "{raws:#?}");
    let retr = raws.iter().find(|r| r.contains("Subject: Some boring mail")).expect("RETR 5 is the lecture's message");
    assert!(retr.contains("\r\n\r\nSome data\r\n..A line that starts with a .\r\n... Another one\r\n.\r\n"), "{retr}");
}
