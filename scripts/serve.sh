#!/usr/bin/env bash
# README command 1: install what is missing, build, and serve the playground at
# http://127.0.0.1:8080 (rebuilding when the sources change).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
echo
echo "  Mailsim is being built; it will be served at  http://127.0.0.1:8080/"
echo
exec scripts/release-wasm.sh trunk serve --release --offline --address 127.0.0.1 --port 8080
