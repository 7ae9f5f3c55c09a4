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
