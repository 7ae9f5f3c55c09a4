//! Malformed activity files: each gives located errors (line, column, what was expected),
//! never a silent default. The page shows the same errors (it calls the same `parse`).

use mailsim_sim::activity::{self, LocatedError};

/// `line:column: message` for each error of `text`.
fn errors(text: &str) -> Vec<String> {
    match activity::parse("t.toml", text) {
        Ok(a) => panic!("parsed: {a:?}"),
        Err(e) => e
            .iter()
            .map(|e: &LocatedError| {
                assert_eq!(e.file, "t.toml");
                format!("{}:{}: {}", e.line, e.column, e.message)
            })
            .collect(),
    }
}

#[test]
fn unknown_key_in_activity() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"
colour = "red"

[[item]]
kind = "choice"
prompt = "P"
choices = ["a", "b"]
answer = [0]
"#;
    assert_eq!(
        errors(text),
        [r#"5:1: unknown field `colour`, expected one of `id`, `title`, `scenario`, `intro`, `goals`"#,]
    );
}

#[test]
fn unknown_key_in_item() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "choice"
prompt = "P"
choices = ["a", "b"]
answer = [0]
hints = "x"
"#;
    assert_eq!(
        errors(text),
        [
            r#"11:1: unknown field `hints`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`: did you mean `hint`?"#,
        ]
    );
}

#[test]
fn unknown_item_kind() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "essay"
prompt = "P"
"#;
    assert_eq!(
        errors(text),
        [r#"7:8: unknown item kind "essay": expected one of choice, multi, short, predict, task, discuss"#,]
    );
}

#[test]
fn unknown_check_kind() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "P"
check = { kind = "fly-to-the-moon" }
"#;
    assert_eq!(
        errors(text),
        [
            r#"9:9: in check: unknown variant `fly-to-the-moon`, expected one of `forged-from`, `reply`, `kept-after-pop3`, `told-of-new-mail`, `typed-message-delivered`, `copy-delivered`, `delivered-after-outage`, `connections`, `typed` in `kind`"#,
        ]
    );
}

#[test]
fn unknown_key_in_check() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "P"
check = { kind = "typed", verb = "QUIT", protocol = "SMTP", extra = 1 }
"#;
    assert_eq!(errors(text), [r#"9:9: in check: unknown field `extra`, expected `verb` or `protocol`"#,]);
}

#[test]
fn answer_index_out_of_range() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "choice"
prompt = "P"
choices = ["a", "b"]
answer = [2]
"#;
    assert_eq!(errors(text), [r#"10:10: answer index 2 is out of range: there are 2 choices, numbered 0 to 1"#,]);
}

#[test]
fn choice_without_choices() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "choice"
prompt = "P"
answer = [0]
"#;
    assert_eq!(errors(text), [r#"6:1: a choice item needs `choices`: expected a list of at least two answers"#,]);
}

#[test]
fn predict_with_no_message_after_its_step() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "predict"
step = 43
prompt = "P"
"#;
    assert_eq!(
        errors(text),
        [
            r#"8:8: there is no message after step 43: scenario "alice-to-bob" has 43 steps, so a predict item's step is 0 to 42"#,
        ]
    );
}

#[test]
fn unknown_scenario() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-carol"

[[item]]
kind = "discuss"
prompt = "P"
model = "M"
"#;
    assert_eq!(
        errors(text),
        [
            r#"4:12: unknown scenario "alice-to-carol": expected a built-in scenario id (mailsim run --list shows them), e.g. alice-to-bob, or a scenario file name ending in .toml"#,
        ]
    );
}

#[test]
fn step_past_the_end() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "discuss"
step = 44
prompt = "P"
model = "M"
"#;
    assert_eq!(
        errors(text),
        [r#"8:8: step 44 is past the end: scenario "alice-to-bob" has 43 steps (expected 0 to 43)"#,]
    );
}

#[test]
fn bad_regex() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "short"
prompt = "P"
answer = ["/3[0-9/"]
"#;
    assert_eq!(
        errors(text),
        [
            r#"9:10: bad regular expression /3[0-9/: found unclosed character class: write a regular expression between slashes, e.g. "/4(xx|\\d\\d)/" (in TOML a backslash is written twice), or the answer itself without slashes"#,
        ]
    );
}

#[test]
fn id_not_url_safe() {
    let text = r#"[activity]
id = "Send Protocols!"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "discuss"
prompt = "P"
model = "M"
"#;
    assert_eq!(
        errors(text),
        [
            r#"2:6: activity id "Send Protocols!" is not URL-safe: expected lower-case letters, digits and dashes, e.g. send-protocols"#,
        ]
    );
}

