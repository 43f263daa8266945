package alerttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/internal/suggest"
	"github.com/fluxnotify/fluxnotify/match"
)

// MaxSuiteSize is the largest suite file Load reads, in bytes.
const MaxSuiteSize = 4 << 20

// Errors that a *Error wraps, for errors.Is.
var (
	// ErrUnknownKey marks a key that a suite file does not have, typically
	// a typo such as "routs".
	ErrUnknownKey = errors.New("unknown key")
	// ErrInvalid marks a value of the wrong shape or a missing required
	// key.
	ErrInvalid = errors.New("invalid suite")
	// ErrNoSuchAlert marks a test that names an alert the manifests do not
	// define.
	ErrNoSuchAlert = errors.New("no such alert in the manifests")
)

// Error is one problem of a suite file: a key, a value, an event, or the
// manifests it names. The zero value of a location field means "not
// known".
type Error struct {
	// File is the suite file.
	File string
	// Line and Column are 1-based positions in File.
	Line, Column int
	// Field is the path of the key at fault, such as "tests[1].routes[0].alert".
	Field string
	// Err is the problem itself.
	Err error
}

// Error reads "file:line:column: field: problem".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("invalid")
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Errors returns every *Error in err (an error of Load or Run), in the
// order they were found; nil when err holds none.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		var se *Error
		switch x := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		default:
			if errors.As(err, &se) {
				out = append(out, se)
			}
		}
	}
	walk(err)
	return out
}

// Suite is a decoded suite file: the manifests to load, how to load and
// route them, and the tests.
type Suite struct {
	// Path is the suite file, as given to Load.
	Path string
	// Manifests are the files or folders of Alerts and Providers, resolved
	// relative to the suite file's folder.
	Manifests []string
	// Mode is the matching semantics (the suite's "mode": extended, the
	// default, or flux).
	Mode match.Mode
	// Substitute holds Flux postBuild variables, substituted in the
	// manifests as Flux does (${VAR}).
	Substitute map[string]string
	// Tests are the tests, in file order.
	Tests []Test

	manifestsLine int
}

// Test is one event and what must happen to it.
type Test struct {
	// Name names the test; names are unique within a suite.
	Name string
	// Line is the line of the test in the suite file.
	Line int
	// Event is the event to route.
	Event *event.Event
	// EventFile is the file the event was read from, resolved relative to
	// the suite; empty for an event written inline.
	EventFile string
	// Labels are the labels of the event's involved object, for
	// matchLabels.
	Labels map[string]string
	// Routes are exactly the alerts the event must reach; empty when it
	// must reach none.
	Routes []ExpectedRoute
	// Rendered are texts that alerts' messages must contain.
	Rendered []ExpectedRender
}

// ExpectedRoute is one alert an event must reach. Provider and Channel are
// checked only when the suite gives them.
type ExpectedRoute struct {
	// Alert is the alert as written: "namespace/name", or "name" when
	// unique in the manifests.
	Alert string
	// Provider is the provider as written ("namespace/name" or "name" in
	// the alert's namespace); nil when not checked.
	Provider *string
	// Channel is the resolved channel ("" for the webhook's default); nil
	// when not checked.
	Channel *string
	// Line is the line of the route in the suite file.
	Line int
}

// ExpectedRender is what the message rendered for one alert must contain.
type ExpectedRender struct {
	// Alert is the alert, written as in ExpectedRoute.
	Alert string
	// Contains are the texts the message must contain, each as it appears
	// in one of the message's strings (after the provider's escaping).
	Contains []string
	// Line is the line of the entry in the suite file.
	Line int
}

// Load reads and checks the suite file at path. It does not load the
// manifests (Run does). Every problem is listed, as a *Error, in a joined
// error.
func Load(path string) (*Suite, error) {
	data, err := readFile(path, MaxSuiteSize)
	if err != nil {
		return nil, &Error{File: path, Err: fmt.Errorf("cannot read the suite: %w", err)}
	}
	return Parse(path, data)
}

