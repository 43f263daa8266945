package fluxnotify

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

// update rewrites the golden files under testdata/ instead of comparing
// with them: go test -run TestX -update. Every golden test of the package
// uses this one flag.
var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestMain checks that no test of the package leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
