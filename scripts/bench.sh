#!/usr/bin/env bash
# Benchmark (not a test; scripts/test.sh never runs it): installs what is missing and builds
# the page like the other commands, then times connection set-up and message round trips of
# Peerchat against bare WebRTC and the stock peerjs client on loopback, in headless Chromium,
# and page weight, start-up and stored history against a minimal page on the stock client.
# Writes docs/BENCHMARKS.md. Knobs: BENCH_CONNECTS (default 5), BENCH_MESSAGES (default 50).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/build.sh"
cd "$root"
node scripts/bench.mjs
