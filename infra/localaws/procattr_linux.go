package localaws

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr puts the emulator in a process group of its own, and has the
// kernel end it if this process dies first (its bootstrap then exits on
// its own: its next /invocation/next fails).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup ends the emulator and the bootstrap it started. The emulator
// starts the bootstrap in a process group of the bootstrap's own, so its
// children are found in /proc and ended first.
func killGroup(cmd *exec.Cmd) {
	pid := cmd.Process.Pid
	for _, child := range children(pid) {
		_ = syscall.Kill(-child, syscall.SIGKILL)
		_ = syscall.Kill(child, syscall.SIGKILL)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// children returns the process's child pids (every thread's).
func children(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var out []int
	for _, t := range tasks {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}
