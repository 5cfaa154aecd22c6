#!/usr/bin/env bash
# Builds and runs the portal on its embedded SQLite default (./data/keyport.db).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec cargo leptos serve --release --precompress --split
