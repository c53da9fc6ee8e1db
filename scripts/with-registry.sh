#!/usr/bin/env bash
# with-registry.sh CMD [ARGS...]
# Starts a distribution registry on a free 127.0.0.1 port with storage in a
# temporary directory, runs CMD with REGISTRY_URL pointing at it, and stops
# the registry and removes its storage whatever CMD does. Exits with CMD's
# status.
set -euo pipefail

registry_bin=${REGISTRY_BIN:-bin/registry}
if [ ! -x "$registry_bin" ]; then
  echo "with-registry: no registry at $registry_bin (make tools installs it)" >&2
  exit 1
fi

dir=$(mktemp -d)
log="$dir/registry.log"
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

cat >"$dir/config.yml" <<CONFIG
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
CONFIG

# Port 0: the registry picks a free port and logs it, so nothing can take
# the port between choosing and listening.
env -u REGISTRY_HTTP_ADDR OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
  "$registry_bin" serve "$dir/config.yml" >"$log" 2>&1 &
pid=$!

addr=
for _ in $(seq 1 200); do # up to 10s
  addr=$(sed -n 's/.*msg="listening on \([0-9.]*:[0-9]*\)".*/\1/p' "$log" | head -n 1)
  [ -n "$addr" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with-registry: the registry exited:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.05
done
if [ -z "$addr" ]; then
  echo "with-registry: the registry did not start listening within 10s:" >&2
  cat "$log" >&2
  exit 1
fi

export REGISTRY_URL="http://$addr"
echo "with-registry: registry at $REGISTRY_URL" >&2
status=0
"$@" || status=$?
exit "$status"
