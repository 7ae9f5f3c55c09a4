//! Activity files whose tables or values are not what the format takes: every key, every
//! type and every `check` kind gives its located message (worded as the files' first reader,
//! serde's derived deserializers, worded it), and every table's first mistake is reported.
//! The mistakes a checked file can still have (steps, answers, scenarios) are in
//! activity_errors.rs.

use mailsim_sim::activity::{self, check::Protocol, Check};

const HEAD: &str = "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n\n";
const DISCUSS: &str = "[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\n";

/// `line:column: message` for each error of `text`, without the advice that follows serde's
/// words (what to write instead: ": write ...", ": did you mean ...?"; activity_errors.rs
/// holds it).
fn errors(text: &str) -> Vec<String> {
    let words = |m: &str| -> String {
        let cut = [": write ", ": did you mean ", ": `[item]` makes"].iter().filter_map(|a| m.find(a)).min();
        m[..cut.unwrap_or(m.len())].to_string()
    };
    match activity::parse("t.toml", text) {
        Ok(a) => panic!("parsed: {a:?}\n{text}"),
        Err(e) => e.iter().map(|e| format!("{}:{}: {}", e.line, e.column, words(&e.message))).collect(),
    }
}

/// The file with one `[[item]]` (line 6) holding `body` (from line 7).
fn item(body: &str) -> String {
    format!("{HEAD}[[item]]\n{body}\n")
}

/// The file with one task item whose `check = ...` (line 9, column 9) is `check`.
fn task(check: &str) -> String {
    item(&format!("kind = \"task\"\nprompt = \"P\"\ncheck = {check}"))
}

/// The `[activity]` table with `line` instead of its line for the same key, then an item.
fn head_with(line: &str) -> String {
    let key = line.split(' ').next().unwrap();
    let mut head: String = HEAD
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(&format!("{key} ")))
        .map(|l| format!("{l}\n"))
        .collect();
    head.push_str(line);
    head.push_str("\n\n");
    format!("{head}{DISCUSS}")
}

#[test]
fn the_files_tables() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["1:1: missing field `activity`"]),
        (
            "colour = 1\n",
            &["1:1: unknown field `colour`, expected `activity` or `item`", "1:1: missing field `activity`"],
        ),
        ("activity = 5\n", &["1:12: invalid type: integer `5`, expected struct Head"]),
        ("activity = [1]\n", &["1:12: invalid type: sequence, expected struct Head"]),
        (DISCUSS, &["1:1: missing field `activity`"]),
        (
            "item = [1]\n[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n",
            &["1:9: invalid type: integer `1`, expected struct RawItem"],
        ),
        (
            "[activity]\nid = \"t\"\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n[item]\nkind = \"discuss\"\n",
            &["5:1: invalid type: map, expected a sequence"],
        ),
        ("[activity]\ntitle = \"T\"\nscenario = \"alice-to-bob\"\n", &["1:1: missing field `id`"]),
        ("[activity]\nid = \"t\"\ntitle = \"T\"\n", &["1:1: missing field `scenario`"]),
        ("[activity]\n", &["1:1: missing field `id`"]),
        ("\n# An activity.\n[activity]\nid = \"t\"\nscenario = \"alice-to-bob\"\n", &["3:1: missing field `title`"]),
        ("activity = { id = \"t\", scenario = \"alice-to-bob\" }\n", &["1:12: missing field `title`"]),
        // A wrong value is reported before a missing key, an unknown key before both.
        ("[activity]\nid = 3\n", &["2:6: invalid type: integer `3`, expected a string"]),
        (
            "[activity]\nid = 3\nzz = 1\n",
            &["3:1: unknown field `zz`, expected one of `id`, `title`, `scenario`, `intro`, `goals`"],
        ),
        // The first unknown key in the file's order.
        (
            "[activity]\nzz = 1\nid = \"t\"\naa = 1\n",
            &["2:1: unknown field `zz`, expected one of `id`, `title`, `scenario`, `intro`, `goals`"],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(errors(text), *want, "{text}");
    }
}

