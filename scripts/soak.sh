#!/usr/bin/env bash
# soak.sh: runs examples/bench/soak.js against REGISTRY_URL (bin/with-registry
# -auth token sets it and the credentials) with k6's end-of-test summary and
# its threshold processing off: while either is on, k6 keeps every sample of
# every Trend (its TrendSink holds them all) and its memory grows with the
# test by design, whatever the extension does. --summary-mode=disabled alone
# is not enough: k6 v2.2.0 feeds every sample to those sinks for thresholds
# unless --no-thresholds is given, even when the script defines none. Without
# it, 10 minutes of this soak took k6's live heap from 48 to 66 MB and its RSS
# up 29%, and plain k6/http making the same requests grew by as many MB;
# with it the soak's RSS grew 0.2% and 1.1% in two runs (k6/http: -1.1% in
# 5 minutes). soak.js has no thresholds, so the flag changes no verdict. The
# REST API (--address) adds no sinks of its own. Every SOAK_SAMPLE seconds
# (10) it samples the k6 process's RSS and open file descriptors from /proc,
# and the Go runtime's scheduler trace (GODEBUG scheddetail) counts its
# goroutines. It prints the series and the growth from minute 2 to the end,
# and fails on growth of 10% or more, or when a call failed (the script then
# aborts).
set -euo pipefail
k6=${K6_BIN:-bin/k6}
interval=${SOAK_SAMPLE:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

GODEBUG="schedtrace=${interval}000,scheddetail=1" \
  "$k6" run --quiet --no-color --summary-mode=disabled --no-thresholds examples/bench/soak.js >"$out/k6.log" 2>"$out/sched.log" &
pid=$!

start=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  sleep "$interval"
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  fds=$( (ls "/proc/$pid/fd" 2>/dev/null || true) | wc -l)
  [ -n "$rss" ] && echo "$(($(date +%s) - start)) rss_kib $rss fds $fds" >>"$out/series"
done
status=0
wait "$pid" || status=$?
# One scheduler dump per interval: a SCHED line, then a line per goroutine
# (status 6 is a dead one, kept for reuse).
awk '/^SCHED [0-9]+ms:/ { if (t != "") print t " goroutines " n; t = int($2 / 1000); n = 0 }
     /^  G[0-9]+: / && !/status=6\(/ { n++ }
     END { if (t != "") print t " goroutines " n }' "$out/sched.log" >>"$out/series"
grep -v '^SCHED\|^  [GMP][0-9]' "$out/sched.log" | tail -n 20 || true
sort -n "$out/series"
if [ "$status" -ne 0 ]; then
  echo "soak: k6 failed (exit $status): a call failed and the script aborted the test" >&2
  exit "$status"
fi

# Growth of each series from its first sample at or after minute 2 (half
# way, in a run shorter than 4 minutes) to its last.
sort -n "$out/series" | awk -v limit=10 '
  { t[$2, ++n[$2]] = $1; v[$2, n[$2]] = $3; if ($2 == "rss_kib") { t["fds", ++n["fds"]] = $1; v["fds", n["fds"]] = $5 } }
  END {
    bad = 0
    split("rss_kib goroutines fds", names, " ")
    for (k = 1; k <= 3; k++) {
      m = names[k]; last = n[m]; from = 1
      if (last == 0) { print "soak: no " m " samples" > "/dev/stderr"; exit 1 }
      start = (t[m, last] / 2 < 120 ? t[m, last] / 2 : 120)
      for (i = 1; i <= last; i++) if (t[m, i] >= start) { from = i; break }
      growth = (v[m, last] - v[m, from]) * 100 / v[m, from]
      printf "%-10s %8d at %4ds -> %8d at %4ds: %+.1f%%\n", m, v[m, from], t[m, from], v[m, last], t[m, last], growth
      if (growth >= limit) bad = 1
    }
    if (bad) { print "soak: growth of 10% or more" > "/dev/stderr"; exit 1 }
  }'
