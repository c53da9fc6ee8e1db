// lib.js: what every benchmark script shares: its scenario, read from the
// environment the driver sets, and the figures it hands back.
//
//   ITERATIONS=N VUS=C  N iterations, C at a time (bulk rows)
//   DURATION=10s VUS=C  C VUs for a fixed time (small-request rows)
//   INSECURE=1          accept the TLS registry's self-signed certificate
//   HTTP_VERSION=1.1|2  the HTTP version a TLS row is for: the extension's
//                       client option http; k6/http speaks HTTP/2 wherever a
//                       server offers it (nginx's HTTP/1.1 rows offer only
//                       HTTP/1.1); the summary counts which was spoken
export function benchOptions() {
  const vus = Number(__ENV.VUS);
  const bench = __ENV.DURATION
    ? { executor: "constant-vus", vus, duration: __ENV.DURATION }
    : {
        executor: "shared-iterations",
        vus,
        iterations: Number(__ENV.ITERATIONS),
        maxDuration: __ENV.MAX_DURATION || "30m",
      };
  return {
    scenarios: { bench },
    insecureSkipTLSVerify: __ENV.INSECURE === "1",
    thresholds: {
      checks: ["rate==1"],
      http_req_failed: ["rate==0"],
      // Declared so the summary counts them: the driver reports the protocol.
      "http_reqs{proto:HTTP/2.0}": ["count>=0"],
    },
  };
}

// handleSummary writes what the driver reads to $BENCH_RESULT, instead of
// k6's summary on stdout.
export function handleSummary(data) {
  const count = (name) => (data.metrics[name] ? data.metrics[name].values.count : 0);
  const figures = {
    requests: count("http_reqs"),
    http2Requests: count("http_reqs{proto:HTTP/2.0}"),
    iterations: count("iterations"),
  };
  return { [__ENV.BENCH_RESULT]: JSON.stringify(figures) };
}
