#!/usr/bin/env bash
# README command 2: every test. Native tests of the pure core, the simulator's named
# scenarios and its seed sweep, then the release build, the page size, and the browser tests
# (headless Chromium, stock `peer` servers on loopback).
#
# The sweep runs SIM_SEEDS random worlds per core (default 1000, so 2000 in all); a failure
# prints its seed, and `SIM_SEED=<n> cargo test -p peerchat-sim --test sweep` replays it
# (see docs/DEVELOPMENT.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/build.sh"
cd "$root"

echo "== native tests (peerchat-core)"
cargo test -p peerchat-core --quiet

echo "== simulator: named scenarios"
cargo test -p peerchat-sim --test scenarios --quiet

echo "== simulator: seed sweep (${SIM_SEEDS:-1000} runs per core)"
SIM_SEEDS="${SIM_SEEDS:-1000}" cargo test -p peerchat-sim --test sweep --quiet -- --nocapture

echo "== page size"
bash scripts/size.sh

echo "== browser tests"
playwright test
