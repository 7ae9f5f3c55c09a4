//! The hand-written line writer against serde_json's derived one: equal bytes on every event
//! of every golden log and of the `mailsim serve --log` sample, and on strings and wire bytes
//! with every escape, at every position around the eight-byte steps.

use super::super::{Actor, Event, EventLog};

fn serde_line(e: &Event) -> Vec<u8> {
    serde_json::to_vec(e).unwrap()
}

fn our_line(e: &Event) -> Vec<u8> {
    let mut out = Vec::new();
    super::event(&mut out, e);
    out
}

fn same(e: &Event) {
    let (ours, theirs) = (our_line(e), serde_line(e));
    assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "{e:?}");
    assert_eq!(ours, theirs, "{e:?}");
}

fn logs() -> Vec<(String, String)> {
    let mut logs = crate::log::golden_logs();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/log/read/serve-sample.jsonl");
    logs.push((sample.display().to_string(), std::fs::read_to_string(&sample).unwrap()));
    logs
}

#[test]
fn every_event_of_every_golden_and_serve_log_is_written_as_serde_json_writes_it() {
    let logs = logs();
    assert!(logs.len() >= 31, "the golden logs are there: {}", logs.len());
    let mut events = 0;
    let mut variants = std::collections::BTreeSet::new();
    for (name, text) in &logs {
        let log = EventLog::from_jsonl(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for e in &log.events {
            same(e);
            let line = serde_line(e);
            variants
                .insert(String::from_utf8_lossy(&line[..line.iter().position(|&b| b == b',').unwrap()]).into_owned());
        }
        events += log.events.len();
        // The whole log as to_jsonl writes it against serde_json's lines.
        let mut want =
            serde_json::json!({ "scenario": log.scenario, "seed": log.seed, "epoch": log.epoch }).to_string();
        want.push('\n');
        for e in &log.events {
            want.push_str(&serde_json::to_string(e).unwrap());
            want.push('\n');
        }
        assert_eq!(log.to_jsonl(), want, "{name}");
    }
    assert!(events > 12_000, "{events} events");
    assert_eq!(variants.len(), 13, "every variant is written: {variants:?}");
}

/// Strings with every character that has an escape, and those that do not (DEL, U+2028,
/// U+2029, Latin-1, CJK, an emoji), each at every position from 0 to 19 in a string of up to
/// 27 bytes (so before, inside and after each eight-byte step), and wire bytes 0..=255 the same.
#[test]
fn every_escape_at_every_position_is_written_as_serde_json_writes_it() {
    let mut specials: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
    specials.extend(
        ["\u{7f}", "\u{80}", "\u{a0}", "é", "ÿ", "\u{2028}", "\u{2029}", "中", "😀", "\u{feff}"].map(String::from),
    );
    let mut cases = vec![String::new()];
    for s in &specials {
        for at in 0..20 {
            for tail in [0, 1, 7, 8] {
                cases.push(format!("{}{s}{}", "a".repeat(at), "b".repeat(tail)));
            }
        }
        cases.push(s.repeat(17));
    }
    cases.push(specials.concat());
    let mut raws: Vec<Vec<u8>> = vec![(0..=255u8).collect(), (0..=255u8).rev().collect(), Vec::new()];
    for b in 0..=255u8 {
        for at in [0, 3, 7, 8, 9, 15, 16] {
            let mut r = b"x".repeat(at);
            r.push(b);
            r.extend_from_slice(b"yyyyyyy\r\n");
            raws.push(r);
        }
    }
    for s in &cases {
        same(&Event::Narrated { t: 1, actor: s.clone(), text: format!("{s}\"{s}\\") });
        same(&Event::ActorJoined {
            actor: Actor {
                id: s.clone(),
                name: s.clone(),
                host: "h".into(),
                ip: s.clone(),
                kind: "ua".into(),
                mailboxes: vec![s.clone(), String::new()],
            },
        });
    }
    let sent = |raw: Vec<u8>, conn, tls| Event::MessageSent {
        t_sent: u64::MAX,
        t: 0,
        conn,
        from: "a".into(),
        to: "b".into(),
        protocol: "SMTP".into(),
        port: u16::MAX,
        raw,
        label: "l\u{2028}".into(),
        meaning: "m\"".into(),
        rfc: "RFC 5321 §4.1".into(),
        from_state: "x".into(),
        to_state: "y".into(),
        tls,
    };
    for (i, r) in raws.into_iter().enumerate() {
        same(&sent(r.clone(), (i % 2 == 0).then_some(u32::MAX), i % 3 == 0));
        same(&Event::MessageStored {
            t: 10,
            node: "n".into(),
            mailbox: "m".into(),
            uid: 0,
            from: "f".into(),
            subject: "s".into(),
            raw: r,
        });
    }
    same(&Event::MessageQueued {
        t: 0,
        node: "n".into(),
        queue_id: "q".into(),
        mail_from: String::new(),
        rcpt_to: vec![],
        size: usize::MAX,
        subject: "\u{0}".into(),
    });
    same(&Event::FlagsChanged { t: 1, node: "n".into(), mailbox: "m".into(), uid: 1, flags: vec![] });
}
