#!/usr/bin/env bash
# Runs every test: unit and HTTP tests on SQLite, the HTTP tests again on PostgreSQL,
# then the browser tests against a freshly built portal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
PG_URL=${KEYPORT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}

step "Unit and HTTP tests on SQLite"
cargo test -p keyport-core -p keyport-app -p keyport-server

step "The benchmarks still compile (make bench runs them)"
cargo check -p keyport-server --benches

step "HTTP tests on PostgreSQL ($PG_URL)"
hostport=${PG_URL#*://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
pg_host=${hostport%%:*}; pg_port=${hostport##*:}; [ "$pg_port" = "$hostport" ] && pg_port=5432
if (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; then
  KEYPORT_TEST_DATABASE=postgres KEYPORT_TEST_POSTGRES_URL="$PG_URL" cargo test -p keyport-server --test api --test dead_cookie --test pages --test nodes
else
  printf '\n\033[1;31m!!! PostgreSQL is NOT reachable at %s:%s: the PostgreSQL run was SKIPPED.\n!!! Set KEYPORT_TEST_POSTGRES_URL to a server where the user may create databases.\033[0m\n\n' "$pg_host" "$pg_port"
fi

step "Building the portal as it ships (release, islands split into lazy chunks, precompressed)"
cargo leptos build --release --precompress --split

step "Browser tests (Playwright + Chromium)"
# A free port, so a portal already running on this machine does not collide with the tests.
E2E_PORT=${E2E_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}
export E2E_PORT
(cd end2end && KEYPORT_BIN="$TARGET_DIR/release/keyport" E2E_SITE_ROOT="$PWD/../target/site" npx playwright test)
printf '\n\033[1;32mAll tests passed.\033[0m\n'
