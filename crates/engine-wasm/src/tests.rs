//! The module's calls against the engines called directly: same logs, same activities, same
//! grades; wrong input gives an error reply, never a panic.

use super::*;

fn repo(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn v(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Bob reads his mail over POP3 by hand in the playground.
fn typed_pop3() -> Vec<Action> {
    vec![Action::Terminal {
        at: 0,
        client: "bob-ua".into(),
        host: "mail.bob.example".into(),
        port: 110,
        lines: vec!["USER bob".into(), "PASS bob-pw".into(), "STAT".into(), "QUIT".into()],
    }]
}

#[test]
fn a_builtin_scenario_runs_to_its_golden_log() {
    let h = v(&scenario("alice-to-bob"));
    assert_eq!((h["key"].as_str(), h["id"].as_str()), (Some("alice-to-bob"), Some("alice-to-bob")));
    assert!(!h["title"].as_str().unwrap().is_empty());
    let golden = repo("crates/sim/tests/golden/alice-to-bob.jsonl");
    assert_eq!(run("alice-to-bob", "[]").trim_end(), golden.trim_end());
    assert_eq!(scenario("no-such"), "");
    assert_eq!(run("no-such", "[]"), "");
}

#[test]
fn learner_actions_cross_as_json_and_give_the_same_log() {
    let actions = typed_pop3();
    let json = actions::to_json(&actions).to_string();
    let direct = scenario::info_of("playground").unwrap().run_with(&actions).to_jsonl();
    assert_eq!(run("playground", &json), direct);
    assert!(direct.contains("STAT"), "the typed lines are in the log");
    assert_ne!(run("playground", &json), run("playground", "[]"));
    // Stored actions (TOML) come back as the same JSON.
    assert_eq!(v(&actions_from_toml(&actions::to_toml(&actions))), v(&json));
    assert_eq!(actions_from_toml("not toml ["), "[]");
}

#[test]
fn a_scenario_file_loads_runs_and_saves() {
    let text = repo("scenarios/alice-to-bob.toml");
    let h = v(&load_scenario("mine.toml", &text));
    let key = h["key"].as_str().unwrap().to_string();
    assert!(key.starts_with('#'), "{h}");
    assert_eq!(h["id"], "alice-to-bob");
    assert_eq!(run(&key, "[]"), run("alice-to-bob", "[]"));
    let second = v(&load_scenario("again.toml", &text));
    assert_ne!(second["key"].as_str(), Some(key.as_str()), "each file its own key");
    let saved = v(&save(&key, &actions::to_json(&typed_pop3()).to_string()));
    assert_eq!(saved["name"], "alice-to-bob.toml");
    let reloaded = scenario::load("s.toml", saved["text"].as_str().unwrap()).unwrap();
    assert_eq!(reloaded.run().to_jsonl(), run(&key, &actions::to_json(&typed_pop3()).to_string()));
    let bad = v(&load_scenario("bad.toml", "[scenario]\nid = 3\n"));
    assert!(bad["error"].as_str().unwrap().starts_with("bad.toml:"), "{bad}");
    assert_eq!(run("#99", "[]"), "");
    assert_eq!(run("#x", "[]"), "");
    assert!(v(&save("#99", "[]"))["error"].is_string());
}

#[test]
fn recipients_are_checked() {
    assert_eq!(check_recipients("bob@bob.example, carol@bob.example"), "");
    assert!(!check_recipients("bob@bob.example, not an address").is_empty());
}

#[test]
fn an_activity_parses_plays_and_grades_as_directly() {
    let name = "activities/smtp-phases.toml";
    let text = repo(name);
    let direct = activity::parse(name, &text).unwrap();
    let reply = v(&parse_activity(name, &text, ""));
    let a = Activity::from_json(&reply["activity"]).unwrap();
    assert_eq!(a, direct);
    let a_json = reply["activity"].to_string();
    assert_eq!(play(&a_json, "[]"), direct.baseline().to_jsonl());
    // Each item graded with its first choice (or a typed "250") as the engine grades it.
    let mut answers = vec![];
    for item in &a.items {
        let response = if item.choices.is_empty() { Response::Text("250".into()) } else { Response::Choices(vec![0]) };
        let f = v(&grade(&item.to_json().to_string(), &response.to_json().to_string()));
        let d = activity::grade(item, &response);
        assert_eq!((f["correct"].as_bool(), f["message"].as_str()), (Some(d.correct), Some(d.message.as_str())));
        answers.push(Some(Answered { response, correct: d.correct }));
    }
    assert!(answers.iter().flatten().any(|a| a.correct), "some first choice is right");
    let answers_json = serde_json::to_string(&answers).unwrap();
    let (right, graded) = activity::score(&direct, &answers);
    assert_eq!(v(&score(&a_json, &answers_json)), json!([right, graded]));
    assert_eq!(completion_code(&a_json, &answers_json), activity::completion_code(&direct, &answers));
    let errors = v(&parse_activity("x.toml", "[activity]\nid = \"x\"\n", ""));
    let e = &errors["errors"][0];
    assert_eq!((e["file"].as_str(), e["line"].as_u64().is_some()), (Some("x.toml"), true), "{errors}");
}

#[test]
fn a_task_is_checked_on_the_log_that_crossed() {
    let check = json!({ "kind": "reply", "code": "+OK", "verb": "STAT", "protocol": "POP3" }).to_string();
    let actions = actions::to_json(&typed_pop3()).to_string();
    let log = run("playground", &actions);
    let done = v(&check_task(&check, &log, &actions));
    assert_eq!(done["done"], true, "{done}");
    let not_yet = v(&check_task(&check, &run("playground", "[]"), "[]"));
    assert_eq!(not_yet["done"], false, "{not_yet}");
    assert!(!not_yet["detail"].as_str().unwrap().is_empty());
    assert!(v(&check_task("{}", &log, "[]"))["error"].is_string());
    assert!(v(&check_task(&check, "not a log", "[]"))["error"].is_string());
}

#[test]
fn built_in_activities_are_those_provided() {
    // Natively the files are compiled in: providing changes nothing, every one parses.
    provide_activity("activities/smtp-phases.toml", "ignored");
    let all = v(&builtin_activities());
    assert_eq!(all.as_array().unwrap().len(), activity::BUILTIN_NAMES.len());
    assert!(all.as_array().unwrap().iter().all(|a| Activity::from_json(a).is_some()));
}

#[test]
fn a_message_is_taken_apart() {
    let raw = b"From: a@x\r\nSubject: Hi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n";
    let t = v(&message_tree(raw));
    assert!(t["header"].as_array().unwrap().iter().any(|h| h[0] == "Subject" && h[1] == "Hi"), "{t}");
    let parts = t["parts"].as_array().unwrap();
    assert!(parts[0]["content_type"].as_str().unwrap().starts_with("multipart/mixed"), "{t}");
    assert!(parts.iter().any(|p| p["text"].as_str().is_some_and(|s| s.contains("hello"))), "{t}");
    assert!(v(&message_tree(b"\xff\x00garbage"))["parts"].is_array());
}

#[test]
fn wrong_input_is_an_error_reply() {
    for reply in [grade("{", "{}"), grade("{}", "{\"type\": \"text\", \"value\": \"x\"}"), score("[]", "[]")] {
        assert!(v(&reply)["error"].is_string(), "{reply}");
    }
    assert_eq!(play("{}", "[]"), "");
    assert_eq!(completion_code("nope", "[]"), "");
    assert_eq!(v(&parse_activity("e.toml", "\u{0}", "[]"))["errors"].as_array().map(|e| !e.is_empty()), Some(true));
}

/// `?activity=`: an activity that names a scenario file asks for it (`needs`), and with it
/// given beside, reads and plays on it; with no folder (pasted), it says to use a built-in id.
#[test]
fn an_activity_asks_for_its_scenario_file_and_plays_on_it() {
    let text = "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"lab.toml\"\n\n[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\n";
    let first = v(&parse_activity("t.toml", text, "[]"));
    assert_eq!(first["needs"], "lab.toml", "{first}");
    assert_eq!(first["errors"][0]["line"], 4);
    let pasted = v(&parse_activity("t.toml", text, ""));
    assert!(pasted.get("needs").is_none());
    assert!(pasted["errors"][0]["message"].as_str().unwrap().contains("no folder"), "{pasted}");
    let lab = repo("scenarios/greylisting.toml");
    let with = v(&parse_activity("t.toml", text, &json!([["lab.toml", lab]]).to_string()));
    let a = Activity::from_json(&with["activity"]).expect("parsed with its scenario file");
    assert_eq!(a.scenario_file.as_ref().map(|f| f.name.as_str()), Some("lab.toml"));
    assert!(play(&with["activity"].to_string(), "[]").contains("450"), "the greylisting scenario plays");
    // A scenario file with an error is located in it, and nothing more is asked for.
    let bad = v(&parse_activity("t.toml", text, &json!([["lab.toml", "[scenario]\nid = 3\n"]]).to_string()));
    assert!(bad.get("needs").is_none(), "{bad}");
    assert!(bad["errors"][0]["message"].as_str().unwrap().contains("the scenario file has an error"), "{bad}");
}
