//! The reader's rules, and the same results as the reader it replaced (`value`, over
//! `serde_json::Value`) on every golden log, a `mailsim serve --log` file and damaged lines.

use super::*;

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
        ("{", "not valid JSON at column 2"),
        (r#"{"event":"narrated","t":01,"actor":"a","text":"x"}"#, "not valid JSON at column 27"),
        (r#"{"event":"narrated","t":1,"actor":"a","text":"x"} x"#, "not valid JSON at column 51"),
        (r#"{"event":"narrated","t":1,"actor":"\ud800","text":"x"}"#, "not valid JSON at column 42"),
    ];
    for (line, want) in cases {
        let got = event(line).unwrap_err();
        assert!(got.starts_with(want), "{line}: {got}");
    }
}

/// Whether the two readers agree on `line`: both read it, to the same thing, or both refuse it.
fn agree(line: &str) -> Result<(), String> {
    match (super::line(line), value::line(line)) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        (a, b) => Err(format!("{line:?}:\n  new {a:?}\n  old {b:?}")),
    }
}

/// The event lines of the golden logs and of the serve log (header lines left out).
fn sample_logs() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut logs: Vec<(String, String)> =
        files.iter().map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap())).collect();
    logs.push(("serve-sample.jsonl".into(), include_str!("serve-sample.jsonl").to_string()));
    logs
}

#[test]
fn the_same_events_as_the_value_reader_on_every_golden_log_and_a_serve_log() {
    let (mut lines, mut owners, mut tls, mut binary) = (0, 0, 0, 0);
    for (name, text) in sample_logs() {
        for l in text.lines().skip(1) {
            let new = super::line(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}"));
            assert_eq!(new, value::line(l).unwrap(), "{name}: {l}");
            lines += 1;
            match new {
                Line::Owner { .. } => owners += 1,
                Line::Event(Event::MessageSent { tls: true, .. }) => tls += 1,
                Line::Event(Event::MessageSent { raw, .. } | Event::MessageStored { raw, .. })
                    if raw.iter().any(|b| *b >= 0x80 || *b < 0x20 && !b"\r\n\t".contains(b)) =>
                {
                    binary += 1
                }
                _ => {}
            }
        }
    }
    assert!(lines > 12_000, "{lines} lines");
    assert!(owners >= 4, "the serve log's owner records: {owners}");
    assert!(tls > 0 && binary > 0, "TLS {tls}, bytes beyond ASCII text {binary}");
}

/// Damaged lines: cut short anywhere, a character put in place of another, or written in
/// other (valid) JSON: both readers refuse the same ones and read the others alike.
#[test]
fn the_same_answers_on_damaged_and_unusual_lines() {
    let mut seen = 0;
    for (_, text) in sample_logs() {
        for l in text.lines().skip(1).step_by(97).take(6) {
            let chars: Vec<(usize, char)> = l.char_indices().collect();
            for (k, &(at, c)) in chars.iter().enumerate().step_by(3) {
                agree(&l[..at]).unwrap();
                for with in ['"', '\\', '1', '-', '}', ']', ',', ':', ' ', 'x', 'é', '\u{1}', '0', '.', 'e'] {
                    if with != c {
                        agree(&format!("{}{with}{}", &l[..at], &l[at + c.len_utf8()..])).unwrap();
                    }
                }
                if k % 30 == 0 {
                    agree(&format!("{}\\u00e9{}", &l[..at], &l[at + c.len_utf8()..])).unwrap();
                }
                seen += 1;
            }
        }
    }
    assert!(seen > 1000, "{seen}");
    let unusual = [
        r#" { "event" : "narrated" , "t" : 1 , "actor" : "a\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t" , "text" : "" } "#,
        r#"{"event":"narrated","t":1,"actor":"a","text":"x","t":2}"#,
        r#"{"event":"narrated","t":-0,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":1.0,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":1e2,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":18446744073709551615,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":18446744073709551616,"actor":"a","text":"x"}"#,
        r#"{"event":"narrated","t":1,"actor":"a","text":"x","extra":[{"a":[null,true,false,-1.5e-3]}]}"#,
        r#"{"even\u0074":"narrated","t":1,"actor":"a","text":"x"}"#,
        r#"{"event":"owner","conn":4294967295,"user":"u"}"#,
        r#"{"event":"owner","conn":4294967296,"user":"u"}"#,
        r#"{"event":"own\u0065r","conn":1,"user":"u"}"#,
        r#"{"event":"message_stored","t":1,"node":"n","mailbox":"m","uid":1,"from":"f","subject":"s","raw":"\u00ff\u0100"}"#,
        r#"{"event":"message_stored","t":1,"node":"n","mailbox":"m","uid":1,"from":"f","subject":"s","raw":"ÿ\u0000\r\n"}"#,
        r#"{"event":"message_sent","t_sent":1,"t":1,"conn":null,"from":"a","to":"b","protocol":"DNS","port":53,"raw":"","label":"l","meaning":"m","rfc":"r","from_state":"x","to_state":"y","tls":null}"#,
        r#"{"event":"narrated","t":1,"actor":"a","text":"\ud800x"}"#,
        r#"{"event":"narrated","t":1,"actor":"a","text":"\udc00"}"#,
        r#"{"event":"narrated","t":1,"actor":"a","text":"\ud800\u0041"}"#,
        "{\"event\":\"narrated\",\"t\":1,\"actor\":\"a\",\"text\":\"tab\there\"}",
        "{\"event\":\"narrated\",\"t\":1,\"actor\":\"a\",\"text\":\"x\"}\u{a0}",
        "",
        "null",
        "[]",
        "{}",
    ];
    for l in unusual {
        agree(l).unwrap();
    }
    let deep = format!("{{\"event\":\"narrated\",\"x\":{}1{}}}", "[".repeat(300), "]".repeat(300));
    assert!(super::line(&deep).unwrap_err().starts_with("nested deeper than 128"));
    agree(&deep).unwrap();
}

/// `cargo test --release -p mailsim-sim --lib reader_timing -- --ignored --nocapture`: the
/// two readers' time over every golden log and the serve log (a measurement, not a test).
#[test]
#[ignore = "a measurement: run with -- --ignored --nocapture"]
fn reader_timing() {
    let logs = sample_logs();
    let lines: Vec<&str> = logs.iter().flat_map(|(_, t)| t.lines().skip(1)).collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let time = |f: &dyn Fn(&str) -> bool| {
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..5 {
            n += lines.iter().filter(|l| f(l)).count();
        }
        assert_eq!(n, 5 * lines.len());
        t.elapsed() / 5
    };
    let old = time(&|l| value::line(l).is_ok());
    let new = time(&|l| super::line(l).is_ok());
    let old_json = time(&|l| serde_json::from_str::<serde_json::Value>(l).is_ok());
    let new_json = time(&|l| json::parse(l).is_ok());
    eprintln!(
        "{} lines, {:.1} MB: serde_json::Value {old:?} (JSON alone {old_json:?}), by hand {new:?} (JSON alone {new_json:?})",
        lines.len(),
        bytes as f64 / 1e6
    );
}
