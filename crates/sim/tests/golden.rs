//! Golden event logs and determinism, natively. `BLESS=1 cargo test -p mailsim-sim` rewrites
//! the golden files after an intended change (review the diff before committing it).
#![cfg(not(target_arch = "wasm32"))]

#[allow(unused_imports)]
use mailsim_proto as _;
use mailsim_sim::log::Event;
use mailsim_sim::{diagram, scenario, EventLog};

fn golden_path(id: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{id}.jsonl"))
}

fn scenarios_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

/// The names (without extension) of the files in `dir` that end in `.ext`, sorted.
fn stems(dir: &std::path::Path, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(&format!(".{ext}")).map(str::to_string)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_scenario_file_matches_its_golden_log() {
    let files = stems(&scenarios_dir(), "toml");
    assert_eq!(
        files,
        stems(&golden_path("x").with_file_name(""), "jsonl"),
        "a golden log per scenario file and vice versa"
    );
    let mut compiled: Vec<String> =
        scenario::FILES.iter().map(|(name, _)| name.trim_end_matches(".toml").to_string()).collect();
    compiled.sort();
    assert_eq!(files, compiled, "every file in scenarios/ is compiled in (scenario/builtin.rs)");
    assert_eq!(scenario::SCENARIOS.len(), files.len(), "every built-in file loads");
    for id in &files {
        let name = format!("{id}.toml");
        let text = std::fs::read_to_string(scenarios_dir().join(&name)).unwrap();
        let s = scenario::load(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&s.id, id, "{name}: the id is the file's name");
        let got = s.run().to_jsonl();
        let path = golden_path(id);
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", path.display()));
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "{id}: line {} differs from the golden log", i + 1);
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{id}: length differs from the golden log");
        assert_eq!(got, want, "{id}: byte for byte");
    }
}

/// The wasm32 test (tests/wasm.rs, run in a browser by scripts/test.sh only) lists every golden
/// log: checked here too, so that a new scenario is caught by the native suite.
#[test]
fn the_wasm_test_lists_every_golden_log() {
    let wasm = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wasm.rs")).unwrap();
    for id in stems(&scenarios_dir(), "toml") {
        assert!(
            wasm.contains(&format!("(\"{id}\", include_str!(\"golden/{id}.jsonl\"))")),
            "tests/wasm.rs does not list {id}"
        );
    }
}

#[test]
fn running_twice_gives_identical_logs() {
    for s in scenario::SCENARIOS.iter() {
        assert_eq!(scenario::run(&s.id).unwrap(), scenario::run(&s.id).unwrap(), "{}", s.id);
    }
}

