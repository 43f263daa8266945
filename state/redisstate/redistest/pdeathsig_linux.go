package redistest

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal makes Linux kill redis-server if the test binary
// dies without stopping it, so no server outlives the tests.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
