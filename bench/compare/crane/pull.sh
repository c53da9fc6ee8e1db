#!/usr/bin/env bash
# pull.sh REF PULLS CONCURRENCY: PULLS runs of `crane pull REF /dev/null`,
# CONCURRENCY at a time. crane reads the manifest, then the config and each
# layer one after another, checking each against its digest, and writes them
# as a tarball to /dev/null: a verified pull with nothing kept on disk.
# CRANE is the binary; CRANE_FLAGS adds flags (--insecure for TLS).
set -euo pipefail
source "$(dirname "$0")/../parallel.sh"

ref=$1 pulls=$2 concurrency=$3
read -r -a flags <<<"${CRANE_FLAGS:-}"

pull_one() {
  "$CRANE" pull "${flags[@]}" "$ref" /dev/null
}

run_parallel "$pulls" "$concurrency" pull_one
