// Baseline for make bench-memory: the same 20 VUs, doing nothing.
import { sleep } from "k6";

export const options = {
  scenarios: { idle: { executor: "per-vu-iterations", vus: 20, iterations: 1, maxDuration: "1m" } },
};

export default function () {
  sleep(1);
}