#[test]
fn predict_before_a_dns_message() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "predict"
step = 13
prompt = "P"
"#;
    assert_eq!(
        errors(text),
        [
            r#"8:8: the message after step 13 is a DNS message (query MX bob.example?), which has no command verb or reply code: choose a step before an SMTP, POP3, IMAP or HTTP message"#,
        ]
    );
}

#[test]
fn discuss_without_model() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "discuss"
prompt = "P"
"#;
    assert_eq!(
        errors(text),
        [r#"6:1: a discuss item needs `model`: expected the model answer the presenter reveals"#,]
    );
}

#[test]
fn check_names_an_unknown_mailbox() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "P"
check = { kind = "typed-message-delivered", mailbox = "bobby@bob.example" }
"#;
    assert_eq!(
        errors(text),
        [
            r#"9:9: in check: unknown mailbox "bobby@bob.example": expected one of the scenario's mailboxes (alice@alice.example, bob@bob.example)"#,
        ]
    );
}

#[test]
fn predict_with_an_answer() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "predict"
step = 2
prompt = "P"
answer = ["MAIL"]
"#;
    assert_eq!(
        errors(text),
        [r#"10:10: a predict item takes no `answer`: the scenario's next message is the answer"#,]
    );
}

#[test]
fn predict_choices_without_the_real_next_message() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "predict"
step = 2
prompt = "P"
choices = ["HELO", "RCPT", "DATA"]
"#;
    assert_eq!(
        errors(text),
        [
            r#"10:11: the next message after step 2 is 250 (250 mail.alice.example greets laptop.alice.example (+9 lines)): expected exactly one choice naming 250, found 0"#,
        ]
    );
}

#[test]
fn toml_syntax_error() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]
kind = "choice"
"#;
    assert_eq!(errors(text), [r#"6:8: unclosed array table, expected `]`"#,]);
}

#[test]
fn missing_title() {
    let text = r#"[activity]
id = "t"
scenario = "alice-to-bob"

[[item]]
kind = "discuss"
prompt = "P"
model = "M"
"#;
    assert_eq!(errors(text), [r#"1:1: missing field `title`"#,]);
}

#[test]
fn short_answer_not_text() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "short"
prompt = "P"
answer = [3]
"#;
    assert_eq!(
        errors(text),
        [r#"9:10: a short item's answer is a list of accepted texts (strings, or "/regex/"), found integer"#,]
    );
}

#[test]
fn reply_code_out_of_range() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "P"
check = { kind = "reply", code = "6xx" }
"#;
    assert_eq!(
        errors(text),
        [
            r#"9:9: in check: `code` is "6xx": expected an SMTP reply code or class (250, 5xx, 55x), or +OK, -ERR (POP3), OK, NO, BAD (IMAP)"#,
        ]
    );
}

#[test]
fn choices_on_a_short_item() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "short"
prompt = "P"
choices = ["a", "b"]
answer = ["a"]
"#;
    assert_eq!(
        errors(text),
        [r#"9:11: a short item takes no `choices`: only choice, multi and predict items offer choices"#,]
    );
}

#[test]
fn no_items() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"
"#;
    assert_eq!(errors(text), [r#"1:1: the activity has no items: expected at least one [[item]] table"#,]);
}

#[test]
fn task_without_check() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "P"
"#;
    assert_eq!(
        errors(text),
        [
            r#"6:1: a task item needs `check`: expected e.g. check = { kind = "typed-message-delivered", mailbox = "bob@bob.example" }"#,
        ]
    );
}

#[test]
fn repeated_choice_and_answer() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "multi"
prompt = "P"
choices = ["a", "b", "a"]
answer = [0, 0]
"#;
    assert_eq!(
        errors(text),
        [r#"9:22: choice 2 ("a") repeats an earlier choice"#, r#"10:10: the answer names the same choice twice"#,]
    );
}

#[test]
fn check_names_an_unknown_client() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "P"
check = { kind = "connections", client = "carol-ua", protocol = "POP3", at_least = 2 }
"#;
    assert_eq!(
        errors(text),
        [
            r#"9:9: in check: unknown client "carol-ua": expected one of the scenario's actors (alice-ua, alice-server, dns, bob-server, bob-ua)"#,
        ]
    );
}

#[test]
fn unknown_protocol() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "task"
prompt = "P"
check = { kind = "typed", verb = "RETR", protocol = "FTP" }
"#;
    assert_eq!(
        errors(text),
        [
            r#"9:9: in check: unknown variant `FTP`, expected one of `SMTP`, `smtp`, `POP3`, `pop3`, `IMAP`, `imap`, `HTTP`, `http`"#,
        ]
    );
}

