package gitops_test

import (
	"fmt"

	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/gitops"
)

// Load builds the folder with kustomize, as kustomize-controller would
// (here an overlay that puts a shared component in the flux-system
// namespace and patches its Alert), then substitutes Flux's postBuild
// variables.
func ExampleLoad() {
	cfg, err := gitops.Load(
		[]string{"../testdata/repos/home-ops/kubernetes/apps/flux-system/notifications"},
		gitops.Options{Substitute: map[string]string{"CLUSTER_NAME": "prod"}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range cfg.Alerts {
		fmt.Printf("Alert %s/%s eventSeverity=%s\n", a.Namespace, a.Name, a.Spec.EventSeverity)
	}
	for _, p := range cfg.Providers {
		fmt.Printf("Provider %s/%s channel=%s\n", p.Namespace, p.Name, p.Spec.Channel)
	}
	// Output:
	// Alert flux-system/deployments eventSeverity=error
	// Alert flux-system/flux-alerts eventSeverity=error
	// Provider flux-system/deployments channel=#deployments
	// Provider flux-system/slack channel=#flux-prod
}
