package alerttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/gitops"
	"github.com/fluxnotify/fluxnotify/match"
)

// Result is the outcome of one suite file.
type Result struct {
	// Suite is the suite file.
	Suite string
	// Tests are the tests' results, in file order.
	Tests []TestResult
	// Warnings are the manifests' warnings (fields Flux would prune, ...),
	// one a line, for the user to read; they fail no test.
	Warnings []string
	// Duration is how long the suite took, manifests included.
	Duration time.Duration
}

// Passed reports whether every test passed.
func (r *Result) Passed() bool { return r.Failed() == 0 }

// Failed counts the tests that failed.
func (r *Result) Failed() int {
	n := 0
	for _, t := range r.Tests {
		if !t.Passed {
			n++
		}
	}
	return n
}

// TestResult is the outcome of one test.
type TestResult struct {
	// Name is the test's name.
	Name string
	// Line is the test's line in the suite file.
	Line int
	// Passed reports whether every expectation held.
	Passed bool
	// Failures are the expectations that did not hold, one sentence each
	// ("routes differ", "flux-system/x: the message does not contain
	// \"my-app\"").
	Failures []string
	// Diff shows what was expected and what happened, for a failed test:
	// the routes as a diff (- expected, + got) and the rendered text of the
	// alerts whose message missed a text. It is empty for a passed test.
	Diff string
	// Routes are the routes the event took, sorted by alert.
	Routes []fluxnotify.Route
	// Duration is how long routing the event took.
	Duration time.Duration
}

// RunFile loads the suite file at path and runs it; see Suite.Run.
func RunFile(ctx context.Context, path string, opts ...fluxnotify.RouterOption) (*Result, error) {
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	return s.Run(ctx, opts...)
}

// Run loads the suite's manifests and routes every test's event through
// them, as a dry run (no Secret read, no network) with a fluxnotify.Router.
// opts are added to the Router's options after the suite's mode, for
// example fluxnotify.WithRegistry for custom provider types, or
// fluxnotify.WithCluster.
//
// A test that fails is a Result, not an error. Run returns an error, every
// problem listed as a *Error, when the suite cannot run: its manifests do
// not load, hold no Alert, or do not compile, or a test names an alert the
// manifests do not define. Run rewrites the alerts that tests name
// without a namespace as namespace/name.
func (s *Suite) Run(ctx context.Context, opts ...fluxnotify.RouterOption) (*Result, error) {
	start := time.Now()
	cfg, err := gitops.Load(s.Manifests, gitops.Options{Substitute: s.Substitute})
	if err != nil {
		return nil, s.problem("manifests", listError{"the manifests have problems:", err})
	}
	if len(cfg.Alerts) == 0 {
		return nil, s.problem("manifests", invalidf("no Alert in %s", strings.Join(s.Manifests, ", ")))
	}
	alerts := make([]string, len(cfg.Alerts))
	for i, a := range cfg.Alerts {
		alerts[i] = a.NamespacedName()
	}
	if errs := s.resolveAlerts(alerts); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	all := append([]fluxnotify.RouterOption{fluxnotify.WithMode(s.Mode)}, opts...)
	r, err := fluxnotify.NewRouter(cfg, all...)
	if err != nil {
		return nil, s.problem("manifests", listError{"the configuration has problems:", err})
	}
	res := &Result{Suite: s.Path}
	for _, w := range cfg.Warnings {
		res.Warnings = append(res.Warnings, w.Error())
	}
	for i := range s.Tests {
		tr, err := s.runTest(ctx, r, cfg, i, opts)
		if err != nil {
			return nil, err
		}
		res.Tests = append(res.Tests, tr)
	}
	res.Duration = time.Since(start)
	return res, nil
}

func (s *Suite) problem(field string, err error) error {
	return &Error{File: s.Path, Line: s.manifestsLine, Field: field, Err: err}
}

// listError introduces a list of problems, one an indented line; it
// unwraps to them, so errors.Is and fluxnotify.LoadErrors see them.
type listError struct {
	intro string
	err   error
}

