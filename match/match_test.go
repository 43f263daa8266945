package match_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

var bothModes = []match.Mode{match.Extended, match.Flux}

type ruleCase struct {
	name    string
	modes   []match.Mode // nil: both
	opts    []match.Option
	labeler *staticLabels
	alerts  []alert.Alert
	event   *event.Event
	// want lists the matched alerts, in order.
	want []string
	// why gives the Explain reason of every alert that did not match.
	why map[string]string
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		modes := tc.modes
		if modes == nil {
			modes = bothModes
		}
		for _, mode := range modes {
			opts := append([]match.Option{match.WithMode(mode)}, tc.opts...)
			if tc.labeler != nil {
				opts = append(opts, match.WithLabeler(tc.labeler))
			}
			for impl, m := range implementations(t, tc.alerts, opts...) {
				t.Run(fmt.Sprintf("%s/%s/%s", tc.name, mode, impl), func(t *testing.T) {
					want := tc.want
					if want == nil {
						want = []string{}
					}
					assert.Equal(t, want, names(m.Match(context.Background(), tc.event)), "Match")
					why := tc.why
					if why == nil {
						why = map[string]string{}
					}
					assert.Equal(t, why, reasons(m.Explain(context.Background(), tc.event)), "Explain")
				})
			}
		}
	}
}

