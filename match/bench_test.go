package match_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

var benchKinds = []string{
	"Kustomization", "HelmRelease", "GitRepository", "OCIRepository", "HelmRepository",
	"HelmChart", "Bucket", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation",
}

var benchGlobs = []string{"app-1*", "{frontend,backend}", "[a-c]*", "app-?", "*-api", "app-{1,2,3}"}

const alertsPerNamespace = 50

func benchNamespace(i int) string { return fmt.Sprintf("team-%05d", i) }

// benchAlerts returns n alerts shaped like a large multi-tenant cluster:
// about 50 alerts per namespace, each with one to three sources over ten
// Flux kinds; a third of the names "*", a third exact, a third globs; most
// sources in the alert's namespace, some in a neighbour's; 20% with
// inclusion or exclusion lists, 5% with matchLabels; a mix of severities;
// plus eight cluster-wide platform alerts (namespace and kind globs) whatever
// n is.
//
// The alerts of a namespace depend on its distance to the event's namespace
// only, so the event meets the same alerts whatever n is, and the sizes
// compare the cost of finding them.
func benchAlerts(n int) []alert.Alert {
	namespaces := benchNamespaces(n)
	eventNS := namespaces / 2
	r := rand.New(rand.NewPCG(42, 0))
	alerts := make([]alert.Alert, 0, n)
	for i := range 8 {
		a := newAlert(fmt.Sprintf("platform-%d", i), alert.Threshold("error"),
			srcNS(pick(r, []string{"*", "Helm*", "{Kustomization,HelmRelease}"}), pick(r, []string{"*", "team-0*", "team-*"}), "*"))
		a.Spec.ExclusionList = []string{`.*dry-run.*`}
		alerts = append(alerts, a)
	}
	for k := 0; len(alerts) < n; k++ {
		r := rand.New(rand.NewPCG(42, uint64(k-eventNS+1<<20)))
		ns := benchNamespace(k)
		for j := 0; j < alertsPerNamespace && len(alerts) < n; j++ {
			alerts = append(alerts, benchAlert(r, fmt.Sprintf("alert-%d", j), ns, benchNamespace((k+1)%namespaces)))
		}
	}
	return alerts
}

func benchNamespaces(n int) int { return max(1, n/alertsPerNamespace) }

func benchAlert(r *rand.Rand, name, ns, neighbour string) alert.Alert {
	var sources []alert.CrossNamespaceObjectReference
	for range 1 + r.IntN(3) {
		s := alert.CrossNamespaceObjectReference{Kind: pick(r, benchKinds)}
		switch r.IntN(3) {
		case 0:
			s.Name = "*"
		case 1:
			s.Name = fmt.Sprintf("app-%d", r.IntN(20))
		default:
			s.Name = pick(r, benchGlobs)
		}
		if r.IntN(7) == 0 {
			s.Namespace = neighbour
		}
		if r.IntN(20) == 0 {
			s.MatchLabels = map[string]string{"team": ns}
		}
		sources = append(sources, s)
	}
	var sev alert.EventSeverity
	switch r.IntN(5) {
	case 0:
		sev = alert.Threshold("info")
	case 1:
		sev = alert.Threshold("error")
	case 2:
		sev = alert.Exactly("error", "warn")
	}
	a := newAlert(name, sev, sources...)
	a.Namespace = ns
	switch r.IntN(10) {
	case 0:
		a.Spec.InclusionList = []string{`health check failed`, `^Apply`}
	case 1:
		a.Spec.ExclusionList = []string{`.*dry-run.*`, `(?i)timeout`}
	}
	return a
}

// benchEvent is a failing Kustomization in a namespace in the middle of the
// cluster.
func benchEvent(n int) *event.Event {
	ns := benchNamespace(benchNamespaces(n) / 2)
	return ev("Kustomization", ns, "app-1", "error", "Deployment/"+ns+"/app-1: health check failed after 5m0s")
}

func BenchmarkMatch(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1000, 10000, 100000} {
		alerts := benchAlerts(n)
		e := benchEvent(n)
		teamLabels := map[string]string{"team": e.InvolvedObject.Namespace}
		labels := match.WithLabeler(match.LabelerFunc(func(context.Context, *corev1.ObjectReference) (map[string]string, error) {
			return teamLabels, nil
		}))
		m, err := match.Compile(alerts, labels)
		if err != nil {
			b.Fatal(err)
		}
		ref, err := match.NewReference(alerts, labels)
		if err != nil {
			b.Fatal(err)
		}
		want := names(ref.Match(ctx, e))
		if got := names(m.Match(ctx, e)); !slices.Equal(got, want) || len(got) == 0 {
			b.Fatalf("compiled matched %v, reference %v", got, want)
		}
		for _, impl := range []struct {
			name string
			m    matcher
		}{{"compiled", m}, {"reference", ref}} {
			mm := impl.m
			b.Run(fmt.Sprintf("alerts=%d/%s", n, impl.name), func(b *testing.B) {
				dst := make([]*alert.Alert, 0, 64)
				b.ReportAllocs()
				for b.Loop() {
					dst = mm.AppendMatches(ctx, dst[:0], e)
				}
				b.ReportMetric(float64(len(dst)), "matches/op")
			})
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	alerts := benchAlerts(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := match.Compile(alerts); err != nil {
			b.Fatal(err)
		}
	}
}
