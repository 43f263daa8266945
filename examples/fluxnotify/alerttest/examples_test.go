package alerttest_test

import (
	"path/filepath"
	"testing"

	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/alerttest"
)

// TestExampleSuites runs the example suites of testdata/suites, which must
// all pass: they are what the README shows.
func TestExampleSuites(t *testing.T) {
	files, err := filepath.Glob("../testdata/suites/*_test.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example suites: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			alerttest.RunSuite(t, f)
		})
	}
}
