#!/usr/bin/env bash
# bench-memory.sh: k6's peak RSS while 20 VUs each push a 256 MiB layer and
# pull it back verified, against REGISTRY_URL (bin/with-registry sets
# it). The baseline is the same k6 binary running 20 VUs that only sleep,
# in the same run, so the figure that matters is the difference and ratio.
set -euo pipefail
k6=${K6_BIN:-bin/k6}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

peak() { # peak RSS in KiB of a command, from /usr/bin/time -v
  /usr/bin/time -v "$@" >"$out/stdout" 2>"$out/time" || { cat "$out/stdout" "$out/time" >&2; exit 1; }
  sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time"
}

base=$(peak "$k6" run --quiet --summary-mode=disabled examples/bench/idle.js)
load=$(peak "$k6" run --quiet examples/bench/memory.js)
grep -E "registry_(push|pull)_duration|data_(sent|received)|checks_succeeded" "$out/stdout" || true
echo "baseline (20 idle VUs):            peak RSS $((base / 1024)) MiB"
echo "20 VUs x 256 MiB push + pull:      peak RSS $((load / 1024)) MiB"
echo "difference: $(((load - base) / 1024)) MiB; ratio: $(awk -v a="$load" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
if [ "$load" -ge $((400 * 1024)) ]; then
  echo "peak RSS is not under 400 MiB" >&2
  exit 1
fi
