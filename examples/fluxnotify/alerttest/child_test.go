package alerttest_test

import (
	"os"
	"os/exec"
	"testing"
)

// runChild runs TestRunSuiteFailure alone in a child test process, on
// suite, and returns its output.
func runChild(t *testing.T, suite string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunSuiteFailure$", "-test.v")
	cmd.Env = append(os.Environ(), "ALERTTEST_CHILD="+suite)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
