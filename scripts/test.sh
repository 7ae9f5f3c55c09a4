#!/usr/bin/env bash
# README command 2 (and .ci/run): install what testing needs, then run every test:
#   1. native unit, engine, golden and determinism tests (cargo test)
#   2. the simulation in wasm32 in headless Chromium (wasm-bindgen-test), against the
#      native golden log
#   3. the release build with wasm-opt, and its gzipped size (budget: tests/e2e/bundle-size.mjs)
#   4. browser end-to-end tests on that build (playwright-core + Debian's Chromium; Firefox ESR
#      and WebKitGTK for tests/e2e/engines.test.mjs)
#   first rustfmt and clippy (warnings are errors); and, before the build, real clients (smtplib, poplib, curl) against `mailsim serve`
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
start=$(date +%s)
step() { printf '\n\033[1m== %s\033[0m (at %ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "format and lints (rustfmt.toml; clippy with warnings as errors)"
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps -q -p mailsim-proto -p mailsim-sim -p mailsim-cli
# The log, diagram and export model builds without the engines (the page's split, docs/benchmarks.md).
cargo clippy --locked -p mailsim-sim --no-default-features --features model -- -D warnings
# The player build of the page (without `full`: no activities, no live view; src/main.rs).
cargo clippy --locked -p mailsim-web --no-default-features --bin mailsim-web -- -D warnings

step "native tests: codecs, engines, world, golden logs, determinism, cli"
cargo test --locked -p mailsim-proto -p mailsim-sim -p mailsim-cli -p mailsim-web -p mailsim-engine-wasm
# The measurements are #[ignore]d (measurements, not timed assertions); run them here too, in
# debug, so everything they time still runs to its end: the engine time per command
# (bench_engine.rs), a delivery's cost with 2,000 IMAP sessions logged in (host.rs) and the live view's cost per frame on a generated 1,000-message serve log.
cargo test --locked -p mailsim-proto --test bench_engine -- --ignored
cargo test --locked -p mailsim-sim --test host -- --ignored deliveries_cost
live_log=$(mktemp)
node --input-type=module -e "import fs from 'node:fs'; import { makeLog } from './bench/gen-log.mjs'; fs.writeFileSync(process.argv[1], makeLog(1000));" "$live_log"
LIVE_LOG=$live_log cargo test --locked -p mailsim-web --bin mailsim-web live_timing -- --ignored
rm -f "$live_log"

step "wasm32 tests in headless Chromium (same golden log as native)"
CHROMEDRIVER=$(command -v chromedriver) \
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p mailsim-sim --target wasm32-unknown-unknown --test wasm

step "real clients against mailsim serve: Python smtplib, poplib, imaplib, curl; msmtp, swaks, mbsync, offlineimap, fetchmail, getmail over TLS"
cargo build --locked -p mailsim-cli
python3 -m unittest discover -s tests/interop -v

step "release build (trunk, wasm-opt -Oz)"
scripts/release-wasm.sh trunk build --release --offline
node tests/e2e/bundle-size.mjs

step "browser end-to-end tests"
node --test --test-reporter=spec tests/e2e/

echo
echo "all tests passed in $(( $(date +%s) - start ))s (after installs)"
