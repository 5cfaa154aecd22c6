#!/usr/bin/env bash
# Prints what a phone's first visit to each portal page costs: the WASM and JS it downloads
# (on the wire; raw, gzip and brotli per file) and when the page paints and becomes
# interactive under Lighthouse's mobile profile, in Debian's Chromium through CDP.
# Builds the release site first (precompressed, hashed names), then serves it on a free port
# with a scratch database.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
cargo leptos build --release --precompress --split
data=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
KEYPORT_DATA_DIR="$data" LEPTOS_SITE_ADDR="127.0.0.1:$port" KEYPORT_SITE_ROOT="$PWD/target/site" KEYPORT_LOG=warn \
  "$TARGET_DIR/release/keyport" serve > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
node end2end/first-load.mjs "http://127.0.0.1:$port"
