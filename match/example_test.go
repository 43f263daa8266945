package match_test

import (
	"context"
	"fmt"
	"log"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

// A typical Alert: errors of every Kustomization and
// HelmRelease in flux-system go to the slack Provider.
const exampleAlertYAML = `
apiVersion: notification.toolkit.fluxcd.io/v1beta1
kind: Alert
metadata:
  name: flux-alerts
  namespace: flux-system
spec:
  eventSeverity: error
  eventSources:
    - kind: Kustomization
      name: "*"
    - kind: HelmRelease
      name: "*"
  providerRef:
    name: slack
`

func Example() {
	var a alert.Alert
	if err := yaml.Unmarshal([]byte(exampleAlertYAML), &a); err != nil {
		log.Fatal(err)
	}
	m, err := match.Compile([]alert.Alert{a})
	if err != nil {
		log.Fatal(err)
	}

	// The kustomize-controller reports that my-app-kustomization failed.
	failed := &event.Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1",
			Kind:       "Kustomization",
			Namespace:  "flux-system",
			Name:       "my-app-kustomization",
		},
		Severity:            "error",
		Reason:              "ReconciliationFailed",
		Message:             "Deployment/my-app/my-app-deployment: health check failed",
		ReportingController: "kustomize-controller",
	}
	for _, matched := range m.Match(context.Background(), failed) {
		fmt.Printf("%s -> provider %s\n", matched.NamespacedName(), matched.Spec.ProviderRef.Name)
	}
	// Output:
	// flux-system/flux-alerts -> provider slack
}

func ExampleMatcher_Explain() {
	alerts := []alert.Alert{
		newAlert("flux-alerts", alert.Threshold("error"), src("Kustomization", "*"), src("HelmRelease", "*")),
		newAlert("gitops-updates", alert.Threshold("info"), src("HelmRelease", "*")),
		newAlert("apps", alert.Exactly("error", "warn"), src("Kustomization", "app-*")),
		with(newAlert("quiet", alert.Threshold("info"), src("Kustomization", "*")), func(a *alert.Alert) {
			a.Spec.ExclusionList = []string{".*dry-run.*"}
		}),
	}
	m, err := match.Compile(alerts)
	if err != nil {
		log.Fatal(err)
	}

	// Why did nobody hear about this event?
	e := ev("Kustomization", "flux-system", "my-app", "info", "server-side apply dry-run succeeded")
	fmt.Println("matched:", len(m.Match(context.Background(), e)))
	for _, miss := range m.Explain(context.Background(), e) {
		fmt.Println(miss)
	}
	// Output:
	// matched: 0
	// flux-system/flux-alerts: severity info is below error
	// flux-system/gitops-updates: kind Kustomization, want HelmRelease
	// flux-system/apps: name my-app does not match app-*
	// flux-system/quiet: excluded by exclusionList[0] `.*dry-run.*`
}

func ExampleCompile_flux() {
	// In flux mode an alert without eventSeverity takes every event, as
	// Flux's notification-controller does; in extended mode only errors.
	a := newAlert("all", alert.EventSeverity{}, src("Kustomization", "*"))
	e := ev("Kustomization", "flux-system", "my-app", "info", "Reconciliation finished")
	for _, mode := range []match.Mode{match.Extended, match.Flux} {
		m, err := match.Compile([]alert.Alert{a}, match.WithMode(mode))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d match\n", mode, len(m.Match(context.Background(), e)))
	}
	// Output:
	// extended: 0 match
	// flux: 1 match
}

func ExampleLabelerFunc() {
	// A test gives the labels of the involved object; a controller would
	// read them from the cluster.
	labels := match.LabelerFunc(func(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error) {
		return map[string]string{"team": "payments"}, nil
	})
	a := newAlert("payments", alert.Threshold("error"), alert.CrossNamespaceObjectReference{
		Kind: "HelmRelease", Name: "*", MatchLabels: map[string]string{"team": "payments"},
	})
	m, err := match.Compile([]alert.Alert{a}, match.WithLabeler(labels))
	if err != nil {
		log.Fatal(err)
	}
	for _, matched := range m.Match(context.Background(), ev("HelmRelease", "flux-system", "checkout", "error", "install failed")) {
		fmt.Println(matched.Name)
	}
	// Output:
	// payments
}
