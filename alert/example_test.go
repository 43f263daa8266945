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
