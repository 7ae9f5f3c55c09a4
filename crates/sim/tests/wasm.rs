//! The same scenarios in wasm32, in a real browser (wasm-bindgen-test + headless Chromium):
//! the log must be identical to the native golden log, byte for byte, and identical twice.
#![cfg(target_arch = "wasm32")]

use mailsim_sim::scenario;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn alice_to_bob_matches_the_native_golden_log() {
    let golden = include_str!("golden/alice-to-bob.jsonl");
    let first = scenario::run("alice-to-bob").unwrap().to_jsonl();
    let second = scenario::run("alice-to-bob").unwrap().to_jsonl();
    assert_eq!(first, second, "deterministic in wasm32");
    assert_eq!(first, golden, "wasm32 and native produce the same log");
}