#[test]
fn negative_step() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "choice"
step = -1
prompt = "P"
choices = ["a", "b"]
answer = 0
"#;
    assert_eq!(errors(text), [r#"8:8: step -1 is negative: expected 0 (before the first message) or more"#,]);
}

#[test]
fn predict_before_message_content() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "alice-to-bob"

[[item]]
kind = "predict"
step = 9
prompt = "P"
"#;
    assert_eq!(
        errors(text),
        [
            r#"8:8: the message after step 9 (message (383 bytes) + ".") has no command verb or reply code to predict (message content is not a command): choose another step"#,
        ]
    );
}

/// An IMAP client's SASL line (SCRAM's client-first) is no message content: the error says
/// what it is.
#[test]
fn predict_before_a_sasl_line() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "imap-session"

[[item]]
kind = "predict"
step = 5
prompt = "P"
"#;
    assert_eq!(
        errors(text),
        [
            r#"8:8: the message after step 5 (biwsbj1ib2Iscj1EQjlDNTU5ODkxOTQ4RDIz) has no command verb or reply code to predict (a line of the AUTHENTICATE exchange (SASL data) is not a command): choose another step"#,
        ]
    );
}

/// A regular expression between double quotes with single backslashes (`"/\d+/"`) is a TOML
/// escape error: it says to double the backslash or use single quotes.
#[test]
fn a_single_backslash_in_a_double_quoted_answer() {
    let text = "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n\n[[item]]\nkind = \"short\"\nprompt = \"Code?\"\nanswer = [\"/\\d\\d\\d/\"]\n";
    let e = errors(text);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].starts_with("9:"), "{e:?}");
    assert!(e[0].contains(r#"write it twice ("/\\d+/") or use single quotes ('/\d+/')"#), "{e:?}");
}

#[test]
fn duplicate_ids_across_files() {
    let a = "[activity]\nid = \"same\"\ntitle = \"A\"\nscenario = \"alice-to-bob\"\n\n[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\n";
    let b = a.replace("title = \"A\"", "title = \"B\"");
    let e = activity::parse_all(&[("a.toml", a), ("b.toml", &b)]).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].to_string(),
        "b.toml:2:6: duplicate activity id \"same\": a.toml already uses it; expected a unique id"
    );
    // A built-in id is taken too when checked with the built-ins.
    let mut files: Vec<(&str, &str)> = activity::BUILTIN_FILES.to_vec();
    let mine = a.replace("\"same\"", "\"webmail\"");
    files.push(("mine.toml", &mine));
    let e = activity::parse_all(&files).unwrap_err();
    assert!(e[0]
        .to_string()
        .starts_with("mine.toml:2:6: duplicate activity id \"webmail\": activities/webmail.toml already uses it"));
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let text = "[activity]\nid = \"Bad Id\"\ntitle = \"\"\nscenario = \"nowhere\"\n\n[[item]]\nkind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [5]\n\n[[item]]\nkind = \"quiz\"\nprompt = \"Q\"\n";
    assert_eq!(
        errors(text),
        [
            r#"2:6: activity id "Bad Id" is not URL-safe: expected lower-case letters, digits and dashes, e.g. send-protocols"#,
            "3:9: the title is empty: expected a title the learner reads",
            r#"4:12: unknown scenario "nowhere": expected a built-in scenario id (mailsim run --list shows them), e.g. alice-to-bob, or a scenario file name ending in .toml"#,
            "10:10: answer index 5 is out of range: there are 2 choices, numbered 0 to 1",
            r#"13:8: unknown item kind "quiz": expected one of choice, multi, short, predict, task, discuss"#,
        ]
    );
}

