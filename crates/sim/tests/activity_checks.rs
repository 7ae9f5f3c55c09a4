//! Every task check against a scripted learner in the playground: the right actions make it
//! done, and the near-miss (the wrong thing) leaves it not done, with a detail that says why.

mod common;

use common::{Learner, BY_HAND, IDLE};
use mailsim_sim::actions::{Fault, ReadMode};
use mailsim_sim::activity::check::{CopyKind, Protocol};
use mailsim_sim::activity::{check_task, Check};
use mailsim_sim::scenario;

const FORGED: &[&str] = &[
    "HELO laptop",
    "MAIL FROM:<alice@alice.example>",
    "RCPT TO:<bob@bob.example>",
    "DATA",
    "From: The Dean <dean@bob.example>",
    "Subject: You passed",
    "",
    "Congratulations.",
    ".",
    "QUIT",
];

fn mailbox(m: &str) -> String {
    m.to_string()
}

#[test]
fn forged_from_needs_a_typed_message_whose_from_differs_from_mail_from() {
    let c = Check::ForgedFrom { mailbox: mailbox("bob@bob.example") };
    let (done, detail) = Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, FORGED).check(&c);
    assert!(done, "{detail}");
    assert!(detail.contains("dean@bob.example") && detail.contains("alice@alice.example"), "{detail}");
    // Honest From: not accepted.
    let (done, detail) = Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, BY_HAND).check(&c);
    assert!(!done);
    assert!(detail.contains("same address"), "{detail}");
    // A composed message cannot be forged; nothing typed.
    let (done, detail) =
        Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Hi", ReadMode::None).check(&c);
    assert!(!done);
    assert_eq!(detail, "no message typed by hand has reached bob@bob.example yet");
    // The scenario's own forgery is not the learner's.
    assert!(!check_task(&c, &scenario::run("spoofed-from").unwrap(), &[]).done);
}

#[test]
fn reply_codes_by_class_and_verb() {
    let class = |code: &str| Check::Reply { code: code.into(), verb: None, protocol: None, port: None };
    let smtp = Learner::new("playground").terminal(
        "alice-ua",
        "mail.bob.example",
        25,
        &["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<bob@bob.example>", "DATA", "Hi", ".", "QUIT"],
    );
    assert!(smtp.check(&class("2xx")).0);
    assert!(smtp.check(&class("3xx")).0, "354 to DATA");
    assert!(smtp.check(&class("221")).0);
    let (done, detail) = smtp.check(&class("5xx"));
    assert!(!done, "all of those were accepted");
    assert_eq!(detail, "no server has answered 5xx yet");
    let (done, _) = smtp.check(&class("4xx"));
    assert!(!done);
    let bad = Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, &["HELO laptop", "FOO"]);
    let (done, detail) = bad.check(&class("5xx"));
    assert!(done, "{detail}");
    assert_eq!(detail, "Bob's server answered 500 to your FOO.");
    // With a verb: 550 to RCPT only.
    let rcpt =
        Check::Reply { code: "550".into(), verb: Some("rcpt".into()), protocol: Some(Protocol::Smtp), port: None };
    assert!(!bad.check(&rcpt).0);
    let unknown = Learner::new("playground").terminal(
        "alice-ua",
        "mail.bob.example",
        25,
        &["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<nobody@bob.example>"],
    );
    assert!(unknown.check(&rcpt).0);
    // 4xx: the learner turns greylisting on, then types a RCPT.
    let grey = Learner::new("playground").fault("bob-server", Fault::GreylistOn).terminal(
        "alice-ua",
        "mail.bob.example",
        25,
        &["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<bob@bob.example>", "QUIT"],
    );
    let (done, detail) = grey.check(&class("4xx"));
    assert!(done, "{detail}");
    // The scenario's own typed sessions do not count.
    assert!(!check_task(&class("5xx"), &scenario::run("reply-codes").unwrap(), &[]).done);
    // A protocol filter: POP3's -ERR is not SMTP's.
    let pop = Learner::new("playground").terminal("bob-ua", "mail.bob.example", 110, &["USER bob", "PASS wrong"]);
    let err =
        Check::Reply { code: "-ERR".into(), verb: Some("PASS".into()), protocol: Some(Protocol::Pop3), port: None };
    assert!(pop.check(&err).0);
    let err_smtp = Check::Reply { code: "-ERR".into(), verb: None, protocol: Some(Protocol::Smtp), port: None };
    assert!(!pop.check(&err_smtp).0);
}

