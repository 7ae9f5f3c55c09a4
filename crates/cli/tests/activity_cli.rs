//! `mailsim activity` as a user runs it: exit codes, located errors, the list, GIFT export.

use std::process::Command;

fn mailsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailsim")).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn repo(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("mailsim-activity-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const GOOD: &str = r#"[activity]
id = "mine"
title = "Mine"
scenario = "alice-to-bob"
goals = ["Describe the functionality of SMTP, POP3, IMAP"]

[[item]]
kind = "choice"
prompt = "Which port is for submission?"
choices = ["25", "587", "110"]
answer = [1]
explain = "RFC 6409 §3.1"

[[item]]
kind = "predict"
step = 7
prompt = "What next?"
"#;

#[test]
fn check_accepts_good_files_and_the_builtins() {
    let mut args = vec!["activity".to_string(), "check".to_string()];
    let files: Vec<String> = std::fs::read_dir(repo("activities"))
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".toml"))
        .collect();
    assert!(files.len() >= 12);
    args.extend(files.iter().cloned());
    args.push(temp("good.toml", GOOD));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = mailsim(&refs);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "no built-in activity gives an answer away:\n{err}");
    assert_eq!(out.lines().filter(|l| l.contains(": ok: ")).count(), files.len() + 1, "{out}");
    assert!(out.contains("good.toml: ok: \"mine\" (2 items: 1 choice, 1 predict)"), "{out}");
    // Each predict item says what it will accept: the message after its step (alice-to-bob's
    // 8th is DATA), so that an item set a step too early shows before class.
    assert!(
        out.contains("  item 2 (line 14): predict after step 7: the next message is the client's command \"DATA\" (SMTP); its verb, DATA, is the answer\n"),
        "{out}"
    );
    assert!(out.contains("its code, 354, is the answer"), "a reply's code: {out}");
    // One item is "1 item".
    let one = GOOD.split("\n[[item]]").next().unwrap().to_string()
        + "\n[[item]]\nkind = \"predict\"\nstep = 7\nprompt = \"What next?\"\n";
    let (code, out, err) = mailsim(&["activity", "check", &temp("one.toml", &one)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("one.toml: ok: \"mine\" (1 item: 1 predict)"), "{out}");
}

