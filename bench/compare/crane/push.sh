#!/usr/bin/env bash
# push.sh DIR PUSHES CONCURRENCY REPO_PREFIX: PUSHES runs of
# `crane push DIR REPO_PREFIX-I:1`, CONCURRENCY at a time. DIR is the OCI
# layout of the docker save tar, extracted: crane pushes its blobs as they
# are (given the tar itself, crane would gzip every layer first).
# CRANE is the binary; CRANE_FLAGS adds flags (--insecure for TLS).
set -euo pipefail
source "$(dirname "$0")/../parallel.sh"
read -r -a flags <<<"${CRANE_FLAGS:-}"

dir=$1 pushes=$2 concurrency=$3 prefix=$4

push_one() {
  "$CRANE" push "${flags[@]}" "$dir" "$prefix-$1:1" >/dev/null
}

run_parallel "$pushes" "$concurrency" push_one
