package match_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

// The differential tests compare Matcher with Reference on random alerts
// and events drawn from small vocabularies, so that kinds, namespaces, names,
// globs, severities, labels and message filters collide often.

var (
	genSourceKinds  = []string{"Kustomization", "HelmRelease", "GitRepository", "kustomization", "Helm*", "*", "{Kustomization,HelmRelease}"}
	genSourceNS     = []string{"", "", "", "flux-system", "apps", "team-a", "team-*", "*"}
	genSourceNames  = []string{"*", "*", "my-app", "app-1", "web", "app-*", "{my-app,web}", "[a-m]*", "?eb"}
	genAlertNS      = []string{"flux-system", "apps", "team-a"}
	genSeverities   = []string{"trace", "info", "warn", "error", "warning"}
	genInclusions   = []string{"failed", "^health", "timeout", ".*check.*", "(?i)FAILED", "fail(ed)?", "(?i)kelvin", "(?i)(error|failed).*TIMEOUT"}
	genExclusions   = []string{"dry-run", "timeout", "succeeded", ".*dry-run.*", "time.ut", ".*", "(?s).*timeout", "^$"}
	genEventKinds   = []string{"Kustomization", "HelmRelease", "GitRepository", "kustomization", "HelmChart"}
	genEventNS      = []string{"flux-system", "apps", "team-a", "team-b", ""}
	genEventNames   = []string{"my-app", "app-1", "web", "app-*", "zeta"}
	genEventSev     = []string{"trace", "info", "warn", "error", "warning", "ERROR", "bogus"}
	genMessages     = []string{"apply failed", "health check failed: timeout", "dry-run failed", "reconciliation succeeded", "multi-line\ntimeout", "", "\u212aelvin FAILED", "kelvin"}
	genLabelChoices = []map[string]string{
		{"team": "platform"}, {"team": "dev"}, {"tier": "web"}, {"team": "platform", "tier": "web"}, {},
	}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func randomSeverity(r *rand.Rand) alert.EventSeverity {
	switch r.IntN(4) {
	case 0:
		return alert.EventSeverity{}
	case 1:
		n := 1 + r.IntN(3)
		levels := make([]string, n)
		for i := range levels {
			levels[i] = pick(r, genSeverities)
		}
		return alert.Exactly(levels...)
	default:
		return alert.Threshold(pick(r, genSeverities))
	}
}

func randomAlerts(r *rand.Rand, n int) []alert.Alert {
	alerts := make([]alert.Alert, n)
	for i := range alerts {
		var sources []alert.CrossNamespaceObjectReference
		for range 1 + r.IntN(3) {
			s := alert.CrossNamespaceObjectReference{
				Kind:      pick(r, genSourceKinds),
				Namespace: pick(r, genSourceNS),
				Name:      pick(r, genSourceNames),
			}
			if r.IntN(4) == 0 {
				s.MatchLabels = pick(r, genLabelChoices)
			}
			sources = append(sources, s)
		}
		a := newAlert(fmt.Sprintf("a%d", i), randomSeverity(r), sources...)
		a.Namespace = pick(r, genAlertNS)
		a.Spec.Suspend = r.IntN(10) == 0
		if r.IntN(5) == 0 {
			a.Spec.InclusionList = []string{pick(r, genInclusions)}
		}
		if r.IntN(5) == 0 {
			a.Spec.ExclusionList = []string{pick(r, genExclusions), pick(r, genExclusions)}
		}
		alerts[i] = a
	}
	return alerts
}

func randomEvent(r *rand.Rand) *event.Event {
	return ev(pick(r, genEventKinds), pick(r, genEventNS), pick(r, genEventNames), pick(r, genEventSev), pick(r, genMessages))
}

func randomOptions(r *rand.Rand) ([]match.Option, *staticLabels) {
	opts := []match.Option{match.WithMode(pick(r, bothModes))}
	if r.IntN(3) == 0 {
		opts = append(opts, match.WithNoCrossNamespaceRefs())
	}
	var lab *staticLabels
	switch r.IntN(4) {
	case 0: // no labeler
	case 1:
		lab = &staticLabels{err: errors.New("not found")}
	default:
		lab = &staticLabels{labels: map[string]string{"team": "platform", "tier": "web"}}
	}
	if lab != nil {
		opts = append(opts, match.WithLabeler(lab))
	}
	return opts, lab
}

// compare checks that the compiled matcher and the reference agree on e:
// same matches in the same order, same misses with the same reasons, and
// that the compiled matcher's matches and misses partition its alerts.
func compare(t *testing.T, m *match.Matcher, ref *match.Reference, lab *staticLabels, e *event.Event) {
	t.Helper()
	ctx := context.Background()
	if lab != nil {
		lab.calls = 0
	}
	got := names(m.Match(ctx, e))
	if lab != nil {
		require.LessOrEqual(t, lab.calls, 1, "Labeler calls in one Match")
	}
	want := names(ref.Match(ctx, e))
	require.Equal(t, want, got, "Match of %+v", e.InvolvedObject)

	misses := reasons(m.Explain(ctx, e))
	require.Equal(t, reasons(ref.Explain(ctx, e)), misses, "Explain of %+v", e.InvolvedObject)

	require.Len(t, m.Alerts(), len(got)+len(misses), "matches and misses partition the alerts")
	for _, name := range got {
		require.NotContains(t, misses, name)
	}
	for _, reason := range misses {
		require.NotEmpty(t, reason)
	}
}

func TestCompiledAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	matched, missed := 0, map[string]int{}
	for trial := range 400 {
		alerts := randomAlerts(r, 1+r.IntN(16))
		opts, lab := randomOptions(r)
		// Flux mode refuses what Flux's API server refuses (warn, lists,
		// kinds that are not Flux's), so both must leave out the same alerts.
		m, errM := match.Compile(alerts, opts...)
		ref, errR := match.NewReference(alerts, opts...)
		require.Equal(t, fmt.Sprint(errR), fmt.Sprint(errM))
		require.Equal(t, names(ref.Alerts()), names(m.Alerts()))
		t.Run(fmt.Sprint(trial), func(t *testing.T) {
			for range 25 {
				e := randomEvent(r)
				compare(t, m, ref, lab, e)
				matched += len(m.Match(context.Background(), e))
				for _, miss := range m.Explain(context.Background(), e) {
					missed[strings.Fields(miss.Reason)[0]]++
				}
			}
		})
	}
	// The vocabularies must make every kind of outcome common.
	assert.Greater(t, matched, 1000, "matches")
	for _, first := range []string{"alert", "kind", "namespace", "name", "severity", "labels:", "message", "excluded"} {
		assert.Greater(t, missed[first], 20, "misses starting with %q", first)
	}
}