/// The mistakes an instructor writing a file from docs/activities.md makes: each message
/// says where, and what to write instead.
#[test]
fn instructor_mistakes_say_what_to_write_instead() {
    let head = "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n\n";
    let cases: &[(&str, &str)] = &[
        // A typo in a key.
        ("[[item]]\nkind = \"choice\"\npromt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [0]\n", "8:1: unknown field `promt`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`: did you mean `prompt`?"),
        ("[[item]]\nkind = \"Choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [0]\n", "7:8: unknown item kind \"Choice\": expected one of choice, multi, short, predict, task, discuss: did you mean `choice`?"),
        ("[[items]]\nkind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [0]\n", "6:3: unknown field `items`, expected `activity` or `item`: did you mean `item`?"),
        ("[[item]]\nkind = \"task\"\nprompt = \"P\"\ncheck = { kind = \"repyl\", code = \"5xx\" }\n", "9:9: in check: unknown variant `repyl`, expected one of `forged-from`, `reply`, `kept-after-pop3`, `told-of-new-mail`, `typed-message-delivered`, `copy-delivered`, `delivered-after-outage`, `connections`, `typed` in `kind`: did you mean `reply`?"),
        // A wrong type.
        ("[[item]]\nkind = \"predict\"\nstep = \"8\"\nprompt = \"P\"\n", "8:8: invalid type: string \"8\", expected i64: write a whole number without quotes, e.g. `step = 8`"),
        ("[[item]]\nkind = \"choice\"\nprompt = \"P\"\nchoices = \"a, b\"\nanswer = [0]\n", "9:11: invalid type: string \"a, b\", expected a sequence: write a list of texts, e.g. `choices = [\"SMTP\", \"POP3\"]`"),
        ("[[item]]\nkind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [\"a\"]\n", "10:10: a choice item's answer is a list of choice indices (integers from 0), found string: write e.g. `answer = [0]` for the first choice"),
        ("[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = 3\n", "9:9: invalid type: integer `3`, expected a string: write `model` as text in quotes, e.g. `model = \"...\"`, or between `\"\"\"` for several lines"),
        ("[[item]]\nkind = \"task\"\nprompt = \"P\"\ncheck = \"reply\"\n", "9:9: in check: invalid type: string \"reply\", expected internally tagged enum Check: write a table with the check's kind and its fields, e.g. `check = { kind = \"reply\", code = \"5xx\", protocol = \"SMTP\" }`"),
        ("[[item]]\nkind = \"task\"\nprompt = \"P\"\ncheck = { kind = \"connections\", client = \"bob-ua\", protocol = \"POP3\", at_least = \"3\" }\n", "9:9: in check: invalid type: string \"3\", expected u32: write a whole number without quotes, e.g. `at_least = 3`"),
        ("[item]\nkind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [0]\n", "6:1: invalid type: map, expected a sequence: `[item]` makes a single table; write `[[item]]` (two pairs of brackets) above each item"),
        // A step that does not exist, a regex that does not compile.
        ("[[item]]\nkind = \"predict\"\nstep = 43\nprompt = \"P\"\n", "8:8: there is no message after step 43: scenario \"alice-to-bob\" has 43 steps, so a predict item's step is 0 to 42"),
        ("[[item]]\nkind = \"short\"\nprompt = \"P\"\nanswer = [\"/(4xx/\"]\n", "9:10: bad regular expression /(4xx/: found open group without closing ')': write a regular expression between slashes, e.g. \"/4(xx|\\\\d\\\\d)/\" (in TOML a backslash is written twice), or the answer itself without slashes"),
    ];
    for (item, want) in cases {
        assert_eq!(errors(&format!("{head}{item}")), [*want], "{item}");
    }
    // A misspelt scenario, and `[[activity]]` for `[activity]`.
    let typo = "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bobb\"\n[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"m\"\n";
    assert_eq!(errors(typo), ["4:12: unknown scenario \"alice-to-bobb\": expected a built-in scenario id (mailsim run --list shows them), e.g. alice-to-bob, or a scenario file name ending in .toml: did you mean `alice-to-bob`?"]);
    let twice = "[[activity]]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"m\"\n";
    let e = errors(twice);
    assert!(e[0].ends_with("write `[activity]` (one pair of brackets), once, at the top of the file"), "{e:?}");
}

/// qa10's activities, written as an instructor would with the lecture open: a misspelt
/// command in a task's check passed (`verb = "SELCT"` could never be typed and answered), and
/// `explanation` (for `explain`) got no suggestion.
#[test]
fn a_verb_the_protocol_does_not_have_and_a_long_misspelt_key() {
    let text = r#"[activity]
id = "t"
title = "T"
scenario = "imap-session"

[[item]]
kind = "task"
prompt = "Select a mailbox by hand."
check = { kind = "typed", verb = "SELCT", protocol = "IMAP" }

[[item]]
kind = "task"
prompt = "Get a 5xx for a command after HELO."
check = { kind = "reply", code = "5xx", verb = "RCTP", protocol = "SMTP" }

[[item]]
kind = "task"
prompt = "Read a message over POP3 by hand."
check = { kind = "typed", verb = "retr", protocol = "POP3" }

[[item]]
kind = "task"
prompt = "End IDLE."
check = { kind = "typed", verb = "done", protocol = "IMAP" }

[[item]]
kind = "choice"
prompt = "P"
choices = ["a", "b"]
answer = [0]
explanation = "x"
"#;
    assert_eq!(
        errors(text),
        [
            r#"9:9: in check: `verb` is "SELCT", which is not an IMAP command, so the task could never be done: expected a command such as CAPABILITY: did you mean `SELECT`?"#,
            r#"14:9: in check: `verb` is "RCTP", which is not an SMTP command, so the task could never be done: expected a command such as MAIL: did you mean `RCPT`?"#,
            r#"31:1: unknown field `explanation`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`: did you mean `explain`?"#,
        ]
    );
}
