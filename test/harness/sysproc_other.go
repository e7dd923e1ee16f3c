//go:build !linux

package harness

import "os/exec"

// setProcAttr does nothing where Pdeathsig does not exist; Pipeline.Stop
// still stops every child.
func setProcAttr(*exec.Cmd) {}
