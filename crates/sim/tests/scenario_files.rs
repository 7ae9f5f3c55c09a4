//! Scenario files: malformed ones give located errors with exact messages; saved playground
//! sessions replay what the learner did; a file may describe its own cast.
#![cfg(not(target_arch = "wasm32"))]

#[allow(unused_imports)]
use mailsim_proto as _;
use mailsim_sim::actions::{self, Action, Attachment, Fault, ReadMode, SubmitMode};
use mailsim_sim::log::Event;
use mailsim_sim::scenario::{self, load};

/// `tests/malformed/*.toml`, each with its error exactly as printed in `expected.txt`.
#[test]
fn malformed_files_give_located_errors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 15, "{names:?}");
    assert_eq!(names.len(), expected.lines().count(), "one expected error per file");
    for (name, want) in names.iter().zip(expected.lines()) {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        match load(name, &text) {
            Ok(_) => panic!("{name} loaded"),
            Err(e) => assert_eq!(e.to_string(), want, "{name}"),
        }
    }
}

#[test]
fn errors_carry_file_line_and_column() {
    let e = load("x.toml", "[scenario]\nid = \"t\"\ntitle = \"T\"\n\n[[action]]\nkind = \"faul\"\n").unwrap_err();
    assert_eq!((e.file.as_str(), e.line, e.column), ("x.toml", 6, 8));
    assert!(e.message.starts_with("unknown action kind \"faul\""));
    // Columns count characters, not bytes.
    let e = load("y.toml", "[scenario]\nid = \"t\"\ntitle = \"Grüße\"\nbad = 1\n").unwrap_err();
    assert_eq!((e.line, e.column), (4, 1), "{e}");
    let e = load("z.toml", "[scenario]\nid = \"t\"\ntitle = \"é\" x\n").unwrap_err();
    assert_eq!((e.line, e.column), (3, 13), "{e}");
}

#[test]
fn no_input_panics() {
    // Every prefix of a real file either loads or gives an error; none panics.
    let text = scenario::FILES.iter().find(|(n, _)| *n == "reply-codes.toml").unwrap().1;
    for end in (0..text.len()).filter(|i| text.is_char_boundary(*i)).step_by(7) {
        let _ = load("cut.toml", &text[..end]);
    }
    for junk in ["", "\u{0}", "[[scenario]]", "scenario = 5", "[scenario]\nid = 5", "[[action]]\nkind = 5"] {
        assert!(load("junk.toml", junk).is_err(), "{junk:?}");
    }
}

const HEADER: &str = "[scenario]\nid = \"t\"\ntitle = \"T\"\n";

fn compose(at: u64, sender: &str, to: &str, body: &str, read: ReadMode, submit: SubmitMode) -> Action {
    Action::Compose {
        at,
        sender: sender.into(),
        to: to.into(),
        cc: String::new(),
        bcc: String::new(),
        subject: "Saved \"as\" TOML \\ ok".into(),
        body: body.into(),
        attachment: None,
        submit,
        read,
    }
}

/// What a learner might do in the playground, in every form the page produces.
fn session() -> Vec<Action> {
    let body = "Hi Bob,\n\n\"quoted\"\"\"\" and \\ and tabs\t.\n";
    vec![
        compose(1000, "alice", "Bob <bob@bob.example>", body, ReadMode::Imap, SubmitMode::Starttls587),
        Action::Fault { at: 2000, server: "bob-server".into(), fault: Fault::GreylistOn },
        {
            let mut c =
                compose(3000, "bob", "alice@alice.example", "Grüße\r\nzurück", ReadMode::Pop3Keep, SubmitMode::Tls465);
            if let Action::Compose { attachment, .. } = &mut c {
                *attachment = Some(Attachment {
                    filename: "a \"b\".txt".into(),
                    content_type: "text/plain".into(),
                    base64: "aGVsbG8K".into(),
                });
            }
            c
        },
        Action::Fault { at: 300_000, server: "bob-server".into(), fault: Fault::GreylistOff },
        Action::Terminal {
            at: 400_000,
            client: "alice-ua".into(),
            host: "mail.bob.example".into(),
            port: 25,
            lines: [
                "EHLO me",
                "MAIL FROM:<a@alice.example>",
                "RCPT TO:<bob@bob.example>",
                "DATA",
                "Subject: typed",
                "",
                ".dot",
                ".",
                "QUIT",
            ]
            .map(String::from)
            .to_vec(),
        },
        Action::Terminal {
            at: 500_000,
            client: "bob-ua".into(),
            host: "mail.bob.example".into(),
            port: 110,
            lines: ["USER bob", "PASS bob-pw", "LIST", "QUIT"].map(String::from).to_vec(),
        },
        Action::Terminal {
            at: 600_000,
            client: "bob-ua".into(),
            host: "mail.bob.example".into(),
            port: 143,
            lines: vec!["a LOGIN bob bob-pw".into(), "b LOGOUT".into()],
        },
        // Typed up to the middle of a message: nothing of it is sent, then or when replayed.
        Action::Terminal {
            at: 700_000,
            client: "alice-ua".into(),
            host: "mail.alice.example".into(),
            port: 587,
            lines: vec!["EHLO me".into(), "DATA".into(), "half a message".into()],
        },
        Action::Fault { at: 800_000, server: "bob-server".into(), fault: Fault::Down },
    ]
}