// Parse decodes a suite from data; name is the suite's path, used for
// error messages and to resolve the manifests and event files.
func Parse(name string, data []byte) (s *Suite, err error) {
	d := &decoder{file: name, dir: filepath.Dir(name)}
	defer func() {
		if r := recover(); r != nil { // the YAML parser reads untrusted input
			s, err = nil, &Error{File: name, Err: invalidf("cannot parse YAML: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: name, Line: yamlErrorLine(err), Err: invalidf("%s", strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: name, Err: invalidf("the file is empty")}
	}
	s = d.suite(doc.Content[0])
	if d.aliases > maxAliases {
		d.errs = append(d.errs, &Error{File: name, Err: invalidf("more than %d aliases: write the suite out", maxAliases)})
	}
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b error) int {
			ea, eb := a.(*Error), b.(*Error)
			if ea.Line != eb.Line {
				return ea.Line - eb.Line
			}
			return ea.Column - eb.Column
		})
		return nil, errors.Join(d.errs...)
	}
	return s, nil
}

// decoder walks a suite's YAML nodes and collects every problem.
type decoder struct {
	file, dir string
	errs      []error
	aliases   int
}

func (d *decoder) fail(n *yaml.Node, field string, err error) {
	e := &Error{File: d.file, Field: field, Err: err}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) failf(n *yaml.Node, field, format string, args ...any) {
	d.fail(n, field, invalidf(format, args...))
}

// invalidError is a problem that errors.Is reports as ErrInvalid, without
// repeating its words in the message.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{fmt.Sprintf(format, args...)}
}

// maxAliases bounds how many aliases a suite may follow, so that a small
// file cannot make the decoder walk a huge tree (a "billion laughs").
const maxAliases = 10_000

// resolve follows aliases; past maxAliases it gives a null node.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if d.aliases++; d.aliases > maxAliases {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// fields checks that n is a mapping whose keys are all in known, without
// duplicates, and returns its values by key with the key nodes.
func (d *decoder) fields(n *yaml.Node, field string, known []string) (values, keys map[string]*yaml.Node, ok bool) {
	if n.Kind != yaml.MappingNode {
		d.failf(n, field, "want a mapping of %s, got %s", strings.Join(known, ", "), describe(n))
		return nil, nil, false
	}
	values, keys = map[string]*yaml.Node{}, map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		path := join(field, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			d.failf(k, field, "a key must be a string, got %s", describe(k))
		case !slices.Contains(known, k.Value):
			msg := fmt.Sprintf("%q", k.Value)
			if s := closestName(k.Value, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (known keys: " + strings.Join(known, ", ") + ")"
			}
			d.fail(k, path, fmt.Errorf("%w %s", ErrUnknownKey, msg))
		case keys[k.Value] != nil:
			d.failf(k, path, "duplicate key (first at line %d)", keys[k.Value].Line)
		default:
			values[k.Value], keys[k.Value] = v, k
		}
	}
	return values, keys, true
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

func (d *decoder) str(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.failf(n, field, "want a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

// strs reads a list of strings, or a single string as a list of one.
func (d *decoder) strs(n *yaml.Node, field string) []string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, field, "want a list of strings, got %s", describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		if s, ok := d.str(d.resolve(c), fmt.Sprintf("%s[%d]", field, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// stringMap reads a mapping of strings; numbers and booleans are kept as
// written.
func (d *decoder) stringMap(n *yaml.Node, field string) map[string]string {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, field, "want a mapping of key: value, got %s", describe(n))
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), d.resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.failf(k, field, "a key must be a string, got %s", describe(k))
			continue
		}
		path := join(field, k.Value)
		if _, dup := out[k.Value]; dup {
			d.failf(k, path, "duplicate key")
			continue
		}
		if v.Kind != yaml.ScalarNode {
			d.failf(v, path, "want a string, got %s", describe(v))
			continue
		}
		out[k.Value] = v.Value // null is ""
		if isNull(v) {
			out[k.Value] = ""
		}
	}
	return out
}

func (d *decoder) list(n *yaml.Node, field string) []*yaml.Node {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.failf(n, field, "want a list, got %s", describe(n))
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = d.resolve(c)
	}
	return out
}

