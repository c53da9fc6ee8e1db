#!/usr/bin/env bash
# soak.sh: runs examples/bench/soak.js against REGISTRY_URL (bin/with-registry
# -auth token sets it and the credentials) with k6's end-of-test summary off
# (with it on, k6 keeps every sample and its memory grows by design), and
# samples the k6 process every SOAK_SAMPLE (10 s): RSS, goroutines (from k6's
# pprof endpoint) and open file descriptors. It prints the series and the
# growth from minute 2 to the end, and fails on growth of 10% or more, or on
# any failed check.
set -euo pipefail
k6=${K6_BIN:-bin/k6}
interval=${SOAK_SAMPLE:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$k6" run --quiet --no-color --summary-mode=disabled --address "127.0.0.1:$port" --profiling-enabled \
  examples/bench/soak.js >"$out/k6.log" 2>&1 &
pid=$!

goroutines() {
  curl -fsS "http://127.0.0.1:$port/debug/pprof/goroutine?debug=1" 2>/dev/null | sed -n 's/^goroutine profile: total \([0-9]*\).*/\1/p'
}

echo "seconds rss_kib goroutines fds" | tee "$out/series"
start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  sleep "$interval"
  kill -0 "$pid" 2>/dev/null || break
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
  g=$(goroutines || true)
  [ -n "$rss" ] && [ -n "$g" ] && echo "$(($(date +%s) - start)) $rss $g $fds" | tee -a "$out/series"
done
status=0
wait "$pid" || status=$?
tail -n 20 "$out/k6.log"
if [ "$status" -ne 0 ]; then
  echo "soak: k6 failed (exit $status): a check or threshold did not hold" >&2
  exit "$status"
fi

# Growth from the first sample at or after minute 2 (or the first sample, in
# a run shorter than 3 minutes) to the last.
awk -v limit=10 'NR == 1 { next }
  { t[NR] = $1; rss[NR] = $2; g[NR] = $3; fd[NR] = $4; last = NR }
  END {
    from = 2
    for (i = 2; i <= last; i++) if (t[i] >= 120 && t[last] >= 180) { from = i; break }
    bad = 0
    split("rss goroutines fds", names, " ")
    for (k = 1; k <= 3; k++) {
      a = (k == 1 ? rss[from] : k == 2 ? g[from] : fd[from]); b = (k == 1 ? rss[last] : k == 2 ? g[last] : fd[last])
      growth = (b - a) * 100 / a
      printf "%-10s %8d at %4ds -> %8d at %4ds: %+.1f%%\n", names[k], a, t[from], b, t[last], growth
      if (growth >= limit) bad = 1
    }
    if (bad) { print "soak: growth of 10% or more" > "/dev/stderr"; exit 1 }
  }' "$out/series"
