"use k6 with k6/x/registry";
// Replays a registry's own traffic from a plan that `go run ./cmd/replay
// plan` made of its log: setup() makes what existed before the trace, then
// one VU per source client sends its requests at their original offsets
// divided by SPEED, open loop, each client's concurrency kept and a read
// that followed another client's write waiting for it. Execution segments
// split the plan by client, so the k6 operator replays one log from many
// machines.
//
//   k6 run -e PLAN=plan.json -e REGISTRY_URL=http://127.0.0.1:5000 [-e SPEED=1] examples/replay.js
//
// Without PLAN it replays examples/testdata/replay-plan.json, a plan of
// the workload internal/replaytest runs.
import registry from "k6/x/registry";
import exec from "k6/execution";
import { check } from "k6";

const replay = registry.replay(
  open(__ENV.PLAN || "./testdata/replay-plan.json"),
  {
    url: __ENV.REGISTRY_URL || "http://127.0.0.1:5000",
    username: __ENV.REGISTRY_USER,
    password: __ENV.REGISTRY_PASSWORD,
  },
  // UNTIL=300 replays the first five minutes of the trace only.
  { speed: Number(__ENV.SPEED || 1), until: Number(__ENV.UNTIL || 0) },
);

export const options = {
  setupTimeout: "10m",
  scenarios: {
    replay: {
      // One iteration per source client, all at once; a segment of the
      // execution gets its share of the clients.
      executor: "shared-iterations",
      vus: replay.clients,
      iterations: replay.clients,
      maxDuration: `${Math.ceil(replay.duration) + 120}s`,
    },
  },
  thresholds: {
    // The target answers as the source did, but where a read raced
    // another client's write in the source and may go either way.
    "registry_replay_mismatches": [`count<=${__ENV.MISMATCHES || replay.races}`],
    checks: ["rate==1"],
  },
};

// LAG_P95=50: fail unless 95% of the requests start within 50 ms of their
// time, which says whether this load generator keeps up.
if (__ENV.LAG_P95) {
  options.thresholds["registry_replay_lag"] = [`p(95)<${__ENV.LAG_P95}`];
}

export function setup() {
  return replay.warmUp();
}

export default function (warm) {
  const res = replay.client(exec.scenario.iterationInTest, warm.start);
  check(res, { "every step ran": (r) => r.failed === 0 });
}
