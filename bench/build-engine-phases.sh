#!/usr/bin/env bash
# Builds the engine module as the page's release build does (scripts/release-wasm.sh, the
# `wasm-release` profile, wasm-bindgen, wasm-opt -Oz), with the `phases` exports
# (crates/engine-wasm, feature `phases`) and the function names kept (wasm-opt -g), into DIR
# (default target/engine-phases): for `BENCH_ENGINE_DIR=DIR node bench/world-wasm.mjs`, which
# then times each phase of a run, and for its CPU profiles (bench/profile-summary.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-target/engine-phases}"
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
scripts/release-wasm.sh cargo build --offline --profile wasm-release --target wasm32-unknown-unknown \
  -p mailsim-engine-wasm --bin mailsim-engine --features phases
wasm-bindgen --target web --no-typescript --out-dir "$OUT" target/nightly/wasm32-unknown-unknown/wasm-release/mailsim-engine.wasm
wasm-opt -Oz --enable-simd --low-memory-unused -g "$OUT/mailsim-engine_bg.wasm" -o "$OUT/mailsim-engine_bg.wasm"
ls -l "$OUT"
