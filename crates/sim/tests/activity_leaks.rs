//! No built-in activity gives an answer away: an item's answer (a predict item's next
//! message, a short item's accepted answer, a choice item's right option) is not written in
//! what the learner reads before answering it (the intro, the earlier items and what they
//! revealed, the diagram up to its step).

use mailsim_sim::activity;

#[test]
fn no_builtin_activity_gives_an_answer_away() {
    let mut all = vec![];
    for a in activity::builtin() {
        for l in activity::leaks(&a, &a.baseline()) {
            all.push(format!("{}: {l}", a.file));
        }
    }
    assert!(all.is_empty(), "{} answers given away:\n{}", all.len(), all.join("\n"));
}

const LEAKY: &str = r#"
[activity]
id = "leaky"
title = "POP3"
scenario = "pop3-session"
intro = "Bob logs in, RETRs message 1, DELEs it with `DELE 1` and quits."

[[item]]
kind = "predict"
step = 9
prompt = "Bob has read message 1. What does he type next?"
explain = "DELE marks it, in the maildrop that PASS opened."

[[item]]
kind = "predict"
step = 3
prompt = "The server took his user name. What does he type next?"

[[item]]
kind = "choice"
step = 0
prompt = "Which port?"
choices = ["110", "25"]
answer = [0]

[[item]]
kind = "short"
prompt = "Which command lists the messages?"
answer = ["LIST"]
"#;

#[test]
fn answers_written_before_their_item_are_found() {
    let a = activity::parse("leaky.toml", LEAKY).expect("parses");
    let found: Vec<String> = activity::leaks(&a, &a.baseline()).iter().map(ToString::to_string).collect();
    let has = |s: &str| found.iter().any(|f| f.contains(s));
    // The intro names the next command (the known pop3-session case).
    assert!(has("item 1 (line 8): its answer \"DELE\" is written in the intro"), "{found:#?}");
    // An earlier item's explanation, and the scenario's own explanation of the message at the
    // step (the details panel: "... and waits for PASS").
    assert!(has("item 2 (line 14): its answer \"PASS\" is written in item 1's explanation"), "{found:#?}");
    assert!(has(
        "item 2 (line 14): its answer \"PASS\" is written in the details panel's explanation of the message at step 3"
    ));
    // Not: a choice answer (110) nowhere written; a short answer (LIST) nowhere before it.
    assert!(!has("item 3") && !has("item 4"), "{found:#?}");
    // The same file with the intro and the explanation rewritten has no leak left but the
    // details panel's, which a predict item at step 3 cannot avoid.
    let fixed = LEAKY
        .replace("RETRs message 1, DELEs it with `DELE 1` and quits", "reads and deletes a message")
        .replace("DELE marks it, in the maildrop that PASS opened.", "It marks it.");
    let a = activity::parse("fixed.toml", &fixed).expect("parses");
    let left: Vec<String> = activity::leaks(&a, &a.baseline()).iter().map(|l| l.place.clone()).collect();
    assert_eq!(left, ["the details panel's explanation of the message at step 3"]);
}

#[test]
fn the_scenarios_title_is_read_before_every_item() {
    // starttls-auth is titled "Submission with STARTTLS and AUTH": the intro and the panels
    // name the scenario by it.
    let text = r#"
[activity]
id = "titled"
title = "Ports"
scenario = "starttls-auth"

[[item]]
kind = "short"
prompt = "Which extension encrypts the connection?"
answer = ["STARTTLS"]

[[item]]
kind = "short"
prompt = "Which port is for submission?"
answer = ["587"]
"#;
    let a = activity::parse("titled.toml", text).expect("parses");
    let found: Vec<String> = activity::leaks(&a, &a.baseline()).iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        ["item 1 (line 7): its answer \"STARTTLS\" is written in the scenario's title, which the learner reads before answering it"]
    );
}