func (e listError) Error() string { return e.intro + "\n" + indent(e.err.Error()) }
func (e listError) Unwrap() error { return e.err }

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// resolveAlerts rewrites every alert a test names as namespace/name, and
// lists those the manifests do not define.
func (s *Suite) resolveAlerts(alerts []string) []error {
	var errs []error
	fix := func(ref *string, line int, field string) {
		full, err := resolveAlert(*ref, alerts)
		if err != nil {
			errs = append(errs, &Error{File: s.Path, Line: line, Field: field, Err: err})
			return
		}
		*ref = full
	}
	for i := range s.Tests {
		t := &s.Tests[i]
		seen := map[string]int{}
		for j := range t.Routes {
			field := fmt.Sprintf("tests[%d].routes[%d].alert", i, j)
			fix(&t.Routes[j].Alert, t.Routes[j].Line, field)
			if first, dup := seen[t.Routes[j].Alert]; dup {
				errs = append(errs, &Error{File: s.Path, Line: t.Routes[j].Line, Field: field,
					Err: invalidf("%s is listed twice (first at line %d)", t.Routes[j].Alert, first)})
			}
			seen[t.Routes[j].Alert] = t.Routes[j].Line
		}
		for j := range t.Rendered {
			fix(&t.Rendered[j].Alert, t.Rendered[j].Line, fmt.Sprintf("tests[%d].rendered[%d].alert", i, j))
		}
	}
	return errs
}

