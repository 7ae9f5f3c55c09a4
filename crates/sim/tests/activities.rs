//! The built-in activities: all parse, serve every learning goal of the lecture, predict what
//! their scenarios really send, and every task is completable by a scripted learner (and not
//! done before the learner acts). Grading, completion codes and the GIFT round trip.

mod common;

use common::{Learner, BY_HAND, IDLE};
use mailsim_sim::actions::{Fault, ReadMode};
use mailsim_sim::activity::{
    self, check_task, code_is_well_formed, completion_code, gift, grade, Activity, Answer, Answered, Kind, Response,
};
use mailsim_sim::log::Event;

fn builtin(id: &str) -> Activity {
    activity::builtin_by_id(id).unwrap_or_else(|| panic!("no built-in activity {id}"))
}

#[test]
fn every_file_in_activities_is_built_in_and_parses() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../activities");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("activities/")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("activities/{n}"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = activity::BUILTIN_FILES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every activities/*.toml must be in BUILTIN_FILES");
    let all = activity::parse_all(activity::BUILTIN_FILES).unwrap_or_else(|e| {
        panic!("{}", e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
    });
    assert_eq!(all, activity::builtin());
    assert!(all.len() >= 12, "{} activities", all.len());
    let items: usize = all.iter().map(|a| a.items.len()).sum();
    assert!(items >= 40, "{items} items");
    for k in Kind::ALL {
        assert!(all.iter().flat_map(|a| &a.items).any(|i| i.kind == k), "no {k:?} item");
    }
}

#[test]
fn every_learning_goal_of_the_lecture_is_served() {
    // Seed 000 (CPSC 317), its six goals, word for word.
    let goals = [
        "Identify and describe the roles of various components and protocols of email",
        "Trace what needs to happen for an email to be sent, delivered, and read",
        "Describe the functionality of SMTP, POP3, IMAP",
        "Explain how a user agent would use IMAP, POP3, and SMTP to deliver a typical user email experience",
        "Describe and use the basic SMTP/POP3 commands to send/manage email",
        "Compare and contrast IMAP's functionality to that of POP3",
    ];
    let all = activity::builtin();
    for g in goals {
        let serving: Vec<&str> = all.iter().filter(|a| a.goals.iter().any(|x| x == g)).map(|a| a.id.as_str()).collect();
        assert!(!serving.is_empty(), "no activity serves \"{g}\"");
    }
    // And the lecture's own items are there.
    let prompts: Vec<&str> = all.iter().flat_map(|a| &a.items).map(|i| i.prompt.as_str()).collect();
    for needle in [
        "Which protocols could Bob use to send a newly composed message to Bob's own email server?",
        "Which protocols could Bob use to read his email messages from his server?",
        "We aren't going to talk about the performance of e-mail protocols",
    ] {
        assert!(prompts.iter().any(|p| p.contains(needle)), "missing: {needle}");
    }
    let clicker = &builtin("send-protocols").items[0];
    assert_eq!(clicker.choices, ["SMTP", "POP3", "IMAP", "Some other protocol"]);
}

#[test]
fn explanations_name_the_rfc_section() {
    for a in activity::builtin() {
        for (n, i) in a.items.iter().enumerate() {
            // A model answer names its RFCs; an explanation, the section.
            let (text, section) = match i.kind {
                Kind::Discuss => (i.model.clone().unwrap_or_default(), false),
                _ => (i.explain.clone(), true),
            };
            assert!(
                text.contains("RFC") && (!section || text.contains('§')),
                "{} item {n}: no RFC section in {text:?}",
                a.id
            );
        }
    }
}