#[test]
fn a_reply_on_a_given_port() {
    // LOGIN answered OK on 993 (TLS from the first byte), not on 143 after STARTTLS.
    let on_993 =
        Check::Reply { code: "OK".into(), verb: Some("LOGIN".into()), protocol: Some(Protocol::Imap), port: Some(993) };
    assert_eq!(on_993.describe(), "Make an IMAP server on port 993 answer OK to a LOGIN command you type.");
    let plain = Learner::new("playground").terminal(
        "bob-ua",
        "mail.bob.example",
        143,
        &["a starttls", "b login bob bob-pw", "c logout"],
    );
    let any_port =
        Check::Reply { code: "OK".into(), verb: Some("LOGIN".into()), protocol: Some(Protocol::Imap), port: None };
    assert!(plain.check(&any_port).0, "OK to LOGIN on 143 after STARTTLS");
    let (done, detail) = plain.check(&on_993);
    assert!(!done);
    assert_eq!(detail, "you have not typed LOGIN in a terminal on port 993 yet");
    let tls =
        Learner::new("playground").terminal("bob-ua", "mail.bob.example", 993, &["a login bob bob-pw", "b logout"]);
    let (done, detail) = tls.check(&on_993);
    assert!(done, "{detail}");
    assert_eq!(detail, "Bob's server answered OK to your LOGIN.");
    let wrong = Learner::new("playground").terminal("bob-ua", "mail.bob.example", 993, &["a login bob nope"]);
    assert_eq!(wrong.check(&on_993), (false, "no server on port 993 has answered OK to a LOGIN you typed yet".into()));
    // In a file: `port` is a whole number of 1 to 65535, and only `reply` takes it.
    let file = |check: &str| {
        format!(
            "[activity]\nid = \"p\"\ntitle = \"P\"\nscenario = \"playground\"\n\n[[item]]\nkind = \"task\"\nprompt = \"Do it.\"\ncheck = {check}\n"
        )
    };
    let a = mailsim_sim::activity::parse(
        "p.toml",
        &file(r#"{ kind = "reply", code = "OK", verb = "LOGIN", protocol = "IMAP", port = 993 }"#),
    )
    .unwrap();
    assert_eq!(a.items[0].check, Some(on_993));
    for (bad, want) in [
        (r#"{ kind = "reply", code = "OK", port = "993" }"#, "write a port number without quotes, e.g. `port = 993`"),
        (r#"{ kind = "reply", code = "OK", port = 0 }"#, "invalid value: integer `0`, expected u16"),
        (r#"{ kind = "typed", verb = "LOGIN", protocol = "IMAP", port = 993 }"#, "unknown field `port`"),
    ] {
        let e = mailsim_sim::activity::parse("p.toml", &file(bad)).unwrap_err();
        assert!(e[0].message.contains(want), "{bad}: {}", e[0]);
    }
}

#[test]
fn kept_after_pop3_needs_the_message_still_there_at_the_end() {
    let c = Check::KeptAfterPop3 { mailbox: mailbox("bob@bob.example") };
    let sent = || Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, BY_HAND);
    let keep = sent().terminal("bob-ua", "mail.bob.example", 110, &["USER bob", "PASS bob-pw", "RETR 1", "QUIT"]);
    let (done, detail) = keep.check(&c);
    assert!(done, "{detail}");
    assert_eq!(detail, "you read \"typed by hand\" over POP3 and bob@bob.example still holds it.");
    let delete =
        sent().terminal("bob-ua", "mail.bob.example", 110, &["USER bob", "PASS bob-pw", "RETR 1", "DELE 1", "QUIT"]);
    let (done, detail) = delete.check(&c);
    assert!(!done);
    assert!(detail.contains("deleted"), "{detail}");
    let (done, detail) = sent().check(&c);
    assert!(!done);
    assert!(detail.contains("not read"), "{detail}");
    // The mail program in download-and-keep mode does it too; download-and-delete does not.
    let ua = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Kept", ReadMode::Pop3Keep);
    assert!(ua.check(&c).0, "{}", ua.check(&c).1);
    let ua = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Gone", ReadMode::Pop3Delete);
    assert!(!ua.check(&c).0);
}

#[test]
fn told_of_new_mail_needs_an_open_connection_in_idle() {
    let c = Check::ToldOfNewMail { mailbox: mailbox("bob@bob.example") };
    let idle = Learner::new("playground").terminal("bob-ua", "mail.bob.example", 143, IDLE).compose(
        "alice",
        "bob@bob.example",
        "",
        "",
        "Ping",
        ReadMode::None,
    );
    let (done, detail) = idle.check(&c);
    assert!(done, "{detail}");
    assert!(detail.contains("EXISTS"), "{detail}");
    // Logged out before the mail came: not told.
    let gone = Learner::new("playground")
        .terminal(
            "bob-ua",
            "mail.bob.example",
            143,
            &["a starttls", "b login bob bob-pw", "c select inbox", "d logout"],
        )
        .compose("alice", "bob@bob.example", "", "", "Ping", ReadMode::None);
    let (done, detail) = gone.check(&c);
    assert!(!done);
    assert!(detail.starts_with("no new message reached bob@bob.example while"), "{detail}");
    // Selected but not idling: the server says nothing until asked.
    let quiet = Learner::new("playground")
        .terminal("bob-ua", "mail.bob.example", 143, &["a starttls", "b login bob bob-pw", "c select inbox"])
        .compose("alice", "bob@bob.example", "", "", "Ping", ReadMode::None);
    assert!(!quiet.check(&c).0);
    // Mail first, then the session: the EXISTS of SELECT is no news pushed.
    let late = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Ping", ReadMode::None).terminal(
        "bob-ua",
        "mail.bob.example",
        143,
        IDLE,
    );
    assert!(!late.check(&c).0);
    // In two-devices the phone idles, but that is the scenario's doing.
    assert!(!check_task(&c, &scenario::run("two-devices").unwrap(), &[]).done);
}

#[test]
fn typed_message_delivered_only_for_typed_mail() {
    let c = Check::TypedMessageDelivered { mailbox: mailbox("bob@bob.example") };
    let (done, detail) = Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, BY_HAND).check(&c);
    assert!(done, "{detail}");
    assert_eq!(detail, "bob@bob.example holds the message you typed (\"typed by hand\").");
    // Through Alice's own server (port 587 trusts her laptop's address): relayed, still typed.
    let (done, detail) = Learner::new("playground").terminal("alice-ua", "mail.alice.example", 587, BY_HAND).check(&c);
    assert!(done, "{detail}");
    // A line starting with a dot is sent as typed and stored without its first dot.
    let dotted: Vec<&str> = BY_HAND
        .iter()
        .flat_map(|l| if *l == "Hello Bob, I typed this." { vec![*l, ".profile", "..."] } else { vec![*l] })
        .collect();
    let (done, detail) = Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, &dotted).check(&c);
    assert!(done, "{detail}");
    // Composed mail, or typed mail for someone else, does not count.
    let composed = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Hi", ReadMode::None);
    assert_eq!(composed.check(&c), (false, "no message in bob@bob.example yet was typed by hand".into()));
    let other = Check::TypedMessageDelivered { mailbox: mailbox("alice@alice.example") };
    assert!(!Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, BY_HAND).check(&other).0);
    // Typed but refused (no DATA accepted): nothing delivered.
    let refused = Learner::new("playground").terminal(
        "alice-ua",
        "mail.bob.example",
        25,
        &["HELO x", "MAIL FROM:<a@alice.example>", "RCPT TO:<nobody@bob.example>", "DATA", "Hi", ".", "QUIT"],
    );
    assert!(!refused.check(&c).0);
}

