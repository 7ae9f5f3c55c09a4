#!/usr/bin/env bash
# Runs a release build of the page (`scripts/release-wasm.sh trunk build --release --offline`,
# or `trunk serve --release`) with the pinned nightly Rust that builds std with the page:
# `-Zbuild-std` and immediate-abort panics (a panic is a trap at once: no message formatting,
# no panic runtime in either wasm module; 28 KB gzipped off the page, 35 KB off the engine
# module, docs/benchmarks.md "Branch size8"). Only the two release wasm builds use it: tests,
# native builds and the wasm golden test stay on stable. A panic in the page still shows its
# notice (src/guard.rs: the trap reaches the page as an uncaught JavaScript error).
# scripts/install.sh installs the toolchain, its std sources and their crates.
set -euo pipefail
cd "$(dirname "$0")/.."
# Keep equal to NIGHTLY in scripts/install.sh.
NIGHTLY=nightly-2026-05-20
if ! rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1; then
  echo "release-wasm: Rust $NIGHTLY is missing: run scripts/install.sh" >&2
  exit 1
fi
export RUSTUP_TOOLCHAIN="$NIGHTLY"
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
# Applies to the wasm32 target only (Trunk passes --target): build scripts and proc-macros
# are built as usual. RUSTFLAGS replaces the target's rustflags of .cargo/config.toml, so
# WebAssembly SIMD is asked for here again (without it the release modules had no SIMD at
# all; with it the engine module is 3.6 KB smaller gzipped: docs/benchmarks.md, "Branch ratio9").
export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Ctarget-feature=+simd128"
# Its own target directory: the stable builds' artifacts stay as they are.
export CARGO_TARGET_DIR="$PWD/target/nightly"
exec "$@"
