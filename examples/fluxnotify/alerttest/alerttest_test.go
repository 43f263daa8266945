package alerttest_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/alerttest"
	"github.com/fluxnotify/fluxnotify/template"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const suites = "../testdata/suites"

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), got)
}

// TestFailingSuite checks each way a test fails, and the diff it shows.
func TestFailingSuite(t *testing.T) {
	res, err := alerttest.RunFile(context.Background(), filepath.Join(suites, "failing", "failing_test.yaml"))
	require.NoError(t, err)
	assert.False(t, res.Passed())
	assert.Equal(t, 4, res.Failed())
	want := []struct {
		name     string
		passed   bool
		failures []string
	}{
		{"this one passes", true, nil},
		{"a route missing and one too many", false, []string{"routes differ"}},
		{"the wrong channel and provider", false, []string{"routes differ"}},
		{"a text the message lacks", false, []string{
			`flux-system/devops-errors: the message does not contain "rollback succeeded"`,
			"payments/payments: not matched, so nothing was rendered",
		}},
		{"a suspended provider sends nothing", false, []string{"routes differ"}},
	}
	require.Len(t, res.Tests, len(want))
	var diffs strings.Builder
	for i, w := range want {
		got := res.Tests[i]
		assert.Equal(t, w.name, got.Name)
		assert.Equal(t, w.passed, got.Passed, got.Name)
		assert.Equal(t, w.failures, got.Failures, got.Name)
		if got.Passed {
			assert.Empty(t, got.Diff, got.Name)
		}
		diffs.WriteString("== " + got.Name + "\n" + got.Diff)
	}
	golden(t, "failing.txt", diffs.String())
}

// TestBrokenSuites checks that a suite that cannot run lists every
// problem, each with file and line, and the sentinel it wraps.
func TestBrokenSuites(t *testing.T) {
	tests := []struct {
		file     string
		problems int
		is       []error
	}{
		{"typos_test.yaml", 10, []error{alerttest.ErrUnknownKey, alerttest.ErrInvalid, os.ErrNotExist}},
		{"alerts_test.yaml", 2, []error{alerttest.ErrNoSuchAlert}},
		{"manifests_test.yaml", 1, []error{fluxnotify.ErrUnknownField, fluxnotify.ErrProviderNotFound}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(suites, "broken", tt.file)
			res, err := alerttest.RunFile(context.Background(), path)
			require.Error(t, err)
			assert.Nil(t, res)
			problems := alerttest.Errors(err)
			assert.Len(t, problems, tt.problems)
			for _, p := range problems {
				assert.Equal(t, path, p.File)
				assert.NotZero(t, p.Line, p.Error())
			}
			for _, target := range tt.is {
				assert.ErrorIs(t, err, target)
			}
			golden(t, "broken-"+strings.TrimSuffix(tt.file, ".yaml")+".txt", err.Error()+"\n")
		})
	}
}

