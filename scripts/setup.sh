#!/usr/bin/env bash
# Installs what Keyport needs to build (and, with --browser, to run its browser tests).
# Everything already present at the right version is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# The wasm-bindgen CLI must match the library version pinned in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  step "Installing cargo-leptos $CARGO_LEPTOS_VERSION (no binary downloads; takes 12-18 minutes once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lockfile wants a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "Installing build tools from npm (wasm-opt)"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--bench" ] && ! command -v wrk >/dev/null; then
  step "Installing wrk from Debian (the load generator of make bench)"
  as_root apt-get install -y wrk || { as_root apt-get update && as_root apt-get install -y wrk; }
fi

if [ "${1:-}" = "--browser" ]; then
  if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/oauth2-mock-server ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    step "Installing Playwright (the test runner only; it drives Debian's Chromium) and the mock OpenID provider of the SSO tests"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
  if ! command -v pdftotext >/dev/null; then
    step "Installing pdftotext from Debian (the invoice tests read the PDFs' text with it)"
    as_root apt-get install -y poppler-utils || { as_root apt-get update && as_root apt-get install -y poppler-utils; }
  fi
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    step "Installing Chromium from Debian"
    as_root apt-get install -y chromium || { as_root apt-get update && as_root apt-get install -y chromium; }
  fi
fi
