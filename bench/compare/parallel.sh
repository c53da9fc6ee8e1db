# parallel.sh, sourced by the curl and crane scripts.
# run_parallel N CONCURRENCY FUNC calls FUNC 1 .. FUNC N, CONCURRENCY at a
# time, and fails when any call failed; it waits for every call either way.
run_parallel() {
  local n=$1 concurrency=$2 fn=$3 i running=0 failed=0
  for ((i = 1; i <= n; i++)); do
    if ((running >= concurrency)); then
      wait -n || failed=1
      running=$((running - 1))
    fi
    "$fn" "$i" &
    running=$((running + 1))
  done
  while ((running > 0)); do
    wait -n || failed=1
    running=$((running - 1))
  done
  return "$failed"
}
