//go:build !linux

package redistest

import "os/exec"

// setParentDeathSignal does nothing where Linux's parent-death signal does
// not exist; TestMain still stops the server.
func setParentDeathSignal(*exec.Cmd) {}