#[test]
fn copy_delivered_tells_cc_from_bcc() {
    let bcc = Check::CopyDelivered { mailbox: mailbox("bob@bob.example"), copy: CopyKind::Bcc };
    let cc = Check::CopyDelivered { mailbox: mailbox("bob@bob.example"), copy: CopyKind::Cc };
    let blind = Learner::new("playground").compose(
        "alice",
        "alice@alice.example",
        "",
        "bob@bob.example",
        "Hush",
        ReadMode::None,
    );
    assert!(blind.check(&bcc).0, "{}", blind.check(&bcc).1);
    assert!(!blind.check(&cc).0);
    let copied = Learner::new("playground").compose(
        "alice",
        "alice@alice.example",
        "bob@bob.example",
        "",
        "FYI",
        ReadMode::None,
    );
    assert!(copied.check(&cc).0);
    let (done, detail) = copied.check(&bcc);
    assert!(!done);
    assert!(detail.contains("names bob@bob.example"), "{detail}");
    let direct = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Hi", ReadMode::None);
    assert!(!direct.check(&bcc).0 && !direct.check(&cc).0);
    // In cc-and-bcc, Dave's blind copy is the scenario's, not the learner's, until they send one.
    let dave = Check::CopyDelivered { mailbox: mailbox("dave@bob.example"), copy: CopyKind::Bcc };
    assert!(!check_task(&dave, &scenario::run("cc-and-bcc").unwrap(), &[]).done);
    let l = Learner::new("cc-and-bcc").compose(
        "alice",
        "bob@bob.example",
        "",
        "dave@bob.example",
        "Secret",
        ReadMode::None,
    );
    assert!(l.check(&dave).0, "{}", l.check(&dave).1);
}