#[test]
fn logs_round_trip_through_json() {
    for s in scenario::SCENARIOS.iter() {
        let log = scenario::run(&s.id).unwrap();
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
    let ports: Vec<u16> = log
        .events
        .iter()
        .filter_map(|e| if let Event::MessageSent { port, .. } = e { Some(*port) } else { None })
        .collect();
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
    let stored = log
        .events
        .iter()
        .find_map(|e| {
            if let Event::MessageStored { raw, mailbox, .. } = e {
                Some((mailbox.clone(), raw.clone()))
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(stored.0, "bob@bob.example");
    let text = String::from_utf8(stored.1).unwrap();
    assert!(text.starts_with("Return-Path: <alice@alice.example>\r\nReceived: from mail.alice.example ([192.0.2.25])\r\n\tby mail.bob.example with ESMTP"), "{text}");
    assert_eq!(text.matches("Received: ").count(), 2, "one Received: per hop");
    for field in [
        "Date: Mon, 14 Sep 2026 09:00:00 +0000",
        "From: Alice <alice@alice.example>",
        "To: Bob <bob@bob.example>",
        "Subject: ",
        "Message-ID: <",
    ] {
        assert!(text.contains(field), "{field}");
    }
    assert!(text.contains("\r\n.NET meetup"), "dot-stuffing undone on arrival");
    // On the wire, the line starting with "." was doubled, in SMTP and in POP3.
    let raw_with_body: Vec<&Vec<u8>> = log
        .events
        .iter()
        .filter_map(|e| if let Event::MessageSent { raw, .. } = e { Some(raw) } else { None })
        .filter(|r| r.windows(5).any(|w| w == b"..NET"))
        .collect();
    assert_eq!(raw_with_body.len(), 3, "submission, relay and RETR all stuff the dot");

    // The mailbox holds the message from its arrival until the step of QUIT, not before.
    let mailbox_len = |step| {
        diagram::snapshot(&log, 0, d.events_at_step(step))
            .mailboxes
            .iter()
            .find(|m| m.address == "bob@bob.example")
            .unwrap()
            .messages
            .len()
    };
    let step_of =
        |first: &str| d.arrows.iter().find(|a| a.label.starts_with(first) && a.protocol == "POP3").unwrap().step;
    let (dele, quit) = (step_of("DELE"), step_of("QUIT"));
    assert_eq!(mailbox_len(dele), 1, "DELE only marks");
    assert_eq!(mailbox_len(quit - 1), 1);
    assert_eq!(mailbox_len(quit), 0, "removed in the UPDATE state at QUIT");
    assert_eq!(mailbox_len(0), 0);
    // The outgoing queue holds it between submission and relay.
    let queue_len = |step| {
        diagram::snapshot(&log, 0, d.events_at_step(step))
            .queues
            .iter()
            .find(|q| q.server == "alice-server")
            .unwrap()
            .entries
            .len()
    };
    assert_eq!(queue_len(9), 0);
    assert_eq!(queue_len(10), 1, "queued when the message arrived");
    assert_eq!(queue_len(25), 1, "still queued while the message is on its way");
    assert_eq!(queue_len(26), 0, "removed when Bob's server took responsibility with its 250 (RFC 5321 §6.1)");
}

fn stored(log: &EventLog, mailbox: &str) -> Vec<String> {
    log.events
        .iter()
        .filter_map(|e| match e {
            Event::MessageStored { mailbox: m, raw, .. } if m == mailbox => {
                Some(String::from_utf8_lossy(raw).into_owned())
            }
            _ => None,
        })
        .collect()
}

fn replies(log: &EventLog) -> Vec<String> {
    log.events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { raw, protocol, .. } = e {
                (protocol != "DNS").then(|| String::from_utf8_lossy(raw).into_owned())
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn cc_and_bcc_every_envelope_recipient_gets_it_but_bcc_is_in_no_header() {
    let log = scenario::run("cc-and-bcc").unwrap();
    let wire = replies(&log);
    assert_eq!(wire.iter().filter(|l| l.starts_with("RCPT TO:<dave@bob.example>")).count(), 2, "submission and relay");
    for who in ["bob@bob.example", "carol@bob.example", "dave@bob.example"] {
        let m = stored(&log, who);
        assert_eq!(m.len(), 1, "{who}");
        assert!(m[0].contains("To: Bob <bob@bob.example>\r\nCc: Carol <carol@bob.example>\r\n"));
        assert!(
            !m[0].to_ascii_lowercase().contains("bcc") && !m[0].contains("Dave"),
            "no trace of the Bcc in the header"
        );
    }
}

#[test]
fn unknown_user_bounces_with_a_dsn_to_alice() {
    let log = scenario::run("unknown-user").unwrap();
    let bounce = stored(&log, "alice@alice.example");
    assert_eq!(bounce.len(), 1);
    let b = &bounce[0];
    assert!(b.starts_with("Return-Path: <>\r\n"), "a bounce has the null sender");
    assert!(b.contains("Content-Type: multipart/report; report-type=delivery-status;"));
    assert!(b.contains("Final-Recipient: rfc822; nobody@bob.example\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mail.bob.example\r\n"), "{b}");
    assert!(b.contains("Subject: Catch up this week?"), "the original header is returned");
    assert!(log.events.iter().any(
        |e| matches!(e, Event::MessageDownloaded { subject, .. } if subject == "Undelivered Mail Returned to Sender")
    ));
}

#[test]
fn greylisting_defers_then_delivers() {
    let log = scenario::run("greylisting").unwrap();
    let deferred: Vec<_> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageDeferred { reason, retry_at, t, .. } = e {
                Some((*t, *retry_at, reason.clone()))
            } else {
                None
            }
        })
        .collect();
    assert_eq!(deferred.len(), 1);
    assert!(deferred[0].2.contains("450 4.2.0"));
    assert_eq!(deferred[0].1 - deferred[0].0, 5 * 60_000, "the first retry comes after 5 minutes");
    assert_eq!(stored(&log, "bob@bob.example").len(), 1, "delivered exactly once");
}

#[test]
fn server_down_syn_times_out_and_the_retry_delivers_once() {
    let log = scenario::run("server-down").unwrap();
    assert!(log.events.iter().any(|e| matches!(e, Event::MessageSent { protocol, raw, .. } if protocol == "TCP" && raw.len() == 20 && raw[13] == 0x02)));
    assert!(log
        .events
        .iter()
        .any(|e| matches!(e, Event::MessageDeferred { reason, .. } if reason.contains("Connection timed out"))));
    assert_eq!(stored(&log, "bob@bob.example").len(), 1);
}

#[test]
fn too_big_is_refused_at_mail_from_before_any_data() {
    let log = scenario::run("too-big").unwrap();
    let wire = replies(&log);
    let refusal = wire.iter().position(|l| l.starts_with("552 5.3.4")).expect("552 at MAIL FROM");
    assert!(wire[refusal - 1].starts_with("MAIL FROM:<alice@alice.example> SIZE="));
    assert!(!wire[refusal..].iter().any(|l| l.starts_with("DATA")), "no DATA after the refusal");
    assert!(stored(&log, "alice@alice.example")[0].contains("Status: 5.3.4"));
}

#[test]
fn relay_is_denied_and_spoofing_gets_through() {
    let log = scenario::run("relay-denied").unwrap();
    assert!(replies(&log).iter().any(|l| l.starts_with("554 5.7.1 <carol@carol.example>: Relay access denied")));
    let log = scenario::run("spoofed-from").unwrap();
    let m = &stored(&log, "bob@bob.example")[0];
    assert!(m.starts_with("Return-Path: <mallory@mallory.example>\r\n"));
    assert!(m.contains("\r\nFrom: Alice <alice@alice.example>\r\n"), "the header claims Alice");
}

#[test]
fn starttls_marks_everything_after_its_220_as_encrypted() {
    for (id, encrypted_from) in [("starttls-auth", 5), ("implicit-tls", 0)] {
        let log = scenario::run(id).unwrap();
        let submission: Vec<(bool, String)> = log
            .events
            .iter()
            .filter_map(|e| {
                if let Event::MessageSent { tls, raw, port, .. } = e {
                    (*port != 25 && *port != 53 && *port != 110)
                        .then(|| (*tls, String::from_utf8_lossy(raw).into_owned()))
                } else {
                    None
                }
            })
            .collect();
        assert!(submission[..encrypted_from].iter().all(|(tls, _)| !tls), "{id}");
        assert!(submission[encrypted_from..].iter().all(|(tls, _)| *tls), "{id}: {submission:?}");
        assert!(submission.iter().any(|(_, l)| l.starts_with("AUTH PLAIN ")), "{id}");
        let m = &stored(&log, "bob@bob.example")[0];
        assert!(m.contains("with ESMTPSA id"), "{id}: TLS + AUTH in the Received: line (RFC 3848)");
    }
    let log = scenario::run("auth-failure").unwrap();
    assert!(replies(&log).iter().any(|l| l.starts_with("535 5.7.8")));
    assert!(!log.events.iter().any(|e| matches!(e, Event::MessageQueued { .. })), "nothing is sent");
}

#[test]
fn routing_two_hops_null_mx_and_no_mx() {
    let log = scenario::run("two-hops").unwrap();
    let m = &stored(&log, "bob@bob.example")[0];
    assert_eq!(m.matches("\r\nReceived: ").count() + usize::from(m.starts_with("Received: ")), 3, "{m}");
    assert!(m.contains("by relay.alice.example"));
    let log = scenario::run("null-mx").unwrap();
    assert!(
        !log.events.iter().any(|e| matches!(e, Event::ConnectionOpened { port: 25, .. })),
        "no connection is tried"
    );
    assert!(stored(&log, "alice@alice.example")[0].contains("Status: 5.1.10"));
    let log = scenario::run("no-mx").unwrap();
    assert!(log
        .events
        .iter()
        .any(|e| matches!(e, Event::MessageSent { label, .. } if label == "query A old.example?")));
    assert_eq!(stored(&log, "olga@old.example").len(), 1);
}

#[test]
fn pipelining_sends_the_group_before_any_reply() {
    let log = scenario::run("pipelining").unwrap();
    let relay: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { port: 25, raw, .. } = e {
                Some(String::from_utf8_lossy(raw).split(' ').next().unwrap_or("").to_string())
            } else {
                None
            }
        })
        .collect();
    let mail = relay.iter().position(|l| l == "MAIL").unwrap();
    assert_eq!(&relay[mail..mail + 8], ["MAIL", "RCPT", "RCPT", "DATA\r\n", "250", "250", "250", "354"]);
}

#[test]
fn no_mail_is_lost_or_duplicated_in_any_scenario() {
    for s in scenario::SCENARIOS.iter() {
        let log = scenario::run(&s.id).unwrap();
        // Every queued entry is finished with, and no mailbox gets the same message twice.
        let queued = log.events.iter().filter(|e| matches!(e, Event::MessageQueued { .. })).count();
        let removed = log.events.iter().filter(|e| matches!(e, Event::QueueEntryRemoved { .. })).count();
        assert_eq!(queued, removed, "{}: every queue entry ends", s.id);
        let mut seen = std::collections::BTreeSet::new();
        // A duplicate is allowed only where a crash swallowed a 250 (crash-before-250: RFC
        // 5321 §6.1, at-least-once), one per such loss.
        let mut lost_250 = log
            .events
            .iter()
            .filter(
                |e| matches!(e, Event::MessageDeferred { reason, .. } if reason.contains("may be sent more than once")),
            )
            .count();
        for e in &log.events {
            if let Event::MessageStored { mailbox, raw, uid, .. } = e {
                // A message without a Message-ID (the lecture's examples) is known by its UID.
                let id = mailsim_proto::message::header(raw, "Message-ID").unwrap_or_else(|| format!("uid {uid}"));
                if !seen.insert((mailbox.clone(), id)) {
                    assert!(lost_250 > 0, "{}: duplicate delivery to {mailbox}", s.id);
                    lost_250 -= 1;
                }
            }
        }
    }
}

#[test]
fn attachment_travels_as_mime_and_arrives_intact() {
    let log = scenario::run("attachment").unwrap();
    let m = &stored(&log, "bob@bob.example")[0];
    assert!(m.contains("Content-Type: multipart/mixed; boundary="));
    assert!(
        m.contains("Content-Disposition: attachment; filename=\"hike.png\"\r\nContent-Transfer-Encoding: base64\r\n")
    );
    let i = mailsim_proto::message::inspect(m.as_bytes());
    let png = i.parts.iter().find(|p| p.content_type == "image/png").unwrap();
    assert_eq!(png.size, 67, "the decoded picture has its 67 bytes");
    assert!(i.parts.iter().any(|p| p.content_type == "text/html"));
    // Every line on the wire stays within SMTP's 1000-octet limit: that is what base64 is for.
    for e in &log.events {
        if let Event::MessageSent { raw, protocol, .. } = e {
            if protocol != "DNS" && protocol != "TCP" {
                assert!(raw.split(|&b| b == b'\n').all(|l| l.len() <= 1000));
            }
        }
    }
}

#[test]
fn every_reply_code_of_the_lectures_table_is_reachable_and_explained() {
    let table = [
        211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 432, 450, 451, 452, 454, 455, 500, 501, 502, 503, 504,
        521, 523, 530, 534, 535, 554, 556,
    ];
    let mut seen = std::collections::BTreeMap::new();
    for s in scenario::SCENARIOS.iter() {
        for e in scenario::run(&s.id).unwrap().events {
            if let Event::MessageSent { protocol, raw, meaning, rfc, .. } = e {
                if protocol == "SMTP"
                    && raw.len() >= 4
                    && raw[..3].iter().all(u8::is_ascii_digit)
                    && matches!(raw[3], b' ' | b'-' | b'\r')
                {
                    let code: u16 = std::str::from_utf8(&raw[..3]).unwrap().parse().unwrap();
                    seen.entry(code).or_insert((s.id.as_str(), meaning, rfc));
                }
            }
        }
    }
    for code in table {
        let (id, meaning, rfc) = seen.get(&code).unwrap_or_else(|| panic!("no scenario shows reply code {code}"));
        assert!(rfc.starts_with("RFC "), "{code} in {id}: {rfc}");
        assert!(meaning.len() > 30, "{code} in {id} is explained: {meaning}");
    }
}

#[test]
fn the_forwarded_copy_expires_and_bounces_with_4_4_7() {
    let log = scenario::run("reply-codes").unwrap();
    let bounces = stored(&log, "alice@alice.example");
    assert_eq!(bounces.len(), 1);
    assert!(
        bounces[0].contains("Final-Recipient: rfc822; olga@old.example\r\nAction: failed\r\nStatus: 4.4.7\r\n"),
        "{}",
        bounces[0]
    );
}

#[test]
fn envelope_and_header_side_by_side() {
    let log = scenario::run("spoofed-from").unwrap();
    let data = log
        .events
        .iter()
        .position(|e| matches!(e, Event::MessageSent { label, .. } if label.starts_with("message (")))
        .unwrap();
    let (from, rcpts) = diagram::envelope(&log, data).unwrap();
    assert_eq!((from.as_str(), rcpts), ("mallory@mallory.example", vec!["bob@bob.example".to_string()]));
    let log = scenario::run("cc-and-bcc").unwrap();
    let data = log
        .events
        .iter()
        .rposition(|e| matches!(e, Event::MessageSent { label, .. } if label.starts_with("message (")))
        .unwrap();
    assert_eq!(diagram::envelope(&log, data).unwrap().1, ["bob@bob.example", "carol@bob.example", "dave@bob.example"]);
    let log = scenario::run("pipelining").unwrap();
    let data = log
        .events
        .iter()
        .rposition(|e| matches!(e, Event::MessageSent { label, .. } if label.starts_with("message (")))
        .unwrap();
    assert_eq!(diagram::envelope(&log, data).unwrap().1.len(), 2, "pipelined replies pair with their commands");
}

#[test]
fn the_lectures_imap_session() {
    let log = scenario::run("imap-session").unwrap();
    let raws: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { raw, port: 143, .. } = e {
                Some(String::from_utf8_lossy(raw).into_owned())
            } else {
                None
            }
        })
        .collect();
    let cmds: Vec<&str> = raws
        .iter()
        .filter(|r| r.starts_with('a') || r.starts_with("babc"))
        .map(|r| r.trim_end())
        .filter(|r| !r.contains(" OK "))
        .collect();
    assert_eq!(
        cmds,
        [
            "a000 starttls",
            "a001 AUTHENTICATE SCRAM-SHA-256",
            "babc ENABLE IMAP4rev2",
            "a002 select inbox",
            "a003 fetch 12 full",
            "a004 fetch 12 body[header]",
            "a005 store 12 +flags \\deleted",
            "a006 logout"
        ]
    );
    let all = raws.concat();
    assert!(all.contains("* 18 EXISTS\r\n"));
    assert!(
        // RFC 9051 §8's "17-Jul-1996 02:44:25 -0700", in UTC: after the Date: (QA F4).
        all.contains("* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\" RFC822.SIZE "),
        "{all}"
    );
    assert!(all.contains("ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev2 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))"));
    assert!(all.contains("((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "));
    assert!(all.contains("* 12 FETCH (FLAGS (\\Deleted \\Seen))\r\na005 OK +FLAGS completed"));
    // Everything after the STARTTLS OK is encrypted on the wire.
    let tls: Vec<bool> = log
        .events
        .iter()
        .filter_map(|e| if let Event::MessageSent { tls, port: 143, .. } = e { Some(*tls) } else { None })
        .collect();
    assert!(!tls[2] && tls[3..].iter().all(|t| *t));
    // The flag change reached the store and the mailbox view.
    let d = diagram::Diagram::from_log(&log);
    let snap = diagram::snapshot(&log, 0, d.events_at_step(d.arrows.len()));
    let bob = snap.mailboxes.iter().find(|m| m.address == "bob@bob.example").unwrap();
    assert_eq!(bob.messages.len(), 18);
    assert_eq!(bob.messages[11].flags, ["\\Deleted", "\\Seen"]);
}