// FuzzMatch compares the compiled matcher with the reference on random
// alerts (from seed), one alert built from the fuzzed pattern, and a fuzzed
// event.
func FuzzMatch(f *testing.F) {
	f.Add(uint64(1), false, "app-*", "Kustomization", "flux-system", "app-1", "error", "apply failed")
	f.Add(uint64(2), true, "*", "HelmRelease", "apps", "web", "info", "dry-run")
	f.Add(uint64(3), false, "{a,b}[c-d]?", "Kustomization", "team-a", "ad1", "warning", "health check failed: timeout")
	f.Add(uint64(4), true, `app-\*`, "Helm*", "", "app-*", "TRACE", "")
	f.Add(uint64(5), false, "[", "kustomization", "team-*", "*", "bogus", "x")
	f.Fuzz(func(t *testing.T, seed uint64, flux bool, pattern, kind, namespace, name, severity, message string) {
		r := rand.New(rand.NewPCG(seed, seed>>1))
		alerts := randomAlerts(r, 1+r.IntN(10))
		p := newAlert("fuzzed", randomSeverity(r),
			alert.CrossNamespaceObjectReference{Kind: pick(r, genSourceKinds), Name: pattern},
			alert.CrossNamespaceObjectReference{Kind: pattern, Namespace: pattern, Name: "*"},
		)
		alerts = append(alerts, p)
		opts, lab := randomOptions(r)
		if flux {
			opts = append(opts, match.WithMode(match.Flux))
		}
		m, errM := match.Compile(alerts, opts...)
		ref, errR := match.NewReference(alerts, opts...)
		if (errM == nil) != (errR == nil) {
			t.Fatalf("Compile error %v, NewReference error %v", errM, errR)
		}
		if errM != nil {
			assert.Equal(t, errR.Error(), errM.Error())
		}
		compare(t, m, ref, lab, ev(kind, namespace, name, severity, message))
		compare(t, m, ref, lab, ev(pick(r, genEventKinds), pick(r, genEventNS), pattern, pick(r, genEventSev), message))
	})
}

// TestGlobPrefixIndexAgreesWithReference compares the matcher with the
// reference on globs whose literal prefixes and suffixes nest and overlap,
// in every field, so that the prefix index and the suffix check meet names
// shorter than, equal to and longer than each prefix and suffix, and on
// globs filed under the few values they spell, next to exact values.
func TestGlobPrefixIndexAgreesWithReference(t *testing.T) {
	globs := []string{"*", "a*", "ap*", "app-*", "app-1*", "app-1?", `app-\*`, "app-[0-9]*", "*-api", "{app,web}-*", "é*", "app", "app-1", "Kustom*", "Kustomization", "team-*", "team-a",
		`*\*`, `a*\\`, "*é", "{app,web}-api", "[a-c]*1", "*-1", "ap*-1",
		"{Kustomization,HelmRelease}", "app-{1,12,*}", "app-[0-2]", "{team-a,app-1,app}", "[ae]{pp,-x}", "{a,b}{c,d}{e,f}{g,h}"}
	values := []string{"", "a", "ap", "app", "app-", "app-1", "app-12", "app-*", "web-api", "é-x", "\xff", "Kustomization", "team-a", "team-b",
		"*", `a\`, "é", "x-api", "ab1", "ap-1", "app\xff", "\xffé"}
	r := rand.New(rand.NewPCG(7, 7))
	for trial := range 200 {
		var alerts []alert.Alert
		for i := range 1 + r.IntN(12) {
			a := newAlert(fmt.Sprintf("g%d", i), alert.Threshold("info"),
				srcNS(pick(r, globs), pick(r, globs), pick(r, globs)),
				srcNS(pick(r, globs), pick(r, globs), pick(r, globs)))
			a.Namespace = pick(r, []string{"team-a", "app-1"})
			alerts = append(alerts, a)
		}
		opts := []match.Option{}
		if trial%4 == 0 {
			opts = append(opts, match.WithNoCrossNamespaceRefs())
		}
		m, err := match.Compile(alerts, opts...)
		require.NoError(t, err)
		ref, err := match.NewReference(alerts, opts...)
		require.NoError(t, err)
		for range 30 {
			compare(t, m, ref, nil, ev(pick(r, values), pick(r, values), pick(r, values), "error", "failed"))
		}
	}
}
