#!/usr/bin/env bash
# bench-memory.sh, against REGISTRY_URL and its storage REGISTRY_STORAGE
# (bin/with-registry sets both):
#  1. k6's peak RSS while 20 VUs each push a 256 MiB layer and pull it back
#     verified. The baseline is the same k6 binary running 20 VUs that only
#     sleep, in the same run, so the figure that matters is the difference
#     and ratio. Limit: 400 MiB.
#  2. k6's peak RSS while 20 VUs each push a 1 GiB docker save tarball
#     (legacy layout, 4 x 256 MiB layers), streamed from the disk. Limit:
#     400 MiB.
#  3. Ramp-up of fresh pushes: 500 VUs start at once, each pushing 2 x 64 MiB
#     of fresh layers, for 12 s. From k6's start, the script watches the
#     registry's storage every 100 ms for blob bytes (upload and blob data
#     files) and reports when the first arrived, when the first MiB had, and
#     how many were there at 12 s, and k6's peak RSS. Limits: first bytes
#     within 2 s, 400 MiB.
set -euo pipefail
k6=${K6_BIN:-bin/k6}
storage=${REGISTRY_STORAGE:?REGISTRY_STORAGE: run this under bin/with-registry}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0

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
  fail=1
fi

# A legacy docker save of 4 x 256 MiB layers, each a tar of one file of
# random bytes, with the config's diff_ids right.
save=$out/save
mkdir -p "$save"
diff_ids=() layers=()
for i in 0 1 2 3; do
  mkdir -p "$save/l$i"
  head -c $((256 * 1048576 - 1536)) /dev/urandom >"$out/f$i"
  tar -C "$out" -cf "$save/l$i/layer.tar" "f$i"
  rm "$out/f$i"
  diff_ids+=("\"sha256:$(sha256sum "$save/l$i/layer.tar" | cut -d' ' -f1)\"")
  layers+=("\"l$i/layer.tar\"")
done
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$(IFS=,; echo "${diff_ids[*]}")" >"$save/config.json"
printf '[{"Config":"config.json","RepoTags":["bench/saved:1"],"Layers":[%s]}]' "$(IFS=,; echo "${layers[*]}")" >"$save/manifest.json"
tar -C "$save" -cf "$out/saved.tar" .
rm -rf "$save"
saved=$(IMAGE_TAR=$out/saved.tar peak "$k6" run --quiet examples/bench/docker-save.js)
rm -f "$out/saved.tar"
grep -E "registry_push_duration|data_sent|checks_succeeded" "$out/stdout" || true
echo "20 VUs x 1 GiB docker save push:   peak RSS $((saved / 1024)) MiB"
if [ "$saved" -ge $((400 * 1024)) ]; then
  echo "peak RSS is not under 400 MiB" >&2
  fail=1
fi

# Bytes of blob data in the registry's storage: open uploads and blobs.
stored() { find "$storage" -type f -name data -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
vus=${FRESH_VUS:-500}
before=$(stored)
start=$(date +%s%N)
VUS=$vus /usr/bin/time -v "$k6" run --quiet --summary-mode=disabled examples/bench/fresh-push.js \
  >"$out/fresh.stdout" 2>"$out/fresh.time" &
pid=$!
first="" first_mib="" at12=""
while kill -0 "$pid" 2>/dev/null; do
  ms=$((($(date +%s%N) - start) / 1000000))
  bytes=$(($(stored) - before))
  if [ -z "$first" ] && [ "$bytes" -gt 0 ]; then first=$ms; fi
  if [ -z "$first_mib" ] && [ "$bytes" -ge 1048576 ]; then first_mib=$ms; fi
  if [ -z "$at12" ] && [ "$ms" -ge 12000 ]; then at12=$bytes; fi
  sleep 0.1
done
wait "$pid" || { cat "$out/fresh.stdout" "$out/fresh.time" >&2; exit 1; }
fresh=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/fresh.time")
echo "$vus VUs x 2 x 64 MiB fresh push:  first blob bytes at the registry ${first:-never} ms after k6 started," \
  "the first MiB ${first_mib:-never} ms; $(((${at12:-$(($(stored) - before))}) / 1048576)) MiB stored by 12 s; peak RSS $((fresh / 1024)) MiB"
if [ -z "$first" ] || [ "$first" -gt 2000 ]; then
  echo "no blob bytes at the registry within 2 s" >&2
  fail=1
fi
if [ "$fresh" -ge $((400 * 1024)) ]; then
  echo "peak RSS is not under 400 MiB" >&2
  fail=1
fi
exit "$fail"
