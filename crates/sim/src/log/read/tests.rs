use super::*;

/// Both readers over one line: the typed one (the page's) and the one over `Value`.
fn both(line: &str) -> (Result<Line, String>, Result<Line, String>) {
    (super::line(line), value::line(line))
}

#[test]
fn fields_in_any_order_and_optional_ones_left_out() {
    let e = event(r#"{"t":3,"raw":"\u00ff.","to":"b","from":"a","protocol":"DNS","port":53,"label":"l","meaning":"m","rfc":"r","from_state":"x","to_state":"y","t_sent":1,"event":"message_sent","extra":0}"#).unwrap();
    assert_eq!(
        e,
        Event::MessageSent {
            t_sent: 1,
            t: 3,
            conn: None,
            from: "a".into(),
            to: "b".into(),
            protocol: "DNS".into(),
            port: 53,
            raw: vec![0xff, b'.'],
            label: "l".into(),
            meaning: "m".into(),
            rfc: "r".into(),
            from_state: "x".into(),
            to_state: "y".into(),
            tls: false,
        }
    );
    let a = event(r#"{"event":"actor_joined","actor":{"id":"i","name":"n","host":"h","ip":"1.2.3.4","kind":"ua"}}"#);
    assert!(matches!(a, Ok(Event::ActorJoined { actor }) if actor.mailboxes.is_empty() && actor.ip == "1.2.3.4"));
}

#[test]
fn what_is_refused_and_why() {
    let cases = [
        ("[1]", "an event is a JSON object"),
        (r#"{"t":1}"#, "missing field `event`"),
        (r#"{"event":"teleported"}"#, "unknown event `teleported`, expected one of actor_joined"),
        (r#"{"event":"message_deleted","t":1,"node":"n","mailbox":"m"}"#, "missing field `uid`"),
        (r#"{"event":"message_deleted","t":-1,"node":"n","mailbox":"m","uid":1}"#, "`t` must be a whole number"),
        (r#"{"event":"connection_refused","t":1,"client":"c","server":"s","port":65536}"#, "`port` must be"),
        (r#"{"event":"narrated","t":1.5,"actor":"a","text":"x"}"#, "`t` must be a whole number"),
        (r#"{"event":"narrated","t":1,"actor":2,"text":"x"}"#, "`actor` must be a string"),
        (r#"{"event":"flags_changed","t":1,"node":"n","mailbox":"m","uid":1,"flags":[1]}"#, "`flags` must be a list"),
        (
            r#"{"event":"message_stored","t":1,"node":"n","mailbox":"m","uid":1,"from":"f","subject":"s","raw":"Ā"}"#,
            "`raw`: a byte string",
        ),
        ("{", "EOF while parsing an object"),
    ];
    for (line, want) in cases {
        let got = event(line).unwrap_err();
        assert!(got.starts_with(want), "{line}: {got}");
        assert_eq!(Err(got), value::event(line), "{line}: the same error from both readers");
    }
}

/// Every line of `text` (a log) read by both readers: the same event, or the same error.
fn same_for_every_line(name: &str, text: &str) -> usize {
    let mut n = 0;
    for (i, l) in text.lines().enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty()) {
        let (typed, old) = both(l);
        assert!(typed.is_ok(), "{name}:{}: {typed:?}", i + 1);
        assert_eq!(typed, old, "{name}:{}", i + 1);
        n += 1;
    }
    n
}

/// The page's reader and the old one give equal logs on every golden log (every event
/// variant, 8-bit and binary DNS bytes) and on a `mailsim serve --log` file (owner records,
/// logins, STARTTLS, POP3, 8-bit mail). `serve-sample.jsonl` was written by `mailsim serve
/// --log` driven with Python's clients (tests/interop's `Serve`): submission with STARTTLS, AUTH
/// and an 8-bit latin-1 message, a relayed message to two users, IMAP with STARTTLS (LOGIN,
/// FETCH, STORE, EXPUNGE), a wrong and a right IMAP LOGIN, POP3 (USER/PASS, RETR, DELE).
#[test]
fn the_typed_reader_reads_every_golden_and_serve_log_as_the_value_reader() {
    let mut lines = 0;
    let logs = crate::log::golden_logs();
    assert!(logs.len() >= 30, "the golden logs are there: {}", logs.len());
    for (name, text) in &logs {
        lines += same_for_every_line(name, text);
    }
    assert!(lines > 12_000, "{lines} lines");
    let serve = include_str!("serve-sample.jsonl");
    let n = same_for_every_line("serve-sample.jsonl", serve);
    assert!(n > 100, "{n} lines in the serve sample");
    let typed: Vec<_> = serve.lines().skip(1).map(|l| super::line(l).unwrap()).collect();
    assert!(typed.iter().any(|l| matches!(l, Line::Owner { .. })), "the sample has owner records");
    assert!(
        typed.iter().any(|l| matches!(l, Line::Event(Event::MessageSent { tls: true, .. }))),
        "the sample has lines sent inside TLS"
    );
    assert!(
        typed.iter().any(|l| matches!(l, Line::Event(Event::MessageStored { raw, .. }) if !raw.is_ascii())),
        "the sample has 8-bit mail"
    );
}

/// Damaged lines are refused (or read) alike, with the same message: each sample line cut
/// short at every third character, and characters that JSON cares about put in place of
/// every third one.
#[test]
fn damaged_lines_are_refused_alike() {
    let mut samples: Vec<String> = Vec::new();
    for (_, text) in crate::log::golden_logs()
        .iter()
        .filter(|(n, _)| n.ends_with("no-mx.jsonl") || n.ends_with("pop3-session.jsonl"))
    {
        samples.extend(text.lines().skip(1).take(40).map(str::to_string));
    }
    samples.extend(include_str!("serve-sample.jsonl").lines().skip(1).take(40).map(str::to_string));
    assert!(samples.len() > 60);
    let swaps = ['"', '\\', '0', '9', '-', '{', '}', '[', ']', ',', ':', 'é', '\u{1}', ' ', 'n'];
    let mut checked = 0;
    for line in &samples {
        let chars: Vec<char> = line.chars().collect();
        for k in (0..chars.len()).step_by(3) {
            let cut: String = chars[..k].iter().collect();
            let (a, b) = both(&cut);
            assert_eq!(a, b, "cut: {cut}");
            let c = swaps[(k / 3) % swaps.len()];
            let swapped: String = chars.iter().enumerate().map(|(i, &x)| if i == k { c } else { x }).collect();
            let (a, b) = both(&swapped);
            assert_eq!(a, b, "swapped: {swapped}");
            checked += 2;
        }
    }
    assert!(checked > 20_000, "{checked} damaged lines");
}

/// Lines no log writes but a hand-edited one may hold: read or refused alike.
#[test]
fn unusual_lines_alike() {
    let deep = format!(
        r#"{{"event":"narrated","t":1,"actor":"a","text":"x","extra":{}{}}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let lines = [
        r#"{"event":"narrated","t":1,"actor":"\u0041\n\"q\"\ud83d\ude00","text":"x"}"#,
        r#"{"event":"narrated","t":1,"actor":"a","actor":"b","text":"x"}"#,
        r#"{"event":"narrated","t":-0,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":1.0,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":1e2,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":18446744073709551616,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":18446744073709551615,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":1,"actor":"\ud800","text":"x"}"#,
        "{\"event\":\"narrated\",\"t\":1,\"actor\":\"a\tb\",\"text\":\"x\"}",
        r#"{"ev\u0065nt":"narrated","t":1,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":null,"actor":"a","text":"x"}"#,
        r#"{"event":"message_sent","t_sent":1,"t":1,"conn":null,"from":"a","to":"b","protocol":"p","port":1,"raw":"r","label":"l","meaning":"m","rfc":"r","from_state":"x","to_state":"y","tls":null}"#,
        r#"{"event":"message_sent","t_sent":1,"t":1,"conn":"7","from":"a","to":"b","protocol":"p","port":1,"raw":"r","label":"l","meaning":"m","rfc":"r","from_state":"x","to_state":"y"}"#,
        r#"{"event":"actor_joined","actor":{"id":"i","name":"n","host":"h","ip":"1","kind":"k","mailboxes":null}}"#,
        r#"{"event":"actor_joined","actor":[1]}"#,
        r#"{"event":"owner","conn":3,"user":"u"}"#,
        r#"{"event":"owner","conn":3}"#,
        r#"{"event":"narrated","t":1,"actor":"a","text":"x"} x"#,
        r#"  {"event":"narrated","t":1,"actor":"a","text":"x"}  "#,
        "\"narrated\"",
        "null",
        "",
        &deep,
    ];
    for l in lines {
        let (a, b) = both(l);
        assert_eq!(a, b, "{l}");
    }
}
