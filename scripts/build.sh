#!/usr/bin/env bash
# Release build of the page into dist/ (one self-contained index.html).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/setup.sh"
cd "$root"
trunk build --release --offline