/// Every predict item, and what its scenario really sends next.
const PREDICTIONS: &[(&str, usize, &str)] = &[
    ("send-protocols", 1, "220"),
    ("send-protocols", 4, "+OK"),
    ("read-protocols", 3, "DELE"),
    ("smtp-phases", 1, "EHLO"),
    ("smtp-phases", 2, "MAIL"),
    ("smtp-phases", 3, "354"),
    ("smtp-phases", 5, "QUIT"),
    ("smtp-phases", 6, "221"),
    ("reply-code-classes", 1, "500"),
    ("reply-code-classes", 2, "503"),
    ("reply-code-classes", 3, "550"),
    ("envelope-and-header", 0, "RCPT"),
    ("smtp-ports", 3, "235"),
    ("forged-from", 0, "MAIL"),
    ("message-format", 0, "DATA"),
    ("store-and-forward", 2, "220"),
    ("pop3-keep-or-delete", 1, "DELE"),
    ("imap-states-folders", 1, "SELECT"),
    ("imap-states-folders", 2, "STORE"),
    ("ica34-idle", 1, "FETCH"),
    ("smtp-vs-http", 1, "QUIT"),
    ("performance", 2, "MAIL"),
    ("webmail", 1, "POST"),
    ("webmail", 2, "220"),
    ("reply-codes-positive", 0, "214"),
    ("reply-codes-positive", 1, "211"),
    ("reply-codes-positive", 2, "252"),
    ("reply-codes-positive", 3, "251"),
    ("reply-codes-transient", 0, "452"),
    ("reply-codes-transient", 2, "454"),
    ("reply-codes-transient", 3, "432"),
    ("reply-codes-transient", 4, "455"),
    ("reply-codes-transient", 5, "451"),
    ("reply-codes-transient", 6, "421"),
    ("reply-codes-permanent", 0, "554"),
    ("reply-codes-permanent", 1, "504"),
    ("reply-codes-permanent", 2, "534"),
    ("reply-codes-permanent", 3, "535"),
    ("reply-codes-permanent", 4, "556"),
    ("reply-codes-permanent", 5, "521"),
    ("reply-codes-permanent", 6, "523"),
    ("too-many-recipients", 1, "452"),
    ("too-many-recipients", 3, "MAIL"),
    ("imap-ports", 1, "NO"),
    ("imap-ports", 2, "STARTTLS"),
    ("imap-ports", 4, "OK"),
    ("imap-organizing", 0, "CREATE"),
    ("imap-organizing", 1, "SEARCH"),
    ("imap-organizing", 3, "MOVE"),
    ("pop3-ports", 2, "-ERR"),
    ("pop3-ports", 5, "+OK"),
    ("two-hops", 4, "EHLO"),
    ("server-shutdown", 0, "421"),
    ("port-blocked", 2, "220"),
];

#[test]
fn predictions_are_the_scenarios_next_messages() {
    let all = activity::builtin();
    let predicts = all.iter().flat_map(|a| a.items.iter().filter(|i| i.kind == Kind::Predict)).count();
    assert_eq!(predicts, PREDICTIONS.len(), "every predict item is listed here");
    for (id, n, want) in PREDICTIONS {
        let a = builtin(id);
        let item = &a.items[*n];
        let Answer::Predicted(p) = &item.answer else { panic!("{id} {n} is no predict item") };
        assert_eq!(p.expected, *want, "{id} item {n}: {}", p.label);
        // Derived again from the log, independently of the loader.
        let log = a.baseline();
        let again = activity::expected_next(&log, item.step.unwrap()).unwrap();
        assert_eq!(&again, p);
        // The message really is the diagram's next arrow after the step.
        let d = mailsim_sim::Diagram::from_log(&log);
        assert_eq!(d.arrows[item.step.unwrap()].label, p.label);
        assert!(grade(item, &Response::Text(want.to_lowercase())).correct);
        assert!(!grade(item, &Response::Text("HELO".into())).correct);
    }
}

#[test]
fn counting_answers_match_the_logs() {
    let opened = |id: &str, who: &dyn Fn(&str, &str, u16) -> bool| {
        builtin(id)
            .baseline()
            .events
            .iter()
            .filter(|e| matches!(e, Event::ConnectionOpened { client, server, port, .. } if who(client, server, *port)))
            .count()
            .to_string()
    };
    let short = |id: &str, n: usize, given: &str| grade(&builtin(id).items[n], &Response::Text(given.into())).correct;
    let bobs = opened("ica34-idle", &|c, _, _| c == "bob-ua" || c == "bob-phone");
    assert!(short("ica34-idle", 2, &bobs), "Bob's devices opened {bobs} connections");
    let relay = opened("smtp-vs-http", &|_, s, p| s == "bob-server" && p == 25);
    assert!(short("smtp-vs-http", 2, &relay), "{relay} SMTP connections");
    let http10 = builtin("performance")
        .baseline()
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"GET ") && raw.windows(8).any(|w| w == b"HTTP/1.0")))
        .count();
    assert!(short("performance", 1, &http10.to_string()));
    let rcpts = builtin("envelope-and-header")
        .baseline()
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageSent { raw, port: 25, .. } if raw.starts_with(b"RCPT TO")))
        .count();
    assert!(short("envelope-and-header", 1, &rcpts.to_string()));
    // The new activities' short answers, read from their logs.
    let smtp_sessions = opened("email-history", &|_, _, p| p == 587 || p == 25);
    assert!(short("email-history", 3, &smtp_sessions), "{smtp_sessions} SMTP sessions");
    let raw_of = |id: &str, step: usize| {
        let log = builtin(id).baseline();
        let d = mailsim_sim::Diagram::from_log(&log);
        match &log.events[d.arrows[step - 1].event] {
            Event::MessageSent { raw, .. } => String::from_utf8_lossy(raw).into_owned(),
            other => panic!("{other:?}"),
        }
    };
    let found = raw_of("imap-organizing", 17);
    let numbers = found.split("ALL ").nth(1).and_then(|r| r.split_whitespace().next()).expect("an ESEARCH ALL");
    assert!(short("imap-organizing", 2, numbers) && short("imap-organizing", 2, "1 3 5"), "{found}");
    let header = raw_of("headers-only", 24);
    let octets = header.split("BODY[HEADER] {").nth(1).and_then(|r| r.split('}').next()).expect("a literal");
    assert!(short("headers-only", 3, octets), "{header}");
    let accepted = builtin("too-many-recipients")
        .baseline()
        .events
        .iter()
        .take_while(|e| !matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"452")))
        .filter(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"250 2.1.5")))
        .count();
    assert!(short("too-many-recipients", 0, &accepted.to_string()), "{accepted} accepted before the 452");
    // The size the question quotes is the scan listing's.
    assert!(raw_of("headers-only", 7).contains("1 4648\r\n"));
    let seen = raw_of("imap-goals", 108);
    assert!(seen.contains("\\Seen") && short("imap-goals", 2, "\\Seen"), "{seen}");
}

