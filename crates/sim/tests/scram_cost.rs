//! What SCRAM costs the world: Hi() (PBKDF2, 4,096 rounds of HMAC-SHA-256, RFC 5802 §2.2) is
//! nearly all of the world's CPU time, so how often it is computed is checked here.
//!
//! RFC 5802 §5: a real server keeps StoredKey and ServerKey per account (Hi() once, when the
//! password is set) and a client may keep SaltedPassword per (password, salt, iteration count).
//! In the world the server draws a new salt for every IMAP session (the salts are on the wire
//! and in the golden logs), so a client has no earlier SaltedPassword to reuse: each login costs
//! exactly one Hi(), the client's; the server finds the same value kept (`imap::scram`), as a
//! real server would have it stored.
#![cfg(not(target_arch = "wasm32"))]

use base64::Engine as _;
use mailsim_proto::imap::scram::hi_computed;
use mailsim_sim::log::Event;
use mailsim_sim::{scenario, EventLog};
use std::collections::BTreeSet;

/// SCRAM logins in a log (the client's AUTHENTICATE) and the salts the server sent.
fn logins_and_salts(log: &EventLog) -> (usize, BTreeSet<String>) {
    let mut logins = 0;
    let mut salts = BTreeSet::new();
    for e in &log.events {
        let Event::MessageSent { label, raw, .. } = e else { continue };
        if label.ends_with(" AUTHENTICATE SCRAM-SHA-256") {
            logins += 1;
        }
        // server-first, in a continuation: `+ base64("r=...,s=...,i=4096")`.
        if let Some(b64) = raw.strip_prefix(b"+ ") {
            let text = base64::engine::general_purpose::STANDARD
                .decode(b64.trim_ascii_end())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .unwrap_or_default();
            if let Some(s) = text.split(',').find_map(|p| p.strip_prefix("s=")) {
                salts.insert(s.to_string());
            }
        }
    }
    (logins, salts)
}

/// Runs `make` on a thread of its own (Hi()'s count and kept results are per thread).
fn counted(make: impl FnOnce() -> EventLog + Send + 'static) -> (EventLog, u64) {
    std::thread::spawn(move || {
        let before = hi_computed();
        let log = make();
        (log, hi_computed() - before)
    })
    .join()
    .unwrap()
}

#[test]
fn one_hi_per_scram_login_and_a_fresh_salt_each() {
    for id in ["imap-session", "two-devices", "webmail", "organizing", "headers-only"] {
        let (log, hi) = counted(move || scenario::run(id).unwrap());
        let (logins, salts) = logins_and_salts(&log);
        assert!(logins > 0, "{id}: logs in with SCRAM");
        assert_eq!(hi, logins as u64, "{id}: one Hi() per SCRAM login");
        assert_eq!(salts.len(), logins, "{id}: a salt per session");
    }
}

/// The benchmark's world (the class with 13 pairs, bench/diagram.mjs): 13 IMAP students, each
/// logs in once, each with a password of their own.
#[test]
fn the_class_computes_hi_once_per_student() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/class.toml")).unwrap();
    let text = text.replace("\nn = 100\n", "\nn = 13\n");
    let (log, hi) = counted(move || scenario::load("class.toml", &text).unwrap().run());
    let (logins, salts) = logins_and_salts(&log);
    assert_eq!(logins, 13);
    assert_eq!(salts.len(), 13);
    assert_eq!(hi, 13);
}

/// The page runs a scenario again at every learner action and at every replay (the same
/// seed, so the same salts): a second run in the same thread finds every login's Hi() kept
/// and computes none, and its log is the same, byte for byte.
#[test]
fn a_world_run_again_computes_no_hi() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/class.toml")).unwrap();
    let text = text.replace("\nn = 100\n", "\nn = 13\n");
    let (first, second, again) = std::thread::spawn(move || {
        let s = scenario::load("class.toml", &text).unwrap();
        let before = hi_computed();
        let first = s.run();
        let between = hi_computed();
        let second = s.run();
        (first, second, (between - before, hi_computed() - between))
    })
    .join()
    .unwrap();
    assert_eq!(again, (13, 0), "13 Hi() in the first run, none in the second");
    assert_eq!(first.to_jsonl(), second.to_jsonl());
    let (logins, _) = logins_and_salts(&second);
    assert_eq!(logins, 13);
}
