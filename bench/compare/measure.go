package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// gnuTime is GNU time: it waits for the command, which waits for its own
// children, so its user and system times cover the whole process tree.
const gnuTime = "/usr/bin/time"

// usage is what one command cost its process tree.
type usage struct {
	wall, user, sys float64 // seconds (GNU time's %e %U %S)
	maxRSS          int64   // KiB, of the largest single process of the tree (%M)
	peakPSS         int64   // KiB, the tree's proportional set sizes summed, sampled
}

func (u usage) cpu() float64 { return u.user + u.sys }

// job is one command to measure.
type job struct {
	argv    []string
	env     []string
	dir     string // working directory, also where its log and time file go
	timeout time.Duration
}

// measure runs j under GNU time in its own process group, which a timeout
// or an interrupt kills whole, and samples the tree's memory meanwhile.
func measure(ctx context.Context, j job) (usage, error) {
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	timeFile := filepath.Join(j.dir, "time.out")
	logPath := filepath.Join(j.dir, "output.log")
	logFile, err := os.Create(logPath) // #nosec G304 -- a log in the driver's work directory
	if err != nil {
		return usage{}, err
	}
	defer logFile.Close()
	args := append([]string{"-f", "%e %U %S %M", "-o", timeFile, "--"}, j.argv...)
	cmd := exec.CommandContext(ctx, gnuTime, args...) // #nosec G204 -- runs the benchmark row the driver defines
	cmd.Dir = j.dir
	cmd.Env = j.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	ownProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return usage{}, fmt.Errorf("start %s: %w", j.argv[0], err)
	}
	stopSampling := make(chan struct{})
	peak := make(chan int64, 1)
	go func() { peak <- samplePeakPSS(cmd.Process.Pid, stopSampling) }()
	waitErr := cmd.Wait()
	close(stopSampling)
	u := usage{peakPSS: <-peak}
	if waitErr != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return u, fmt.Errorf("killed after %s; output in %s", j.timeout, logPath)
		}
		return u, fmt.Errorf("%s: %w; output in %s:\n%s", strings.Join(j.argv, " "), waitErr, logPath, tail(logPath, 2000))
	}
	raw, err := os.ReadFile(timeFile) // #nosec G304 -- a file the driver wrote
	if err != nil {
		return u, err
	}
	if err := parseTime(string(raw), &u); err != nil {
		return u, err
	}
	return u, nil
}

// parseTime reads GNU time's "%e %U %S %M" line: the last one, as time
// writes "Command exited with non-zero status N" before it.
func parseTime(out string, u *usage) error {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if _, err := fmt.Sscanf(last, "%f %f %f %d", &u.wall, &u.user, &u.sys, &u.maxRSS); err != nil {
		return fmt.Errorf("GNU time wrote %q: %w", last, err)
	}
	return nil
}

// tail is the last n bytes of the file at path.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path) // #nosec G304 -- a log the driver wrote
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
