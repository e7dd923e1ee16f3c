package harness

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the child die with the harness (the kernel sends it
// SIGKILL when the harness's thread ends), so no service outlives a test.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