var (
	suiteKeys    = []string{"manifests", "mode", "substitute", "tests"}
	testKeys     = []string{"name", "event", "labels", "routes", "rendered"}
	routeKeys    = []string{"alert", "provider", "channel"}
	renderedKeys = []string{"alert", "contains"}
)

func (d *decoder) suite(n *yaml.Node) *Suite {
	s := &Suite{Path: d.file}
	v, keys, ok := d.fields(d.resolve(n), "", suiteKeys)
	if !ok {
		return s
	}
	if m := v["manifests"]; m != nil {
		s.manifestsLine = m.Line
		for _, p := range d.strs(m, "manifests") {
			if p == "" {
				d.failf(m, "manifests", "an empty path")
				continue
			}
			s.Manifests = append(s.Manifests, d.path(p))
		}
		if len(s.Manifests) == 0 && m.Kind == yaml.SequenceNode {
			d.failf(m, "manifests", "no files or folders")
		}
	} else {
		d.failf(n, "manifests", "missing: give the files or folders of your Alerts and Providers, relative to this file")
	}
	if m := v["mode"]; m != nil {
		if str, ok := d.str(m, "mode"); ok {
			mode, err := match.ParseMode(str)
			if err != nil || str == "" {
				d.failf(m, "mode", "%q: want extended or flux", str)
			}
			s.Mode = mode
		}
	}
	if m := v["substitute"]; m != nil {
		s.Substitute = d.stringMap(m, "substitute")
	}
	tests := v["tests"]
	if tests == nil {
		d.failf(n, "tests", "missing: a suite has at least one test")
		return s
	}
	names := map[string]int{}
	for i, tn := range d.list(tests, "tests") {
		field := fmt.Sprintf("tests[%d]", i)
		t := d.test(tn, field)
		if t == nil {
			continue
		}
		if t.Name != "" {
			if line, dup := names[t.Name]; dup {
				d.failf(tn, field+".name", "%q: a second test of that name (first at line %d)", t.Name, line)
			}
			names[t.Name] = t.Line
		}
		s.Tests = append(s.Tests, *t)
	}
	if len(s.Tests) == 0 && len(d.errs) == 0 {
		d.failf(keys["tests"], "tests", "no tests: a suite has at least one")
	}
	return s
}

// path resolves p relative to the suite's folder.
func (d *decoder) path(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(d.dir, filepath.FromSlash(p))
}

func (d *decoder) test(n *yaml.Node, field string) *Test {
	v, _, ok := d.fields(n, field, testKeys)
	if !ok {
		return nil
	}
	t := &Test{Line: n.Line}
	if m := v["name"]; m != nil {
		t.Name, _ = d.str(m, field+".name")
	}
	if t.Name == "" {
		d.failf(n, field+".name", "missing: every test has a name")
	}
	if m := v["event"]; m != nil {
		t.Event, t.EventFile = d.event(m, field+".event")
	} else {
		d.failf(n, field+".event", "missing: give a file (relative to this suite) or the event inline")
	}
	if m := v["labels"]; m != nil {
		t.Labels = d.stringMap(m, field+".labels")
	}
	if m := v["routes"]; m != nil {
		t.Routes = []ExpectedRoute{}
		for i, rn := range d.list(m, field+".routes") {
			rf := fmt.Sprintf("%s.routes[%d]", field, i)
			rv, _, ok := d.fields(rn, rf, routeKeys)
			if !ok {
				continue
			}
			r := ExpectedRoute{Line: rn.Line}
			r.Alert = d.alertRef(rv["alert"], rn, rf)
			if p := rv["provider"]; p != nil {
				if s, ok := d.str(p, rf+".provider"); ok {
					r.Provider = &s
				}
			}
			if c := rv["channel"]; c != nil {
				s := ""
				if !isNull(c) {
					s, _ = d.str(c, rf+".channel")
				}
				r.Channel = &s
			}
			t.Routes = append(t.Routes, r)
		}
	} else {
		d.failf(n, field+".routes", "missing: list the alerts the event must reach (routes: [] for none)")
	}
	if m := v["rendered"]; m != nil {
		for i, rn := range d.list(m, field+".rendered") {
			rf := fmt.Sprintf("%s.rendered[%d]", field, i)
			rv, _, ok := d.fields(rn, rf, renderedKeys)
			if !ok {
				continue
			}
			r := ExpectedRender{Line: rn.Line, Alert: d.alertRef(rv["alert"], rn, rf)}
			if c := rv["contains"]; c != nil {
				r.Contains = d.strs(c, rf+".contains")
			}
			if len(r.Contains) == 0 {
				d.failf(rn, rf+".contains", "missing: the texts the message must contain")
			}
			t.Rendered = append(t.Rendered, r)
		}
	}
	return t
}

