#!/usr/bin/env bash
# Installs what Mailsim needs, skipping whatever is already there (quick on a second run).
#   scripts/install.sh          the build tools: wasm32 target, Trunk, wasm-bindgen CLI, wasm-opt
#   scripts/install.sh --test   also what the tests need: Chromium, ChromeDriver, playwright-core
# Versions and the reasons for them: ../shared/TOOLCHAIN.md.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# The wasm-bindgen CLI must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v cargo >/dev/null || { echo "Rust is needed first: https://rustup.rs" >&2; exit 1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The release wasm builds (scripts/release-wasm.sh): a pinned nightly with std's sources
# (-Zbuild-std) and the wasm32 target, and the crates std's sources need (for --offline).
NIGHTLY=nightly-2026-05-20
if ! rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1 \
  || ! rustup +"$NIGHTLY" target list --installed | grep -qx wasm32-unknown-unknown \
  || [ ! -d "$(rustup run "$NIGHTLY" rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
  say "installing Rust $NIGHTLY (the release wasm builds: std built with the page, about 300 MB)"
  rustup toolchain install "$NIGHTLY" --profile minimal --component rust-src --target wasm32-unknown-unknown
fi
std_stamp="target/nightly/.std-fetched-$NIGHTLY"
if [ ! -f "$std_stamp" ]; then
  say "fetching the crates of std's sources ($NIGHTLY)"
  cargo +"$NIGHTLY" fetch --manifest-path "$(rustup run "$NIGHTLY" rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
  mkdir -p target/nightly
  touch "$std_stamp"
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing Trunk $TRUNK_VERSION (about 15 minutes on 2 cores, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm packages: binaryen (wasm-opt 132, which understands what rustc emits; Debian's is too
# old), playwright-core (drives Chromium) and puppeteer-core (drives Firefox); neither downloads
# a browser. Reinstalled only when package-lock.json changed.
stamp=node_modules/.mailsim-lock
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/puppeteer-core ] || ! cmp -s package-lock.json "$stamp"; then
  command -v npm >/dev/null || { say "installing Node.js and npm"; apt_install nodejs npm; }
  say "installing npm packages (wasm-opt, playwright-core, puppeteer-core)"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

if [ "${1:-}" = "--test" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    apt_install chromium chromium-driver
  fi
  # The other two browser engines (tests/e2e/engines.test.mjs): Firefox ESR, driven by
  # puppeteer-core over WebDriver BiDi, and WebKitGTK's MiniBrowser (Safari's engine) through
  # WebKitWebDriver, on a virtual display (Xvfb).
  if ! command -v firefox-esr >/dev/null || ! command -v WebKitWebDriver >/dev/null || ! command -v xvfb-run >/dev/null; then
    say "installing Debian's firefox-esr, webkit2gtk-driver and xvfb (the page in Gecko and WebKit)"
    apt_install firefox-esr webkit2gtk-driver xvfb
  fi
  if ! command -v tshark >/dev/null; then
    say "installing tshark (reads the pcapng exports in the interop tests)"
    apt_install tshark
  fi
  if ! command -v curl >/dev/null; then
    apt_install curl
  fi
  # Real mail clients for tests/interop/test_tls_clients.py (Debian's packages: msmtp, isync
  # = mbsync, fetchmail, swaks, offlineimap3, getmail6); only those missing are installed.
  missing=()
  for pair in msmtp:msmtp mbsync:isync fetchmail:fetchmail swaks:swaks offlineimap:offlineimap3 getmail:getmail6; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing mail clients for the interop tests: ${missing[*]}"
    apt_install "${missing[@]}"
  fi
fi
say "all tools present"