fn wire(log: &EventLog, port: u16) -> Vec<(String, String)> {
    log.events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { raw, port: p, to, .. } = e {
                (*p == port).then(|| (to.clone(), String::from_utf8_lossy(raw).into_owned()))
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn pop3_lecture_session_deletes_at_quit() {
    let log = scenario::run("pop3-session").unwrap();
    let w = wire(&log, 110);
    let retr = w.iter().find(|(_, r)| r.starts_with("+OK 152 octets")).unwrap();
    assert!(
        retr.1.contains("\r\nSome data\r\n..A line that starts with a .\r\n... Another one\r\n.\r\n"),
        "byte-stuffed: {}",
        retr.1
    );
    let quit =
        log.events.iter().position(|e| matches!(e, Event::MessageSent { raw, .. } if raw == b"quit\r\n")).unwrap();
    let deleted = log.events.iter().position(|e| matches!(e, Event::MessageDeleted { .. })).unwrap();
    assert!(deleted > quit, "the message is removed only after QUIT");
}

#[test]
fn two_devices_pop3_empties_and_imap_idle_hears_the_seen_flag() {
    let log = scenario::run("two-devices").unwrap();
    let pop = wire(&log, 110);
    assert!(
        pop.iter().any(|(to, r)| to == "bob-phone" && r.starts_with("+OK bob's maildrop has 0 messages")),
        "the phone finds nothing over POP3"
    );
    let imap = wire(&log, 143);
    let pushed = imap
        .iter()
        // The phone (IMAP4rev1, first to select) holds the message as \Recent (RFC 3501 §2.3.2).
        .position(|(to, r)| to == "bob-phone" && r == "* 1 FETCH (FLAGS (\\Recent \\Seen))\r\n")
        .expect("the idling phone is told");
    let done = imap.iter().position(|(_, r)| r == "DONE\r\n").unwrap();
    assert!(pushed < done);
}

#[test]
fn headers_only_is_much_smaller_than_the_message() {
    let log = scenario::run("headers-only").unwrap();
    let top = wire(&log, 110).into_iter().find(|(_, r)| r.starts_with("+OK top of message follows")).unwrap().1;
    assert!(
        top.len() < 600
            && top.contains("Subject: Photo from the hike")
            && !top.contains("Content-Transfer-Encoding: base64"),
        "{top}"
    );
    let fetch = wire(&log, 143).into_iter().find(|(_, r)| r.contains("RFC822.SIZE")).unwrap().1;
    assert!(fetch.starts_with("* 1 FETCH (RFC822.SIZE 4648 BODY[HEADER] {"), "{fetch}");
    let flags = wire(&log, 143).into_iter().find(|(_, r)| r.starts_with("* 1 FETCH (FLAGS")).unwrap().1;
    assert!(flags.starts_with("* 1 FETCH (FLAGS (\\Recent))"), "PEEK left \\Seen unset: {flags}");
}

mod learner_actions {
    use super::*;
    use mailsim_sim::actions::{Action, Attachment, Fault, ReadMode, SubmitMode};

    fn compose(at: u64, subject: &str, read: ReadMode) -> Action {
        Action::Compose {
            at,
            sender: "alice".into(),
            to: "Bob <bob@bob.example>".into(),
            cc: String::new(),
            bcc: "carol@elsewhere.example".into(),
            subject: subject.into(),
            body: "<img src=x onerror=alert(1)>\n<script>alert(2)</script>\n".into(),
            attachment: Some(Attachment {
                filename: "notes.txt".into(),
                content_type: "text/plain".into(),
                base64: "aGVsbG8=".into(),
            }),
            submit: SubmitMode::Starttls587,
            read,
        }
    }

    #[test]
    fn a_composed_message_is_submitted_relayed_stored_and_read() {
        let log = scenario::run_with("playground", &[compose(1000, "<b>hi</b>", ReadMode::Imap)]).unwrap();
        let m = &stored(&log, "bob@bob.example")[0];
        assert!(m.contains("Subject: <b>hi</b>") && m.contains("filename=\"notes.txt\""));
        assert!(!m.contains("carol"), "Bcc is in no header");
        assert!(log
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"r4 fetch * body[]"))));
        assert!(log.events.iter().any(|e| matches!(e, Event::MessageSent { label, .. } if label == "STARTTLS")));
        assert_eq!(
            log,
            scenario::run_with("playground", &[compose(1000, "<b>hi</b>", ReadMode::Imap)]).unwrap(),
            "deterministic"
        );
        let stored = mailsim_sim::actions::to_toml(&[compose(1000, "x", ReadMode::Pop3Keep)]);
        assert_eq!(mailsim_sim::actions::from_toml(&stored), vec![compose(1000, "x", ReadMode::Pop3Keep)]);
    }

    #[test]
    fn download_and_keep_uses_uidl_to_fetch_only_new_mail() {
        let log = scenario::run_with(
            "playground",
            &[compose(1000, "first", ReadMode::Pop3Keep), compose(300_000, "second", ReadMode::Pop3Keep)],
        )
        .unwrap();
        let downloads: Vec<String> = log
            .events
            .iter()
            .filter_map(|e| if let Event::MessageDownloaded { subject, .. } = e { Some(subject.clone()) } else { None })
            .collect();
        assert_eq!(downloads, ["first", "second"], "the second session skips what the first downloaded");
        let cmds: Vec<String> = log
            .events
            .iter()
            .filter_map(|e| {
                if let Event::MessageSent { raw, port: 110, .. } = e {
                    Some(String::from_utf8_lossy(raw).into_owned())
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(cmds.iter().filter(|c| c.as_str() == "UIDL\r\n").count(), 2);
        assert_eq!(cmds.iter().filter(|c| c.starts_with("RETR ")).count(), 2, "one RETR per session: {cmds:?}");
        assert!(!cmds.iter().any(|c| c.starts_with("DELE")), "keep mode deletes nothing");
        assert_eq!(stored(&log, "bob@bob.example").len(), 2);
    }

    #[test]
    fn terminal_sessions_speak_smtp_pop3_and_imap() {
        let smtp = Action::Terminal {
            at: 0,
            client: "alice-ua".into(),
            host: "mail.bob.example".into(),
            port: 25,
            lines: [
                "EHLO me",
                "MAIL FROM:<a@alice.example>",
                "RCPT TO:<bob@bob.example>",
                "DATA",
                "Subject: typed",
                "",
                "by hand",
                ".",
                "QUIT",
            ]
            .map(String::from)
            .to_vec(),
        };
        let pop = Action::Terminal {
            at: 60_000,
            client: "bob-ua".into(),
            host: "mail.bob.example".into(),
            port: 110,
            lines: ["USER bob", "PASS bob-pw", "LIST", "QUIT"].map(String::from).to_vec(),
        };
        let imap = Action::Terminal {
            at: 120_000,
            client: "bob-ua".into(),
            host: "mail.bob.example".into(),
            port: 143,
            lines: ["a STARTTLS", "b LOGIN bob bob-pw", "c SELECT INBOX", "d LOGOUT"].map(String::from).to_vec(),
        };
        let log = scenario::run_with("playground", &[smtp, pop, imap]).unwrap();
        assert!(stored(&log, "bob@bob.example")[0].contains("Subject: typed\r\n\r\nby hand\r\n"));
        let raws: Vec<String> = log
            .events
            .iter()
            .filter_map(|e| {
                if let Event::MessageSent { raw, .. } = e {
                    Some(String::from_utf8_lossy(raw).into_owned())
                } else {
                    None
                }
            })
            .collect();
        assert!(raws.iter().any(|r| r.starts_with("+OK 1 message")));
        assert!(raws.iter().any(|r| r.contains("c OK [READ-WRITE] SELECT completed")));
    }

    #[test]
    fn a_typed_pop3_session_can_use_stls_and_apop() {
        let raws = |log: &mailsim_sim::log::EventLog| -> Vec<String> {
            log.events
                .iter()
                .filter_map(|e| {
                    if let Event::MessageSent { raw, .. } = e {
                        Some(String::from_utf8_lossy(raw).into_owned())
                    } else {
                        None
                    }
                })
                .collect()
        };
        let typed = |lines: &[&str]| Action::Terminal {
            at: 0,
            client: "bob-ua".into(),
            host: "mail.bob.example".into(),
            port: 110,
            lines: lines.iter().map(|l| l.to_string()).collect(),
        };
        // The greeting's timestamp is deterministic, so a first run tells what APOP must hash.
        let first = scenario::run_with("playground", &[typed(&["CAPA", "QUIT"])]).unwrap();
        let r = raws(&first);
        let greeting =
            r.iter().find(|r| r.starts_with("+OK mail.bob.example POP3 server ready <")).expect("an APOP greeting");
        let ts = &greeting[greeting.find('<').unwrap()..=greeting.find('>').unwrap()];
        assert!(
            r.iter().any(|r| r.starts_with("+OK Capability list follows") && r.contains("\r\nSTLS\r\n")),
            "STLS offered before TLS"
        );
        let digest = mailsim_proto::pop3::apop_digest(ts, "bob-pw");
        let log = scenario::run_with("playground", &[typed(&["STLS", &format!("APOP bob {digest}"), "STAT", "QUIT"])])
            .unwrap();
        let r = raws(&log);
        assert!(r.iter().any(|r| r.starts_with("+OK Begin TLS negotiation")), "{r:?}");
        assert!(r.iter().any(|r| r.starts_with("+OK") && r.contains("maildrop")), "APOP logs in: {r:?}");
        let bad =
            scenario::run_with("playground", &[typed(&["APOP bob 00000000000000000000000000000000", "QUIT"])]).unwrap();
        assert!(raws(&bad).iter().any(|r| r.starts_with("-ERR [AUTH]")));
    }

    #[test]
    fn faults_on_demand_change_what_happens() {
        let down = Action::Fault { at: 0, server: "bob-server".into(), fault: Fault::Down };
        let up = Action::Fault { at: 200_000, server: "bob-server".into(), fault: Fault::Up };
        let log = scenario::run_with("playground", &[down, compose(1000, "while down", ReadMode::None), up]).unwrap();
        assert!(log.events.iter().any(|e| matches!(e, Event::MessageDeferred { .. })));
        assert_eq!(stored(&log, "bob@bob.example").len(), 1, "delivered after the server came back");
        let full = Action::Fault { at: 0, server: "bob-server".into(), fault: Fault::MailboxFull };
        let log = scenario::run_with("playground", &[full, compose(1000, "full", ReadMode::None)]).unwrap();
        assert!(log
            .events
            .iter()
            .any(|e| matches!(e, Event::MessageSent { raw, .. } if raw == b"452 4.2.2 <bob@bob.example>: Mailbox full: no room for new mail, try again later\r\n")));
        let grey = Action::Fault { at: 0, server: "bob-server".into(), fault: Fault::GreylistOn };
        let log = scenario::run_with("alice-to-bob", &[grey]).unwrap();
        assert!(
            log.events.iter().any(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"450 4.2.0"))),
            "faults apply to any scenario"
        );
    }
}

