#!/usr/bin/env bash
# README command 1: build Peerchat, start a local stock PeerJS server and a static server,
# and print the address to open in two tabs (or two browsers) to chat locally.
# Ports: PEERCHAT_HTTP_PORT (default 8080), PEERCHAT_PEER_PORT (default 9000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/build.sh"
cd "$root"

http_port="${PEERCHAT_HTTP_PORT:-8080}"
peer_port="${PEERCHAT_PEER_PORT:-9000}"

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Run the server's file with node directly so the recorded PID is the server's own.
node node_modules/peer/dist/bin/peerjs.js --host 127.0.0.1 --port "$peer_port" --path /peerchat &
pids+=($!)
node scripts/serve.mjs dist "$http_port" &
pids+=($!)

sleep 1
url="http://127.0.0.1:$http_port/?signal=ws://127.0.0.1:$peer_port/peerchat"
cat <<MSG

  Peerchat is running.
  Open this address in two tabs of different browsers (or one normal and one private window):

    $url

  Each browser profile is one person. Two tabs of the same profile share one identity,
  so the second tab will say Peerchat is open elsewhere.
  Press Ctrl+C to stop.

MSG
wait
