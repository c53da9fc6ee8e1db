package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
)

// syncDisks writes dirty pages back, so the row before's are not written during the next.
func syncDisks() { syscall.Sync() }

// ownProcessGroup starts cmd in a process group of its own, which a timeout
// or an interrupt kills whole.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// machine describes where the run happened: CPU model, cores, memory, kernel.
func machine() string {
	model := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(info), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	var si syscall.Sysinfo_t
	memGiB := 0.0
	if syscall.Sysinfo(&si) == nil {
		memGiB = float64(si.Totalram) * float64(si.Unit) / (1 << 30)
	}
	var uts syscall.Utsname
	kernel := ""
	if syscall.Uname(&uts) == nil {
		var b []byte
		for _, c := range uts.Release {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		kernel = string(b)
	}
	return fmt.Sprintf("%s, %d cores, %.0f GiB RAM, Linux %s", model, runtime.NumCPU(), memGiB, kernel)
}
