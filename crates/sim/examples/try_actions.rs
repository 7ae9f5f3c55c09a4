use mailsim_sim::actions::*;
use mailsim_sim::{diagram, scenario};
fn t(at: u64, client: &str, host: &str, port: u16, lines: &[&str]) -> Action {
    Action::Terminal {
        at,
        client: client.into(),
        host: host.into(),
        port,
        lines: lines.iter().map(|s| s.to_string()).collect(),
    }
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map(String::as_str).unwrap_or("smtp");
    let scen = args.get(2).map(String::as_str).unwrap_or("playground");
    let acts: Vec<Action> = match which {
        "smtp" => vec![t(
            1000,
            "alice-ua",
            "mail.bob.example",
            25,
            &[
                "EHLO me",
                "MAIL FROM:<alice@alice.example>",
                "RCPT TO:<bob@bob.example>",
                "DATA",
                "From: The President <president@whitehouse.example>",
                "Subject: hi",
                "",
                "hello",
                "..dot",
                ".",
                "QUIT",
            ],
        )],
        "pop3" => vec![
            t(
                1000,
                "alice-ua",
                "mail.bob.example",
                25,
                &[
                    "HELO me",
                    "MAIL FROM:<alice@alice.example>",
                    "RCPT TO:<bob@bob.example>",
                    "DATA",
                    "Subject: hi",
                    "",
                    "hello",
                    ".",
                    "QUIT",
                ],
            ),
            t(5000, "bob-ua", "mail.bob.example", 110, &["USER bob", "PASS bob-pw", "LIST", "RETR 1", "QUIT"]),
        ],
        "imap" => vec![
            t(
                1000,
                "bob-ua",
                "mail.bob.example",
                143,
                &["s starttls", "a login bob bob-pw", "b select inbox", "c idle"],
            ),
            Action::Compose {
                at: 3000,
                sender: "alice".into(),
                to: "bob@bob.example".into(),
                cc: "".into(),
                bcc: "".into(),
                subject: "S".into(),
                body: "b".into(),
                attachment: None,
                submit: SubmitMode::Plain587,
                read: ReadMode::None,
            },
        ],
        "imap2" => {
            vec![t(1000, "bob-ua", "mail.bob.example", 143, &["a login bob bob-pw", "b select inbox", "c idle"])]
        }
        "sub" => vec![t(
            1000,
            "alice-ua",
            "mail.alice.example",
            587,
            &[
                "EHLO me",
                "MAIL FROM:<alice@alice.example>",
                "RCPT TO:<bob@bob.example>",
                "AUTH PLAIN AGFsaWNlQGFsaWNlLmV4YW1wbGUAYWxpY2UtcHc=",
                "MAIL FROM:<alice@alice.example>",
                "RCPT TO:<bob@bob.example>",
                "DATA",
                "Subject: x",
                "",
                "y",
                ".",
                "QUIT",
            ],
        )],
        "down" => vec![
            Action::Fault { at: 1, server: "bob-server".into(), fault: Fault::Down },
            Action::Compose {
                at: 1000,
                sender: "alice".into(),
                to: "bob@bob.example".into(),
                cc: "".into(),
                bcc: "".into(),
                subject: "S".into(),
                body: "b".into(),
                attachment: None,
                submit: SubmitMode::Plain587,
                read: ReadMode::None,
            },
            Action::Fault { at: 200000, server: "bob-server".into(), fault: Fault::Up },
        ],
        "codes" => vec![t(
            1000,
            "alice-ua",
            "mail.bob.example",
            25,
            &[
                "HELO me",
                "FOO",
                "MAIL FROM:<a@b>",
                "RCPT TO:<nobody@bob.example>",
                "RCPT TO:<carol@carol.example>",
                "VRFY bob",
                "HELP",
                "DATA",
                "QUIT",
            ],
        )],
        _ => vec![],
    };
    let log = scenario::run_with(scen, &acts).unwrap();
    print!("{}", diagram::transcript(&log));
    for e in &log.events {
        let j = serde_json::to_string(e).unwrap();
        if !j.contains("message_sent") && !j.contains("actor_joined") {
            println!("{}", &j[..j.len().min(300)]);
        }
    }
    let end = diagram::snapshot(&log, 0, log.events.len());
    for m in end.mailboxes {
        println!("{} {:?}", m.address, m.messages.iter().map(|x| (&x.subject, &x.from)).collect::<Vec<_>>());
    }
}