#[test]
fn delivered_after_outage_needs_the_learners_fault_and_a_late_delivery() {
    let c = Check::DeliveredAfterOutage { mailbox: mailbox("bob@bob.example") };
    let down = Learner::new("playground").fault("bob-server", Fault::Down).compose(
        "alice",
        "bob@bob.example",
        "",
        "",
        "Patience",
        ReadMode::None,
    );
    let (done, detail) = down.check(&c);
    assert!(!done, "still down: never delivered");
    assert!(detail.contains("bring the server back"), "{detail}");
    // The learner steps to after the failed attempt and brings the server back.
    let back = down.fault_at(200_000, "bob-server", Fault::Up);
    let (done, detail) = back.check(&c);
    assert!(done, "{detail}");
    let calm = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Hi", ReadMode::None);
    assert_eq!(calm.check(&c), (false, "you have not taken a server down yet".into()));
    // The scenario's own outage is not the learner's.
    assert!(!check_task(&c, &scenario::run("server-down").unwrap(), &[]).done);
    // A shutdown (421 to open sessions, then down) is an outage too.
    let shut = Learner::new("playground")
        .fault("bob-server", Fault::Shutdown)
        .compose("alice", "bob@bob.example", "", "", "Patience", ReadMode::None)
        .fault_at(200_000, "bob-server", Fault::Up);
    let (done, detail) = shut.check(&c);
    assert!(done, "{detail}");
}

#[test]
fn connections_are_counted_per_client_and_protocol() {
    let c = Check::Connections { client: "bob-ua".into(), protocol: Protocol::Pop3, at_least: 2 };
    let once = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "One", ReadMode::Pop3Delete);
    assert_eq!(once.check(&c), (false, "Bob's UA has opened 1 POP3 connection so far, 2 wanted".into()));
    let twice = once.compose("alice", "bob@bob.example", "", "", "Two", ReadMode::Pop3Delete);
    assert_eq!(twice.check(&c), (true, "Bob's UA opened 2 POP3 connections.".into()));
    let imap = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "One", ReadMode::Imap).compose(
        "alice",
        "bob@bob.example",
        "",
        "",
        "Two",
        ReadMode::Imap,
    );
    assert!(!imap.check(&c).0, "IMAP connections are not POP3 ones");
}

#[test]
fn typed_verbs_count_only_when_typed() {
    let c = Check::Typed { verb: "retr".into(), protocol: Protocol::Pop3 };
    let typed =
        Learner::new("playground").terminal("bob-ua", "mail.bob.example", 110, &["USER bob", "PASS bob-pw", "RETR 1"]);
    assert!(typed.check(&c).0);
    // Bob's mail program sends RETR too, but he did not type it.
    let ua = Learner::new("playground").compose("alice", "bob@bob.example", "", "", "Hi", ReadMode::Pop3Delete);
    assert_eq!(ua.check(&c), (false, "you have not typed RETR in a POP3 terminal session yet".into()));
    // Typed to SMTP, not POP3.
    let smtp = Learner::new("playground").terminal("alice-ua", "mail.bob.example", 25, &["RETR 1"]);
    assert!(!smtp.check(&c).0);
}

