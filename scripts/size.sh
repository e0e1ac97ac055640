#!/usr/bin/env bash
# Prints the size of everything the page loads: dist/ holds one self-contained index.html
# (glue, gzip-compressed wasm and CSS inlined), so that file is the whole download.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/dist"
total_raw=0
total_gz=0
for f in $(find . -type f | sort); do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  printf '%-24s %8d B raw %8d B gzipped\n' "$f" "$raw" "$gz"
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
done
printf '%-24s %8d B raw %8d B gzipped\n' "total" "$total_raw" "$total_gz"