func TestSeverity(t *testing.T) {
	kustomization := func(sev string) *event.Event {
		return ev("Kustomization", "flux-system", "my-app", sev, "kustomize build failed")
	}
	unset := []alert.Alert{newAlert("unset", alert.EventSeverity{}, src("Kustomization", "*"))}
	threshold := func(level string) []alert.Alert {
		return []alert.Alert{newAlert(level, alert.Threshold(level), src("Kustomization", "*"))}
	}
	list := []alert.Alert{newAlert("list", alert.Exactly("error", "warn"), src("Kustomization", "*"))}

	runRuleCases(t, []ruleCase{
		{name: "example alert takes a failing Kustomization", alerts: []alert.Alert{exampleAlert()},
			event: kustomization("error"), want: []string{"flux-alerts"}},
		{name: "example alert drops info (flux mode)", alerts: []alert.Alert{exampleAlert()},
			event: kustomization("info"), why: map[string]string{"flux-alerts": "severity info, want error"}, modes: []match.Mode{match.Flux}},
		{name: "example alert drops info (extended mode)", alerts: []alert.Alert{exampleAlert()},
			event: kustomization("info"), why: map[string]string{"flux-alerts": "severity info is below error"}, modes: []match.Mode{match.Extended}},

		{name: "unset takes error", alerts: unset, event: kustomization("error"), want: []string{"unset"}},
		{name: "unset drops info in extended mode", modes: []match.Mode{match.Extended}, alerts: unset, event: kustomization("info"),
			why: map[string]string{"unset": "severity info is below error (eventSeverity is unset: errors only)"}},
		{name: "unset takes info in flux mode", modes: []match.Mode{match.Flux}, alerts: unset, event: kustomization("info"), want: []string{"unset"}},
		{name: "unset takes trace in flux mode", modes: []match.Mode{match.Flux}, alerts: unset, event: kustomization("trace"), want: []string{"unset"}},

		{name: "info takes info", alerts: threshold("info"), event: kustomization("info"), want: []string{"info"}},
		{name: "info takes warn", alerts: threshold("info"), event: kustomization("warn"), want: []string{"info"}},
		{name: "info takes error", alerts: threshold("info"), event: kustomization("error"), want: []string{"info"}},
		{name: "info drops trace in extended mode", modes: []match.Mode{match.Extended}, alerts: threshold("info"), event: kustomization("trace"),
			why: map[string]string{"info": "severity trace is below info"}},
		{name: "info takes trace in flux mode", modes: []match.Mode{match.Flux}, alerts: threshold("info"), event: kustomization("trace"), want: []string{"info"}},

		{name: "warn takes warn", modes: []match.Mode{match.Extended}, alerts: threshold("warn"), event: kustomization("warn"), want: []string{"warn"}},
		{name: "warning is warn", modes: []match.Mode{match.Extended}, alerts: threshold("warn"), event: kustomization("warning"), want: []string{"warn"}},
		{name: "warn takes error in extended mode", modes: []match.Mode{match.Extended}, alerts: threshold("warn"), event: kustomization("error"), want: []string{"warn"}},
		{name: "warn drops info", modes: []match.Mode{match.Extended}, alerts: threshold("warn"), event: kustomization("info"),
			why: map[string]string{"warn": "severity info is below warn"}},

		{name: "trace takes everything in extended mode", modes: []match.Mode{match.Extended}, alerts: threshold("trace"), event: kustomization("error"), want: []string{"trace"}},

		{name: "list takes error", modes: []match.Mode{match.Extended}, alerts: list, event: kustomization("error"), want: []string{"list"}},
		{name: "list takes warn", modes: []match.Mode{match.Extended}, alerts: list, event: kustomization("warn"), want: []string{"list"}},
		{name: "list drops info", modes: []match.Mode{match.Extended}, alerts: list, event: kustomization("info"), why: map[string]string{"list": "severity info is not in [error, warn]"}},
		{name: "severity is case-insensitive", modes: []match.Mode{match.Extended}, alerts: []alert.Alert{newAlert("upper", alert.Exactly("Error", "WARNING"), src("Kustomization", "*"))},
			event: kustomization("warn"), want: []string{"upper"}},

		{name: "unknown event severity", modes: []match.Mode{match.Extended}, alerts: threshold("trace"), event: kustomization("fatal"),
			why: map[string]string{"trace": `severity "fatal" is unknown`}},
		{name: "unknown event severity and flux info", modes: []match.Mode{match.Flux}, alerts: append(threshold("info"), threshold("error")...),
			event: kustomization("fatal"), want: []string{"info"}, why: map[string]string{"error": `severity "fatal", want error (compared exactly, as Flux does)`}},

		// eventMatchesAlertSource (internal/server/event_handlers.go): Flux
		// compares event.Severity with the alert's string exactly, and an
		// info alert takes every event.
		{name: "ERROR is not error in flux mode", modes: []match.Mode{match.Flux}, alerts: append(threshold("info"), append(threshold("error"), unset...)...),
			event: kustomization("ERROR"), want: []string{"info", "unset"}, why: map[string]string{"error": `severity "ERROR", want error (compared exactly, as Flux does)`}},
		{name: "ERROR is error in extended mode", modes: []match.Mode{match.Extended}, alerts: threshold("error"),
			event: kustomization("ERROR"), want: []string{"error"}},
		{name: "warning is unknown in flux mode", modes: []match.Mode{match.Flux}, alerts: append(threshold("info"), threshold("error")...),
			event: kustomization("warning"), want: []string{"info"}, why: map[string]string{"error": `severity "warning", want error (compared exactly, as Flux does)`}},
		{name: "empty event severity in flux mode", modes: []match.Mode{match.Flux}, alerts: append(threshold("info"), append(threshold("error"), unset...)...),
			event: kustomization(""), want: []string{"info", "unset"}, why: map[string]string{"error": `severity "", want error (compared exactly, as Flux does)`}},
		{name: "warn event in flux mode", modes: []match.Mode{match.Flux}, alerts: append(threshold("info"), threshold("error")...),
			event: kustomization("warn"), want: []string{"info"}, why: map[string]string{"error": "severity warn, want error"}},
	})
}

