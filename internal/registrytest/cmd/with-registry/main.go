// Command with-registry runs a command against a fresh local distribution
// registry, the one the tests use:
//
//	with-registry [-auth none|htpasswd|token] [-tls] -- CMD [ARGS...]
//
// It starts the registry on a free 127.0.0.1 port with its storage in a
// temporary directory, runs CMD with REGISTRY_URL, REGISTRY_STORAGE (the
// storage root, for benchmarks that watch bytes arrive) and, when there is
// auth, REGISTRY_USER and REGISTRY_PASSWORD set, passes SIGINT and SIGTERM on
// to CMD, then stops the registry and removes its storage whatever CMD did,
// and exits with CMD's status.
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
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: with-registry [-auth none|htpasswd|token] [-tls] -- CMD [ARGS...]")
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
	reg, err := registrytest.Launch(registrytest.Options{Auth: auth, TLS: *tlsFlag})
	if err != nil {
		fmt.Fprintln(os.Stderr, "with-registry:", err)
		return 1
	}
	defer func() {
		if err := reg.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "with-registry: stopping the registry:", err)
		}
	}()
	fmt.Fprintln(os.Stderr, "with-registry: registry at", reg.URL)

	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...) // #nosec G204 -- runs the command it was given, as its user asked
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "REGISTRY_URL="+reg.URL, "REGISTRY_STORAGE="+reg.Dir)
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