#[test]
fn values_of_the_wrong_type() {
    let heads: &[(&str, &str)] = &[
        ("id = 3", "4:6: invalid type: integer `3`, expected a string"),
        ("id = 0xff", "4:6: invalid type: integer `255`, expected a string"),
        ("id = true", "4:6: invalid type: boolean `true`, expected a string"),
        ("id = 1.5", "4:6: invalid type: floating point `1.5`, expected a string"),
        ("id = inf", "4:6: invalid type: floating point `inf`, expected a string"),
        ("id = 2026-01-01", "4:6: invalid type: date-time `2026-01-01`, expected a string"),
        ("id = 2026-01-01T09:00:00Z", "4:6: invalid type: date-time `2026-01-01T09:00:00Z`, expected a string"),
        ("id = [\"a\"]", "4:6: invalid type: sequence, expected a string"),
        ("id = { a = 1 }", "4:6: invalid type: map, expected a string"),
        ("title = 3", "4:9: invalid type: integer `3`, expected a string"),
        ("intro = 3", "5:9: invalid type: integer `3`, expected a string"),
        ("goals = \"x\"", "5:9: invalid type: string \"x\", expected a sequence"),
        ("goals = [\"a\", 2]", "5:15: invalid type: integer `2`, expected a string"),
    ];
    for (line, want) in heads {
        assert_eq!(errors(&head_with(line)), [*want], "{line}");
    }
    let items: &[(&str, &str)] = &[
        ("kind = 5\nprompt = \"P\"", "7:8: invalid type: integer `5`, expected a string"),
        ("kind = \"discuss\"\nstep = \"x\"", "8:8: invalid type: string \"x\", expected i64"),
        ("kind = \"discuss\"\nstep = 1e3", "8:8: invalid type: floating point `1e3`, expected i64"),
        ("kind = \"discuss\"\nstep = -0.0", "8:8: invalid type: floating point `-0.0`, expected i64"),
        ("kind = \"discuss\"\nstep = true", "8:8: invalid type: boolean `true`, expected i64"),
        ("kind = \"discuss\"\nstep = 07:32:00", "8:8: invalid type: date-time `07:32:00`, expected i64"),
        (
            "kind = \"discuss\"\nstep = 18446744073709551615",
            "8:8: invalid value: integer `18446744073709551615`, expected i64",
        ),
        (
            "kind = \"discuss\"\nstep = 99999999999999999999",
            "8:8: invalid type: integer `99999999999999999999` as i128, expected i64",
        ),
        ("kind = \"discuss\"\nprompt = [\"a\"]", "8:10: invalid type: sequence, expected a string"),
        ("kind = \"choice\"\nprompt = \"P\"\nchoices = \"a\"", "9:11: invalid type: string \"a\", expected a sequence"),
        (
            "kind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", { x = 1 }]",
            "9:17: invalid type: map, expected a string",
        ),
        ("kind = \"discuss\"\nprompt = \"P\"\nexplain = 1", "9:11: invalid type: integer `1`, expected a string"),
        ("kind = \"discuss\"\nprompt = \"P\"\nhint = 1", "9:8: invalid type: integer `1`, expected a string"),
        ("kind = \"discuss\"\nprompt = \"P\"\nmodel = 1", "9:9: invalid type: integer `1`, expected a string"),
        (
            "kind = \"discuss\"\nprompt = \"P\\t\"\nstep = \"a\\\"b\"",
            "9:8: invalid type: string \"a\\\"b\", expected i64",
        ),
    ];
    for (body, want) in items {
        assert_eq!(errors(&item(body)), [*want], "{body}");
    }
}

#[test]
fn keys_of_an_item() {
    let cases: &[(&str, &str)] = &[
        ("prompt = \"P\"", "6:1: missing field `kind`"),
        ("model = \"M\"", "6:1: missing field `kind`"),
        ("kind = \"discuss\"\nmodel = \"M\"", "6:1: missing field `prompt`"),
        (
            "kind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\n\"col our\" = 1",
            "10:1: unknown field `col our`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`",
        ),
        (
            "kind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\nfoo.bar = 1",
            "10:1: unknown field `foo`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`",
        ),
        (
            "kind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\n[item.extra]\nx = 1",
            "10:7: unknown field `extra`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`",
        ),
        (
            "kind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [99999999999999999999]",
            "10:10: answer index 99999999999999999999 is out of range: there are 2 choices, numbered 0 to 1",
        ),
        (
            "kind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = 4294967296",
            "10:10: answer index 4294967296 is out of range: there are 2 choices, numbered 0 to 1",
        ),
    ];
    for (body, want) in cases {
        assert_eq!(errors(&item(body)), [*want], "{body}");
    }
}