func TestSources(t *testing.T) {
	failing := func(kind, namespace, name string) *event.Event {
		return ev(kind, namespace, name, "error", "health check failed")
	}
	runRuleCases(t, []ruleCase{
		{name: "example alert takes a failing HelmRelease", alerts: []alert.Alert{exampleAlert()},
			event: failing("HelmRelease", "flux-system", "podinfo"), want: []string{"flux-alerts"}},
		{name: "example alert drops other kinds", alerts: []alert.Alert{exampleAlert()},
			event: failing("GitRepository", "flux-system", "flux-system"), why: map[string]string{"flux-alerts": "kind GitRepository, want Kustomization"}},
		{name: "kind is case-sensitive", modes: []match.Mode{match.Extended}, alerts: []alert.Alert{newAlert("lower", alert.Threshold("error"), src("kustomization", "*"))},
			event: failing("Kustomization", "flux-system", "my-app"), why: map[string]string{"lower": "kind Kustomization, want kustomization"}},
		{name: "empty namespace is the alert's", alerts: []alert.Alert{exampleAlert()},
			event: failing("Kustomization", "apps", "my-app"), why: map[string]string{"flux-alerts": "namespace apps, want flux-system"}},
		{name: "exact name", alerts: []alert.Alert{newAlert("exact", alert.Threshold("error"), src("Kustomization", "my-app"))},
			event: failing("Kustomization", "flux-system", "other"), why: map[string]string{"exact": "name other, want my-app"}},
		{name: "exact name matches", alerts: []alert.Alert{newAlert("exact", alert.Threshold("error"), src("Kustomization", "my-app"))},
			event: failing("Kustomization", "flux-system", "my-app"), want: []string{"exact"}},
		{name: "cross-namespace source", alerts: []alert.Alert{newAlert("cross", alert.Threshold("error"), srcNS("Kustomization", "apps", "*"))},
			event: failing("Kustomization", "apps", "my-app"), want: []string{"cross"}},
		{name: "cross-namespace source blocked", opts: []match.Option{match.WithNoCrossNamespaceRefs()},
			alerts: []alert.Alert{newAlert("cross", alert.Threshold("error"), srcNS("Kustomization", "apps", "*"))},
			event:  failing("Kustomization", "apps", "my-app"),
			why:    map[string]string{"cross": "namespace apps is outside the alert's namespace flux-system (cross-namespace references are disabled)"}},
		{name: "own namespace allowed under lockdown", opts: []match.Option{match.WithNoCrossNamespaceRefs()},
			alerts: []alert.Alert{exampleAlert()}, event: failing("Kustomization", "flux-system", "my-app"), want: []string{"flux-alerts"}},
		{name: "several sources return the alert once",
			alerts: []alert.Alert{newAlert("twice", alert.Threshold("error"), src("Kustomization", "*"), src("Kustomization", "my-app"), src("Kustomization", "*"))},
			event:  failing("Kustomization", "flux-system", "my-app"), want: []string{"twice"}},
		{name: "closest source explains",
			alerts: []alert.Alert{newAlert("closest", alert.Threshold("error"), src("GitRepository", "*"), srcNS("HelmRelease", "apps", "podinfo"), src("HelmRelease", "other"))},
			event:  failing("HelmRelease", "apps", "frontend"), why: map[string]string{"closest": "name frontend, want podinfo"}},
		{name: "suspended", alerts: []alert.Alert{with(exampleAlert(), func(a *alert.Alert) { a.Spec.Suspend = true })},
			event: failing("Kustomization", "flux-system", "my-app"), why: map[string]string{"flux-alerts": "alert is suspended"}},
		{name: "results in input order", modes: []match.Mode{match.Extended},
			alerts: []alert.Alert{
				newAlert("c-glob-ns", alert.Threshold("info"), srcNS("Kustomization", "*", "*")),
				newAlert("b-exact", alert.Threshold("info"), src("Kustomization", "my-app")),
				newAlert("d-miss", alert.Threshold("info"), src("HelmRelease", "*")),
				newAlert("a-star", alert.Threshold("info"), src("Kustomization", "*")),
			},
			event: failing("Kustomization", "flux-system", "my-app"), want: []string{"c-glob-ns", "b-exact", "a-star"},
			why: map[string]string{"d-miss": "kind Kustomization, want HelmRelease"}},
		{name: "per-alert channel is kept",
			alerts: []alert.Alert{
				with(newAlert("errors", alert.Threshold("error"), src("Kustomization", "*")), func(a *alert.Alert) { a.Spec.Channel = "#devops-alerts" }),
				with(newAlert("updates", alert.Threshold("info"), src("Kustomization", "*")), func(a *alert.Alert) { a.Spec.Channel = "#gitops-updates" }),
			},
			event: failing("Kustomization", "flux-system", "my-app"), want: []string{"errors", "updates"}},
	})
}

