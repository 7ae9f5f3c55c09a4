#!/usr/bin/env bash
# The benchmark (a command, not a test): builds the page in release (Trunk, wasm-opt), then
# measures it in headless Chromium on loopback. Prints a table and writes bench/results.json;
# docs/benchmarks.md keeps the tables of past runs. BENCH_LOADS=N sets the page loads timed.
# `scripts/bench.sh serve`: `mailsim serve`'s throughput instead (bench/serve_bench.py).
# `scripts/bench.sh live [CLIENTS]`: the live view with CLIENTS (200) concurrent clients
# (tests/e2e/live-bench.mjs; writes bench/live-results.json).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = serve ]; then
  nice -n 19 cargo build --release --offline -p mailsim-cli
  # The bench itself is not niced: its figures are the server's (a niced server measures the machine's load).
  MAILSIM="$PWD/target/release/mailsim" exec python3 bench/serve_bench.py
fi
if [ "${1:-}" = live ]; then
  scripts/install.sh --test >/dev/null
  export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
  scripts/release-wasm.sh trunk build --release --offline
  uptime
  exec node tests/e2e/live-bench.mjs "${2:-200}"
fi
scripts/install.sh --test >/dev/null
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
scripts/release-wasm.sh trunk build --release --offline
# The native binary and the same work as the page's (examples/world_phases), for the world's
# wasm-against-native figures (bench/diagram.mjs).
cargo build --release --offline -p mailsim-cli
cargo build --release --offline -p mailsim-engine-wasm --example world_phases
node bench/bench.mjs
