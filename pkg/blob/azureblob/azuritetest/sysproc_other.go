//go:build !linux

package azuritetest

import (
	"os"
	"os/exec"
)

func setProcAttr(*exec.Cmd) {}

func terminate(cmd *exec.Cmd) { _ = cmd.Process.Signal(os.Interrupt) }
func kill(cmd *exec.Cmd)      { _ = cmd.Process.Kill() }
