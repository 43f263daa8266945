package match_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

// This file restates Flux's own rules (notification-controller v1.9.3) as
// plainly as Flux writes them, on the raw alert and event fields, and
// compares flux mode with them on random configurations and events.
//
// It lives in a _test.go file on purpose: match.Reference shares the
// compiled per-alert rules with the Matcher (it checks the index), whereas
// this oracle must share nothing with the package, so that a mistake in the
// shared rules cannot hide. It is slow (it compiles every expression for
// every event, as Flux does) and has no use outside the tests.

// fluxKinds is the enum of CrossNamespaceObjectReference.Kind in Flux's
// api/v1/reference_types.go, written out again (not alert.FluxKinds).
var fluxKinds = []string{"Bucket", "GitRepository", "Kustomization", "HelmRelease", "HelmChart",
	"HelmRepository", "ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "OCIRepository",
	"ArtifactGenerator", "ExternalArtifact"}

// fluxAdmits restates what Flux's API server checks for an Alert: the
// OpenAPI markers of api/v1beta3/alert_types.go and api/v1/reference_types.go
// (required fields, enums, lengths), with eventSeverity defaulting to info.
func fluxAdmits(a *alert.Alert) bool {
	s := a.Spec
	if a.Name == "" || s.ProviderRef.Name == "" || len(s.EventSources) == 0 {
		return false
	}
	sev := s.EventSeverity
	switch {
	case sev.List:
		return false // the CRD's field is a string
	case len(sev.Values) > 1:
		return false
	case len(sev.Values) == 1 && sev.Values[0] != "info" && sev.Values[0] != "error":
		return false
	}
	if utf8.RuneCountInString(s.Summary) > 255 {
		return false
	}
	for _, src := range s.EventSources {
		if !slices.Contains(fluxKinds, src.Kind) {
			return false
		}
		if n := utf8.RuneCountInString(src.Name); n < 1 || n > 253 {
			return false
		}
		if utf8.RuneCountInString(src.Namespace) > 253 {
			return false
		}
	}
	return true
}

// fluxSeverity is the alert's eventSeverity after the API server's default.
func fluxSeverity(a *alert.Alert) string {
	if len(a.Spec.EventSeverity.Values) == 0 {
		return "info"
	}
	return a.Spec.EventSeverity.Values[0]
}

// fluxFilter restates filterAlertsForEvent (internal/server/event_handlers.go)
// followed by the cross-namespace check of getNotificationParams: the alerts
// to which Flux would send e. getLabels stands for the kubeClient.Get of the
// involved object.
func fluxFilter(alerts []alert.Alert, e *event.Event, getLabels func() (map[string]string, error), noCrossNamespaceRefs bool) []string {
	results := []string{}
	for i := range alerts {
		a := &alerts[i]
		if a.Spec.Suspend {
			continue
		}
		if !fluxMatchesSources(e, a, getLabels) {
			continue
		}
		if !fluxIncluded(e.Message, a) {
			continue
		}
		if fluxExcluded(e.Message, a) {
			continue
		}
		if noCrossNamespaceRefs && e.InvolvedObject.Namespace != a.Namespace {
			continue // getNotificationParams: access denied to cross-namespace sources
		}
		results = append(results, a.Name)
	}
	return results
}

// fluxMatchesSources restates eventMatchesAlertSources.
func fluxMatchesSources(e *event.Event, a *alert.Alert, getLabels func() (map[string]string, error)) bool {
	for _, source := range a.Spec.EventSources {
		if source.Namespace == "" {
			source.Namespace = a.Namespace
		}
		if fluxMatchesSource(e, a, source, getLabels) {
			return true
		}
	}
	return false
}

// fluxMatchesSource restates eventMatchesAlertSource.
func fluxMatchesSource(e *event.Event, a *alert.Alert, source alert.CrossNamespaceObjectReference, getLabels func() (map[string]string, error)) bool {
	if e.InvolvedObject.Namespace != source.Namespace || e.InvolvedObject.Kind != source.Kind {
		return false
	}
	severity := fluxSeverity(a)
	if e.Severity != severity && severity != "info" {
		return false
	}
	if source.Name != "*" && source.Name != e.InvolvedObject.Name {
		return false
	}
	if source.MatchLabels == nil {
		return true
	}
	objLabels, err := getLabels()
	if err != nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(&metav1.LabelSelector{MatchLabels: source.MatchLabels})
	if err != nil {
		return false
	}
	return sel.Matches(labels.Set(objLabels))
}

// fluxIncluded restates messageIsIncluded: an expression that does not
// compile includes nothing.
func fluxIncluded(msg string, a *alert.Alert) bool {
	if len(a.Spec.InclusionList) == 0 {
		return true
	}
	for _, exp := range a.Spec.InclusionList {
		if r, err := regexp.Compile(exp); err == nil && r.Match([]byte(msg)) {
			return true
		}
	}
	return false
}

