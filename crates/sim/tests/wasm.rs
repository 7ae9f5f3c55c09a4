//! The same scenarios in wasm32, in a real browser (wasm-bindgen-test + headless Chromium):
//! each log must be identical to the native golden log, byte for byte, and identical twice.
#![cfg(target_arch = "wasm32")]

use mailsim_sim::scenario;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &[(&str, &str)] = &[
    ("alice-to-bob", include_str!("golden/alice-to-bob.jsonl")),
    ("attachment", include_str!("golden/attachment.jsonl")),
    ("auth-failure", include_str!("golden/auth-failure.jsonl")),
    ("cc-and-bcc", include_str!("golden/cc-and-bcc.jsonl")),
    ("class", include_str!("golden/class.jsonl")),
    ("crash-before-250", include_str!("golden/crash-before-250.jsonl")),
    ("dsn", include_str!("golden/dsn.jsonl")),
    ("greylisting", include_str!("golden/greylisting.jsonl")),
    ("headers-only", include_str!("golden/headers-only.jsonl")),
    ("imap-ports", include_str!("golden/imap-ports.jsonl")),
    ("imap-session", include_str!("golden/imap-session.jsonl")),
    ("implicit-tls", include_str!("golden/implicit-tls.jsonl")),
    ("no-mx", include_str!("golden/no-mx.jsonl")),
    ("null-mx", include_str!("golden/null-mx.jsonl")),
    ("organizing", include_str!("golden/organizing.jsonl")),
    ("pipelining", include_str!("golden/pipelining.jsonl")),
    ("playground", include_str!("golden/playground.jsonl")),
    ("pop3-ports", include_str!("golden/pop3-ports.jsonl")),
    ("pop3-session", include_str!("golden/pop3-session.jsonl")),
    ("relay-denied", include_str!("golden/relay-denied.jsonl")),
    ("reply-codes", include_str!("golden/reply-codes.jsonl")),
    ("server-down", include_str!("golden/server-down.jsonl")),
    ("port-blocked", include_str!("golden/port-blocked.jsonl")),
    ("server-shutdown", include_str!("golden/server-shutdown.jsonl")),
    ("smtp-vs-http", include_str!("golden/smtp-vs-http.jsonl")),
    ("spoofed-from", include_str!("golden/spoofed-from.jsonl")),
    ("starttls-auth", include_str!("golden/starttls-auth.jsonl")),
    ("too-big", include_str!("golden/too-big.jsonl")),
    ("too-many-recipients", include_str!("golden/too-many-recipients.jsonl")),
    ("two-devices", include_str!("golden/two-devices.jsonl")),
    ("two-hops", include_str!("golden/two-hops.jsonl")),
    ("unknown-user", include_str!("golden/unknown-user.jsonl")),
    ("webmail", include_str!("golden/webmail.jsonl")),
];

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &js_sys::Function, ms: i32) -> i32;
}

/// Lets the browser run its queued tasks: the test runner reads the page through WebDriver,
/// and a page busy for 20 s without a turn of its event loop (all scenarios in a debug build on
/// a loaded machine) makes the runner give up.
async fn next_task() {
    let turn = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, 0);
    });
    wasm_bindgen_futures::JsFuture::from(turn).await.expect("a timer resolves");
}

#[wasm_bindgen_test]
async fn every_scenario_matches_its_native_golden_log() {
    assert_eq!(GOLDEN.len(), scenario::SCENARIOS.len(), "a golden log per scenario");
    for (id, golden) in GOLDEN {
        next_task().await;
        let first = scenario::run(id).unwrap().to_jsonl();
        let second = scenario::run(id).unwrap().to_jsonl();
        assert_eq!(first, second, "{id}: deterministic in wasm32");
        assert_eq!(first, *golden, "{id}: wasm32 and native produce the same log");
    }
}
