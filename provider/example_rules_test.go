package provider_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
)

// Skip tells whether Flux delivers an event, once matched, to a provider:
// here the commit-status update kustomize-controller sends after a
// successful reconciliation, and a failure without commit metadata.
func ExampleSkip() {
	ks := corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Namespace: "flux-system", Name: "apps"}
	update := event.New(ks, event.SeverityInfo, "ReconciliationSucceeded", "Reconciliation finished",
		event.WithMetadata(map[string]string{
			"kustomize.toolkit.fluxcd.io/revision":      "main@sha1:5394cb7f48332b2de7c17dd8b8384bbc84b7e738",
			"kustomize.toolkit.fluxcd.io/commit_status": "update",
		}))
	chart := event.New(ks, event.SeverityError, "HealthCheckFailed", "Health check failed",
		event.WithMetadata(map[string]string{"kustomize.toolkit.fluxcd.io/revision": "0.28.0"}))

	for _, e := range []*event.Event{update, chart} {
		for _, typ := range []string{provider.TypeSlack, provider.TypeGitHub, provider.TypeGeneric} {
			p := &provider.Provider{Spec: provider.Spec{Type: typ}}
			if rule := provider.Skip(e, nil, p); rule != provider.NoSkip {
				fmt.Printf("%s to %s: skipped: %s\n", e.Reason, typ, rule)
			} else {
				fmt.Printf("%s to %s: delivered\n", e.Reason, typ)
			}
		}
	}
	// Output:
	// ReconciliationSucceeded to slack: skipped: commit-status-update
	// ReconciliationSucceeded to github: delivered
	// ReconciliationSucceeded to generic: delivered
	// HealthCheckFailed to slack: delivered
	// HealthCheckFailed to github: skipped: revision-not-commit
	// HealthCheckFailed to generic: delivered
}