#[test]
fn checks() {
    let kinds = "one of `forged-from`, `reply`, `kept-after-pop3`, `told-of-new-mail`, `typed-message-delivered`, `copy-delivered`, `delivered-after-outage`, `connections`, `typed`";
    let protocols = "one of `SMTP`, `smtp`, `POP3`, `pop3`, `IMAP`, `imap`, `HTTP`, `http`";
    let cases: &[(&str, String)] = &[
        ("\"x\"", "invalid type: string \"x\", expected internally tagged enum Check".into()),
        ("[1]", "invalid type: sequence, expected internally tagged enum Check".into()),
        ("{}", "missing field `kind`".into()),
        ("{ mailbox = \"bob@bob.example\" }", "missing field `kind`".into()),
        ("{ kind = 5 }", "invalid type: integer `5`, expected variant identifier in `kind`".into()),
        ("{ kind = 2026-01-01 }", "invalid type: date-time `2026-01-01`, expected variant identifier in `kind`".into()),
        ("{ kind = \"\" }", format!("unknown variant ``, expected {kinds} in `kind`")),
        ("{ kind = \"typed\" }", "missing field `verb`".into()),
        ("{ kind = \"typed\", verb = \"QUIT\" }", "missing field `protocol`".into()),
        ("{ kind = \"reply\" }", "missing field `code`".into()),
        ("{ kind = \"forged-from\" }", "missing field `mailbox`".into()),
        ("{ kind = \"copy-delivered\", mailbox = \"bob@bob.example\" }", "missing field `copy`".into()),
        ("{ kind = \"connections\", client = \"bob-ua\", protocol = \"POP3\" }", "missing field `at_least`".into()),
        (
            "{ kind = \"forged-from\", mailbox = \"bob@bob.example\", x = 1 }",
            "unknown field `x`, expected `mailbox`".into(),
        ),
        (
            "{ kind = \"reply\", code = \"250\", x = 1 }",
            "unknown field `x`, expected one of `code`, `verb`, `protocol`, `port`".into(),
        ),
        // The first unknown key in the file's order.
        (
            "{ mailbox = \"bob@bob.example\", y = 2, kind = \"kept-after-pop3\", x = 1 }",
            "unknown field `y`, expected `mailbox`".into(),
        ),
        ("{ kind = \"forged-from\", mailbox = 1 }", "invalid type: integer `1`, expected a string".into()),
        (
            "{ kind = \"forged-from\", mailbox = 2026-01-01 }",
            "invalid type: date-time `2026-01-01`, expected a string".into(),
        ),
        ("{ kind = \"reply\", code = 250 }", "invalid type: integer `250`, expected a string".into()),
        ("{ kind = \"reply\", code = \"250\", verb = [] }", "invalid type: sequence, expected a string".into()),
        (
            "{ kind = \"typed\", verb = \"QUIT\", protocol = \"Smtp\" }",
            format!("unknown variant `Smtp`, expected {protocols}"),
        ),
        (
            "{ kind = \"typed\", verb = \"QUIT\", protocol = 5 }",
            "invalid type: integer `5`, expected string or map".into(),
        ),
        (
            "{ kind = \"typed\", verb = \"QUIT\", protocol = { SMTP = 1 } }",
            "invalid type: map, expected a string".into(),
        ),
        (
            "{ kind = \"copy-delivered\", mailbox = \"bob@bob.example\", copy = \"to\" }",
            "unknown variant `to`, expected `cc` or `bcc`".into(),
        ),
        (
            "{ kind = \"copy-delivered\", mailbox = \"bob@bob.example\", copy = true }",
            "invalid type: boolean `true`, expected string or map".into(),
        ),
        (
            "{ kind = \"connections\", client = \"bob-ua\", protocol = \"POP3\", at_least = -1 }",
            "invalid value: integer `-1`, expected u32".into(),
        ),
        (
            "{ kind = \"connections\", client = \"bob-ua\", protocol = \"POP3\", at_least = 5000000000 }",
            "invalid value: integer `5000000000`, expected u32".into(),
        ),
        (
            "{ kind = \"connections\", client = \"bob-ua\", protocol = \"POP3\", at_least = 99999999999999999999 }",
            "invalid type: integer `99999999999999999999` as i128, expected u32".into(),
        ),
        (
            "{ kind = \"connections\", client = \"bob-ua\", protocol = \"POP3\", at_least = \"2\" }",
            "invalid type: string \"2\", expected u32".into(),
        ),
        (
            "{ kind = \"connections\", client = \"bob-ua\", protocol = \"POP3\", at_least = 2.0 }",
            "invalid type: floating point `2.0`, expected u32".into(),
        ),
    ];
    for (check, want) in cases {
        assert_eq!(errors(&task(check)), [format!("9:9: in check: {want}")], "{check}");
    }
    // As a table of its own, the check is placed at its header.
    let text =
        format!("{HEAD}[[item]]\nkind = \"task\"\nprompt = \"P\"\n[item.check]\nkind = \"typed\"\nverb = \"QUIT\"\n");
    assert_eq!(errors(&text), ["9:1: in check: missing field `protocol`"]);
}