func TestGlobs(t *testing.T) {
	failing := func(kind, namespace, name string) *event.Event {
		return ev(kind, namespace, name, "error", "health check failed")
	}
	extended := []match.Mode{match.Extended}
	flux := []match.Mode{match.Flux}
	runRuleCases(t, []ruleCase{
		{name: "name glob", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("Kustomization", "app-*"))},
			event: failing("Kustomization", "flux-system", "app-1"), want: []string{"g"}},
		{name: "name glob miss", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("Kustomization", "app-*"))},
			event: failing("Kustomization", "flux-system", "my-app"), why: map[string]string{"g": "name my-app does not match app-*"}},
		{name: "name alternatives", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("Kustomization", "{frontend,backend}"))},
			event: failing("Kustomization", "flux-system", "backend"), want: []string{"g"}},
		{name: "name class", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("Kustomization", "[a-c]*"))},
			event: failing("Kustomization", "flux-system", "dev"), why: map[string]string{"g": "name dev does not match [a-c]*"}},
		{name: "name glob is literal in flux mode", modes: flux, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("Kustomization", "app-*"))},
			event: failing("Kustomization", "flux-system", "app-1"), why: map[string]string{"g": "name app-1, want app-*"}},
		{name: "kind glob", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("Helm*", "*"))},
			event: failing("HelmChart", "flux-system", "podinfo"), want: []string{"g"}},
		{name: "kind glob is case-sensitive", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("helm*", "*"))},
			event: failing("HelmChart", "flux-system", "podinfo"), why: map[string]string{"g": "kind HelmChart does not match helm*"}},
		{name: "namespace glob", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), srcNS("Kustomization", "team-*", "*"))},
			event: failing("Kustomization", "team-a", "app"), want: []string{"g"}},
		{name: "namespace glob miss", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), srcNS("Kustomization", "team-*", "*"))},
			event: failing("Kustomization", "apps", "app"), why: map[string]string{"g": "namespace apps does not match team-*"}},
		{name: "every namespace", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), srcNS("Kustomization", "*", "*"))},
			event: failing("Kustomization", "apps", "app"), want: []string{"g"}},
		{name: "every namespace is literal in flux mode", modes: flux, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), srcNS("Kustomization", "*", "*"))},
			event: failing("Kustomization", "apps", "app"), why: map[string]string{"g": "namespace apps, want *"}},
		{name: "namespace glob under lockdown", modes: extended, opts: []match.Option{match.WithNoCrossNamespaceRefs()},
			alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), srcNS("Kustomization", "*", "*"))},
			event:  failing("Kustomization", "apps", "app"),
			why:    map[string]string{"g": "namespace apps is outside the alert's namespace flux-system (cross-namespace references are disabled)"}},
		{name: "namespace glob under lockdown, own namespace", modes: extended, opts: []match.Option{match.WithNoCrossNamespaceRefs()},
			alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), srcNS("Kustomization", "*", "*"))},
			event:  failing("Kustomization", "flux-system", "app"), want: []string{"g"}},
		{name: "escaped star is literal", modes: extended, alerts: []alert.Alert{newAlert("g", alert.Threshold("error"), src("Kustomization", `app-\*`))},
			event: failing("Kustomization", "flux-system", "app-1"), why: map[string]string{"g": `name app-1 does not match app-\*`}},
	})
}

func TestMessageFilters(t *testing.T) {
	filtered := with(exampleAlert(), func(a *alert.Alert) {
		a.Spec.InclusionList = []string{`^health check`, `failed`}
		a.Spec.ExclusionList = []string{`.*dry-run.*`, `timeout`}
	})
	failing := func(msg string) *event.Event { return ev("Kustomization", "flux-system", "my-app", "error", msg) }
	runRuleCases(t, []ruleCase{
		{name: "included", alerts: []alert.Alert{filtered}, event: failing("apply failed"), want: []string{"flux-alerts"}},
		{name: "not included", alerts: []alert.Alert{filtered}, event: failing("reconciliation succeeded"),
			why: map[string]string{"flux-alerts": "message matches no inclusionList entry"}},
		{name: "exclusion wins over inclusion", alerts: []alert.Alert{filtered}, event: failing("apply failed: timeout"),
			why: map[string]string{"flux-alerts": "excluded by exclusionList[1] `timeout`"}},
		{name: "first exclusion reported", alerts: []alert.Alert{filtered}, event: failing("dry-run failed: timeout"),
			why: map[string]string{"flux-alerts": "excluded by exclusionList[0] `.*dry-run.*`"}},
		{name: "filters come after sources", alerts: []alert.Alert{filtered},
			event: ev("HelmRelease", "apps", "x", "error", "dry-run"),
			why:   map[string]string{"flux-alerts": "namespace apps, want flux-system"}},
	})
}

