#!/usr/bin/env bash
# pull.sh REPO TAG PULLS CONCURRENCY: PULLS pulls of REPO:TAG, CONCURRENCY at
# a time, scripted the way a pull is done by hand with curl: GET the
# manifest with the OCI and docker Accept headers, then GET the config and
# each layer one after another. VERIFY=1 pipes every blob through sha256sum
# and compares it with its digest; otherwise bodies go to /dev/null.
# REGISTRY_URL is the registry; CURL_FLAGS adds flags (-k for TLS).
set -euo pipefail
source "$(dirname "$0")/../parallel.sh"

repo=$1 tag=$2 pulls=$3 concurrency=$4
read -r -a flags <<<"${CURL_FLAGS:-}"
accept='application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

pull_one() {
  local manifest digest url sum
  manifest=$(curl -fsS "${flags[@]}" -H "Accept: $accept" "$REGISTRY_URL/v2/$repo/manifests/$tag")
  for digest in $(jq -r '.config.digest, .layers[].digest' <<<"$manifest"); do
    url="$REGISTRY_URL/v2/$repo/blobs/$digest"
    if [ "${VERIFY:-0}" = 1 ]; then
      sum=$(curl -fsS "${flags[@]}" "$url" | sha256sum)
      if [ "sha256:${sum%% *}" != "$digest" ]; then
        echo "pull.sh: $url: content does not match its digest" >&2
        return 1
      fi
    else
      curl -fsS "${flags[@]}" -o /dev/null "$url"
    fi
  done
}

run_parallel "$pulls" "$concurrency" pull_one
