//! Golden event logs and determinism, natively. `BLESS=1 cargo test -p mailsim-sim` rewrites
//! the golden files after an intended change (review the diff before committing it).
#![cfg(not(target_arch = "wasm32"))]

use mailsim_sim::log::Event;
use mailsim_sim::{diagram, scenario, EventLog};

fn golden_path(id: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{id}.jsonl"))
}

#[test]
fn every_scenario_matches_its_golden_log() {
    for s in scenario::SCENARIOS {
        let got = scenario::run(s.id).unwrap().to_jsonl();
        let path = golden_path(s.id);
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", path.display()));
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "{}: line {} differs from the golden log", s.id, i + 1);
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{}: length differs from the golden log", s.id);
    }
}

#[test]
fn running_twice_gives_identical_logs() {
    for s in scenario::SCENARIOS {
        assert_eq!(scenario::run(s.id).unwrap(), scenario::run(s.id).unwrap(), "{}", s.id);
    }
}

#[test]
fn logs_round_trip_through_json() {
    for s in scenario::SCENARIOS {
        let log = scenario::run(s.id).unwrap();
        assert_eq!(EventLog::from_jsonl(&log.to_jsonl()).unwrap(), log);
    }
}

fn sent(log: &EventLog) -> Vec<(String, String, String, String)> {
    log.events
        .iter()
        .filter_map(|e| match e {
            Event::MessageSent { from, to, raw, protocol, .. } => {
                let first = String::from_utf8_lossy(raw).lines().next().unwrap_or("").to_string();
                Some((from.clone(), to.clone(), protocol.clone(), first))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn alice_to_bob_follows_the_lecture_walkthrough() {
    let log = scenario::run("alice-to-bob").unwrap();
    let msgs = sent(&log);
    let verbs: Vec<String> = msgs
        .iter()
        .map(|(_, _, p, first)| match p.as_str() {
            "DNS" => "DNS".to_string(),
            _ => first.split([' ', '-']).next().unwrap_or("").to_string(),
        })
        .collect();
    let expect = "220 EHLO 250 MAIL 250 RCPT 250 DATA 354 Date: 250 QUIT 221 \
                  DNS DNS \
                  220 EHLO 250 MAIL 250 RCPT 250 DATA 354 Received: 250 QUIT 221 \
                  +OK USER +OK PASS +OK STAT +OK LIST +OK RETR +OK DELE +OK QUIT +OK";
    assert_eq!(verbs.join(" "), expect);
    // Who talks to whom, on which port.
    let ports: Vec<u16> = log.events.iter().filter_map(|e| if let Event::MessageSent { port, .. } = e { Some(*port) } else { None }).collect();
    assert!(ports[..13].iter().all(|&p| p == 587) && ports[13..15].iter().all(|&p| p == 53));
    assert!(ports[15..28].iter().all(|&p| p == 25) && ports[28..].iter().all(|&p| p == 110));
    assert_eq!((msgs[0].0.as_str(), msgs[0].1.as_str()), ("alice-server", "alice-ua"));
    assert_eq!((msgs[13].0.as_str(), msgs[13].1.as_str()), ("alice-server", "dns"));
    assert_eq!((msgs[15].0.as_str(), msgs[15].1.as_str()), ("bob-server", "alice-server"));
    assert_eq!((msgs[28].0.as_str(), msgs[28].1.as_str()), ("bob-server", "bob-ua"));
}

#[test]
fn the_message_is_relayed_with_trace_fields_and_deleted_only_at_quit() {
    let log = scenario::run("alice-to-bob").unwrap();
    let d = diagram::Diagram::from_log(&log);
    let stored = log.events.iter().find_map(|e| if let Event::MessageStored { raw, mailbox, .. } = e { Some((mailbox.clone(), raw.clone())) } else { None }).unwrap();
    assert_eq!(stored.0, "bob@bob.example");
    let text = String::from_utf8(stored.1).unwrap();
    assert!(text.starts_with("Return-Path: <alice@alice.example>\r\nReceived: from mail.alice.example ([192.0.2.25])\r\n\tby mail.bob.example with ESMTP"), "{text}");
    assert_eq!(text.matches("Received: ").count(), 2, "one Received: per hop");
    for field in ["Date: Mon, 14 Sep 2026 09:00:00 +0000", "From: Alice <alice@alice.example>", "To: Bob <bob@bob.example>", "Subject: ", "Message-ID: <"] {
        assert!(text.contains(field), "{field}");
    }
    assert!(text.contains("\r\n.NET meetup"), "dot-stuffing undone on arrival");
    // On the wire, the line starting with "." was doubled, in SMTP and in POP3.
    let raw_with_body: Vec<&Vec<u8>> = log.events.iter().filter_map(|e| if let Event::MessageSent { raw, .. } = e { Some(raw) } else { None }).filter(|r| r.windows(5).any(|w| w == b"..NET")).collect();
    assert_eq!(raw_with_body.len(), 3, "submission, relay and RETR all stuff the dot");

    // The mailbox holds the message from its arrival until the step of QUIT, not before.
    let mailbox_len = |step| diagram::snapshot(&log, 0, d.events_at_step(step)).mailboxes.iter().find(|m| m.address == "bob@bob.example").unwrap().messages.len();
    let step_of = |first: &str| d.arrows.iter().find(|a| a.label.starts_with(first) && a.protocol == "POP3").unwrap().step;
    let (dele, quit) = (step_of("DELE"), step_of("QUIT"));
    assert_eq!(mailbox_len(dele), 1, "DELE only marks");
    assert_eq!(mailbox_len(quit - 1), 1);
    assert_eq!(mailbox_len(quit), 0, "removed in the UPDATE state at QUIT");
    assert_eq!(mailbox_len(0), 0);
    // The outgoing queue holds it between submission and relay.
    let queue_len = |step| diagram::snapshot(&log, 0, d.events_at_step(step)).queues.iter().find(|q| q.server == "alice-server").unwrap().entries.len();
    assert_eq!(queue_len(9), 0);
    assert_eq!(queue_len(10), 1, "queued when the message arrived");
    assert_eq!(queue_len(25), 1, "still queued while the message is on its way");
    assert_eq!(queue_len(26), 0, "removed when Bob's server took responsibility with its 250 (RFC 5321 §6.1)");
}
