package registrytest

import (
	"bytes"
	"errors"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// wantVersion is the distribution release the harness's config is written for.
const wantVersion = "v3.1.2"

// installHint tells a developer how to get the binary.
const installHint = "install it with `make tools` (go install github.com/distribution/distribution/v3/cmd/registry@" +
	wantVersion + ") or point REGISTRY_BIN at it"

// versionChecked caches, per binary path, the error of its version check.
var versionChecked sync.Map

// errNoBinary says no distribution registry binary was found.
var errNoBinary = errors.New("distribution registry binary not found; " + installHint)

// FindBinary returns the path of the distribution registry binary:
// $REGISTRY_BIN, else <module root>/bin/registry, else registry in PATH,
// else $GOPATH/bin/registry; or why there is none to use.
func FindBinary() (string, error) {
	if p := os.Getenv("REGISTRY_BIN"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("REGISTRY_BIN=%s is not an executable file", p)
		}
		return p, checkVersion(p)
	}
	for _, p := range candidates() {
		if isExecutable(p) {
			return p, checkVersion(p)
		}
	}
	return "", errNoBinary
}

// Binary is FindBinary for a test: when there is no binary it fails the
// test under CI=true and skips it otherwise.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := FindBinary()
	switch {
	case errors.Is(err, errNoBinary) && os.Getenv("CI") != "true":
		t.Skip(err)
	case err != nil:
		t.Fatal(err)
	}
	return p
}

// candidates lists where the binary may be, in order of preference.
func candidates() []string {
	var out []string
	if root := moduleRoot(); root != "" {
		out = append(out, filepath.Join(root, "bin", "registry"))
	}
	if p, err := exec.LookPath("registry"); err == nil {
		out = append(out, p)
	}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		out = append(out, filepath.Join(gobin, "registry"))
	}
	for _, gopath := range filepath.SplitList(build.Default.GOPATH) {
		out = append(out, filepath.Join(gopath, "bin", "registry"))
	}
	return out
}

// moduleRoot walks up from the working directory (a test runs in its
// package's directory) to the directory holding go.mod.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// checkVersion refuses a binary that is not a distribution v3 registry:
// another `registry` in PATH, or a v2 one, would reject the config.
func checkVersion(path string) error {
	res, _ := versionChecked.LoadOrStore(path, sync.OnceValue(func() error {
		out, err := exec.Command(path, "--version").CombinedOutput()
		if err != nil {
			return &versionError{path: path, output: string(out), err: err}
		}
		if !bytes.Contains(out, []byte("distribution/v3 ")) {
			return &versionError{path: path, output: string(out)}
		}
		return nil
	}))
	return res.(func() error)()
}

type versionError struct {
	path, output string
	err          error
}

func (e *versionError) Error() string {
	msg := e.path + " is not a distribution v3 registry (want " + wantVersion + "; " + installHint + ")"
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg + ": --version said " + strings.TrimSpace(e.output)
}