#[test]
fn webmail_is_http_at_both_ends_and_smtp_in_the_middle() {
    let log = scenario::run("webmail").unwrap();
    let seq: Vec<(String, String, String)> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { from, to, protocol, .. } = e {
                Some((from.clone(), to.clone(), protocol.clone()))
            } else {
                None
            }
        })
        .collect();
    let proto_between = |a: &str, b: &str| {
        seq.iter()
            .filter(|(f, t, _)| (f == a && t == b) || (f == b && t == a))
            .map(|(_, _, p)| p.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(proto_between("alice-browser", "alice-web"), ["HTTP".to_string()].into());
    assert_eq!(proto_between("alice-web", "alice-server"), ["SMTP".to_string()].into());
    assert_eq!(
        proto_between("alice-server", "bob-server"),
        ["SMTP".to_string()].into(),
        "between providers: still SMTP"
    );
    assert_eq!(proto_between("bob-web", "bob-server"), ["IMAP".to_string()].into());
    assert_eq!(proto_between("bob-browser", "bob-web"), ["HTTP".to_string()].into());
    let raws: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { raw, port: 80, .. } = e {
                Some(String::from_utf8_lossy(raw).into_owned())
            } else {
                None
            }
        })
        .collect();
    assert!(raws.iter().any(|r| r.starts_with("HTTP/1.1 303 See Other\r\nLocation: /inbox\r\nSet-Cookie: session=")));
    assert!(
        raws.iter().any(|r| r.starts_with("GET /inbox HTTP/1.1\r\n") && r.contains("\r\nCookie: session=")),
        "the browser sends the cookie back"
    );
    let inbox = raws
        .iter()
        .find(|r| {
            r.starts_with("HTTP/1.1 200 OK")
                && r.contains("application/json")
                && r.contains("\"subject\": \"Lunch on Friday?\"")
        })
        .expect("the inbox as JSON");
    assert!(inbox.contains("\"from\": \"Alice <alice@alice.example>\""));
    assert!(raws.iter().any(|r| r.starts_with("HTTP/1.1 200 OK\r\nContent-Type: message/rfc822\r\n")));
}

