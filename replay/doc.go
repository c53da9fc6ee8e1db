// Package replay turns a registry's own request log into a plan that
// reproduces its traffic, replays a plan against another registry, and
// compares the two logs for fidelity.
//
// The planner reads distribution's JSON log (and its Apache Combined access
// log, for what the JSON lines miss) or the IBM trace format, rebuilds which
// objects existed before the trace and which the trace created, takes sizes
// and manifests from the source registry's storage when it is given, and
// writes a plan in which every repository, tag, digest, user and client is
// a stable id. The replayer runs a plan open loop: each request at its
// original offset divided by the speed, each client's concurrency kept,
// and a read that followed another client's write waiting for it. Every
// request is a call of a registry.Client, so the k6 binding measures it as
// any other. The package has no k6 imports.
package replay
