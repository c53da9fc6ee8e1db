//go:build !linux

package main

import (
	"fmt"
	"os/exec"
	"runtime"
)

// The driver measures on Linux (GNU time, /proc); elsewhere it only builds,
// so the module builds on every OS.

func syncDisks() {}

// ownProcessGroup leaves cmd as it is: a timeout kills the command alone.
func ownProcessGroup(*exec.Cmd) {}

// machine describes where the run happened, as far as the Go runtime knows.
func machine() string {
	return fmt.Sprintf("%d cores, %s/%s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}
