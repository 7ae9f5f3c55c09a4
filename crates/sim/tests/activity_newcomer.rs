//! An instructor's first activity file, written from docs/activities.md alone: the slips a
//! newcomer makes in a task's check get a located message that says what to write instead,
//! and a check that no learner could ever satisfy is an error, not a task that never ends.

use mailsim_sim::activity::{self, LocatedError};

fn errors(text: &str) -> Vec<String> {
    match activity::parse("t.toml", text) {
        Ok(a) => panic!("parsed: {a:?}"),
        Err(e) => e.iter().map(|e: &LocatedError| format!("{}:{}: {}", e.line, e.column, e.message)).collect(),
    }
}

fn task(check: &str) -> String {
    format!("[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n\n[[item]]\nkind = \"task\"\nprompt = \"P\"\ncheck = {check}\n")
}

#[test]
fn a_check_word_without_quotes_says_to_quote_it() {
    assert_eq!(
        errors(&task(r#"{ kind = "reply", code = 550, protocol = "SMTP" }"#)),
        ["9:9: in check: invalid type: integer `550`, expected a string: write it in quotes, e.g. `code = \"550\"`"]
    );
    assert_eq!(
        errors(&task(r#"{ kind = "typed", verb = 3, protocol = "SMTP" }"#)),
        ["9:9: in check: invalid type: integer `3`, expected a string: write it in quotes, e.g. `verb = \"RCPT\"`"]
    );
}

#[test]
fn a_reply_code_of_another_protocol_is_an_error() {
    assert_eq!(
        errors(&task(r#"{ kind = "reply", code = "OK", protocol = "SMTP" }"#)),
        ["9:9: in check: `code` is \"OK\", which an SMTP server never answers, so the task could never be done: expected a three-digit code or class such as 250, 5xx, 55x"]
    );
    assert_eq!(
        errors(&task(r#"{ kind = "reply", code = "-ERR", protocol = "IMAP" }"#)),
        ["9:9: in check: `code` is \"-ERR\", which an IMAP server never answers, so the task could never be done: expected OK, NO or BAD (the tagged status)"]
    );
    assert_eq!(
        errors(&task(r#"{ kind = "reply", code = "550", protocol = "POP3", verb = "RETR" }"#)),
        ["9:9: in check: `code` is \"550\", which a POP3 server never answers, so the task could never be done: expected +OK or -ERR"]
    );
    // Each protocol's own forms, and any form without a protocol, are fine.
    for check in [
        r#"{ kind = "reply", code = "5xx", protocol = "SMTP" }"#,
        r#"{ kind = "reply", code = "-ERR", protocol = "POP3" }"#,
        r#"{ kind = "reply", code = "NO", protocol = "IMAP" }"#,
        r#"{ kind = "reply", code = "NO" }"#,
    ] {
        activity::parse("t.toml", &task(check)).unwrap_or_else(|e| panic!("{check}: {e:?}"));
    }
}

/// A predict item whose prompt tells of the message it asks for (`step = 1` with "the client
/// sent EHLO", where step 1 is after the greeting and EHLO is what comes next): the warning
/// names that message and says the step is probably one too early.
#[test]
fn a_predict_prompt_that_tells_its_answer_names_the_message_after_the_step() {
    let text = "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n\n[[item]]\nkind = \"predict\"\nstep = 1\nprompt = \"The client sent EHLO. What code comes back?\"\n";
    let a = activity::parse("t.toml", text).expect("a valid file");
    let found: Vec<String> = activity::leaks(&a, &a.baseline()).iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        ["item 1 (line 6): its answer \"EHLO\" is written in its own prompt (the message it asks for, after step 1, is \"EHLO laptop.alice.example\": a prompt that tells of it as sent asks one step too early), which the learner reads before answering it"]
    );
}

/// A pasted or uploaded activity has no folder to read a scenario file from: the error says
/// that only built-in scenarios work there, and how to use the file, not that it is missing
/// (it may well be beside the activity on the course site; `?activity=` fetches it).
#[test]
fn a_scenario_file_where_none_is_read_says_built_in_only() {
    let text = "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"lab.toml\"\n\n[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\n";
    assert_eq!(
        errors(text),
        ["4:12: scenario file \"lab.toml\": a pasted or uploaded activity has no folder to read it from: expected a built-in scenario id, e.g. alice-to-bob, or put both files beside the page and open ?activity=FILE (`mailsim activity check` reads the folder too)"]
    );
    // Where the file is read (the command line), it is used.
    let lab =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/greylisting.toml")).unwrap();
    let a = activity::parse_with("t.toml", text, &|name| (name == "lab.toml").then(|| lab.clone())).expect("parsed");
    assert_eq!(a.items.len(), 1);
}
