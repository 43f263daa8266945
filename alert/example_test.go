package alert_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
)

// Validate reports every problem of an alert with its field path.
func ExampleAlert_Validate() {
	a := &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "flux-system"},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
			EventSeverity: alert.Exactly("error", "critical"),
			EventSources: []alert.CrossNamespaceObjectReference{
				{Kind: "Kustomization", Name: "*"},
				{Kind: "HelmRelease"},
			},
		},
	}
	for _, fe := range a.FieldErrors() {
		fmt.Println(fe)
	}
	// Output:
	// spec.eventSeverity[1]: Unsupported value: "critical": supported values: "trace", "info", "warn", "error"
	// spec.eventSources[1].name: Required value: use "*" for every name
}

// Lint tells what Flux's API server would refuse (flux mode), and what only
// looks wrong (extended mode, where a kind may be any operator's).
func ExampleAlert_Lint() {
	a := &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "flux-system"},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
			EventSeverity: alert.Threshold("warn"),
			EventSources:  []alert.CrossNamespaceObjectReference{{Kind: "kustomization", Name: "*"}},
		},
	}
	errs, _ := a.Lint(true)
	fmt.Println("flux mode:")
	for _, fe := range errs {
		fmt.Println(fe)
	}
	_, warnings := a.Lint(false)
	fmt.Println("extended mode:")
	for _, fe := range warnings {
		fmt.Println(fe)
	}
	// Output:
	// flux mode:
	// spec.eventSeverity: Invalid value: "warn": Flux's Alert takes only info or error; use extended mode for other severities
	// spec.eventSources[0].kind: Invalid value: "kustomization": did you mean Kustomization? Flux's kinds are case-sensitive
	// extended mode:
	// spec.eventSources[0].kind: Invalid value: "kustomization": did you mean Kustomization? kinds are case-sensitive, so this source never matches Kustomization events
}