// TestParse covers the decoding of suites, one rule a case.
func TestParse(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // a problem the error must contain; "" for none
		is   error
	}{
		{"minimal", "manifests: [m]\ntests:\n  - name: a\n    event: {involvedObject: {kind: K, name: n, namespace: ns}, severity: info, reason: R, message: m, reportingController: c}\n    routes: []\n", "", nil},
		{"a single manifest path", "manifests: m\ntests:\n  - name: a\n    event: {involvedObject: {kind: K, name: n, namespace: ns}, severity: info, reason: R, message: m, reportingController: c}\n    routes: []\n", "", nil},
		{"routes null means none", "manifests: [m]\ntests:\n  - name: a\n    event: {involvedObject: {kind: K, name: n, namespace: ns}, severity: info, reason: R, message: m, reportingController: c}\n    routes:\n", "", nil},
		{"empty file", "", "s.yaml: the file is empty", alerttest.ErrInvalid},
		{"not YAML", "manifests: [m\n", "s.yaml:", alerttest.ErrInvalid},
		{"not a mapping", "- a\n", "s.yaml:1:1: want a mapping of manifests, mode, substitute, tests, got a list", alerttest.ErrInvalid},
		{"no manifests", "tests: []\n", "s.yaml:1:1: manifests: missing", alerttest.ErrInvalid},
		{"no tests", "manifests: [m]\n", "s.yaml:1:1: tests: missing", alerttest.ErrInvalid},
		{"empty tests", "manifests: [m]\ntests: []\n", "s.yaml:2:1: tests: no tests", alerttest.ErrInvalid},
		{"unknown key, far from any", "manifests: [m]\nzzz: 1\ntests: []\n", `s.yaml:2:1: zzz: unknown key "zzz" (known keys: manifests, mode, substitute, tests)`, alerttest.ErrUnknownKey},
		{"unknown key, a typo", "manifest: [m]\ntests: []\n", `s.yaml:1:1: manifest: unknown key "manifest" (did you mean "manifests"?)`, alerttest.ErrUnknownKey},
		{"duplicate key", "manifests: [m]\nmanifests: [n]\ntests: []\n", "s.yaml:2:1: manifests: duplicate key (first at line 1)", alerttest.ErrInvalid},
		{"bad mode", "manifests: [m]\nmode: Flux\ntests: []\n", `s.yaml:2:7: mode: "Flux": want extended or flux`, alerttest.ErrInvalid},
		{"substitute not a map", "manifests: [m]\nsubstitute: [a]\ntests: []\n", "s.yaml:2:13: substitute: want a mapping of key: value, got a list", alerttest.ErrInvalid},
		{"test without routes", "manifests: [m]\ntests:\n  - name: a\n    event: e.json\n", "tests[0].routes: missing: list the alerts the event must reach (routes: [] for none)", alerttest.ErrInvalid},
		{"route without alert", "manifests: [m]\ntests:\n  - name: a\n    event: e.json\n    routes: [{channel: x}]\n", "s.yaml:5:14: tests[0].routes[0].alert: missing", alerttest.ErrInvalid},
		{"route key typo", "manifests: [m]\ntests:\n  - name: a\n    event: e.json\n    routes: [{alert: a, chanel: x}]\n", `tests[0].routes[0].chanel: unknown key "chanel" (did you mean "channel"?)`, alerttest.ErrUnknownKey},
		{"rendered without contains", "manifests: [m]\ntests:\n  - name: a\n    event: e.json\n    routes: []\n    rendered: [{alert: a}]\n", "tests[0].rendered[0].contains: missing", alerttest.ErrInvalid},
		{"event file missing", "manifests: [m]\ntests:\n  - name: a\n    event: e.json\n    routes: []\n", "s.yaml:4:12: tests[0].event:", os.ErrNotExist},
		{"event not a file or mapping", "manifests: [m]\ntests:\n  - name: a\n    event: [x]\n    routes: []\n", "tests[0].event: want a file name or the event as a mapping, got a list", alerttest.ErrInvalid},
		{"inline event key typo", "manifests: [m]\ntests:\n  - name: a\n    event: {involvedObject: {kind: K, nme: n}, severity: info}\n    routes: []\n", `tests[0].event.involvedObject.nme: unknown key "nme" (did you mean "name"?)`, alerttest.ErrUnknownKey},
		{"inline event invalid", "manifests: [m]\ntests:\n  - name: a\n    event: {severity: info}\n    routes: []\n", "s.yaml:4:12: tests[0].event: invalid event", event.ErrInvalid},
		{"labels not a map", "manifests: [m]\ntests:\n  - name: a\n    event: e.json\n    labels: team\n    routes: []\n", `tests[0].labels: want a mapping of key: value, got "team"`, alerttest.ErrInvalid},
		{"aliases are followed", "manifests: [m]\nx: &ev {involvedObject: {kind: K, name: n, namespace: ns}, severity: info, reason: R, message: m, reportingController: c}\ntests:\n  - name: a\n    event: *ev\n    routes: []\n", `x: unknown key "x"`, alerttest.ErrUnknownKey},
		{"aliases are bounded", "manifests: [m]\nx: &r {alert: a}\ny: &rs [" + strings.Repeat("*r, ", 200) + "*r]\ntests:\n" + strings.Repeat("  - {name: a, event: e.json, routes: *rs}\n", 100), "more than 10000 aliases", alerttest.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := alerttest.Parse("s.yaml", []byte(tt.yaml))
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, s)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			assert.NotEmpty(t, alerttest.Errors(err))
		})
	}
}

// TestParseFields checks what a valid suite decodes to.
func TestParseFields(t *testing.T) {
	s, err := alerttest.Load(filepath.Join(suites, "alerts_test.yaml"))
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(suites, "notifications")}, s.Manifests)
	require.Len(t, s.Tests, 5)
	first := s.Tests[0]
	assert.Equal(t, "a failed Kustomization reaches devops", first.Name)
	assert.Equal(t, filepath.Join(suites, "events", "ks-failed.json"), first.EventFile)
	assert.Equal(t, "HealthCheckFailed", first.Event.Reason)
	require.Len(t, first.Routes, 1)
	assert.Equal(t, "slack", *first.Routes[0].Provider)
	assert.Equal(t, "#devops-alerts", *first.Routes[0].Channel)
	assert.Nil(t, s.Tests[3].Routes[0].Channel, "a channel not given is not checked")
	assert.Equal(t, map[string]string{"team": "payments"}, s.Tests[2].Labels)
	assert.Empty(t, s.Tests[4].EventFile, "an inline event has no file")
	assert.Equal(t, "kustomize-controller", s.Tests[4].Event.ReportingController)
}

