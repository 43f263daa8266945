package alerttest

import (
	"context"
	"strings"
	"testing"

	"github.com/fluxnotify/fluxnotify"
)

// RunSuite runs the suite file at path from a Go test, each of its tests a
// subtest named after it; a failed test reports its diff. A suite that
// cannot run (a bad key, a manifest that does not load) fails t with every
// problem. opts are passed to Suite.Run.
//
//	func TestAlerts(t *testing.T) {
//		alerttest.RunSuite(t, "testdata/alerts_test.yaml")
//	}
func RunSuite(t *testing.T, path string, opts ...fluxnotify.RouterOption) {
	t.Helper()
	res, err := RunFile(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("alert test suite %s cannot run:\n%s", path, err)
		return
	}
	for _, w := range res.Warnings {
		t.Logf("warning: %s", w)
	}
	for _, tr := range res.Tests {
		t.Run(tr.Name, func(t *testing.T) {
			t.Helper()
			if !tr.Passed {
				t.Errorf("%s:%d: %s\n%s", path, tr.Line, strings.Join(tr.Failures, "; "), tr.Diff)
			}
		})
	}
}
