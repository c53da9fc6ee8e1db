package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// sampleInterval is how often the tree's memory is read. Processes that
// live less long (a curl of a small blob) may be missed.
const sampleInterval = 100 * time.Millisecond

// samplePeakPSS returns the largest sum, over the samples taken until stop
// closes, of the proportional set sizes (KiB) of root's descendants. PSS
// shares each shared page among the processes mapping it, so many curls
// do not count libcurl many times.
func samplePeakPSS(root int, stop <-chan struct{}) int64 {
	ticker := time.NewTicker(sampleInterval)
	defer ticker.Stop()
	var peak int64
	for {
		var sum int64
		for _, pid := range descendants(root) {
			sum += pssKiB(pid)
		}
		peak = max(peak, sum)
		select {
		case <-stop:
			return peak
		case <-ticker.C:
		}
	}
}

// descendants lists every process under root, root excluded, from /proc.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := children[root]
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		out = append(out, pid)
		queue = append(queue, children[pid]...)
	}
	return out
}

// parentOf reads the parent pid from /proc/PID/stat, whose second field,
// the command name in parentheses, may itself hold spaces and parentheses.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// pssKiB reads the Pss line of /proc/PID/smaps_rollup; 0 once the process is gone.
func pssKiB(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "Pss:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}
