// Command with-registry runs a command against a fresh local distribution
// registry, the one the tests use:
//
//	with-registry [-auth none|htpasswd|token] [-tls] [-metrics] [-pull-through] -- CMD [ARGS...]
//
// It starts the registry on a free 127.0.0.1 port with its storage in a
// temporary directory, runs CMD with REGISTRY_URL, REGISTRY_STORAGE (the
// storage root, for benchmarks that watch bytes arrive) and, when there is
// auth, REGISTRY_USER and REGISTRY_PASSWORD set, passes SIGINT and SIGTERM on
// to CMD, then stops the registry and removes its storage whatever CMD did,
// and exits with CMD's status.
//
// -metrics turns on the registry's debug server and sets METRICS_URL to its
// Prometheus metrics. -pull-through starts two anonymous registries instead:
// an upstream (UPSTREAM_URL) and a pull-through cache of it (REGISTRY_URL,
// REGISTRY_STORAGE), whose metrics are at METRICS_URL.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/xk6-registry/xk6-registry/internal/registrytest"
)

func main() {
	os.Exit(run())
}

func run() int {
	authFlag := flag.String("auth", "none", "none, htpasswd or token")
	tlsFlag := flag.Bool("tls", false, "serve https with a self-signed certificate")
	metricsFlag := flag.Bool("metrics", false, "serve the registry's Prometheus metrics at METRICS_URL")
	pullThroughFlag := flag.Bool("pull-through", false, "a pull-through cache (REGISTRY_URL, METRICS_URL) of an upstream registry (UPSTREAM_URL)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: with-registry [-auth none|htpasswd|token] [-tls] [-metrics] [-pull-through] -- CMD [ARGS...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		return 2
	}
	modes := map[string]registrytest.AuthMode{
		"none": registrytest.AuthNone, "htpasswd": registrytest.AuthHtpasswd, "token": registrytest.AuthToken,
	}
	auth, ok := modes[*authFlag]
	if !ok {
		fmt.Fprintf(os.Stderr, "with-registry: -auth %q is not none, htpasswd or token\n", *authFlag)
		return 2
	}
	if *pullThroughFlag && (auth != registrytest.AuthNone || *tlsFlag) {
		fmt.Fprintln(os.Stderr, "with-registry: -pull-through runs anonymous http registries; drop -auth and -tls")
		return 2
	}
	reg, env, stop, err := launch(registrytest.Options{Auth: auth, TLS: *tlsFlag, Metrics: *metricsFlag}, *pullThroughFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "with-registry:", err)
		return 1
	}
	defer func() {
		if err := stop(); err != nil {
			fmt.Fprintln(os.Stderr, "with-registry: stopping the registry:", err)
		}
	}()
	fmt.Fprintln(os.Stderr, "with-registry: registry at", reg.URL)

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...) // #nosec G204 -- runs the command it was given, as its user asked
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "REGISTRY_URL="+reg.URL, "REGISTRY_STORAGE="+reg.Dir)
	cmd.Env = append(cmd.Env, env...)
	if reg.MetricsURL != "" {
		cmd.Env = append(cmd.Env, "METRICS_URL="+reg.MetricsURL)
	}
	if reg.Username != "" {
		cmd.Env = append(cmd.Env, "REGISTRY_USER="+reg.Username, "REGISTRY_PASSWORD="+reg.Password)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "with-registry:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-signals:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			var exit *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &exit):
				return exit.ExitCode()
			default:
				fmt.Fprintln(os.Stderr, "with-registry:", err)
				return 1
			}
		}
	}
}

// launch starts the registry CMD talks to, or a pull-through cache and its
// upstream, and returns it with the environment it adds and how to stop it.
func launch(opts registrytest.Options, pullThrough bool) (*registrytest.Registry, []string, func() error, error) {
	if pullThrough {
		pair, err := registrytest.LaunchPullThrough()
		if err != nil {
			return nil, nil, nil, err
		}
		fmt.Fprintln(os.Stderr, "with-registry: upstream at", pair.Upstream.URL)
		return pair.Cache, []string{"UPSTREAM_URL=" + pair.Upstream.URL}, pair.Close, nil
	}
	reg, err := registrytest.Launch(opts)
	if err != nil {
		return nil, nil, nil, err
	}
	return reg, nil, reg.Close, nil
}
