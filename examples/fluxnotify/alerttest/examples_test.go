package alerttest_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/alerttest"
	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/gitops"
)

// TestExampleSuites runs the example suites of testdata/suites, which must
// all pass: they are what the README shows.
func TestExampleSuites(t *testing.T) {
	files, err := filepath.Glob(suites + "/*_test.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example suites: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			alerttest.RunSuite(t, f)
		})
	}
}

// TestGitOpsSuite runs the suite of a kustomize overlay with postBuild
// variables (testdata/suites/gitops), which gitops.Load builds and
// substitutes as Flux does.
func TestGitOpsSuite(t *testing.T) {
	overlay := filepath.Join(suites, "gitops", "clusters", "prod")
	cfg, err := gitops.Load([]string{overlay}, gitops.Options{Substitute: map[string]string{"cluster_name": "prod"}})
	require.NoError(t, err)
	require.NotEmpty(t, cfg.Alerts)
	assert.Equal(t, "monitoring", cfg.Alerts[0].Namespace, "the overlay's namespace")
	require.NotEmpty(t, cfg.Providers)
	assert.Equal(t, "alerts-prod", cfg.Providers[0].Spec.Channel, "the variable")
	alerttest.RunSuite(t, filepath.Join(suites, "gitops", "overlay_test.yaml"))
}
