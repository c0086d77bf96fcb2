//go:build !linux

package localaws

import (
	"os/exec"
	"syscall"
)

// The Runtime Interface Emulator runs on Linux only; elsewhere these keep
// the package building.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