#[test]
fn a_saved_playground_replays_the_same_log() {
    for id in ["playground", "alice-to-bob", "webmail"] {
        let s = scenario::info_of(id).unwrap();
        let actions = session();
        let saved = s.save_with(&actions);
        let reopened = load("saved.toml", &saved).unwrap_or_else(|e| panic!("{e}\n{saved}"));
        assert_eq!(reopened.run().to_jsonl(), s.run_with(&actions).to_jsonl(), "{id}: the same thing happens");
        assert_eq!(s.save_with(&[]), s.source, "nothing added, nothing changed");
    }
    // The learner's actions really happened.
    let log = scenario::run_with("playground", &session()).unwrap();
    let typed =
        |e: &Event| matches!(e, Event::MessageStored { raw, .. } if raw.windows(14).any(|w| w == b"Subject: typed"));
    assert!(log.events.iter().any(typed));
}

#[test]
fn actions_written_as_toml_read_back() {
    let text = format!("{HEADER}{}", actions::to_toml(&session()));
    let s = load("actions.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let empty = load("empty.toml", HEADER).unwrap();
    assert_eq!(s.run().to_jsonl(), empty.run_with(&session()).to_jsonl());
    assert!(text.contains("body = \"\"\"\nHi Bob,\n"), "bodies are multi-line strings: {text}");
}

#[test]
fn the_page_keeps_actions_as_toml() {
    let all = session();
    assert_eq!(actions::from_toml(&actions::to_toml(&all)), all, "every kind, every odd character");
    // What the learner typed is kept as typed, even if it is no address (a file must be right).
    let odd = vec![compose(5, "bob", "just bob", "x", ReadMode::None, SubmitMode::Plain587)];
    assert_eq!(actions::from_toml(&actions::to_toml(&odd)), odd);
    let e = load("odd.toml", &format!("{HEADER}{}", actions::to_toml(&odd))).unwrap_err();
    assert!(e.message.starts_with("\"just bob\" is not an address"), "{e}");
    for junk in
        ["", "[{\"kind\":\"fault\"}]", "[[action]]\nkind = \"fault\"\n", "[[action]]\nkind = \"send\"\nat = 1\n"]
    {
        assert_eq!(actions::from_toml(junk), vec![], "{junk:?}");
    }
}

/// A file that describes its own cast, uses durations, a named message and most action kinds.
const OWN_CAST: &str = r#"
[scenario]
id = "carol"
title = "Carol joins"
topic = "Custom"
summary = "Carol's own user agent, on Bob's server"
seed = 7
start = 2027-01-04T08:30:00Z

[cast]
actors = ["alice-ua", "alice-server", "dns", "bob-server", "carol-ua", "bob-ua"]

[actor.carol-ua]
kind = "user-agent"
name = "Carol's UA"
host = "tablet.bob.example"
ip = "198.51.100.12"
person = "Carol"
address = "carol@bob.example"
password = "carol-secret"
server = "bob-server"

[actor.bob-server]
accounts = ["bob@bob.example", { address = "carol@bob.example", password = "carol-secret" }]
policy = { greylist = "1 min", retry-delays = ["2 min"] }

[message.note]
from = "Carol <carol@bob.example>"
to = "alice@alice.example"
subject = "A note"
body = "Seen."

[[seed]]
mailbox = "carol@bob.example"
received = 2027-01-03T12:00:00Z
flags = ['\Seen']
from = "Bob <bob@bob.example>"
subject = "Welcome"
date = 2027-01-03T11:59:00Z
body = "Hello Carol."

[[action]]
kind = "narrate"
at = 0
actor = "carol-ua"
say = "Carol starts her day."

[[action]]
kind = "send"
at = "500 ms"
sender = "alice-ua"
to = ["Carol <carol@bob.example>"]
subject = "Hi Carol"
body = "Welcome!"
say = "Alice greets Carol."

[[action]]
kind = "check-mail"
at = "10 min"
actor = "carol-ua"
read = "imap"
say = "Carol reads her mail over IMAP."

[[action]]
kind = "send"
at = "11 min"
sender = "carol-ua"
message = "note"
auth = true
"#;

#[test]
fn a_file_can_bring_its_own_cast() {
    let s = load("carol.toml", OWN_CAST).unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = s.cast().map(|(id, _, _)| id).collect();
    assert_eq!(ids, ["alice-ua", "alice-server", "dns", "bob-server", "carol-ua", "bob-ua"]);
    assert_eq!(s.description, s.summary, "the description defaults to the summary");
    let log = s.run();
    let jsonl = log.to_jsonl();
    assert!(jsonl.starts_with("{\"epoch\":1799051400,\"scenario\":\"carol\",\"seed\":7}"), "{}", &jsonl[..80]);
    let narrated: Vec<&str> = log
        .events
        .iter()
        .filter_map(|e| if let Event::Narrated { text, .. } = e { Some(text.as_str()) } else { None })
        .collect();
    assert!(narrated.contains(&"Carol starts her day."), "{narrated:?}");
    assert!(narrated.contains(&"Carol reads her mail over IMAP."), "{narrated:?}");
    // Greylisted once, delivered on the retry, then read over IMAP with Carol's own password.
    assert!(log
        .events
        .iter()
        .any(|e| matches!(e, Event::MessageDeferred { reason, .. } if reason.contains("450 4.2.0"))));
    let stored: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageStored { mailbox, raw, .. } if mailbox == "carol@bob.example" => {
                Some(String::from_utf8_lossy(raw).into_owned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(stored.len(), 2, "the seed and Alice's message");
    let seeded = "Date: Sun, 03 Jan 2027 11:59:00 +0000\r\nFrom: Bob <bob@bob.example>\r\nTo: carol@bob.example\r\n\
                  Subject: Welcome\r\n\r\nHello Carol.\r\n";
    assert_eq!(stored[0], seeded);
    assert!(
        stored[1].contains("Message-ID: <20270104083000.") && stored[1].contains(".1@alice.example>"),
        "{}",
        stored[1]
    );
    let read = |e: &Event| {
        matches!(e, Event::MessageSent { to, port: 143, raw, .. }
            if to == "carol-ua" && raw.windows(17).any(|w| w == b"Subject: Hi Carol"))
    };
    assert!(log.events.iter().any(read), "Carol's IMAP session fetched it");
    // Carol's note went out with AUTH, as carol@bob.example.
    assert!(log.events.iter().any(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"AUTH PLAIN"))));
    assert!(log.events.iter().any(
        |e| matches!(e, Event::MessageStored { mailbox, subject, .. } if mailbox == "alice@alice.example" && subject == "A note")
    ));
}

#[test]
fn the_worked_example_of_the_docs_is_the_greylisting_scenario() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/scenarios.md")).unwrap();
    let example = docs.split("## A worked example").nth(1).unwrap();
    let toml = example.split("```toml\n").nth(1).unwrap().split("```").next().unwrap();
    let s = load("example.toml", toml).unwrap_or_else(|e| panic!("{e}"));
    // Only the description was shortened: the same world, the same log.
    assert_eq!(s.run(), scenario::run("greylisting").unwrap());
}

/// `decrypted = true` opens the page with "show decrypted" ticked (QA F3): the lecture's IMAP
/// session, whose commands are all inside TLS; off by default; not a boolean is an error.
#[test]
fn a_scenario_can_open_decrypted() {
    assert!(scenario::info_of("imap-session").unwrap().decrypted);
    assert!(!scenario::info_of("starttls-auth").unwrap().decrypted, "there the ciphertext is the point");
    let head = "[scenario]\nid = \"t\"\ntitle = \"T\"\n";
    assert!(!load("a.toml", head).unwrap().decrypted);
    assert!(load("b.toml", &format!("{head}decrypted = true\n")).unwrap().decrypted);
    let e = load("c.toml", &format!("{head}decrypted = \"yes\"\n")).unwrap_err();
    assert_eq!((e.line, e.column), (4, 13), "{e}");
}
