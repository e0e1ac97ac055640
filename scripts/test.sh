#!/usr/bin/env bash
# README command 2: every test. Native tests of the pure core, then the release build,
# then the browser tests (headless Chromium, stock `peer` servers on loopback).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/build.sh"
cd "$root"

echo "== native tests (peerchat-core)"
cargo test -p peerchat-core --quiet

echo "== page size"
bash scripts/size.sh

echo "== browser tests"
playwright test