func TestLabels(t *testing.T) {
	platform := map[string]string{"team": "platform", "tier": "backend"}
	failing := ev("Kustomization", "flux-system", "my-app", "error", "failed")
	withLabels := func(name string, labels map[string]string) alert.Alert {
		return newAlert(name, alert.Threshold("error"), srcLabels("Kustomization", "*", labels))
	}
	runRuleCases(t, []ruleCase{
		{name: "labels match", labeler: &staticLabels{labels: platform},
			alerts: []alert.Alert{withLabels("l", map[string]string{"team": "platform"})}, event: failing, want: []string{"l"}},
		{name: "label differs", labeler: &staticLabels{labels: platform},
			alerts: []alert.Alert{withLabels("l", map[string]string{"team": "dev", "tier": "backend"})}, event: failing,
			why: map[string]string{"l": "labels: team=platform, want team=dev"}},
		{name: "label missing", labeler: &staticLabels{labels: platform},
			alerts: []alert.Alert{withLabels("l", map[string]string{"app": "web"})}, event: failing,
			why: map[string]string{"l": "labels: app is not set, want app=web"}},
		{name: "labels apply to exact names too", labeler: &staticLabels{labels: platform},
			alerts: []alert.Alert{newAlert("l", alert.Threshold("error"), srcLabels("Kustomization", "my-app", map[string]string{"team": "dev"}))},
			event:  failing, why: map[string]string{"l": "labels: team=platform, want team=dev"}},
		{name: "no labeler",
			alerts: []alert.Alert{withLabels("l", map[string]string{"team": "platform"}), exampleAlert()}, event: failing,
			want: []string{"flux-alerts"},
			why:  map[string]string{"l": "labels: matchLabels needs the object's labels, and no label lookup configured (see match.WithLabeler)"}},
		{name: "lookup fails", labeler: &staticLabels{err: errors.New("kustomizations.kustomize.toolkit.fluxcd.io \"my-app\" not found")},
			alerts: []alert.Alert{withLabels("l", map[string]string{"team": "platform"})}, event: failing,
			why: map[string]string{"l": `labels: looking up the object's labels failed: kustomizations.kustomize.toolkit.fluxcd.io "my-app" not found`}},
		{name: "another source without labels", alerts: []alert.Alert{newAlert("l", alert.Threshold("error"),
			srcLabels("Kustomization", "*", map[string]string{"team": "dev"}), src("Kustomization", "my-app"))},
			labeler: &staticLabels{labels: platform}, event: failing, want: []string{"l"}},
		{name: "empty matchLabels in extended mode", modes: []match.Mode{match.Extended},
			alerts: []alert.Alert{withLabels("l", map[string]string{})}, event: failing, want: []string{"l"}},
		{name: "empty matchLabels in flux mode", modes: []match.Mode{match.Flux},
			alerts: []alert.Alert{withLabels("l", map[string]string{})}, event: failing,
			why: map[string]string{"l": "labels: matchLabels needs the object's labels, and no label lookup configured (see match.WithLabeler)"}},
	})
}

func TestLabelerCalledLazilyOnce(t *testing.T) {
	alerts := []alert.Alert{
		newAlert("a", alert.Threshold("error"), srcLabels("Kustomization", "*", map[string]string{"team": "platform"})),
		newAlert("b", alert.Threshold("error"), srcLabels("Kustomization", "my-*", map[string]string{"tier": "backend"})),
		newAlert("c", alert.Threshold("error"), srcLabels("Kustomization", "my-app", map[string]string{"team": "dev"})),
		newAlert("d", alert.Threshold("error"), srcLabels("HelmRelease", "*", map[string]string{"team": "dev"})),
	}
	for _, tc := range []struct {
		name      string
		event     *event.Event
		wantCalls int
		want      []string
	}{
		{"one lookup for every alert", ev("Kustomization", "flux-system", "my-app", "error", "failed"), 1, []string{"a", "b"}},
		{"no lookup when severity filters", ev("Kustomization", "flux-system", "my-app", "info", "ok"), 0, []string{}},
		{"no lookup when no source selects the object", ev("GitRepository", "flux-system", "my-app", "error", "failed"), 0, []string{}},
	} {
		lab := &staticLabels{labels: map[string]string{"team": "platform", "tier": "backend"}}
		for impl, m := range implementations(t, alerts, match.WithLabeler(lab)) {
			t.Run(tc.name+"/"+impl, func(t *testing.T) {
				lab.calls = 0
				assert.Equal(t, tc.want, names(m.Match(context.Background(), tc.event)))
				assert.Equal(t, tc.wantCalls, lab.calls, "Labeler calls by Match")
				lab.calls = 0
				m.Explain(context.Background(), tc.event)
				assert.Equal(t, tc.wantCalls, lab.calls, "Labeler calls by Explain")
			})
		}
	}
}