func (d *decoder) alertRef(n, parent *yaml.Node, field string) string {
	if n == nil {
		d.failf(parent, field+".alert", "missing: the alert, as namespace/name")
		return ""
	}
	s, ok := d.str(n, field+".alert")
	if ok && s == "" {
		d.failf(n, field+".alert", "empty: the alert, as namespace/name")
	}
	return s
}

// event reads a test's event: a file name, or the event inline.
func (d *decoder) event(n *yaml.Node, field string) (*event.Event, string) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		file := d.path(n.Value)
		data, err := readFile(file, event.MaxSize)
		if err != nil {
			d.fail(n, field, fmt.Errorf("cannot read %s: %w", file, err))
			return nil, file
		}
		if ext := strings.ToLower(filepath.Ext(file)); ext == ".yaml" || ext == ".yml" {
			if data, err = yamlEventToJSON(data); err != nil {
				d.fail(n, field, fmt.Errorf("%s: %w", n.Value, err))
				return nil, file
			}
		}
		e, err := event.Unmarshal(data)
		if err != nil {
			d.fail(n, field, fmt.Errorf("%s: %w", n.Value, err))
			return nil, file
		}
		return e, file
	}
	if n.Kind != yaml.MappingNode {
		d.failf(n, field, "want a file name or the event as a mapping, got %s", describe(n))
		return nil, ""
	}
	before := len(d.errs)
	d.checkEventKeys(n, field)
	if len(d.errs) > before {
		return nil, ""
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.failf(n, field, "%v", err)
		return nil, ""
	}
	data, err := json.Marshal(jsonable(v))
	if err != nil {
		d.failf(n, field, "%v", err)
		return nil, ""
	}
	e, err := event.Unmarshal(data)
	if err != nil {
		d.fail(n, field, err)
		return nil, ""
	}
	return e, ""
}

// The keys of Flux's event, for the strict reading of inline events.
var (
	eventKeys  = []string{"involvedObject", "severity", "timestamp", "message", "reason", "metadata", "reportingController", "reportingInstance"}
	objectKeys = []string{"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}
)

func (d *decoder) checkEventKeys(n *yaml.Node, field string) {
	v, _, ok := d.fields(n, field, eventKeys)
	if !ok {
		return
	}
	if o := v["involvedObject"]; o != nil && !isNull(o) {
		d.fields(o, field+".involvedObject", objectKeys)
	}
}

// yamlEventToJSON converts an event file written in YAML.
func yamlEventToJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: %s", event.ErrInvalid, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return json.Marshal(jsonable(v))
}

// jsonable turns YAML-decoded values into values encoding/json accepts:
// mappings with non-string keys get their keys printed.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	}
	return v
}

// readFile reads a regular file of at most limit bytes. Its errors leave
// the path to the caller.
// It checks the file before opening it, since opening a FIFO would block.
func readFile(path string, limit int) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, invalidf("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, invalidf("larger than %d bytes", limit)
	}
	return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), nil
}

// yamlErrorLine finds "line N" in a YAML parser error.
func yamlErrorLine(err error) int {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		rest := msg[i+len("line "):]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(rest[:j]); err == nil {
			return n
		}
	}
	return 0
}

// suggest returns the word of known closest to s, when close enough to be
// a typo.
func closestName(s string, known []string) string {
	best, bestD := "", 0
	for _, k := range known {
		dist := suggest.Distance(strings.ToLower(s), strings.ToLower(k))
		if best == "" || dist < bestD {
			best, bestD = k, dist
		}
	}
	if best != "" && bestD <= max(2, len(best)/3) {
		return best
	}
	return ""
}