#[test]
fn every_check_says_what_to_do() {
    let m = || "bob@bob.example".to_string();
    let cases = [
        (
            Check::ForgedFrom { mailbox: m() },
            "Get a message into bob@bob.example whose From: line names someone else than its envelope sender (MAIL FROM).",
        ),
        (
            Check::Reply { code: "5xx".into(), verb: Some("rcpt".into()), protocol: Some(Protocol::Smtp), port: None },
            "Make an SMTP server answer with a 5xx code to a RCPT command you type.",
        ),
        (Check::Reply { code: "+OK".into(), verb: None, protocol: None, port: None }, "Make a server answer +OK to a line you type."),
        (
            Check::KeptAfterPop3 { mailbox: m() },
            "Read a message of bob@bob.example over POP3 and leave it on the server (download and keep).",
        ),
        (
            Check::ToldOfNewMail { mailbox: m() },
            "Have an IMAP client told of new mail in bob@bob.example over a connection it already had open (IDLE), without asking again.",
        ),
        (
            Check::TypedMessageDelivered { mailbox: m() },
            "Send a message to bob@bob.example by typing SMTP yourself in a terminal (with DATA).",
        ),
        (
            Check::CopyDelivered { mailbox: m(), copy: CopyKind::Cc },
            "Send a message that reaches bob@bob.example as a copy named in its Cc: line.",
        ),
        (
            Check::CopyDelivered { mailbox: m(), copy: CopyKind::Bcc },
            "Send a message that reaches bob@bob.example as a blind copy (Bcc): in no header line at all.",
        ),
        (
            Check::DeliveredAfterOutage { mailbox: m() },
            "Take a server down so that a message to bob@bob.example has to wait, then let it be delivered anyway.",
        ),
        (
            Check::Connections { client: "bob-ua".into(), protocol: Protocol::Pop3, at_least: 3 },
            "Make Bob's UA open at least 3 POP3 connections.",
        ),
        (Check::Typed { verb: "retr".into(), protocol: Protocol::Pop3 }, "Type the POP3 command RETR in a terminal."),
    ];
    for (check, want) in cases {
        assert_eq!(check.describe(), want);
        // And every check round-trips through the file format.
        let text = format!(
            "[activity]\nid = \"d\"\ntitle = \"D\"\nscenario = \"playground\"\n\n[[item]]\nkind = \"task\"\nprompt = \"P\"\n[item.check]\n{}",
            toml_of(&check)
        );
        let a = mailsim_sim::activity::parse("d.toml", &text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        assert_eq!(a.items[0].check.as_ref(), Some(&check));
    }
}

/// A check as the lines of a TOML table (from its JSON form).
fn toml_of(check: &Check) -> String {
    let v = serde_json::to_value(check).unwrap();
    v.as_object().unwrap().iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
}

/// qa18: a Cc typed by hand over submission counts in every form RFC 5322 §3.4 allows for the
/// address: a display name (quoted, with a comma), a comment after it (`carol@bob.example
/// (Carol)`), a group (`team: carol@bob.example;`). Before, a comment or a group name made the
/// check say "it is not in the Cc: line" of a message whose Cc: line named Carol; and a
/// comment on To: made a message to Carol pass as her blind copy.
#[test]
fn copy_delivered_reads_every_form_of_address_in_a_typed_header() {
    let cc = Check::CopyDelivered { mailbox: mailbox("carol@bob.example"), copy: CopyKind::Cc };
    let bcc = Check::CopyDelivered { mailbox: mailbox("carol@bob.example"), copy: CopyKind::Bcc };
    let typed_to = |to: &str, header: &str| {
        let lines = [
            "EHLO laptop",
            "MAIL FROM:<alice@alice.example>",
            "RCPT TO:<bob@bob.example>",
            "RCPT TO:<carol@bob.example>",
            "DATA",
            to,
            header,
            "Subject: copy",
            "",
            "Hello",
            ".",
            "QUIT",
        ];
        Learner::new("cc-and-bcc").terminal("alice-ua", "mail.alice.example", 587, &lines)
    };
    let typed = |header: &str| typed_to("To: bob@bob.example", header);
    for header in [
        "Cc: carol@bob.example",
        "CC: Carol <CAROL@bob.example>",
        "Cc: \"Jones, Carol\" <carol@bob.example>, Dave <dave@bob.example>",
        "Cc: carol@bob.example (Carol Jones)",
        "Cc: \"Carol (work)\" <carol@bob.example>",
        "Cc: friends: carol@bob.example, dave@bob.example;",
    ] {
        let (done, detail) = typed(header).check(&cc);
        assert!(done, "{header}: {detail}");
        assert!(!typed(header).check(&bcc).0, "{header}: named in Cc:, no blind copy");
    }
    let (done, detail) = typed("Cc: dave@bob.example").check(&cc);
    assert!(!done);
    assert!(detail.contains("not in the Cc: line"), "{detail}");
    // A comment on To: still names Carol: no blind copy.
    assert!(!typed_to("To: carol@bob.example (Carol)", "X-Note: none").check(&bcc).0);
}