func TestLabelerGetsContext(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "request-42")
	var got any
	lab := match.LabelerFunc(func(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error) {
		got = ctx.Value(ctxKey{})
		assert.Equal(t, "my-app", obj.Name)
		return map[string]string{"team": "platform"}, nil
	})
	m, err := match.Compile([]alert.Alert{newAlert("a", alert.Threshold("error"),
		srcLabels("Kustomization", "*", map[string]string{"team": "platform"}))}, match.WithLabeler(lab))
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, names(m.Match(ctx, ev("Kustomization", "flux-system", "my-app", "error", "failed"))))
	assert.Equal(t, "request-42", got)
}

func TestCompileErrors(t *testing.T) {
	good := exampleAlert()
	for _, tc := range []struct {
		name   string
		mode   match.Mode
		bad    alert.Alert
		field  string
		substr string
	}{
		{"bad name glob", match.Extended, newAlert("bad", alert.Threshold("error"), src("Kustomization", "app-[")),
			"spec.eventSources[0].name", "syntax error"},
		{"bad kind glob", match.Extended, newAlert("bad", alert.Threshold("error"), src("Kustomization", "*"), src("{Helm", "*")),
			"spec.eventSources[1].kind", "unclosed"},
		{"bad namespace glob", match.Extended, newAlert("bad", alert.Threshold("error"), srcNS("Kustomization", `team-\`, "*")),
			"spec.eventSources[0].namespace", "trailing backslash"},
		{"unknown severity", match.Extended, newAlert("bad", alert.Threshold("critical"), src("Kustomization", "*")),
			"spec.eventSeverity", "critical"},
		{"unknown severity in a list", match.Flux, newAlert("bad", alert.Exactly("error", "fatal"), src("Kustomization", "*")),
			"spec.eventSeverity[1]", "fatal"},
		{"two values for one level", match.Extended, newAlert("bad", alert.EventSeverity{Values: []string{"error", "info"}}, src("Kustomization", "*")),
			"spec.eventSeverity", "one value"},
		{"bad exclusion", match.Flux, with(newAlert("bad", alert.Threshold("error"), src("Kustomization", "*")),
			func(a *alert.Alert) { a.Spec.ExclusionList = []string{"ok", "(unclosed"} }), "spec.exclusionList[1]", "missing closing )"},
		{"bad inclusion", match.Extended, with(newAlert("bad", alert.Threshold("error"), src("Kustomization", "*")),
			func(a *alert.Alert) { a.Spec.InclusionList = []string{"[z-a]"} }), "spec.inclusionList[0]", "invalid character class range"},
		{"bad label key", match.Extended, newAlert("bad", alert.Threshold("error"), srcLabels("Kustomization", "*", map[string]string{"not a key": "x"})),
			"spec.eventSources[0].matchLabels[not a key]", "label key"},
		{"bad label value", match.Flux, newAlert("bad", alert.Threshold("error"), srcLabels("Kustomization", "*", map[string]string{"team": "a b"})),
			"spec.eventSources[0].matchLabels[team]", "label value"},
		{"no sources", match.Extended, newAlert("bad", alert.Threshold("error")), "spec.eventSources", "Required"},
		{"no provider", match.Extended, with(newAlert("bad", alert.Threshold("error"), src("Kustomization", "*")),
			func(a *alert.Alert) { a.Spec.ProviderRef.Name = "" }), "spec.providerRef.name", "Required"},
		// The markers of Flux's Alert CRD (api/v1beta3/alert_types.go,
		// api/v1/reference_types.go), which Flux's API server enforces.
		{"flux: warn severity", match.Flux, newAlert("bad", alert.Threshold("warn"), src("Kustomization", "*")),
			"spec.eventSeverity", "use extended mode"},
		{"flux: severity list", match.Flux, newAlert("bad", alert.Exactly("error"), src("Kustomization", "*")),
			"spec.eventSeverity", "a list of severities is not a Flux feature"},
		{"flux: kind in another case", match.Flux, newAlert("bad", alert.Threshold("error"), src("kustomization", "*")),
			"spec.eventSources[0].kind", "did you mean Kustomization?"},
		{"flux: kind glob", match.Flux, newAlert("bad", alert.Threshold("error"), src("Helm*", "*")),
			"spec.eventSources[0].kind", "supported values"},
		{"flux: long summary", match.Flux, with(newAlert("bad", alert.Threshold("error"), src("Kustomization", "*")),
			func(a *alert.Alert) { a.Spec.Summary = fmt.Sprint(make([]int, 200)) }), "spec.summary", "255 characters"},
		{"duplicate", match.Extended, with(exampleAlert(), func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("info") }),
			"metadata.name", "Duplicate"},
	} {
		for _, build := range []struct {
			impl    string
			compile func([]alert.Alert, ...match.Option) (matcher, error)
		}{
			{"compiled", func(a []alert.Alert, o ...match.Option) (matcher, error) { return match.Compile(a, o...) }},
			{"reference", func(a []alert.Alert, o ...match.Option) (matcher, error) { return match.NewReference(a, o...) }},
		} {
			t.Run(tc.name+"/"+build.impl, func(t *testing.T) {
				m, err := build.compile([]alert.Alert{good, tc.bad}, match.WithMode(tc.mode))
				require.Error(t, err)
				var ae *match.AlertError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "flux-system", ae.Namespace)
				assert.Equal(t, tc.bad.Name, ae.Name)
				assert.Equal(t, 1, ae.Index)
				assert.Contains(t, err.Error(), "alert flux-system/"+tc.bad.Name+": "+tc.field)
				assert.Contains(t, err.Error(), tc.substr)
				var fe *field.Error
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, tc.field, fe.Field)

				// The valid alert keeps matching.
				require.NotNil(t, m)
				assert.Equal(t, []string{"flux-alerts"}, names(m.Alerts()))
				assert.Equal(t, []string{"flux-alerts"},
					names(m.Match(context.Background(), ev("Kustomization", "flux-system", "my-app", "error", "failed"))))
			})
		}
	}
}

func TestCompileReportsEveryInvalidAlert(t *testing.T) {
	alerts := []alert.Alert{
		newAlert("bad-1", alert.Threshold("loud"), src("Kustomization", "*")),
		exampleAlert(),
		newAlert("bad-2", alert.Threshold("error"), src("Kustomization", "[")),
	}
	m, err := match.Compile(alerts)
	require.Error(t, err)
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *match.AlertError
		require.ErrorAs(t, e, &ae)
		got = append(got, fmt.Sprintf("%s@%d", ae.Name, ae.Index))
	}
	assert.Equal(t, []string{"bad-1@0", "bad-2@2"}, got)
	assert.Equal(t, []string{"flux-alerts"}, names(m.Alerts()))
}

func TestGlobCharactersAreValidInFluxMode(t *testing.T) {
	// Flux compares names literally, so a name that is not a valid glob is
	// just a name that never matches.
	_, err := match.Compile([]alert.Alert{newAlert("lit", alert.Threshold("error"), src("Kustomization", "app-["))}, match.WithMode(match.Flux))
	assert.NoError(t, err)
}

func TestUnknownMode(t *testing.T) {
	m, err := match.Compile([]alert.Alert{exampleAlert()}, match.WithMode(match.Mode(9)))
	require.ErrorContains(t, err, "unknown mode Mode(9)")
	require.NotNil(t, m)
	assert.Empty(t, m.Match(context.Background(), ev("Kustomization", "flux-system", "x", "error", "failed")))
}

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want match.Mode
		err  bool
	}{
		{"", match.Extended, false},
		{"extended", match.Extended, false},
		{"flux", match.Flux, false},
		{"Flux", 0, true},
		{"strict", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := match.ParseMode(tc.in)
			if tc.err {
				assert.ErrorContains(t, err, "want extended or flux")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			if tc.in != "" {
				assert.Equal(t, tc.in, got.String())
			}
		})
	}
}

func TestAppendMatchesKeepsDst(t *testing.T) {
	other := newAlert("other", alert.Threshold("error"), src("HelmRelease", "*"))
	for impl, m := range implementations(t, []alert.Alert{exampleAlert()}) {
		t.Run(impl, func(t *testing.T) {
			dst := make([]*alert.Alert, 1, 4)
			dst[0] = &other
			got := m.AppendMatches(context.Background(), dst, ev("Kustomization", "flux-system", "x", "error", "failed"))
			assert.Equal(t, []string{"other", "flux-alerts"}, names(got))
		})
	}
}

func TestAlertsAreCopied(t *testing.T) {
	alerts := []alert.Alert{exampleAlert()}
	m, err := match.Compile(alerts)
	require.NoError(t, err)
	alerts[0].Name = "renamed"
	alerts[0].Spec.Suspend = true
	assert.Equal(t, []string{"flux-alerts"}, names(m.Match(context.Background(), ev("Kustomization", "flux-system", "x", "error", "failed"))))
}

func TestMissString(t *testing.T) {
	a := exampleAlert()
	assert.Equal(t, "flux-system/flux-alerts: alert is suspended", match.Miss{Alert: &a, Reason: "alert is suspended"}.String())
}

func TestConcurrentMatch(t *testing.T) {
	m, err := match.Compile([]alert.Alert{exampleAlert(), newAlert("g", alert.Threshold("info"), src("Kustomization", "my-*"))})
	require.NoError(t, err)
	e := ev("Kustomization", "flux-system", "my-app", "error", "failed")
	done := make(chan []string)
	for range 8 {
		go func() {
			var got []string
			for range 100 {
				got = names(m.Match(context.Background(), e))
			}
			done <- got
		}()
	}
	for range 8 {
		assert.Equal(t, []string{"flux-alerts", "g"}, <-done)
	}
}

func TestManySourcesReachTheEvent(t *testing.T) {
	var alerts []alert.Alert
	var want []string
	for i := range 150 {
		name := fmt.Sprintf("a%03d", i)
		sources := []alert.CrossNamespaceObjectReference{src("Kustomization", "*"), srcNS("Kustomization", "*", "my-*"), src("Kustomization", "my-app")}
		alerts = append(alerts, newAlert(name, alert.Threshold("info"), sources[i%3:]...))
		want = append(want, name)
	}
	e := ev("Kustomization", "flux-system", "my-app", "error", "failed")
	m, err := match.Compile(alerts)
	require.NoError(t, err)
	dst := make([]*alert.Alert, 0, len(alerts))
	assert.Equal(t, want, names(m.AppendMatches(context.Background(), dst, e)))
	if !raceEnabled {
		allocs := testing.AllocsPerRun(50, func() { dst = m.AppendMatches(context.Background(), dst[:0], e) })
		assert.Zero(t, allocs, "AppendMatches allocations")
	}
}

func TestAppendMatchesDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	platform := map[string]string{"team": "platform"}
	lab := match.LabelerFunc(func(context.Context, *corev1.ObjectReference) (map[string]string, error) {
		return platform, nil
	})
	alerts := []alert.Alert{
		exampleAlert(),
		newAlert("glob", alert.Exactly("error", "warn"), src("Kustom*", "my-*")),
		newAlert("labels", alert.Threshold("error"), srcLabels("Kustomization", "*", map[string]string{"team": "platform"})),
		with(newAlert("filtered", alert.Threshold("info"), srcNS("Kustomization", "*", "*")), func(a *alert.Alert) {
			a.Spec.InclusionList = []string{"(?i)FAILED", "^x"}
			a.Spec.ExclusionList = []string{".*dry-run.*", "time[o0]ut"}
		}),
	}
	m, err := match.Compile(alerts, match.WithLabeler(lab))
	require.NoError(t, err)
	e := ev("Kustomization", "flux-system", "my-app", "error", "health check failed")
	dst := make([]*alert.Alert, 0, 8)
	assert.Equal(t, []string{"flux-alerts", "glob", "labels", "filtered"}, names(m.AppendMatches(context.Background(), dst, e)))
	allocs := testing.AllocsPerRun(100, func() { dst = m.AppendMatches(context.Background(), dst[:0], e) })
	assert.Zero(t, allocs)
}

func TestNilEventAndZeroMatcher(t *testing.T) {
	for impl, m := range implementations(t, []alert.Alert{exampleAlert()}) {
		t.Run(impl, func(t *testing.T) {
			assert.Empty(t, m.Match(context.Background(), nil))
			misses := m.Explain(context.Background(), nil)
			require.Len(t, misses, 1)
			assert.Equal(t, `kind "", want Kustomization`, misses[0].Reason)
		})
	}
	var zero match.Matcher
	assert.Empty(t, zero.Match(context.Background(), ev("Kustomization", "flux-system", "x", "error", "failed")))
	assert.Empty(t, zero.Explain(context.Background(), ev("Kustomization", "flux-system", "x", "error", "failed")))
	assert.Empty(t, zero.Alerts())
}