// resolveAlert finds ref ("ns/name", or "name" when unique) among alerts.
func resolveAlert(ref string, alerts []string) (string, error) {
	if strings.Contains(ref, "/") {
		if slices.Contains(alerts, ref) {
			return ref, nil
		}
		if s := suggestAlert(ref, alerts); s != "" {
			return "", fmt.Errorf("%w: %s (did you mean %s?)", ErrNoSuchAlert, ref, s)
		}
		return "", fmt.Errorf("%w: %s", ErrNoSuchAlert, ref)
	}
	var found []string
	for _, a := range alerts {
		if _, name, _ := strings.Cut(a, "/"); name == ref {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		if s := suggestAlert(ref, alerts); s != "" {
			return "", fmt.Errorf("%w: %s (did you mean %s?)", ErrNoSuchAlert, ref, s)
		}
		return "", fmt.Errorf("%w: %s", ErrNoSuchAlert, ref)
	}
	return "", invalidf("%s names %d alerts, write one of %s", ref, len(found), strings.Join(found, ", "))
}

func suggestAlert(ref string, alerts []string) string {
	if !strings.Contains(ref, "/") {
		names := make([]string, len(alerts))
		for i, a := range alerts {
			_, names[i], _ = strings.Cut(a, "/")
		}
		if s := closestName(ref, names); s != "" {
			return alerts[slices.Index(names, s)]
		}
		return ""
	}
	return closestName(ref, alerts)
}

// runTest routes test i's event with r, or with a Router of its own when
// the test gives labels.
func (s *Suite) runTest(ctx context.Context, r *fluxnotify.Router, cfg *fluxnotify.Config, i int, opts []fluxnotify.RouterOption) (TestResult, error) {
	t := s.Tests[i]
	tr := TestResult{Name: t.Name, Line: t.Line}
	start := time.Now()
	if len(t.Labels) > 0 {
		all := []fluxnotify.RouterOption{fluxnotify.WithMode(s.Mode), fluxnotify.WithLabeler(staticLabels(t.Labels))}
		lr, err := fluxnotify.NewRouter(cfg, append(all, opts...)...)
		if lr == nil {
			return tr, s.problem("manifests", err)
		}
		r = lr
	}
	routing, err := r.Route(ctx, t.Event)
	if err != nil {
		return tr, &Error{File: s.Path, Line: t.Line, Field: fmt.Sprintf("tests[%d].event", i), Err: err}
	}
	tr.Duration = time.Since(start)
	routes := slices.Clone(routing.Routes)
	slices.SortStableFunc(routes, func(a, b fluxnotify.Route) int { return strings.Compare(a.Alert, b.Alert) })
	tr.Routes = routes
	reasons := map[string]string{}
	for _, u := range routing.Unmatched {
		reasons[u.Alert] = u.Reason
	}
	check(&tr, t, routes, reasons)
	tr.Passed = len(tr.Failures) == 0
	return tr, nil
}

// staticLabels is a Labeler that gives every object the same labels.
func staticLabels(labels map[string]string) match.Labeler {
	return match.LabelerFunc(func(context.Context, *corev1.ObjectReference) (map[string]string, error) {
		return labels, nil
	})
}

// check compares the routes with the test's expectations and fills the
// failures and the diff of tr.
func check(tr *TestResult, t Test, routes []fluxnotify.Route, reasons map[string]string) {
	got := map[string]fluxnotify.Route{}
	for _, r := range routes {
		got[r.Alert] = r
	}
	want := map[string]ExpectedRoute{}
	for _, w := range t.Routes {
		want[w.Alert] = w
	}
	var diff strings.Builder
	routesDiffer := false
	var lines []diffLine
	for _, w := range t.Routes {
		g, ok := got[w.Alert]
		if !ok {
			routesDiffer = true
			why := reasons[w.Alert]
			if why == "" {
				why = "not matched"
			}
			lines = append(lines, diffLine{w.Alert, '-', describeWant(w), "not matched: " + why})
			continue
		}
		gotText := describeGot(g, w)
		if wantText := describeWant(w); gotText != wantText {
			routesDiffer = true
			lines = append(lines, diffLine{w.Alert, '-', wantText, ""}, diffLine{w.Alert, '+', gotText, ""})
		} else if g.Err != nil {
			routesDiffer = true
			lines = append(lines, diffLine{w.Alert, '!', gotText, "not sent: " + g.Err.Error()})
		} else {
			lines = append(lines, diffLine{w.Alert, ' ', gotText, ""})
		}
	}
	for _, g := range routes {
		if _, ok := want[g.Alert]; !ok {
			routesDiffer = true
			lines = append(lines, diffLine{g.Alert, '+', describeGot(g, ExpectedRoute{Provider: &g.Provider, Channel: &g.Channel}), "matched, not expected"})
		}
	}
	if routesDiffer {
		tr.Failures = append(tr.Failures, "routes differ")
		slices.SortStableFunc(lines, func(a, b diffLine) int { return strings.Compare(a.alert, b.alert) })
		legend := "- expected, + got"
		if slices.ContainsFunc(lines, func(l diffLine) bool { return l.op == '!' }) {
			legend += ", ! matched but would not be sent"
		}
		fmt.Fprintf(&diff, "routes (%s):\n", legend)
		for _, l := range lines {
			fmt.Fprintf(&diff, "%c %s", l.op, l.text)
			if l.note != "" {
				fmt.Fprintf(&diff, "   (%s)", l.note)
			}
			diff.WriteString("\n")
		}
	}
	for _, r := range t.Rendered {
		g, ok := got[r.Alert]
		if !ok {
			tr.Failures = append(tr.Failures, r.Alert+": not matched, so nothing was rendered")
			fmt.Fprintf(&diff, "rendered %s: not matched, so nothing was rendered\n", r.Alert)
			continue
		}
		if len(g.Payload) == 0 {
			msg := fmt.Sprintf("%s: provider type %q renders no message offline", r.Alert, g.Type)
			if g.Err != nil {
				msg = fmt.Sprintf("%s: the message could not be rendered: %v", r.Alert, g.Err)
			}
			tr.Failures = append(tr.Failures, msg)
			fmt.Fprintf(&diff, "rendered %s\n", msg)
			continue
		}
		text := RenderedText(g.Payload)
		var missing []string
		for _, c := range r.Contains {
			if !strings.Contains(text, c) {
				missing = append(missing, fmt.Sprintf("%q", c))
			}
		}
		if len(missing) == 0 {
			continue
		}
		tr.Failures = append(tr.Failures, fmt.Sprintf("%s: the message does not contain %s", r.Alert, strings.Join(missing, ", ")))
		fmt.Fprintf(&diff, "rendered %s: missing %s\n  the message's text:\n", r.Alert, strings.Join(missing, ", "))
		for _, line := range strings.Split(text, "\n") {
			fmt.Fprintf(&diff, "  | %s\n", line)
		}
	}
	tr.Diff = diff.String()
}

type diffLine struct {
	alert string
	op    byte
	text  string
	note  string
}

// describeWant prints an expected route with the fields it checks.
func describeWant(w ExpectedRoute) string {
	s := w.Alert
	if w.Provider != nil {
		s += " provider=" + qualify(*w.Provider, w.Alert)
	}
	if w.Channel != nil {
		s += " channel=" + showChannel(*w.Channel)
	}
	return s
}

// describeGot prints a route with the fields that w checks.
func describeGot(g fluxnotify.Route, w ExpectedRoute) string {
	s := g.Alert
	if w.Provider != nil {
		s += " provider=" + g.Provider
	}
	if w.Channel != nil {
		s += " channel=" + showChannel(g.Channel)
	}
	return s
}

// qualify writes a provider name without namespace in the alert's
// namespace, where Flux looks for it.
func qualify(providerRef, alert string) string {
	if strings.Contains(providerRef, "/") {
		return providerRef
	}
	ns, _, _ := strings.Cut(alert, "/")
	return ns + "/" + providerRef
}

func showChannel(c string) string {
	if c == "" {
		return `""`
	}
	return c
}

// RenderedText returns the text of a rendered payload: every string of the
// JSON body, in order, one a line (a body that is not JSON is returned as
// it is). rendered.contains looks for its texts there.
func RenderedText(payload json.RawMessage) string {
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return string(payload)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(x[k])
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}