// fluxExcluded restates messageIsExcluded: an expression that does not
// compile excludes nothing.
func fluxExcluded(msg string, a *alert.Alert) bool {
	for _, exp := range a.Spec.ExclusionList {
		if r, err := regexp.Compile(exp); err == nil && r.Match([]byte(msg)) {
			return true
		}
	}
	return false
}

// Vocabularies for flux mode: values Flux admits and values it refuses, so
// that both the API server's checks and the filter are exercised. Every
// regular expression and label compiles: fluxnotify refuses the others (a
// documented difference), which the oracle does not model.
var (
	fluxGenKinds    = []string{"Kustomization", "Kustomization", "HelmRelease", "GitRepository"}
	fluxGenBadKinds = []string{"kustomization", "Helm*", "*", "AppConfig"}
	fluxGenSourceNS = []string{"", "", "", "flux-system", "apps", "team-a", "*", "team-*"}
	fluxGenNames    = []string{"*", "*", "*", "my-app", "my-app", "web", "app-*", "[a-m]*", "{my-app,web}"}
	fluxGenSev      = []string{"", "info", "error", "error"}
	fluxGenBadSev   = []string{"warn", "trace", "Error"}
	fluxGenEventSev = []string{"info", "error", "trace", "warn", "warning", "ERROR", "Info", "", " error", "bogus"}
	fluxGenKindsEv  = []string{"Kustomization", "Kustomization", "HelmRelease", "GitRepository", "kustomization", "Helm*", "AppConfig"}
	fluxGenNSEv     = []string{"flux-system", "flux-system", "apps", "team-a", "*", ""}
	fluxGenNamesEv  = []string{"my-app", "my-app", "web", "app-*", "*", "zeta"}
)

func randomFluxSeverity(r *rand.Rand) alert.EventSeverity {
	switch r.IntN(20) {
	case 0:
		return alert.Exactly(pick(r, []string{"error", "info"}))
	case 1, 2:
		return alert.Threshold(pick(r, fluxGenBadSev))
	}
	v := pick(r, fluxGenSev)
	if v == "" {
		return alert.EventSeverity{}
	}
	return alert.Threshold(v)
}

func randomFluxAlerts(r *rand.Rand, n int) []alert.Alert {
	alerts := make([]alert.Alert, n)
	for i := range alerts {
		var sources []alert.CrossNamespaceObjectReference
		for range 1 + r.IntN(3) {
			s := alert.CrossNamespaceObjectReference{
				Kind:      pick(r, fluxGenKinds),
				Namespace: pick(r, fluxGenSourceNS),
				Name:      pick(r, fluxGenNames),
			}
			if r.IntN(15) == 0 {
				s.Kind = pick(r, fluxGenBadKinds)
			}
			if r.IntN(4) == 0 {
				s.MatchLabels = pick(r, genLabelChoices)
			}
			sources = append(sources, s)
		}
		a := newAlert(fmt.Sprintf("a%d", i), randomFluxSeverity(r), sources...)
		a.Namespace = pick(r, genAlertNS)
		a.Spec.Suspend = r.IntN(10) == 0
		if r.IntN(5) == 0 {
			a.Spec.InclusionList = []string{pick(r, genInclusions)}
		}
		if r.IntN(5) == 0 {
			a.Spec.ExclusionList = []string{pick(r, genExclusions), pick(r, genExclusions)}
		}
		if r.IntN(20) == 0 {
			a.Spec.Summary = strings.Repeat("s", 250+r.IntN(10))
		}
		alerts[i] = a
	}
	return alerts
}

func randomFluxEvent(r *rand.Rand) *event.Event {
	return ev(pick(r, fluxGenKindsEv), pick(r, fluxGenNSEv), pick(r, fluxGenNamesEv), pick(r, fluxGenEventSev), pick(r, genMessages))
}

// fluxSetup compiles alerts in flux mode with random options and checks that
// the matcher keeps exactly the alerts Flux's API server admits.
func fluxSetup(t *testing.T, r *rand.Rand, alerts []alert.Alert) (*match.Matcher, []alert.Alert, *staticLabels, bool) {
	t.Helper()
	opts := []match.Option{match.WithMode(match.Flux)}
	noCross := r.IntN(3) == 0
	if noCross {
		opts = append(opts, match.WithNoCrossNamespaceRefs())
	}
	lab := &staticLabels{labels: map[string]string{"team": "platform", "tier": "web"}}
	switch r.IntN(4) {
	case 0:
		lab = nil // no Labeler: every lookup fails
	case 1:
		lab.labels, lab.err = nil, errors.New("not found")
	}
	if lab != nil {
		opts = append(opts, match.WithLabeler(lab))
	}
	m, err := match.Compile(alerts, opts...)
	var admitted []alert.Alert
	for i := range alerts {
		if fluxAdmits(&alerts[i]) {
			admitted = append(admitted, alerts[i])
		}
	}
	want := make([]*alert.Alert, len(admitted))
	for i := range admitted {
		want[i] = &admitted[i]
	}
	require.Equal(t, names(want), names(m.Alerts()), "alerts kept in flux mode (compile error: %v)", err)
	return m, admitted, lab, noCross
}