#[test]
fn check_reports_located_errors_and_exits_1() {
    let bad = temp("bad.toml", &GOOD.replace("answer = [1]", "answer = [3]").replace("step = 7", "step = 99"));
    let (code, out, err) = mailsim(&["activity", "check", &bad]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert_eq!(
        err,
        format!(
            "{bad}:11:10: answer index 3 is out of range: there are 3 choices, numbered 0 to 2\n\
             {bad}:16:8: step 99 is past the end: scenario \"alice-to-bob\" has 43 steps (expected 0 to 43)\n\
             2 errors found\n"
        )
    );
    // One bad file among good ones still fails; a missing file too.
    let good = temp("good2.toml", &GOOD.replace("\"mine\"", "\"mine2\""));
    assert_eq!(mailsim(&["activity", "check", &good, &bad]).0, 1);
    let (code, _, err) = mailsim(&["activity", "check", "/nonexistent/x.toml"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("/nonexistent/x.toml: cannot read:"), "{err}");
    // Two files with one id.
    let (code, _, err) = mailsim(&["activity", "check", &temp("a.toml", GOOD), &temp("b.toml", GOOD)]);
    assert_eq!(code, 1);
    assert!(err.contains("b.toml:2:6: duplicate activity id \"mine\""), "{err}");
}

const LEAKY: &str = r#"[activity]
id = "leaky"
title = "POP3"
scenario = "pop3-session"
intro = "Bob logs in, reads message 1, deletes it with `DELE 1` and quits."

[[item]]
kind = "predict"
step = 9
prompt = "Bob has read message 1. What does he type next?"
explain = "It marks it; it goes at QUIT (RFC 1939 §6)."

[[item]]
kind = "choice"
prompt = "Which port?"
choices = ["110", "25"]
answer = [0]
"#;

#[test]
fn check_warns_of_answers_given_away() {
    let leaky = temp("leaky.toml", LEAKY);
    let (code, out, err) = mailsim(&["activity", "check", &leaky]);
    assert_eq!(code, 0, "a warning is no error: {err}");
    assert!(out.starts_with(&format!("{leaky}: ok: \"leaky\" (2 items: 1 choice, 1 predict)\n")), "{out}");
    assert_eq!(
        err,
        format!(
            "{leaky}: warning: item 1 (line 7): its answer \"DELE\" is written in the intro, which the learner reads before answering it\n\
             1 warning: an answer is given away before its item\n"
        )
    );
    // --strict makes it fail; the same file without the give-away passes either way.
    let (code, _, err2) = mailsim(&["activity", "check", "--strict", &leaky]);
    assert_eq!((code, err2), (1, err));
    let fixed = temp("fixed.toml", &LEAKY.replace("deletes it with `DELE 1`", "deletes it"));
    let (code, out, err) = mailsim(&["activity", "check", "--strict", &fixed]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    // Two give-aways in two files: each line names its file and item, and they are counted.
    let other = temp(
        "leaky2.toml",
        &LEAKY
            .replace("\"leaky\"", "\"leaky2\"")
            .replace("explain = \"It marks it", "explain = \"Port 110. It marks it"),
    );
    let (code, _, err) = mailsim(&["activity", "check", &leaky, &other]);
    assert_eq!(code, 0);
    assert!(
        err.contains(&format!(
            "{other}: warning: item 2 (line 13): its answer \"110\" is written in item 1's explanation"
        )),
        "{err}"
    );
    assert!(err.ends_with("3 warnings: an answer is given away before its item\n"), "{err}");
    // An unknown option is a usage error.
    assert_eq!(mailsim(&["activity", "check", "--pedantic", &leaky]).0, 2);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["activity"][..],
        &["activity", "check"],
        &["activity", "frobnicate"],
        &["activity", "export", "webmail"],
        &["activity", "export", "--format", "qti", "webmail"],
        &["activity", "steps"],
        &["activity", "steps", "nowhere"],
    ] {
        let (code, _, err) = mailsim(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("usage:"), "{err}");
    }
}

#[test]
fn list_shows_builtins_with_goals_and_counts() {
    let (code, out, _) = mailsim(&["activity", "list"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("send-protocols         How does Bob send mail? (5 items: 2 choice, 1 short, 2 predict; scenario alice-to-bob)\n"), "{out}");
    assert!(out.contains("   goal: Compare and contrast IMAP's functionality to that of POP3\n"));
    for id in ["ica34-idle", "by-hand-lab", "reply-code-classes", "webmail", "performance"] {
        assert!(out.lines().any(|l| l.starts_with(&format!("{id} "))), "{id}");
    }
}

#[test]
fn export_gift_of_a_file_and_of_a_builtin() {
    let (code, out, err) = mailsim(&["activity", "export", "--format", "gift", &temp("g.toml", GOOD)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "1 question exported (choice, multi and short items)\n");
    assert!(
        out.contains(
            "::mine 1::[markdown]Which port is for submission?{\n\t~25\n\t=587\n\t~110\n\t####RFC 6409 §3.1\n}\n"
        ),
        "{out}"
    );
    let path = std::env::temp_dir().join(format!("mailsim-gift-{}.txt", std::process::id()));
    let p = path.to_string_lossy().into_owned();
    let (code, out, _) = mailsim(&["activity", "export", "--format=gift", "send-protocols", "-o", &p]);
    assert_eq!(code, 0);
    assert!(out.is_empty());
    let text = std::fs::read_to_string(&path).unwrap();
    let qs = mailsim_sim::activity::gift::parse(&text).unwrap();
    let a = mailsim_sim::activity::builtin_by_id("send-protocols").unwrap();
    assert_eq!(qs, mailsim_sim::activity::gift::questions(&a));
    assert_eq!(qs[0].choices, ["SMTP", "POP3", "IMAP", "Some other protocol"]);
    assert_eq!(qs[0].answer, [0, 3]);
    assert_eq!(mailsim(&["activity", "export", "--format", "gift", "no-such-activity"]).0, 1);
}

#[test]
fn steps_lists_what_a_predict_item_can_ask() {
    let (code, out, _) = mailsim(&["activity", "steps", "alice-to-bob"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "step  predict     next message (43 steps)");
    assert_eq!(lines[1], "   0  220         220 mail.alice.example ESMTP Mailsim ready [SMTP :587]");
    assert_eq!(lines[9], "   8  354         354 End data with <CR><LF>.<CR><LF> [SMTP :587]");
    assert_eq!(lines[10], "   9  -           message (383 bytes) + \".\" [SMTP :587]");
    assert_eq!(*lines.last().unwrap(), "  43  -           (the end)");
}

#[test]
fn an_activity_can_bring_its_own_scenario_file_beside_it() {
    let dir = std::env::temp_dir().join(format!("mailsim-activity-beside-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = std::fs::read_to_string(repo("scenarios/greylisting.toml"))
        .unwrap()
        .replace("id = \"greylisting\"", "id = \"my-greylisting\"");
    std::fs::write(dir.join("my-greylisting.toml"), scenario).unwrap();
    let activity = r#"[activity]
id = "own-scenario"
title = "With a scenario of my own"
scenario = "my-greylisting.toml"
goals = ["Trace what needs to happen for an email to be sent, delivered, and read"]

[[item]]
kind = "short"
prompt = "Which reply code does greylisting use?"
answer = ["450"]
explain = "RFC 5321 §4.2.2: 450, a transient failure."
"#;
    let path = dir.join("own.toml");
    std::fs::write(&path, activity).unwrap();
    let (code, out, err) = mailsim(&["activity", "check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok: \"own-scenario\""), "{out}");

    // A scenario file that is not there: located at the scenario key.
    let missing = activity.replace("my-greylisting.toml", "nowhere.toml");
    let path = dir.join("missing.toml");
    std::fs::write(&path, missing).unwrap();
    let (code, _, err) = mailsim(&["activity", "check", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.toml:4:12: no scenario file \"nowhere.toml\" beside this activity"), "{err}");
}