#[test]
fn http10_uses_a_connection_per_object_and_http11_one() {
    let log = scenario::run("smtp-vs-http").unwrap();
    let opened: Vec<(u16, u64)> = log
        .events
        .iter()
        .filter_map(|e| if let Event::ConnectionOpened { port, t, .. } = e { Some((*port, *t)) } else { None })
        .collect();
    assert_eq!(opened.iter().filter(|(p, t)| *p == 80 && *t < 10_000).count(), 3, "HTTP/1.0: three connections");
    assert_eq!(
        opened.iter().filter(|(p, t)| *p == 80 && *t >= 10_000).count(),
        1,
        "HTTP/1.1: one persistent connection"
    );
    assert_eq!(opened.iter().filter(|(p, _)| *p == 25).count(), 1, "SMTP: three messages, one connection");
    assert_eq!(stored(&log, "bob@bob.example").len(), 3);
}

#[test]
fn webmail_routes_answer_403_404_405_and_redirect_without_a_session() {
    use mailsim_proto::http::HttpMessage;
    use mailsim_sim::world::{Site, Task, UserSpec, World};
    let mut w = World::new("routes", 1, scenario::EPOCH);
    let b = w.add_user_agent(
        UserSpec {
            id: "b",
            name: "Browser",
            host: "pc.example",
            ip: [10, 0, 0, 1],
            address: "bob@bob.example",
            password: "",
        },
        "s",
    );
    w.add_web_server(
        "web",
        "Webmail",
        "webmail.bob.example",
        [10, 0, 0, 2],
        Site::Webmail { mail_server: "s".into(), sessions: vec![] },
    );
    w.add_mail_server("s", "Server", "mail.bob.example", [10, 0, 0, 3], "bob.example", &[("bob@bob.example", "pw")]);
    let get = |p: &str| HttpMessage::request("GET", p, "HTTP/1.1", &[("Host", "webmail.bob.example")], b"");
    let post = |p: &str, body: &str| {
        HttpMessage::request(
            "POST",
            p,
            "HTTP/1.1",
            &[("Host", "webmail.bob.example"), ("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
    };
    let requests = vec![get("/nope"), get("/login"), post("/login", "user=bob&password=wrong"), get("/inbox")];
    w.schedule(0, b, Task::Browse { server: "webmail.bob.example".into(), requests, per_object: false });
    let log = w.run();
    let statuses: Vec<String> = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { raw, .. } = e {
                raw.starts_with(b"HTTP/").then(|| String::from_utf8_lossy(&raw[9..12]).into_owned())
            } else {
                None
            }
        })
        .collect();
    // /inbox without a session is redirected to the login page, which the browser then GETs.
    assert_eq!(statuses, ["404", "405", "403", "303", "200"]);
    assert!(log.events.iter().any(|e| matches!(e, Event::MessageSent { raw, .. } if raw.starts_with(b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\n"))));
}

#[test]
fn organizing_mail_creates_searches_and_moves_on_the_server() {
    let log = scenario::run("organizing").unwrap();
    let all: String = log
        .events
        .iter()
        .filter_map(|e| {
            if let Event::MessageSent { raw, port: 143, .. } = e {
                Some(String::from_utf8_lossy(raw).into_owned())
            } else {
                None
            }
        })
        .collect();
    assert!(all.contains("* ESEARCH (TAG \"o5\") ALL 1,3,5\r\n"));
    assert!(all.contains("* 1 EXPUNGE\r\n* 2 EXPUNGE\r\n* 3 EXPUNGE\r\no6 OK MOVE completed"));
    assert!(all.contains("* STATUS Projects (MESSAGES 3 UNSEEN 3)"));
    let d = diagram::Diagram::from_log(&log);
    let snap = diagram::snapshot(&log, 0, d.events_at_step(d.arrows.len()));
    assert_eq!(
        snap.mailboxes.iter().find(|m| m.address == "bob@bob.example").unwrap().messages.len(),
        2,
        "three moved out of the INBOX"
    );
}
