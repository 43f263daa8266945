package match_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/match"
)

// TestEachExpressionRunsOncePerEvent reproduces issue 11's "1,000 alerts
// with inclusionList: ['(?i)(error|failed).*timeout'], one 3 MB event",
// which ran the expression 1,000 times (over 60 s). Each distinct
// inclusion or exclusion expression now runs at most once per event,
// whatever the number of alerts sharing it, in Match and in Explain. (A
// 256 KiB message: the count of runs is the bound.)
func TestEachExpressionRunsOncePerEvent(t *testing.T) {
	alerts := make([]alert.Alert, 0, 1002)
	for i := range 1000 {
		alerts = append(alerts, with(newAlert(fmt.Sprintf("a%04d", i), alert.Threshold("info"), src("Kustomization", "*")),
			func(a *alert.Alert) {
				a.Spec.InclusionList = []string{`(?i)(error|failed).*timeout`}
				if i%2 == 0 {
					a.Spec.ExclusionList = []string{`dry-run`, `(?i)(error|failed).*timeout`}
				}
			}))
	}
	m, err := match.Compile(alerts)
	require.NoError(t, err)
	e := ev("Kustomization", "flux-system", "app", "error", strings.Repeat("deployment failed while waiting; ", (256<<10)/33)+"timeout")

	got, runs := match.MatchCountingRuns(m, e)
	assert.Len(t, got, 500)
	assert.Equal(t, 2, runs, "distinct expressions run for one event")

	misses, runs := match.ExplainCountingRuns(m, e)
	assert.Len(t, misses, 500)
	assert.Equal(t, 2, runs)

	// A second event runs them again: nothing is kept between events.
	_, runs = match.MatchCountingRuns(m, ev("Kustomization", "flux-system", "app", "error", "ok"))
	assert.Equal(t, 1, runs, "the inclusion expression fails: no exclusion runs")

	// More distinct expressions than the fixed memo holds.
	alerts = alerts[:0]
	for i := range 300 {
		alerts = append(alerts, with(newAlert(fmt.Sprintf("b%03d", i), alert.Threshold("info"), src("Kustomization", "*")),
			func(a *alert.Alert) { a.Spec.InclusionList = []string{fmt.Sprintf("x%d|failed", i%200), "failed"} }))
	}
	m, err = match.Compile(alerts)
	require.NoError(t, err)
	got, runs = match.MatchCountingRuns(m, e)
	assert.Len(t, got, 300)
	assert.Equal(t, 200, runs)
}

// TestEachGlobRunsOncePerEvent: the same glob in many alerts, under exact
// and glob namespaces and kinds, runs once per event and field.
func TestEachGlobRunsOncePerEvent(t *testing.T) {
	var alerts []alert.Alert
	for i := range 300 {
		var s alert.CrossNamespaceObjectReference
		switch i % 3 {
		case 0:
			s = src("Kustomization", "app-?*")
		case 1:
			s = srcNS("Kustom?zation", "app-?*", "app-?*")
		default:
			s = srcNS("*", "*", "app-?*")
		}
		alerts = append(alerts, newAlert(fmt.Sprintf("a%03d", i), alert.Threshold("info"), s))
	}
	m, err := match.Compile(alerts)
	require.NoError(t, err)
	got, runs := match.MatchCountingGlobRuns(m, ev("Kustomization", "app-ns", "app-1", "error", "failed"))
	assert.Len(t, got, 200)
	// app-?* on the namespace and on the name, Kustom?zation on the kind.
	assert.Equal(t, 3, runs)
}

// TestPrefixGlobsDoNotRun: a glob that is a literal prefix, "*" and a
// literal suffix is decided by the prefix index and the suffix alone, a
// glob that spells a few values ("{Kustomization,HelmRelease}") is looked
// up as those values, and a glob whose literal suffix the value lacks does
// not run.
func TestPrefixGlobsDoNotRun(t *testing.T) {
	alerts := []alert.Alert{
		newAlert("prefix", alert.Threshold("info"), srcNS("Kustom*", "app-*", "app-*")),
		newAlert("suffix", alert.Threshold("info"), srcNS("*", "*", "*-api")),
		newAlert("both", alert.Threshold("info"), srcNS("*", "*", "app-?-api")),
		newAlert("spelled", alert.Threshold("info"), srcNS("{Kustomization,HelmRelease}", "app-{ns,x}", "{app,web}-1")),
	}
	m, err := match.Compile(alerts)
	require.NoError(t, err)
	got, runs := match.MatchCountingGlobRuns(m, ev("Kustomization", "app-ns", "app-1", "error", "failed"))
	assert.Equal(t, []string{"prefix", "spelled"}, names(got))
	assert.Zero(t, runs)
	got, runs = match.MatchCountingGlobRuns(m, ev("Kustomization", "app-ns", "app-1-api", "error", "failed"))
	assert.Equal(t, []string{"prefix", "suffix", "both"}, names(got))
	assert.Equal(t, 1, runs, "only app-?-api runs")
}

// TestExpressionTooLarge reproduces the crafted expression of issue 11
// ("(?:a?){1000}" repeated) in an alert: a load error naming the alert and
// the field, the other alerts unaffected.
func TestExpressionTooLarge(t *testing.T) {
	crafted := strings.Repeat(`(?:a?){1000}`, 3)
	alerts := []alert.Alert{
		with(newAlert("crafted", alert.Threshold("info"), src("Kustomization", "*")), func(a *alert.Alert) {
			a.Spec.InclusionList = []string{"ok", crafted}
			a.Spec.ExclusionList = []string{crafted}
		}),
		with(newAlert("fine", alert.Threshold("info"), src("Kustomization", "*")), func(a *alert.Alert) {
			a.Spec.InclusionList = []string{`(?i)(error|failed).*timeout`, strings.Repeat("a?", 500)}
		}),
	}
	m, err := match.Compile(alerts)
	var ae *match.AlertError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "crafted", ae.Name)
	require.Len(t, ae.Fields, 2)
	assert.Equal(t, "spec.inclusionList[1]", ae.Fields[0].Field)
	assert.Equal(t, "spec.exclusionList[0]", ae.Fields[1].Field)
	assert.Equal(t, field.ErrorTypeInvalid, ae.Fields[0].Type)
	assert.Contains(t, ae.Fields[0].Detail, "more than 2000")
	assert.Contains(t, ae.Fields[1].Detail, match.ErrRegexpTooLarge.Error())
	assert.Less(t, len(err.Error()), 1000, "the expression is not quoted whole")
	assert.Equal(t, []string{"fine"}, names(m.Alerts()))
}
