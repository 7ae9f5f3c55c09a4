//! Scenario files: malformed ones give located errors with exact messages; saved playground
//! sessions replay what the learner did; a file may describe its own cast.
#![cfg(not(target_arch = "wasm32"))]

#[allow(unused_imports)]
use mailsim_proto as _;
use mailsim_sim::actions::{self, Action, Attachment, Fault, ReadMode, SubmitMode};
use mailsim_sim::log::Event;
use mailsim_sim::scenario::{self, load};

/// (file name, text, the error exactly as printed).
const MALFORMED: &[(&str, &str, &str)] = &[
    (
        "01-kind.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "faul"
at = 0
server = "bob-server"
fault = "down""#,
        r#"01-kind.toml:6:8: unknown action kind "faul"; expected one of compose, send, terminal, imap, check-mail, browse, fault, narrate"#,
    ),
    (
        "02-key.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "fault"
at = 0
server = "bob-server"
falt = "down""#,
        r#"02-key.toml:9:1: unknown key "falt"; expected one of kind, at, server, fault"#,
    ),
    (
        "03-fault.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "fault"
at = 0
server = "bob-server"
fault = "broken""#,
        r#"03-fault.toml:9:9: unknown value "broken"; expected one of down, up, greylist-on, greylist-off, mailbox-full, mailbox-room"#,
    ),
    (
        "04-server.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "fault"
at = 0
server = "carol-server"
fault = "down""#,
        r#"04-server.toml:8:10: unknown actor "carol-server"; the cast has alice-ua, alice-server, dns, bob-server, bob-ua"#,
    ),
    (
        "05-to.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "compose"
at = 1000
sender = "alice"
to = "bob at bob.example""#,
        r#"05-to.toml:9:6: "bob at bob.example" is not an address; expected local@domain or Name <local@domain>"#,
    ),
    (
        "06-sender.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "compose"
at = 1000
sender = "carol"
to = "bob@bob.example""#,
        r#"06-sender.toml:8:10: unknown sender "carol"; expected a user agent of the cast (alice-ua, bob-ua), or alice or bob"#,
    ),
    (
        "07-syntax.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]
kind = "fault""#,
        r#"07-syntax.toml:5:10: unclosed array table; expected "]""#,
    ),
    (
        "08-header.toml",
        r#"[scenario]
id = "t"
title = "T"
topic = "x"
colour = "red""#,
        r#"08-header.toml:5:1: unknown key "colour"; expected one of id, title, topic, summary, description, seed, start"#,
    ),
    (
        "09-missing-title.toml",
        r#"[scenario]
id = "t""#,
        r#"09-missing-title.toml:1:1: missing key "title""#,
    ),
    (
        "10-at.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "fault"
at = "soon"
server = "bob-server"
fault = "down""#,
        r#"10-at.toml:7:6: "soon" is not a duration; expected a number and a unit (ms, s, min, h, d), e.g. "5 min""#,
    ),
    (
        "11-submit.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "compose"
at = 0
sender = "alice"
to = "bob@bob.example"
submit = "plain25""#,
        r#"11-submit.toml:10:10: unknown value "plain25"; expected one of plain587, starttls587, tls465"#,
    ),
    (
        "12-cast.toml",
        r#"[scenario]
id = "t"
title = "T"

[cast]
actors = ["alice-ua", "alice-server", "carol-ua"]"#,
        r#"12-cast.toml:6:39: unknown actor "carol-ua"; expected one of the standard cast (alice-ua, alice-server, dns, bob-server, bob-ua, bob-phone, mallory, relay, old-server, nomail) or an [actor.carol-ua] table"#,
    ),
    (
        "13-actor-key.toml",
        r#"[scenario]
id = "t"
title = "T"

[actor.bob-server]
zone = ["x A 1.2.3.4"]"#,
        r#"13-actor-key.toml:6:8: "zone" is a key of dns actors; bob-server is a mail-server"#,
    ),
    (
        "14-ip.toml",
        r#"[scenario]
id = "t"
title = "T"

[actor.bob-ua]
ip = "198.51.100.300""#,
        r#"14-ip.toml:6:6: "198.51.100.300" is not an IPv4 address; expected e.g. "192.0.2.10""#,
    ),
    (
        "15-msg.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "terminal"
at = 0
client = "alice-ua"
host = "mail.bob.example"
port = 25
lines = ["DATA", { message = "hello" }]"#,
        r#"15-msg.toml:11:30: unknown message "hello"; there are no [message.NAME] tables"#,
    ),
    (
        "16-host.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "terminal"
at = 0
client = "alice-ua"
host = "mail.carol.example"
port = 25"#,
        r#"16-host.toml:9:8: no host "mail.carol.example" in the cast; expected one of laptop.alice.example, mail.alice.example, ns.example, mail.bob.example, pc.bob.example"#,
    ),
    (
        "17-policy.toml",
        r#"[scenario]
id = "t"
title = "T"

[actor.bob-server]
policy = { greylisting = "4 min" }"#,
        r#"17-policy.toml:6:12: unknown key "greylisting"; expected one of starttls, require-tls-on-submission, trusted-ips, greylist, max-message-size, quota, relayhost, retry-delays, queue-lifetime, relay-starttls, relay-pipelining, verify-recipient-domains, max-errors, forwards, password-transition, login-too-weak, tls-temporarily-unavailable, low-disk, refuse-all, require-tls-inbound, storage-fails"#,
    ),
    (
        "18-port.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "terminal"
at = 0
client = "alice-ua"
host = "mail.bob.example"
port = 70000"#,
        r#"18-port.toml:10:8: expected a whole number from 0 to 65535, found integer 70000"#,
    ),
    (
        "19-nokind.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
at = 0"#,
        r#"19-nokind.toml:5:1: missing key "kind"; expected one of compose, send, terminal, imap, check-mail, browse, fault, narrate"#,
    ),
    (
        "20-zone.toml",
        r#"[scenario]
id = "t"
title = "T"

[actor.dns]
zone = ["bob.example MX mail.bob.example"]"#,
        r#"20-zone.toml:6:9: "bob.example MX mail.bob.example" is not a DNS record; expected "NAME [TTL] A 192.0.2.1" or "NAME [TTL] MX 10 HOST""#,
    ),
    (
        "21-seed.toml",
        r#"[scenario]
id = "t"
title = "T"

[[seed]]
mailbox = "carol@bob.example"
from = "x@y.z""#,
        r#"21-seed.toml:6:11: no mail server in the cast has an account for carol@bob.example; add it to a server's accounts"#,
    ),
    (
        "22-imap-ua.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "imap"
at = 0
actor = "bob-server"
steps = ["a logout"]"#,
        r#"22-imap-ua.toml:8:9: bob-server is a mail-server; expected a user agent (alice-ua, bob-ua)"#,
    ),
    (
        "23-newactor.toml",
        r#"[scenario]
id = "t"
title = "T"

[cast]
actors = ["alice-ua", "alice-server", "carol"]
[actor.carol]
name = "Carol""#,
        r#"23-newactor.toml:7:1: [actor.carol] is a new actor: give its kind (user-agent, mail-server, dns or web-server)"#,
    ),
    (
        "24-dup.toml",
        r#"[scenario]
id = "t"
title = "T"

[actor.bob-ua]
name = "a"
name = "b""#,
        r#"24-dup.toml:7:1: duplicate key"#,
    ),
    (
        "25-duration.toml",
        r#"[scenario]
id = "t"
title = "T"

[actor.bob-server]
policy = { greylist = "4 minutes" }"#,
        r#"25-duration.toml:6:23: "4 minutes" is not a duration; expected a number and a unit (ms, s, min, h, d), e.g. "5 min""#,
    ),
    (
        "26-sendnone.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "send"
at = 0
sender = "alice-ua"
subject = "x""#,
        r#"26-sendnone.toml:5:1: missing key "to": the message goes to nobody"#,
    ),
    (
        "27-notincast.toml",
        r#"[scenario]
id = "t"
title = "T"

[actor.mallory]
name = "M""#,
        r#"27-notincast.toml:5:8: [actor.mallory] is not in the cast; add it to [cast] actors"#,
    ),
    (
        "28-checkread.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "check-mail"
at = 0
actor = "bob-ua"
read = "none""#,
        r#"28-checkread.toml:9:8: unknown value "none"; expected one of pop3-delete, pop3-keep, imap"#,
    ),
    (
        "29-line-in-msg.toml",
        r#"[scenario]
id = "t"
title = "T"

[[action]]
kind = "terminal"
at = 0
client = "alice-ua"
host = "mail.bob.example"
port = 25
lines = ["DATA", "Subject: x", { line = "QUIT" }]
"#,
        r#"29-line-in-msg.toml:11:32: a { line = ... } inside a message (after DATA, before ".")"#,
    ),
    (
        "30-webmail.toml",
        r#"[scenario]
id = "t"
title = "T"

[cast]
actors = ["alice-ua", "alice-server", "web"]

[actor.web]
kind = "web-server"
name = "Webmail"
host = "webmail.alice.example"
ip = "192.0.2.80"
site = "webmail"
mail-server = "bob-server"
"#,
        r#"30-webmail.toml:8:1: web: its mail-server "bob-server" is not a mail server of the cast (alice-server)"#,
    ),
];

#[test]
fn malformed_files_give_located_errors() {
    assert!(MALFORMED.len() >= 15);
    for (name, text, want) in MALFORMED {
        match load(name, text) {
            Ok(_) => panic!("{name} loaded"),
            Err(e) => assert_eq!(e.to_string(), *want, "{name}"),
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