#[test]
fn protocols_are_named_in_upper_or_lower_case() {
    // A verb of that protocol (HTTP has methods: NOOP there could never be typed, qa10).
    for (name, protocol, verb) in [
        ("SMTP", Protocol::Smtp, "NOOP"),
        ("pop3", Protocol::Pop3, "NOOP"),
        ("imap", Protocol::Imap, "NOOP"),
        ("HTTP", Protocol::Http, "GET"),
    ] {
        let text = task(&format!("{{ kind = \"typed\", verb = \"{verb}\", protocol = \"{name}\" }}"));
        let a = activity::parse("t.toml", &text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a.items[0].check, Some(Check::Typed { verb: verb.into(), protocol }));
    }
    let text = task("{ kind = \"reply\", code = \"5xx\" }");
    let a = activity::parse("t.toml", &text).unwrap();
    assert_eq!(a.items[0].check, Some(Check::Reply { code: "5xx".into(), verb: None, protocol: None, port: None }));
}

#[test]
fn every_tables_first_mistake_is_reported() {
    // Two items, each with a mistake.
    let text = format!("{HEAD}[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\nx = 1\n[[item]]\nkind = \"discuss\"\nprompt = 5\nmodel = \"M\"\n");
    assert_eq!(
        errors(&text),
        [
            "10:1: unknown field `x`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`",
            "13:10: invalid type: integer `5`, expected a string",
        ]
    );
    // The [activity] table and an item.
    let text = "[activity]\nid = \"t\"\ntitle = 5\nscenario = \"alice-to-bob\"\n[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = \"M\"\nx = 1\n";
    assert_eq!(
        errors(text),
        [
            "3:9: invalid type: integer `5`, expected a string",
            "9:1: unknown field `x`, expected one of `kind`, `step`, `prompt`, `choices`, `answer`, `explain`, `hint`, `check`, `model`",
        ]
    );
    // An item that cannot be read, and one that can but is wrong: both are reported.
    let text = format!("{HEAD}[[item]]\nkind = \"choice\"\nprompt = \"P\"\nchoices = [\"a\", \"b\"]\nanswer = [7]\n[[item]]\nkind = \"discuss\"\nprompt = \"P\"\nmodel = 5\n");
    assert_eq!(
        errors(&text),
        [
            "10:10: answer index 7 is out of range: there are 2 choices, numbered 0 to 1",
            "14:9: invalid type: integer `5`, expected a string",
        ]
    );
    // An item with a mistake is no reason to say that the activity has none.
    assert_eq!(errors(&item("kind = 1\nprompt = \"P\"")), ["7:8: invalid type: integer `1`, expected a string"]);
    assert_eq!(errors(HEAD), ["1:1: the activity has no items: expected at least one [[item]] table"]);
}

#[test]
fn toml_syntax_errors_are_the_parsers() {
    assert_eq!(errors("[activity\n"), ["1:10: unclosed table, expected `]`"]);
    assert_eq!(errors("[activity]\nid = \"t\"\nid = \"u\"\n"), ["3:1: duplicate key"]);
    assert_eq!(errors("[activity]\nid = \"t\" x\n"), ["2:10: unexpected key or value, expected newline, `#`"]);
}

#[test]
fn built_in_activities_by_id() {
    assert_eq!(activity::builtin_by_id("webmail").map(|a| a.id), Some("webmail".to_string()));
    assert!(activity::builtin_by_id("nope").is_none());
    // The duplicate-id message points at `id`, wherever it is in the table.
    let a = format!("{HEAD}{DISCUSS}");
    let b = format!("[activity]\ntitle = \"B\"\nscenario = \"alice-to-bob\"\n  id   =   \"t\"\n\n{DISCUSS}");
    let e = activity::parse_all(&[("a.toml", &a), ("b.toml", &b)]).unwrap_err();
    assert_eq!(
        e[0].to_string(),
        "b.toml:4:12: duplicate activity id \"t\": a.toml already uses it; expected a unique id"
    );
}