/// The short answers of `two-hops`, read from its log: the SIZE that grew by one Received:
/// line at Alice's server, and the Received: lines of the copy stored for Bob.
#[test]
fn two_hops_answers_match_the_log() {
    let a = builtin("two-hops");
    let log = a.baseline();
    let short = |n: usize, given: &str| grade(&a.items[n], &Response::Text(given.into())).correct;
    let sizes: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent { raw, .. } if raw.starts_with(b"MAIL FROM") => {
                String::from_utf8_lossy(raw).split("SIZE=").nth(1).map(|s| s.trim().to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(sizes, ["383", "543", "702"], "the prompt quotes the first two");
    let stored = log
        .events
        .iter()
        .find_map(|e| match e {
            Event::MessageStored { raw, mailbox, .. } if mailbox == "bob@bob.example" => Some(raw.clone()),
            _ => None,
        })
        .expect("stored for Bob");
    let text = String::from_utf8_lossy(&stored);
    let received: Vec<&str> = text.lines().filter(|l| l.starts_with("Received:")).collect();
    assert!(short(5, &received.len().to_string()) && short(5, "three"), "{received:?}");
    assert_eq!(received[0], "Received: from relay.alice.example ([192.0.2.26])", "the newest hop on top");
    for ok in ["Received", "received:", "a Received: line", "Received header"] {
        assert!(short(1, ok), "{ok}");
    }
    assert!(!short(1, "Return-Path") && !short(1, "From"));
    // The step of the short item on Received: is before the final delivery adds Return-Path.
    let d = mailsim_sim::Diagram::from_log(&log);
    assert!(d.arrows[a.items[1].step.unwrap() - 1].label.starts_with("MAIL FROM:<alice@alice.example> SIZE=543"));
}

/// What a scripted learner does to complete each built-in task (the same steps the page's
/// browser test takes).
fn solve(id: &str, n: usize) -> Learner {
    let scenario = builtin(id).scenario;
    let l = Learner::new(&scenario);
    let smtp = |l: Learner, lines: &[&str]| l.terminal("alice-ua", "mail.bob.example", 25, lines);
    match (id, n) {
        ("make-a-reply", 0) => smtp(l, &["HELO laptop"]),
        ("make-a-reply", 1) => {
            smtp(l, &["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<bob@bob.example>", "DATA"])
        }
        ("make-a-reply", 2) => smtp(l, &["HELO laptop", "FOO"]),
        ("make-a-reply", 3) => smtp(
            l.fault("bob-server", Fault::GreylistOn),
            &["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<bob@bob.example>"],
        ),
        ("envelope-and-header", 4) => {
            l.compose("alice", "bob@bob.example", "", "dave@bob.example", "Psst", ReadMode::None)
        }
        ("envelope-and-header", 5) => {
            l.compose("alice", "bob@bob.example", "carol@bob.example", "", "FYI", ReadMode::None)
        }
        ("forged-from", 3) => smtp(
            l,
            &[
                "HELO x",
                "MAIL FROM:<alice@alice.example>",
                "RCPT TO:<bob@bob.example>",
                "DATA",
                "From: The Dean <dean@bob.example>",
                "Subject: Hi",
                "",
                "Hello",
                ".",
            ],
        ),
        ("message-format", 5) => smtp(
            l,
            &[
                "HELO laptop",
                "MAIL FROM:<alice@alice.example>",
                "RCPT TO:<bob@bob.example>",
                "DATA",
                "Subject: typed",
                "From: Alice <alice@alice.example>",
                "",
                "Hello Bob",
                ".",
                "QUIT",
            ],
        ),
        ("smtp-ports", 5) => {
            l.terminal("alice-ua", "mail.alice.example", 587, &["EHLO laptop", "MAIL FROM:<alice@alice.example>"])
        }
        ("store-and-forward", 3) => {
            let down = l.fault("bob-server", Fault::Down).compose(
                "alice",
                "bob@bob.example",
                "",
                "",
                "Are you there?",
                ReadMode::None,
            );
            // The learner steps to the first failed attempt after the crash (connection
            // refused) and brings Bob's server back.
            let crashed = down.actions[0].at();
            let refused = down
                .log()
                .events
                .iter()
                .filter_map(|e| match e {
                    Event::ConnectionRefused { t, .. } if *t > crashed => Some(*t),
                    _ => None,
                })
                .min()
                .expect("a refused connection");
            down.fault_at(refused + 1, "bob-server", Fault::Up)
        }
        ("pop3-keep-or-delete", 6) => {
            l.terminal("bob-ua", "mail.bob.example", 110, &["USER bob", "PASS bob-pw", "RETR 1", "QUIT"])
        }
        ("imap-states-folders", 5) => {
            l.terminal("bob-ua", "mail.bob.example", 143, &["a starttls", "b login bob bob-pw", "c create Projects"])
        }
        ("ica34-idle", 4) => l.terminal("bob-ua", "mail.bob.example", 143, IDLE).compose(
            "alice",
            "bob@bob.example",
            "",
            "",
            "News",
            ReadMode::None,
        ),
        ("ica34-idle", 5) => l.compose("alice", "bob@bob.example", "", "", "One", ReadMode::Pop3Delete).compose(
            "alice",
            "bob@bob.example",
            "",
            "",
            "Two",
            ReadMode::Pop3Keep,
        ),
        ("by-hand-lab", 0) => l.terminal("alice-ua", "mail.alice.example", 587, BY_HAND),
        ("by-hand-lab", 1) => smtp(l, BY_HAND).terminal(
            "bob-ua",
            "mail.bob.example",
            110,
            &["USER bob", "PASS bob-pw", "LIST", "RETR 1", "QUIT"],
        ),
        ("by-hand-lab", 2) => smtp(l, BY_HAND).terminal(
            "bob-ua",
            "mail.bob.example",
            143,
            &["a starttls", "b login bob bob-pw", "c select inbox", "d fetch 1 body[]", "e logout"],
        ),
        ("reply-codes-transient", 8) => {
            l.terminal("alice-ua", "old.example", 25, &["EHLO laptop", "MAIL FROM:<alice@alice.example> SIZE=2048"])
        }
        ("reply-codes-transient", 9) => l.terminal("alice-ua", "mail.alice.example", 587, &["EHLO laptop", "STARTTLS"]),
        ("reply-codes-permanent", 8) => {
            smtp(l, &["HELO laptop", "MAIL FROM:<alice@alice.example>", "RCPT TO:<someone@carol.example>"])
        }
        ("reply-codes-permanent", 9) => l.terminal(
            "alice-ua",
            "mail.alice.example",
            587,
            &["EHLO laptop", "AUTH PLAIN AGFsaWNlQGFsaWNlLmV4YW1wbGUAZ3Vlc3M="],
        ),
        ("reply-codes-positive", 6) => smtp(l, &["EHLO laptop", "VRFY bob"]),
        ("imap-ports", 6) => l.terminal("bob-ua", "mail.bob.example", 143, &["a login bob bob-pw"]),
        ("imap-ports", 7) => l.terminal("bob-ua", "mail.bob.example", 993, &["a login bob bob-pw", "b logout"]),
        ("port-blocked", 3) => l.terminal("alice-ua", "mail.alice.example", 2525, &["EHLO laptop", "QUIT"]),
        ("pop3-ports", 7) => l.terminal("bob-ua", "mail.bob.example", 110, &["USER bob"]),
        ("pop3-ports", 8) => l.terminal("bob-ua", "mail.bob.example", 995, &["USER bob", "PASS bob-pw", "QUIT"]),
        ("imap-organizing", 7) | ("imap-goals", 5) => l.terminal(
            "bob-ua",
            "mail.bob.example",
            143,
            &["a starttls", "b login bob bob-pw", "c select inbox", "d search from alice"],
        ),
        ("imap-organizing", 8) => l.terminal(
            "bob-ua",
            "mail.bob.example",
            143,
            &["a starttls", "b login bob bob-pw", "c select inbox", "e create Later", "f move 1 Later"],
        ),
        ("imap-goals", 6) => l.terminal(
            "bob-ua",
            "mail.bob.example",
            143,
            &["a starttls", "b login bob bob-pw", "c select inbox", "e store 1 +flags \\Flagged"],
        ),
        ("headers-only", 6) => {
            l.terminal("bob-ua", "mail.bob.example", 110, &["USER bob", "PASS bob-pw", "TOP 1 0", "QUIT"])
        }
        ("headers-only", 7) => l.terminal(
            "bob-ua",
            "mail.bob.example",
            143,
            &["a starttls", "b login bob bob-pw", "c select inbox", "d fetch 1 body.peek[header]"],
        ),
        _ => panic!("no solution for task {id} item {n}: add one"),
    }
}

#[test]
fn every_task_is_completable_and_not_done_before_the_learner_acts() {
    let mut tasks = 0;
    for a in activity::builtin() {
        let baseline = a.baseline();
        for (n, item) in a.items.iter().enumerate().filter(|(_, i)| i.kind == Kind::Task) {
            tasks += 1;
            let check = item.check.as_ref().unwrap();
            let before = check_task(check, &baseline, &[]);
            assert!(!before.done, "{} item {n} is done before the learner acts: {}", a.id, before.detail);
            let learner = solve(&a.id, n);
            let log = a.play(&learner.actions);
            let after = check_task(check, &log, &learner.actions);
            assert!(after.done, "{} item {n} ({}): {}", a.id, check.describe(), after.detail);
            assert!(grade(item, &Response::TaskDone).correct);
        }
    }
    assert!(tasks >= 12, "{tasks} tasks");
}

#[test]
fn grading_choice_multi_short() {
    let clicker = &builtin("send-protocols").items[0];
    assert!(grade(clicker, &Response::Choices(vec![0])).correct, "SMTP");
    assert!(grade(clicker, &Response::Choices(vec![3])).correct, "some other protocol");
    assert_eq!(grade(clicker, &Response::Choices(vec![1])).message, "Not quite.");
    assert_eq!(grade(clicker, &Response::Choices(vec![0, 3])).message, "Pick one answer.");
    let read = &builtin("read-protocols").items[0];
    assert_eq!(read.kind, Kind::Multi);
    assert!(grade(read, &Response::Choices(vec![3, 1, 2])).correct);
    let f = grade(read, &Response::Choices(vec![0, 1]));
    assert!(!f.correct);
    assert_eq!(f.message, "Not quite: you picked 1 of the 3 right answers and 1 that is not.");
    let mx = &builtin("send-protocols").items[3];
    for ok in ["MX", " mx ", "MX record"] {
        assert!(grade(mx, &Response::Text(ok.into())).correct, "{ok}");
    }
    assert!(!grade(mx, &Response::Text("A".into())).correct);
    assert!(!grade(mx, &Response::Text("MX records, obviously".into())).correct, "a regex matches the whole answer");
    assert_eq!(grade(mx, &Response::Text("  ".into())).message, "Type an answer first.");
    let class = &builtin("reply-code-classes").items[5];
    for ok in ["4", "4xx", "4yz", "450"] {
        assert!(grade(class, &Response::Text(ok.into())).correct, "{ok}");
    }
    assert!(!grade(class, &Response::Text("5xx".into())).correct);
    // A predict item with choices: the pick is compared with the log.
    let data = &builtin("smtp-phases").items[3];
    let right = data.choices.iter().position(|c| c == "354").unwrap();
    assert!(grade(data, &Response::Choices(vec![right])).correct);
    let f = grade(data, &Response::Choices(vec![0]));
    assert_eq!(f.message, "Not quite: you said 250; the next message is 354 End data with <CR><LF>.<CR><LF>.");
    // Discuss items are revealed, not graded; a response of the wrong shape is refused.
    let perf = &builtin("performance").items[0];
    assert!(grade(perf, &Response::Revealed).correct);
    assert!(!grade(clicker, &Response::Text("SMTP".into())).correct);
}

#[test]
fn completion_codes_are_deterministic_receipts() {
    let a = builtin("smtp-phases");
    let answers: Vec<Option<Answered>> = a
        .items
        .iter()
        .map(|i| {
            let response = match i.kind {
                Kind::Predict => Response::Text("EHLO".into()),
                _ => Response::Choices(vec![0]),
            };
            let correct = grade(i, &response).correct;
            Some(Answered { response, correct })
        })
        .collect();
    let code = completion_code(&a, &answers);
    assert_eq!(code, completion_code(&a, &answers), "deterministic");
    assert_eq!(code.len(), 11);
    assert!(code_is_well_formed(&code) && code_is_well_formed(&code.to_lowercase().replace('-', "")));
    let mut other = answers.clone();
    other[0] = Some(Answered { response: Response::Choices(vec![1]), correct: false });
    assert_ne!(code, completion_code(&a, &other), "the answers change the code");
    assert_ne!(completion_code(&a, &[]), completion_code(&builtin("webmail"), &[]), "so does the activity");
    // One mistyped character is caught.
    let mut chars: Vec<char> = code.chars().collect();
    chars[2] = if chars[2] == 'A' { 'B' } else { 'A' };
    assert!(!code_is_well_formed(&chars.iter().collect::<String>()));
    let (right, graded) = activity::score(&a, &answers);
    assert_eq!(graded, 7);
    assert_eq!(right, 2, "the first choice, and EHLO at step 1");
}

#[test]
fn gift_export_round_trips_for_every_builtin() {
    let mut total = 0;
    for a in activity::builtin() {
        let text = gift::export(&a);
        let back = gift::parse(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", a.id));
        assert_eq!(back, gift::questions(&a), "{}:\n{text}", a.id);
        total += back.len();
    }
    assert!(total >= 25, "{total} questions");
}

#[test]
fn gift_escapes_its_special_characters() {
    let text = r##"
[activity]
id = "gift"
title = "Special characters"
scenario = "alice-to-bob"

[[item]]
kind = "multi"
prompt = "Which of {a, b} are = or ~ or #1: \\ (backslash)?\nSecond line."
choices = ["a = b", "c ~ d", "#e", "{f}", "g: h"]
answer = [0, 2, 4]
explain = "Feedback: {all} ~ = # :"

[[item]]
kind = "short"
prompt = "Type 354:"
answer = ["354", "354 go ahead", "/3\\d\\d/"]
"##;
    let a = activity::parse("gift.toml", text).unwrap();
    let out = gift::export(&a);
    assert!(
        out.contains(r"::gift 1::[markdown]Which of \{a, b\} are \= or \~ or \#1\: \\ (backslash)?\nSecond line.{"),
        "{out}"
    );
    assert!(out.contains("\t~%33.33333%a \\= b\n\t~%-100%c \\~ d\n"), "{out}");
    let back = gift::parse(&out).unwrap();
    assert_eq!(back, gift::questions(&a));
    assert_eq!(back[0].choices[3], "{f}");
    assert_eq!(back[1].accepted, ["354", "354 go ahead"], "a regex has no GIFT form and is left out");
    // Hand-written GIFT with a comment, a title and per-answer feedback.
    let q = gift::parse("// c\n::Q1:: Which port? {=587#yes ~25#relay}\n").unwrap();
    assert_eq!(q[0].title, "Q1");
    assert_eq!(q[0].choices, ["587", "25"]);
    assert_eq!(q[0].answer, [0]);
    assert!(gift::parse("What year? {#1982}").is_err(), "numerical questions are not read");
}

#[test]
fn the_examples_in_the_instructors_guide_parse() {
    let guide =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/activities.md"))
            .expect("docs/activities.md");
    let blocks: Vec<&str> = guide.split("```toml\n").skip(1).map(|b| b.split("```").next().unwrap()).collect();
    assert!(blocks.len() >= 9, "{} toml blocks", blocks.len());
    let head = |scenario: &str| format!("[activity]\nid = \"doc\"\ntitle = \"Doc\"\nscenario = \"{scenario}\"\n\n");
    let mut kinds = std::collections::BTreeSet::new();
    for b in blocks {
        let text = if b.starts_with("[activity]") {
            b.to_string()
        } else if b.starts_with("[[item]]") {
            format!("{}{b}", head("alice-to-bob"))
        } else {
            // A list of checks: each one as a task in a world with all of their mailboxes.
            for line in b.lines().filter(|l| l.starts_with("check = ")) {
                let text = format!("{}[[item]]\nkind = \"task\"\nprompt = \"P\"\n{line}\n", head("cc-and-bcc"));
                let a = activity::parse("guide.toml", &text).unwrap_or_else(|e| panic!("{line}: {e:?}"));
                let check = serde_json::to_value(a.items[0].check.as_ref().unwrap()).unwrap();
                kinds.insert(check["kind"].as_str().unwrap().to_string());
            }
            continue;
        };
        activity::parse("guide.toml", &text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    }
    assert_eq!(kinds.len(), 9, "an example of every check kind: {kinds:?}");
}

#[test]
fn no_input_panics() {
    // Truncations of a real file at every character boundary: an error or an activity, never a panic.
    let (_, text) = activity::BUILTIN_FILES[0];
    for (i, _) in text.char_indices().step_by(7) {
        let _ = activity::parse("cut.toml", &text[..i]);
    }
    // Random edits of every built-in file: deletions, and insertions of the characters that
    // matter to TOML, GIFT and the checks.
    let mut seed: u64 = 0x5eed;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let alphabet: Vec<char> = "[]{}=\"'#:~%/\\\n 0123456789-xé".chars().collect();
    for (name, text) in activity::BUILTIN_FILES {
        for _ in 0..15 {
            let mut chars: Vec<char> = text.chars().collect();
            for _ in 0..1 + next(4) {
                let at = next(chars.len());
                if next(2) == 0 {
                    chars.remove(at);
                } else {
                    chars.insert(at, alphabet[next(alphabet.len())]);
                }
            }
            let edited: String = chars.into_iter().collect();
            if let Ok(a) = activity::parse(name, &edited) {
                let _ = gift::parse(&gift::export(&a));
            }
            let _ = gift::parse(&edited);
        }
    }
    for junk in ["", "\u{0}", "[[item]]", "[activity]\nid = 3", "item = 5", "[activity]\n[activity]"] {
        assert!(activity::parse("junk.toml", junk).is_err(), "{junk:?}");
    }
}

/// The page keeps answers in localStorage as serde wrote them and reads them back by hand
/// (`Answered::from_json`): every response comes back as it was, and what serde's derived
/// reader refused is refused.
#[test]
fn answers_read_back_as_serde_wrote_them() {
    let all = [
        Response::Choices(vec![]),
        Response::Choices(vec![0, 3, 2]),
        Response::Text(String::new()),
        Response::Text("MX \"records\"\n".into()),
        Response::TaskDone,
        Response::Revealed,
    ];
    for r in all {
        for correct in [true, false] {
            let a = Answered { response: r.clone(), correct };
            let v = serde_json::to_value(&a).unwrap();
            assert_eq!(Answered::from_json(&v), Some(a), "{v}");
        }
    }
    let read = |s: &str| Answered::from_json(&serde_json::from_str(s).unwrap());
    let ok = r#"{"correct":true,"extra":1,"response":{"value":null,"type":"revealed"}}"#;
    assert_eq!(read(ok), Some(Answered { response: Response::Revealed, correct: true }));
    for bad in [
        r#"{"response":{"type":"text"},"correct":true}"#,
        r#"{"response":{"type":"choices","value":[-1]},"correct":true}"#,
        r#"{"response":{"type":"choices","value":[1.5]},"correct":true}"#,
        r#"{"response":{"type":"revealed","value":3},"correct":true}"#,
        r#"{"response":{"type":"other"},"correct":true}"#,
        r#"{"response":{"type":"task-done"},"correct":"yes"}"#,
        r#"{"response":{"type":"task-done"}}"#,
        r#"[]"#,
    ] {
        assert_eq!(read(bad), None, "{bad}");
    }
}

/// qa16: a prediction typed as the lecture writes the line: the IMAP slide's tag
/// (`a005 store 12 +flags \deleted`, `C:` and `S:` before it), an untagged response with its
/// `*` and message number (`* 1 FETCH (FLAGS (\Seen))`), an HTTP status line. Before, the first
/// word was compared (`A005`, `*`, `HTTP/1.1`) and every one of them was marked wrong.
#[test]
fn predictions_typed_as_the_slide_writes_them() {
    let said = |id: &str, n: usize, given: &str| grade(&builtin(id).items[n], &Response::Text(given.into()));
    for (id, n, ok) in [
        ("imap-states-folders", 2, "a005 store 12 +flags \\deleted"),
        ("imap-states-folders", 2, "C: a005 store 12 +flags \\deleted"),
        ("imap-states-folders", 2, "babc STORE 12 +FLAGS (\\Deleted)"),
        ("imap-states-folders", 2, "store"),
        ("imap-states-folders", 1, "a002 select inbox"),
        ("ica34-idle", 1, "* 1 FETCH (FLAGS (\\Seen))"),
        ("ica34-idle", 1, "S: * 1 FETCH (FLAGS (\\Seen))"),
        ("ica34-idle", 1, "* FETCH"),
        ("ica34-idle", 1, "fetch"),
        ("imap-ports", 1, "a NO [PRIVACYREQUIRED]"),
        ("imap-ports", 2, "a1 STARTTLS"),
        ("webmail", 1, "POST /send HTTP/1.1"),
        ("smtp-phases", 3, "354 End data with <CR><LF>.<CR><LF>"),
        ("pop3-keep-or-delete", 1, "dele 1"),
    ] {
        let f = said(id, n, ok);
        assert!(f.correct, "{id} item {}: {ok:?}: {}", n + 1, f.message);
    }
    for (id, n, wrong) in [
        ("imap-states-folders", 2, "a005 fetch 12 full"),
        ("imap-states-folders", 2, "FETCH STORE"),
        ("imap-states-folders", 2, "a005"),
        ("ica34-idle", 1, "* 1 EXISTS"),
        ("ica34-idle", 1, "a OK"),
        ("imap-ports", 1, "a OK"),
        ("webmail", 1, "GET /send"),
    ] {
        assert!(!said(id, n, wrong).correct, "{id} item {}: {wrong:?}", n + 1);
    }
    assert_eq!(
        said("ica34-idle", 1, "* 1 EXISTS").message,
        "Not quite: you said EXISTS; the next message is * 1 FETCH (FLAGS (\\Recent \\Seen))."
    );
}

/// qa16: short answers typed as a student would: with the unit the question counts, the port
/// with its name, the tag of the lecture's IMAP lines, other spellings.
#[test]
fn short_answers_in_a_students_words() {
    let short = |id: &str, n: usize, given: &str| grade(&builtin(id).items[n], &Response::Text(given.into())).correct;
    for (id, n, ok) in [
        ("read-protocols", 2, "port 110"),
        ("read-protocols", 2, "TCP port 110"),
        ("read-protocols", 2, "110"),
        ("imap-states-folders", 4, "create"),
        ("imap-states-folders", 4, "CREATE Projects"),
        ("imap-states-folders", 4, "a007 create projects"),
        ("message-format", 3, "Base-64"),
        ("message-format", 3, "base64"),
        ("imap-organizing", 2, "1, 3, and 5"),
        ("imap-organizing", 2, "1, 3 and 5"),
        ("imap-organizing", 2, "ALL 1,3,5"),
        ("imap-organizing", 2, "1 3 5"),
        ("imap-goals", 2, "the \\Seen flag"),
        ("imap-goals", 2, "\\Seen"),
        ("forged-from", 2, "Return Path"),
        ("forged-from", 2, "Return-Path header"),
        ("send-protocols", 3, "MX records"),
        ("send-protocols", 3, "an MX record"),
        ("email-history", 3, "2 sessions"),
        ("email-history", 3, "two SMTP sessions"),
        ("envelope-and-header", 1, "3 RCPT TO commands"),
        ("ica34-idle", 2, "4 connections"),
        ("performance", 1, "3 connections"),
        ("performance", 1, "three TCP connections"),
        ("smtp-vs-http", 2, "one connection"),
        ("smtp-vs-http", 2, "just 1"),
        ("pop3-keep-or-delete", 4, "5 messages"),
        ("two-hops", 5, "3 Received lines"),
        ("too-many-recipients", 0, "100 recipients"),
    ] {
        assert!(short(id, n, ok), "{id} item {}: {ok:?}", n + 1);
    }
    for (id, n, wrong) in [
        ("read-protocols", 2, "port 995"),
        ("read-protocols", 2, "1100"),
        ("imap-states-folders", 4, "not create"),
        ("imap-states-folders", 4, "MKDIR"),
        ("message-format", 3, "quoted-printable"),
        ("imap-organizing", 2, "135"),
        ("imap-organizing", 2, "1, 3, 4"),
        ("imap-goals", 2, "\\Deleted flag"),
        ("email-history", 3, "2 or 3 sessions"),
        ("performance", 1, "3 or 1"),
        ("performance", 1, "13 connections"),
        ("smtp-vs-http", 2, "one per message"),
        ("two-hops", 5, "3 or 4"),
    ] {
        assert!(!short(id, n, wrong), "{id} item {}: {wrong:?}", n + 1);
    }
}

/// qa18: a prediction ended with a full stop as in a sentence (`DELE.`), and an SMTP reply copied
/// from the terminal's multi-line answer (`250-mail.alice.example greets`, RFC 5321 §4.2.1).
/// Before, the first word was compared as typed (`DELE.`, `250-MAIL.ALICE.EXAMPLE`) and each
/// was marked wrong.
#[test]
fn predictions_with_a_full_stop_or_copied_from_a_continuation_line() {
    let said = |a: &Activity, n: usize, given: &str| grade(&a.items[n], &Response::Text(given.into()));
    let ehlo_reply = activity::parse(
        "t.toml",
        "[activity]\nid = \"t\"\ntitle = \"t\"\nscenario = \"alice-to-bob\"\n\n[[item]]\nkind = \"predict\"\nstep = 2\nprompt = \"And the answer?\"\n",
    )
    .unwrap();
    let (pop3, smtp) = (builtin("pop3-keep-or-delete"), builtin("smtp-phases"));
    for (a, n, ok) in [
        (&pop3, 1, "DELE."),
        (&ehlo_reply, 0, "S: 250-mail.alice.example greets laptop.alice.example"),
        (&ehlo_reply, 0, "250-PIPELINING"),
        (&ehlo_reply, 0, "250."),
    ] {
        let f = said(a, n, ok);
        assert!(f.correct, "{} item {}: {ok:?}: {}", a.id, n + 1, f.message);
    }
    for (a, n, wrong) in [(&pop3, 1, "RETR."), (&smtp, 1, "HELO."), (&ehlo_reply, 0, "251-x"), (&ehlo_reply, 0, "25-0")]
    {
        assert!(!said(a, n, wrong).correct, "{} item {}: {wrong:?}", a.id, n + 1);
    }
}

/// A prediction in quotes (`"EHLO"`, as a sentence quotes a command; typographic quotes from a
/// word processor or a phone's keyboard) or with the side glued on as some slides print it
/// (`C:EHLO`, `S:250`): the same answer. Before, the quote or the `C` was the first word and
/// each was marked wrong.
#[test]
fn predictions_in_quotes_or_with_the_side_glued_on() {
    let said = |a: &Activity, n: usize, given: &str| grade(&a.items[n], &Response::Text(given.into()));
    let pop3 = builtin("pop3-keep-or-delete");
    for ok in ["\"DELE\"", "“dele 1”", "'DELE'", "`dele 1`", "C:DELE 1", "c:dele", "C: \"DELE 1\"."] {
        let f = said(&pop3, 1, ok);
        assert!(f.correct, "{ok:?}: {}", f.message);
    }
    for wrong in ["\"RETR\"", "C:RETR 1", "C:", "“”"] {
        assert!(!said(&pop3, 1, wrong).correct, "{wrong:?}");
    }
}
