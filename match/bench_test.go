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

// A benchShape is one shape of configuration for BenchmarkMatchShapes: n
// alerts and an event, and how many alerts the event matches (checked
// against the reference before measuring).
type benchShape struct {
	name string
	// build returns n alerts and the event.
	build func(n int) ([]alert.Alert, *event.Event)
	// labels: the involved object's labels, for team-mix.
	labels bool
}

// oneNS returns n alerts in namespace apps, alert i with the source that
// src(i) returns, taking every severity from info up.
func oneNS(n int, src func(i int) alert.CrossNamespaceObjectReference) []alert.Alert {
	alerts := make([]alert.Alert, n)
	for i := range alerts {
		a := newAlert(fmt.Sprintf("alert-%d", i), alert.Threshold("info"), src(i))
		a.Namespace = "apps"
		alerts[i] = a
	}
	return alerts
}

// benchShapes are the shapes of issue 13. Those whose event matches at most
// ten alerts are compared with one-ns-exact; the others (one-ns-same-glob,
// many-matches-regex) report ns/match.
var benchShapes = []benchShape{
	{name: "team-mix", labels: true, build: func(n int) ([]alert.Alert, *event.Event) {
		return benchAlerts(n), benchEvent(n)
	}},
	// 100k alerts in one namespace, each with its own exact name: one match.
	{name: "one-ns-exact", build: func(n int) ([]alert.Alert, *event.Event) {
		alerts := oneNS(n, func(i int) alert.CrossNamespaceObjectReference {
			return src("Kustomization", fmt.Sprintf("app-%d", i))
		})
		return alerts, ev("Kustomization", "apps", fmt.Sprintf("app-%d", n/2), "error", "health check failed")
	}},
	// Each alert its own glob (app-<i>-*): one match.
	{name: "one-ns-distinct-globs", build: func(n int) ([]alert.Alert, *event.Event) {
		alerts := oneNS(n, func(i int) alert.CrossNamespaceObjectReference {
			return src("Kustomization", fmt.Sprintf("app-%d-*", i))
		})
		return alerts, ev("Kustomization", "apps", fmt.Sprintf("app-%d-web", n/2), "error", "health check failed")
	}},
	// Every alert the same glob: every alert matches.
	{name: "one-ns-same-glob", build: func(n int) ([]alert.Alert, *event.Event) {
		alerts := oneNS(n, func(int) alert.CrossNamespaceObjectReference { return src("Kustomization", "app-*") })
		return alerts, ev("Kustomization", "apps", "app-1", "error", "health check failed")
	}},
	// namespace "*", exact names: one match.
	{name: "ns-star-exact", build: func(n int) ([]alert.Alert, *event.Event) {
		alerts := oneNS(n, func(i int) alert.CrossNamespaceObjectReference {
			return srcNS("Kustomization", "*", fmt.Sprintf("app-%d", i))
		})
		return alerts, ev("Kustomization", benchNamespace(7), fmt.Sprintf("app-%d", n/2), "error", "health check failed")
	}},
	// kind "*", exact names: one match.
	{name: "kind-star-exact", build: func(n int) ([]alert.Alert, *event.Event) {
		alerts := oneNS(n, func(i int) alert.CrossNamespaceObjectReference {
			return src("*", fmt.Sprintf("app-%d", i))
		})
		return alerts, ev("HelmRelease", "apps", fmt.Sprintf("app-%d", n/2), "error", "health check failed")
	}},
	// Names "*" spread over namespaces of 50 alerts and ten kinds: five
	// matches.
	{name: "star-names-spread", build: func(n int) ([]alert.Alert, *event.Event) {
		alerts := make([]alert.Alert, n)
		for i := range alerts {
			a := newAlert(fmt.Sprintf("alert-%d", i%alertsPerNamespace), alert.Threshold("info"), src(benchKinds[i%len(benchKinds)], "*"))
			a.Namespace = benchNamespace(i / alertsPerNamespace)
			alerts[i] = a
		}
		return alerts, ev("Kustomization", benchNamespace(benchNamespaces(n)/2), "app-1", "error", "health check failed")
	}},
	// Every alert has an inclusionList (one of eight expressions); names
	// exact over namespaces of 50 alerts: the event reaches two alerts, one
	// passes.
	{name: "inclusion-every-alert", build: func(n int) ([]alert.Alert, *event.Event) {
		exprs := []string{`health check failed`, `(?i)timeout`, `^Apply`, `fail(ed|ure)`, `(?i)(error|failed).*timeout`, `.*dry-run.*`, `denied`, `OOMKilled`}
		alerts := make([]alert.Alert, n)
		for i := range alerts {
			a := newAlert(fmt.Sprintf("alert-%d", i%alertsPerNamespace), alert.Threshold("info"), src("Kustomization", fmt.Sprintf("app-%d", i%(alertsPerNamespace/2))))
			a.Namespace = benchNamespace(i / alertsPerNamespace)
			a.Spec.InclusionList = []string{exprs[i%len(exprs)], exprs[(i+3)%len(exprs)]}
			alerts[i] = a
		}
		return alerts, ev("Kustomization", benchNamespace(benchNamespaces(n)/2), "app-3", "error", "health check failed")
	}},
	// 1,000 matches sharing one inclusion expression, among n alerts.
	{name: "many-matches-regex", build: func(n int) ([]alert.Alert, *event.Event) {
		alerts := make([]alert.Alert, n)
		for i := range alerts {
			a := newAlert(fmt.Sprintf("alert-%d", i%1000), alert.Threshold("info"), src("Kustomization", "*"))
			a.Namespace = benchNamespace(i / 1000)
			a.Spec.InclusionList = []string{`(?i)(error|failed).*timeout`}
			alerts[i] = a
		}
		return alerts, ev("Kustomization", benchNamespace(0), "app-1", "error", "health check failed: timeout waiting for Deployment/app-1")
	}},
}

// BenchmarkMatchShapes measures the compiled matcher and the reference on
// each shape of issue 13 at 1,000, 10,000 and 100,000 alerts.
// internal/benchcmp reads the results and checks the targets.
func BenchmarkMatchShapes(b *testing.B) {
	ctx := context.Background()
	for _, s := range benchShapes {
		for _, n := range []int{1000, 10000, 100000} {
			alerts, e := s.build(n)
			var opts []match.Option
			if s.labels {
				teamLabels := map[string]string{"team": e.InvolvedObject.Namespace}
				opts = append(opts, match.WithLabeler(match.LabelerFunc(func(context.Context, *corev1.ObjectReference) (map[string]string, error) {
					return teamLabels, nil
				})))
			}
			m, err := match.Compile(alerts, opts...)
			if err != nil {
				b.Fatal(err)
			}
			ref, err := match.NewReference(alerts, opts...)
			if err != nil {
				b.Fatal(err)
			}
			want := names(ref.Match(ctx, e))
			if got := names(m.Match(ctx, e)); !slices.Equal(got, want) || len(got) == 0 {
				b.Fatalf("%s: compiled matched %d alerts, reference %d", s.name, len(got), len(want))
			}
			for _, impl := range []struct {
				name string
				m    matcher
			}{{"compiled", m}, {"reference", ref}} {
				mm := impl.m
				b.Run(fmt.Sprintf("shape=%s/alerts=%d/%s", s.name, n, impl.name), func(b *testing.B) {
					dst := make([]*alert.Alert, 0, len(want))
					b.ReportAllocs()
					for b.Loop() {
						dst = mm.AppendMatches(ctx, dst[:0], e)
					}
					b.ReportMetric(float64(len(dst)), "matches/op")
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(dst)), "ns/match")
				})
			}
		}
	}
}
