#!/usr/bin/env bash
# small.sh head|get|pull REPO TAG WORKERS SECONDS: WORKERS loops, each
# repeating one small request flow until SECONDS have passed since the start:
#   head: HEAD the manifest (1 request);
#   get: GET the manifest, its body to /dev/null (1 request);
#   pull: GET the manifest, then the config and the layer through sha256sum,
#         each compared with its digest (3 requests).
# Writes {"requests": N} to $BENCH_RESULT. REGISTRY_URL is the registry.
set -euo pipefail

op=$1 repo=$2 tag=$3 workers=$4 seconds=$5
case $op in
  head | get | pull) ;;
  *)
    echo "small.sh: the operation is head, get or pull, not $op" >&2
    exit 2
    ;;
esac
accept='application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
manifest_url="$REGISTRY_URL/v2/$repo/manifests/$tag"
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT

head_once() {
  curl -fsS -I -o /dev/null -H "Accept: $accept" "$manifest_url"
  requests=$((requests + 1))
}

get_once() {
  curl -fsS -o /dev/null -H "Accept: $accept" "$manifest_url"
  requests=$((requests + 1))
}

pull_once() {
  local manifest digest sum
  manifest=$(curl -fsS -H "Accept: $accept" "$manifest_url")
  requests=$((requests + 1))
  for digest in $(jq -r '.config.digest, .layers[].digest' <<<"$manifest"); do
    sum=$(curl -fsS "$REGISTRY_URL/v2/$repo/blobs/$digest" | sha256sum)
    requests=$((requests + 1))
    if [ "sha256:${sum%% *}" != "$digest" ]; then
      echo "small.sh: blob $digest does not match its digest" >&2
      return 1
    fi
  done
}

# EPOCHREALTIME without its dot is microseconds since the epoch.
deadline=$((${EPOCHREALTIME/./} + seconds * 1000000))
worker() {
  requests=0
  while ((${EPOCHREALTIME/./} < deadline)); do
    "${op}_once"
  done
  echo "$requests" >>"$counts"
}

pids=()
for ((w = 0; w < workers; w++)); do
  worker &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
[ "$failed" = 0 ] || exit 1
printf '{"requests": %d}\n' "$(awk '{ n += $1 } END { print n }' "$counts")" >"$BENCH_RESULT"
