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

# The size budget: the page may not grow past it (size is deterministic for a given
# toolchain, so this is a fair test). Lower it whenever a cut lands; raise it only with a
# reason in the commit. docs/DEVELOPMENT.md, "What costs bytes".
budget_gz=467100
if [ "$total_gz" -gt "$budget_gz" ]; then
  echo "size.sh: the page is $total_gz B gzipped, over the budget of $budget_gz B" >&2
  exit 1
fi
echo "size.sh: within the budget ($total_gz of $budget_gz B gzipped)"
