#!/usr/bin/env bash
# bench-load-gzip.sh, against REGISTRY_URL (bin/with-registry sets it): the
# one-time cost of load()'s gzip of a docker save, k6's peak RSS while
# 20 VUs push it, and crane validate of one pushed copy (the gzipped layers
# must gunzip to the diff_ids the save names). The save is made of real files of this machine
# (/usr/lib/x86_64-linux-gnu, /usr/local/go, /usr/bin as three layers, about
# 1.1 GiB), which compress as an image's files do; random bytes would not.
# Figures come from /usr/bin/time -v around k6, whose Trend samples are
# kept out (--no-thresholds --summary-mode=disabled): CPU seconds and peak
# RSS, not wall time, which a shared machine decides.
set -euo pipefail
k6=${K6_BIN:-bin/k6}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
save=$out/save
mkdir -p "$save"
diff_ids=() layers=() i=0
for d in usr/lib/x86_64-linux-gnu usr/local/go usr/bin; do
  i=$((i + 1))
  mkdir -p "$save/l$i"
  tar -C / --sort=name --mtime=@0 --owner=0 --group=0 -cf "$save/l$i/layer.tar" "$d" 2>/dev/null || [ -s "$save/l$i/layer.tar" ]
  diff_ids+=("\"sha256:$(sha256sum "$save/l$i/layer.tar" | cut -d' ' -f1)\"")
  layers+=("\"l$i/layer.tar\"")
done
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%s]}}' "$(IFS=,; echo "${diff_ids[*]}")" >"$save/config.json"
printf '[{"Config":"config.json","RepoTags":["bench/big:1"],"Layers":[%s]}]' "$(IFS=,; echo "${layers[*]}")" >"$save/manifest.json"
tar -C "$save" -cf "$out/big.tar" .
rm -rf "$save"
echo "docker save: $(stat -c %s "$out/big.tar") bytes"

run() { # MODE: prints k6's lines that matter and /usr/bin/time's figures
  MODE=$1 IMAGE_TAR=$out/big.tar /usr/bin/time -v "$k6" run --no-color --quiet --no-thresholds --summary-mode=disabled \
    examples/bench/load-gzip.js >"$out/stdout" 2>"$out/time" || { cat "$out/stdout" "$out/time" >&2; exit 1; }
  grep -ohE 'gzipped layers: [^"]*|vu 1: sent [0-9]+ bytes' "$out/stdout" "$out/time" || true
  grep -E 'User time|System time|Maximum resident' "$out/time"
}
echo "== one VU reads image.digest: the one-time compression"
run compress
echo "== 20 VUs push it once each (the compression included)"
run push
echo "== crane validate of one pushed copy: gunzips each layer, checks digests and diff_ids"
"${CRANE_BIN:-bin/crane}" validate --remote "${REGISTRY_URL#*://}/bench/gzip-1:1" --insecure
