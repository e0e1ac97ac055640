#!/usr/bin/env bash
# Installs everything Peerchat needs to build, run and test, and skips what is already there.
# Sourced by dev.sh and test.sh (it sets PATH); safe to run on its own.
#
# What it installs, and why these versions (see docs/DEVELOPMENT.md):
#   - the wasm32-unknown-unknown Rust target;
#   - trunk 0.21.14 (0.22 needs a newer rustc than this machine kind has);
#   - wasm-bindgen-cli of exactly the version in Cargo.lock (trunk refuses a mismatch);
#   - npm packages from package-lock.json: binaryen (wasm-opt 132), the stock `peer` server,
#     the stock `peerjs` client and Playwright (browsers are never downloaded);
#   - Chromium and ChromeDriver from Debian's packages.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

say() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

trunk_version=0.21.14
bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q " $trunk_version"; then
  say "installing trunk $trunk_version (takes a few minutes)"
  cargo install trunk --version "$trunk_version" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $bindgen_version"; then
  say "installing wasm-bindgen-cli $bindgen_version"
  # Not --locked: one of its locked dependency versions is missing from the registry.
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/turnserver ]; then
  # coturn: the TURN relay the browser tests start on loopback (tests/e2e/turn.spec.ts).
  say "installing Chromium and coturn from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver coturn >/dev/null
fi

stamp="$root/node_modules/.peerchat-lock.sha256"
want="$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing npm packages"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
