package match_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// matcher is what Matcher and Reference have in common.
type matcher interface {
	Alerts() []*alert.Alert
	Match(ctx context.Context, e *event.Event) []*alert.Alert
	AppendMatches(ctx context.Context, dst []*alert.Alert, e *event.Event) []*alert.Alert
	Explain(ctx context.Context, e *event.Event) []match.Miss
}

var (
	_ matcher = (*match.Matcher)(nil)
	_ matcher = (*match.Reference)(nil)
)

// implementations builds both matchers from the same input.
func implementations(t testing.TB, alerts []alert.Alert, opts ...match.Option) map[string]matcher {
	t.Helper()
	m, err := match.Compile(alerts, opts...)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	r, err := match.NewReference(alerts, opts...)
	if err != nil {
		t.Fatalf("NewReference: %v", err)
	}
	return map[string]matcher{"compiled": m, "reference": r}
}

// src builds an event source.
func src(kind, name string) alert.CrossNamespaceObjectReference {
	return alert.CrossNamespaceObjectReference{Kind: kind, Name: name}
}

// srcNS builds an event source in another namespace.
func srcNS(kind, namespace, name string) alert.CrossNamespaceObjectReference {
	return alert.CrossNamespaceObjectReference{Kind: kind, Namespace: namespace, Name: name}
}

// srcLabels builds an event source with matchLabels.
func srcLabels(kind, name string, labels map[string]string) alert.CrossNamespaceObjectReference {
	return alert.CrossNamespaceObjectReference{Kind: kind, Name: name, MatchLabels: labels}
}

// newAlert builds a valid alert in flux-system.
func newAlert(name string, sev alert.EventSeverity, sources ...alert.CrossNamespaceObjectReference) alert.Alert {
	return alert.Alert{
		TypeMeta:   metav1.TypeMeta{APIVersion: alert.Group + "/v1beta3", Kind: alert.Kind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flux-system"},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
			EventSeverity: sev,
			EventSources:  sources,
		},
	}
}

// with returns a after applying f to it.
func with(a alert.Alert, f func(*alert.Alert)) alert.Alert {
	f(&a)
	return a
}

// exampleAlert is a typical Alert: errors of every Kustomization and HelmRelease in flux-system.
func exampleAlert() alert.Alert {
	return newAlert("flux-alerts", alert.Threshold("error"),
		src("Kustomization", "*"),
		src("HelmRelease", "*"),
	)
}

// ev builds an event about kind/namespace/name.
func ev(kind, namespace, name, severity, message string) *event.Event {
	return &event.Event{
		InvolvedObject: corev1.ObjectReference{
			Kind:       kind,
			Namespace:  namespace,
			Name:       name,
			APIVersion: "kustomize.toolkit.fluxcd.io/v1",
		},
		Severity:            severity,
		Message:             message,
		Reason:              "ReconciliationFailed",
		ReportingController: "kustomize-controller",
	}
}

func names(alerts []*alert.Alert) []string {
	out := make([]string, 0, len(alerts))
	for _, a := range alerts {
		out = append(out, a.Name)
	}
	return out
}

func reasons(misses []match.Miss) map[string]string {
	out := make(map[string]string, len(misses))
	for _, m := range misses {
		out[m.Alert.Name] = m.Reason
	}
	return out
}

// staticLabels is a Labeler that returns fixed labels and counts its calls.
type staticLabels struct {
	labels map[string]string
	err    error
	calls  int
}

func (s *staticLabels) Labels(context.Context, *corev1.ObjectReference) (map[string]string, error) {
	s.calls++
	return s.labels, s.err
}