// TestRunProblems covers the problems found once the manifests are
// loaded, one rule a case.
func TestRunProblems(t *testing.T) {
	const event = "    event: {involvedObject: {kind: Kustomization, name: n, namespace: flux-system}, severity: error, reason: R, message: m, reportingController: c}\n"
	tests := []struct {
		name, yaml, want string
		is               error
	}{
		{"an alert listed twice", "manifests: [notifications]\ntests:\n  - name: a\n" + event + "    routes: [{alert: devops-errors}, {alert: flux-system/devops-errors}]\n",
			"tests[0].routes[1].alert: flux-system/devops-errors is listed twice (first at line 5)", alerttest.ErrInvalid},
		{"no Alert in the manifests", "manifests: [notifications/providers.yaml]\ntests:\n  - name: a\n" + event + "    routes: []\n",
			"no Alert in", nil},
		{"an alert that is not there", "manifests: [notifications]\ntests:\n  - name: a\n" + event + "    routes: [{alert: nobody/zzz}]\n",
			"s.yaml:5: tests[0].routes[0].alert: no such alert in the manifests: nobody/zzz", alerttest.ErrNoSuchAlert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := alerttest.Parse(filepath.Join(suites, "s.yaml"), []byte(tt.yaml))
			require.NoError(t, err)
			res, err := s.Run(context.Background())
			require.Error(t, err)
			assert.Nil(t, res)
			assert.Contains(t, err.Error(), tt.want)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestJUnit(t *testing.T) {
	ctx := context.Background()
	var outcomes []alerttest.Outcome
	for _, f := range []string{"alerts_test.yaml", "failing/failing_test.yaml", "broken/alerts_test.yaml"} {
		res, err := alerttest.RunFile(ctx, filepath.Join(suites, f))
		if res != nil { // times vary from run to run
			res.Duration = 0
			for i := range res.Tests {
				res.Tests[i].Duration = 0
			}
		}
		outcomes = append(outcomes, alerttest.Outcome{Suite: f, Result: res, Err: err})
	}
	var buf bytes.Buffer
	require.NoError(t, alerttest.WriteJUnit(&buf, outcomes))
	golden(t, "junit.xml", buf.String())
	assert.Regexp(t, regexp.MustCompile(`<testsuites name="fluxnotify test" tests="11" failures="4" errors="1"`), buf.String())
}

func TestWriteJUnitError(t *testing.T) {
	err := alerttest.WriteJUnit(failingWriter{}, nil)
	assert.ErrorIs(t, err, errWrite)
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestRenderedText(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"strings in key order", `{"text":"b","attachments":[{"title":"a","n":1}]}`, "a\nb"},
		{"not JSON", `plain text`, "plain text"},
		{"a JSON string", `"hello"`, "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, alerttest.RenderedText([]byte(tt.payload)))
		})
	}
}

// TestRunSuiteFailure runs a failing suite through RunSuite in a child
// process, since a failing *testing.T would fail this test too.
func TestRunSuiteFailure(t *testing.T) {
	if os.Getenv("ALERTTEST_CHILD") != "" {
		alerttest.RunSuite(t, filepath.Join(suites, os.Getenv("ALERTTEST_CHILD")))
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	tests := []struct {
		suite string
		want  []string
	}{
		{"failing/failing_test.yaml", []string{
			"--- PASS: TestRunSuiteFailure/this_one_passes",
			"--- FAIL: TestRunSuiteFailure/the_wrong_channel_and_provider",
			"failing_test.yaml:15: routes differ",
			"+ flux-system/gitops-updates provider=flux-system/slack channel=#flux",
		}},
		{"broken/alerts_test.yaml", []string{
			"alert test suite ../testdata/suites/broken/alerts_test.yaml cannot run",
			"did you mean flux-system/devops-errors?",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.suite, func(t *testing.T) {
			out, err := runChild(t, tt.suite)
			require.Error(t, err, "the child test must fail")
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

// TestRunFile_routerOptions checks that the options reach the Router that
// routes the tests, that of a test with labels too: an invalid one makes
// the suite unable to run.
func TestRunFile_routerOptions(t *testing.T) {
	path := filepath.Join(suites, "alerts_test.yaml")
	res, err := alerttest.RunFile(context.Background(), path, fluxnotify.WithCluster("prod-eu"))
	require.NoError(t, err)
	assert.True(t, res.Passed())

	res, err = alerttest.RunFile(context.Background(), path, fluxnotify.WithTemplateLimits(template.Limits{Work: -1}))
	require.Error(t, err)
	assert.Nil(t, res)
	var e *alerttest.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "manifests", e.Field)
	assert.Contains(t, err.Error(), "WithTemplateLimits")
}
