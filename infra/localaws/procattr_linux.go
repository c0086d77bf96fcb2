package localaws

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the emulator and its bootstrap in a process group of
// their own (killGroup ends both), and has the kernel end the emulator if
// this process dies first.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup ends the emulator's process group: the emulator and the
// bootstrap it started.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