// fluxCompare checks that flux mode sends e to the alerts Flux would.
func fluxCompare(t *testing.T, m *match.Matcher, admitted []alert.Alert, lab *staticLabels, noCross bool, e *event.Event) []string {
	t.Helper()
	getLabels := func() (map[string]string, error) {
		if lab == nil {
			return nil, errors.New("no labeler")
		}
		return lab.labels, lab.err
	}
	want := fluxFilter(admitted, e, getLabels, noCross)
	got := names(m.Match(context.Background(), e))
	require.Equal(t, want, got, "flux mode vs Flux's filterAlertsForEvent for %+v severity %q message %q", e.InvolvedObject, e.Severity, e.Message)
	return got
}

// TestFluxModeAgreesWithFlux compares flux mode with the restatement of
// Flux's rules above (fluxAdmits, fluxFilter) on random configurations and
// events.
func TestFluxModeAgreesWithFlux(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	matched, refused, total := 0, 0, 0
	for range 500 {
		alerts := randomFluxAlerts(r, 1+r.IntN(12))
		m, admitted, lab, noCross := fluxSetup(t, r, alerts)
		refused += len(alerts) - len(admitted)
		total += len(alerts)
		for range 40 {
			matched += len(fluxCompare(t, m, admitted, lab, noCross, randomFluxEvent(r)))
		}
	}
	t.Logf("%d alerts, %d refused, %d matches", total, refused, matched)
	// The vocabularies must make both outcomes common.
	assert.Greater(t, matched, 500, "matches")
	assert.Greater(t, refused, total/10, "alerts Flux's API server refuses")
	assert.Less(t, refused, total/2, "alerts Flux's API server refuses")
}

// FuzzFluxMode compares flux mode with the restatement of Flux's rules on
// random alerts (from seed), one alert built from the fuzzed source fields,
// and a fuzzed event. The seed corpus runs with plain go test.
func FuzzFluxMode(f *testing.F) {
	f.Add(uint64(1), "Kustomization", "", "*", "error", "Kustomization", "flux-system", "my-app", "error", "apply failed")
	f.Add(uint64(2), "HelmRelease", "apps", "web", "info", "HelmRelease", "apps", "web", "", "dry-run")
	f.Add(uint64(3), "kustomization", "team-*", "app-*", "warn", "Kustomization", "team-a", "app-*", "ERROR", "timeout")
	f.Add(uint64(4), "Helm*", "*", "[a-m]*", "Error", "Helm*", "*", "[a-m]*", "warning", "")
	f.Add(uint64(5), "GitRepository", "flux-system", "flux-system", "", "GitRepository", "flux-system", "flux-system", "bogus", "multi-line\ntimeout")
	f.Fuzz(func(t *testing.T, seed uint64, kind, namespace, name, severity, evKind, evNamespace, evName, evSeverity, message string) {
		r := rand.New(rand.NewPCG(seed, seed>>1))
		alerts := randomFluxAlerts(r, 1+r.IntN(8))
		sev := alert.EventSeverity{}
		if severity != "" {
			sev = alert.Threshold(severity)
		}
		fuzzed := newAlert("fuzzed", sev, alert.CrossNamespaceObjectReference{Kind: kind, Namespace: namespace, Name: name})
		fuzzed.Namespace = pick(r, genAlertNS)
		alerts = append(alerts, fuzzed)
		m, admitted, lab, noCross := fluxSetup(t, r, alerts)
		fluxCompare(t, m, admitted, lab, noCross, ev(evKind, evNamespace, evName, evSeverity, message))
		fluxCompare(t, m, admitted, lab, noCross, ev(kind, pick(r, fluxGenNSEv), name, evSeverity, message))
	})
}

// TestAppendMatchesDoesNotAllocateInFluxMode: the exact severity comparison
// costs no allocation either, whatever the event's severity.
func TestAppendMatchesDoesNotAllocateInFluxMode(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	alerts := []alert.Alert{
		exampleAlert(),
		newAlert("info", alert.Threshold("info"), src("Kustomization", "*")),
		newAlert("unset", alert.EventSeverity{}, srcNS("Kustomization", "flux-system", "my-app")),
	}
	m, err := match.Compile(alerts, match.WithMode(match.Flux))
	require.NoError(t, err)
	dst := make([]*alert.Alert, 0, 8)
	for _, sev := range []string{"error", "ERROR", "", "warning"} {
		e := ev("Kustomization", "flux-system", "my-app", sev, "health check failed")
		allocs := testing.AllocsPerRun(100, func() { dst = m.AppendMatches(context.Background(), dst[:0], e) })
		assert.Zero(t, allocs, "severity %q", sev)
	}
}
