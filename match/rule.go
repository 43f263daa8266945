package match

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gobwas/glob"
	globsyntax "github.com/gobwas/glob/syntax"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// This file holds the per-alert form shared by Matcher and Reference: an
// alert with its patterns and regular expressions compiled, and the plain
// evaluation of one alert against one event, written check by check in the
// order Explain reports them. The Matcher's index (index.go) is a separate
// implementation of the same predicate; the differential tests compare the
// two.

// pattern matches one field of an event source: any value, one exact value,
// or a glob.
type pattern struct {
	text string
	any  bool          // "*": every value
	g    *glob.Pattern // nil for an exact value
	// For a glob: id numbers it among the distinct globs of a Matcher,
	// and prefix is its literal prefix, the text every value it matches
	// starts with (see literalPrefix).
	id     int32
	prefix string
}

func (p *pattern) match(s string) bool {
	switch {
	case p.any:
		return true
	case p.g == nil:
		return s == p.text
	default:
		return p.g.Match(s)
	}
}

// isExact reports whether p only matches p.text.
func (p *pattern) isExact() bool { return !p.any && p.g == nil }

// miss words the failure of p to match the event's value s for the named
// field: "kind HelmRelease, want Kustomization" for an exact value, "name
// my-app does not match app-*" for a glob.
func (p *pattern) miss(field, s string) string {
	if p.isExact() {
		return fmt.Sprintf("%s %s, want %s", field, quoteEmpty(s), quoteEmpty(p.text))
	}
	return fmt.Sprintf("%s %s does not match %s", field, quoteEmpty(s), p.text)
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// exactPattern returns a pattern that matches text only.
func exactPattern(text string) pattern { return pattern{text: text} }

// compilePattern compiles text as a glob when globs is set and text holds a
// glob meta character; "*" matches everything when star is set.
func compilePattern(text string, globs, star bool) (pattern, error) {
	if text == "*" && (globs || star) {
		return pattern{text: text, any: true}, nil
	}
	if !globs || glob.QuoteMeta(text) == text {
		return pattern{text: text}, nil
	}
	g, err := glob.Compile(text)
	if err != nil {
		return pattern{}, err
	}
	return pattern{text: text, g: g, prefix: literalPrefix(text)}, nil
}

// literalPrefix returns the text of glob before its first meta character:
// every value the glob matches starts with it. It stops early at a byte
// that is not valid UTF-8, which the glob reads as U+FFFD.
func literalPrefix(glob string) string {
	for i := 0; i < len(glob); {
		c := glob[i]
		if c < utf8.RuneSelf {
			if globsyntax.IsSpecial(c) {
				return glob[:i]
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(glob[i:])
		if r == utf8.RuneError {
			return glob[:i]
		}
		i += size
	}
	return glob
}

// literalSuffix returns the text of glob after its last meta character:
// every value the glob matches ends with it. After an escape ("\\x") the
// suffix starts at the escaped character, which is literal; a suffix that is
// not valid UTF-8 is left out, as the glob reads an invalid byte as U+FFFD.
func literalSuffix(glob string) string {
	i := len(glob)
	for i > 0 && !globsyntax.IsSpecial(glob[i-1]) {
		i--
	}
	if !utf8.ValidString(glob[i:]) {
		return ""
	}
	return glob[i:]
}

type label struct{ key, value string }

// source is one compiled spec.eventSources entry.
type source struct {
	kind, namespace, name pattern
	// labels are the matchLabels sorted by key.
	labels []label
	// needLabels records that the involved object's labels must be looked
	// up: matchLabels is set (flux mode: present, even empty, as Flux then
	// requires the object to exist).
	needLabels bool
}

// identity reports whether the event's object has the source's kind,
// namespace and name.
func (s *source) identity(obj *corev1.ObjectReference) bool {
	return s.kind.match(obj.Kind) && s.namespace.match(obj.Namespace) && s.name.match(obj.Name)
}

// identityMiss returns how far the object got through the source's checks
// (kind, then namespace, then name) and the reason of the first failure.
func (s *source) identityMiss(obj *corev1.ObjectReference) (rank int, reason string) {
	switch {
	case !s.kind.match(obj.Kind):
		return 0, s.kind.miss("kind", obj.Kind)
	case !s.namespace.match(obj.Namespace):
		return 1, s.namespace.miss("namespace", obj.Namespace)
	case !s.name.match(obj.Name):
		return 2, s.name.miss("name", obj.Name)
	}
	return 3, ""
}

// labelsMatch reports whether have carries every label of the source. When
// explain is set and they do not, it says which one differs.
func (s *source) labelsMatch(have map[string]string, explain bool) (bool, string) {
	for _, l := range s.labels {
		v, ok := have[l.key]
		if ok && v == l.value {
			continue
		}
		if !explain {
			return false, ""
		}
		if !ok {
			return false, fmt.Sprintf("labels: %s is not set, want %s=%s", l.key, l.key, l.value)
		}
		return false, fmt.Sprintf("labels: %s=%s, want %s=%s", l.key, v, l.key, l.value)
	}
	return true, ""
}

// severity is a parsed spec.eventSeverity.
type severity struct {
	set    bool // false: unset
	list   bool
	levels []event.Severity
}

// rule is one valid alert in compiled form.
type rule struct {
	alert    *alert.Alert
	sev      severity
	sources  []source
	include  []*regexp.Regexp
	exclude  []*regexp.Regexp
	excludeS []string // exclusionList as written, for Explain
	// fastInclude and fastExclude are include and exclude for the index,
	// where a plain substring search replaces the expressions that only
	// look for a literal.
	fastInclude, fastExclude []textMatcher
}

// textMatcher reports whether a message contains a match of an expression.
type textMatcher struct {
	re      *regexp.Regexp // nil: look for literal
	literal string
	// fold: literal is lower-case ASCII to be found case-insensitively;
	// re is kept for messages that are not ASCII, where Unicode folding
	// applies (the Kelvin sign is a "k").
	fold bool
	// prefix: the message must start with literal (an expression "^literal").
	prefix bool
	// id is the expression's number among the distinct expressions of a
	// Matcher, for evalCtx.matchText.
	id int32
	// need lists literals that every match of re contains (see
	// requiredLiterals): a message without one of them cannot match, and
	// re does not run.
	need []requiredLiteral
}

// requiredLiteral is a literal that every match of an expression contains;
// fold: lower is lower-case ASCII, to be found ignoring case.
type requiredLiteral struct {
	lower string
	fold  bool
}

func (t *textMatcher) match(s string) bool {
	switch {
	case t.re == nil && t.prefix:
		return strings.HasPrefix(s, t.literal)
	case t.re == nil:
		return strings.Contains(s, t.literal)
	case t.fold && isASCII(s):
		return containsFoldASCII(s, t.literal)
	case !t.mayMatch(s):
		return false
	default:
		return t.re.MatchString(s)
	}
}

// mayMatch reports whether s contains every required literal of t. A
// literal to be found ignoring case is only looked for in an ASCII message,
// where ASCII folding is Unicode folding.
func (t *textMatcher) mayMatch(s string) bool {
	ascii := -1 // not known yet
	for _, n := range t.need {
		switch {
		case !n.fold:
			if !strings.Contains(s, n.lower) {
				return false
			}
		default:
			if ascii < 0 {
				ascii = 0
				if isASCII(s) {
					ascii = 1
				}
			}
			if ascii == 1 && !containsFoldASCII(s, n.lower) {
				return false
			}
		}
	}
	return true
}

// requiredLiterals returns the literals of the top-level concatenation of
// tree (captures unwrapped): every match of the expression contains each of
// them. Literals holding U+FFFD are left out, as regexp reads each invalid
// byte of a message as U+FFFD; so are case-insensitive literals that are not
// ASCII.
func requiredLiterals(tree *syntax.Regexp) []requiredLiteral {
	for tree.Op == syntax.OpCapture {
		tree = tree.Sub[0]
	}
	parts := []*syntax.Regexp{tree}
	if tree.Op == syntax.OpConcat {
		parts = tree.Sub
	}
	var need []requiredLiteral
	for _, p := range parts {
		for p.Op == syntax.OpCapture {
			p = p.Sub[0]
		}
		if p.Op != syntax.OpLiteral || slices.Contains(p.Rune, utf8.RuneError) {
			continue
		}
		if p.Flags&syntax.FoldCase == 0 {
			need = append(need, requiredLiteral{lower: string(p.Rune)})
		} else if lower, ok := lowerASCII(p.Rune); ok {
			need = append(need, requiredLiteral{lower: lower, fold: true})
		}
	}
	return need
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains lower, ignoring ASCII case;
// lower is lower-case ASCII.
func containsFoldASCII(s, lower string) bool {
	for i := 0; i+len(lower) <= len(s); i++ {
		j := 0
		for ; j < len(lower); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

// lowerASCII returns runes in lower case when they are all ASCII.
func lowerASCII(runes []rune) (string, bool) {
	b := make([]byte, len(runes))
	for i, r := range runes {
		if r >= utf8.RuneSelf {
			return "", false
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b[i] = byte(r)
	}
	return string(b), true
}

// newTextMatcher returns a textMatcher for re, whose source is expr. An
// expression that is a literal, possibly between ".*" (as in the common
// ".*dry-run.*"), matches a message exactly when the message contains the
// literal, and is searched as such.
func newTextMatcher(expr string, re *regexp.Regexp) textMatcher {
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return textMatcher{re: re}
	}
	parts := []*syntax.Regexp{tree}
	if tree.Op == syntax.OpConcat {
		parts = tree.Sub
	}
	isAnyStar := func(r *syntax.Regexp) bool {
		return r.Op == syntax.OpStar && (r.Sub[0].Op == syntax.OpAnyCharNotNL || r.Sub[0].Op == syntax.OpAnyChar)
	}
	for len(parts) > 0 && isAnyStar(parts[0]) {
		parts = parts[1:]
	}
	for len(parts) > 0 && isAnyStar(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 2 && parts[0].Op == syntax.OpBeginText && parts[1].Op == syntax.OpLiteral &&
		parts[1].Flags&syntax.FoldCase == 0 && !slices.Contains(parts[1].Rune, utf8.RuneError) {
		// "^literal": the message starts with literal.
		return textMatcher{literal: string(parts[1].Rune), prefix: true}
	}
	switch {
	case len(parts) == 0:
		return textMatcher{literal: ""}
	case len(parts) == 1 && parts[0].Op == syntax.OpLiteral && slices.Contains(parts[0].Rune, utf8.RuneError):
		// regexp reads each invalid byte of a message as U+FFFD, which
		// a substring search would not find.
		return textMatcher{re: re}
	case len(parts) == 1 && parts[0].Op == syntax.OpLiteral && parts[0].Flags&syntax.FoldCase == 0:
		return textMatcher{literal: string(parts[0].Rune)}
	case len(parts) == 1 && parts[0].Op == syntax.OpEmptyMatch:
		return textMatcher{literal: ""}
	case len(parts) == 1 && parts[0].Op == syntax.OpLiteral:
		if lower, ok := lowerASCII(parts[0].Rune); ok {
			return textMatcher{re: re, literal: lower, fold: true}
		}
	}
	return textMatcher{re: re, need: requiredLiterals(tree)}
}

// errNoLabeler is the lookup error when matchLabels is used and no Labeler
// was configured.
var errNoLabeler = errors.New("no label lookup configured (see match.WithLabeler)")

// labelCache looks the involved object's labels up at most once, and only
// when an alert needs them.
type labelCache struct {
	ctx     context.Context
	labeler Labeler
	obj     *corev1.ObjectReference
	done    bool
	labels  map[string]string
	err     error
}

func (c *labelCache) get() (map[string]string, error) {
	if !c.done {
		c.done = true
		if c.labeler == nil {
			c.err = errNoLabeler
		} else {
			c.labels, c.err = c.labeler.Labels(c.ctx, c.obj)
		}
	}
	return c.labels, c.err
}

// evalCtx is one event being evaluated against a set of rules.
type evalCtx struct {
	opts   *options
	e      *event.Event
	sev    event.Severity // 0 when the event's severity is unknown
	labels labelCache
	texts  textMemo
}

func newEvalCtx(ctx context.Context, o *options, e *event.Event) evalCtx {
	var sev event.Severity
	if o.mode == Flux {
		sev = exactEventSeverity(e.Severity)
	} else {
		sev = parseEventSeverity(e.Severity)
	}
	return evalCtx{
		opts:   o,
		e:      e,
		sev:    sev,
		labels: labelCache{ctx: ctx, labeler: o.labeler, obj: &e.InvolvedObject},
	}
}

// exactEventSeverity is the severity of an event in flux mode: Flux
// compares the exact string (eventMatchesAlertSource in
// internal/server/event_handlers.go), so "ERROR", " error" and "warning"
// are unknown (0), which only info and unset alerts take.
func exactEventSeverity(s string) event.Severity {
	switch s {
	case "trace":
		return event.SeverityTrace
	case "info":
		return event.SeverityInfo
	case "warn":
		return event.SeverityWarn
	case "error":
		return event.SeverityError
	}
	return 0
}

// parseEventSeverity returns the severity of an event, or 0 when unknown. It
// does not allocate for the spellings Flux sends.
func parseEventSeverity(s string) event.Severity {
	sev, err := event.ParseSeverity(s)
	if err != nil {
		return 0
	}
	return sev
}

// severityOK is the severity rule, written out per mode.
func (r *rule) severityOK(mode Mode, sev event.Severity) bool {
	if mode == Flux {
		switch {
		case !r.sev.set:
			return true // Flux's default is info, which takes every event.
		case r.sev.list:
			return slices.Contains(r.sev.levels, sev)
		case r.sev.levels[0] == event.SeverityInfo:
			return true
		default:
			return sev == r.sev.levels[0]
		}
	}
	switch {
	case sev == 0:
		return false
	case !r.sev.set:
		return sev == event.SeverityError
	case r.sev.list:
		return slices.Contains(r.sev.levels, sev)
	default:
		return sev >= r.sev.levels[0]
	}
}

func (r *rule) severityMiss(mode Mode, e *event.Event, sev event.Severity) string {
	if mode == Flux && r.sev.set && !r.sev.list {
		if sev == 0 {
			return fmt.Sprintf("severity %q, want %s (compared exactly, as Flux does)", e.Severity, r.sev.levels[0])
		}
		return fmt.Sprintf("severity %s, want %s", sev, r.sev.levels[0])
	}
	if sev == 0 {
		return fmt.Sprintf("severity %q is unknown", e.Severity)
	}
	switch {
	case r.sev.list:
		names := make([]string, len(r.sev.levels))
		for i, l := range r.sev.levels {
			names[i] = l.String()
		}
		return fmt.Sprintf("severity %s is not in [%s]", sev, strings.Join(names, ", "))
	case !r.sev.set: // extended mode only: flux mode takes everything
		return fmt.Sprintf("severity %s is below error (eventSeverity is unset: errors only)", sev)
	default:
		return fmt.Sprintf("severity %s is below %s", sev, r.sev.levels[0])
	}
}

// eval evaluates the alert against the event, check by check in the order
// Explain documents: suspension, event sources (kind, namespace, name),
// severity, the cross-namespace lockdown, matchLabels, inclusionList,
// exclusionList. When explain is set, a failure comes with its reason.
func (r *rule) eval(ec *evalCtx, explain bool) (bool, string) {
	a := r.alert
	if a.Spec.Suspend {
		return false, "alert is suspended"
	}
	obj := &ec.e.InvolvedObject

	identity := false
	for i := range r.sources {
		if r.sources[i].identity(obj) {
			identity = true
			break
		}
	}
	if !identity {
		if !explain {
			return false, ""
		}
		return false, r.closestMiss(obj)
	}

	if !r.severityOK(ec.opts.mode, ec.sev) {
		if !explain {
			return false, ""
		}
		return false, r.severityMiss(ec.opts.mode, ec.e, ec.sev)
	}

	if ec.opts.noCrossNamespace && obj.Namespace != a.Namespace {
		if !explain {
			return false, ""
		}
		return false, fmt.Sprintf("namespace %s is outside the alert's namespace %s (cross-namespace references are disabled)",
			quoteEmpty(obj.Namespace), quoteEmpty(a.Namespace))
	}

	labelsOK, labelsMiss := false, ""
	for i := range r.sources {
		s := &r.sources[i]
		if !s.identity(obj) {
			continue
		}
		if !s.needLabels {
			labelsOK = true
			break
		}
		have, err := ec.labels.get()
		if err != nil {
			if labelsMiss == "" && explain {
				labelsMiss = "labels: " + lookupMiss(err)
			}
			continue
		}
		ok, why := s.labelsMatch(have, explain)
		if ok {
			labelsOK = true
			break
		}
		if labelsMiss == "" {
			labelsMiss = why
		}
	}
	if !labelsOK {
		return false, labelsMiss
	}

	// Each distinct expression runs at most once per event (matchRegexp).
	if len(r.include) > 0 {
		included := false
		for i, re := range r.include {
			if ec.matchRegexp(r.fastInclude[i].id, re) {
				included = true
				break
			}
		}
		if !included {
			return false, "message matches no inclusionList entry"
		}
	}
	for i, re := range r.exclude {
		if ec.matchRegexp(r.fastExclude[i].id, re) {
			if !explain {
				return false, ""
			}
			return false, fmt.Sprintf("excluded by exclusionList[%d] `%s`", i, r.excludeS[i])
		}
	}
	return true, ""
}

func lookupMiss(err error) string {
	if errors.Is(err, errNoLabeler) {
		return "matchLabels needs the object's labels, and " + err.Error()
	}
	return "looking up the object's labels failed: " + err.Error()
}

// closestMiss returns the reason of the source that got furthest through the
// kind, namespace and name checks (the first such source on a tie).
func (r *rule) closestMiss(obj *corev1.ObjectReference) string {
	best, reason := -1, ""
	for i := range r.sources {
		rank, why := r.sources[i].identityMiss(obj)
		if rank > best {
			best, reason = rank, why
		}
	}
	return reason
}

// compileRules validates and compiles alerts. Invalid alerts are left out and
// reported, one *AlertError each, in the joined error.
func compileRules(alerts []alert.Alert, o *options) ([]rule, []*alert.Alert, *compiler, error) {
	if o.mode != Extended && o.mode != Flux {
		return nil, nil, nil, fmt.Errorf("match: unknown mode %s", o.mode)
	}
	own := make([]alert.Alert, len(alerts))
	copy(own, alerts)
	rules := make([]rule, 0, len(own))
	valid := make([]*alert.Alert, 0, len(own))
	seen := make(map[[2]string]struct{}, len(own))
	c := newCompiler(o.mode)
	var errs []error
	for i := range own {
		a := &own[i]
		r, fieldErrs := c.rule(a)
		key := [2]string{a.Namespace, a.Name}
		if _, dup := seen[key]; dup && a.Name != "" {
			fieldErrs = append(fieldErrs, field.Duplicate(field.NewPath("metadata", "name"), a.Name))
		}
		if len(fieldErrs) > 0 {
			errs = append(errs, &AlertError{Namespace: a.Namespace, Name: a.Name, Index: i, Fields: fieldErrs})
			continue
		}
		seen[key] = struct{}{}
		rules = append(rules, r)
		valid = append(valid, a)
	}
	return rules, valid, c, errors.Join(errs...)
}

// compiler compiles alerts for one mode. Configurations repeat the same
// patterns and expressions across many alerts; each is compiled once and
// shared (compiled globs and regular expressions are safe for concurrent
// use).
type compiler struct {
	mode     Mode
	patterns map[patternKey]patternResult
	texts    map[string]textResult
	nTexts   int32 // distinct expressions compiled, for textMatcher.id
	globIDs  map[string]int32
	nGlobs   int32 // distinct globs compiled, for pattern.id
}

type patternKey struct {
	text        string
	globs, star bool
}

type patternResult struct {
	p   pattern
	err error
}

type textResult struct {
	re   *regexp.Regexp
	fast textMatcher
	err  error
}

func newCompiler(mode Mode) *compiler {
	return &compiler{mode: mode, patterns: make(map[patternKey]patternResult), texts: make(map[string]textResult), globIDs: make(map[string]int32)}
}

func (c *compiler) pattern(text string, globs, star bool) (pattern, error) {
	k := patternKey{text, globs, star}
	res, ok := c.patterns[k]
	if !ok {
		res.p, res.err = compilePattern(text, globs, star)
		if res.p.g != nil {
			id, ok := c.globIDs[text]
			if !ok {
				id = c.nGlobs
				c.globIDs[text] = id
				c.nGlobs++
			}
			res.p.id = id
		}
		c.patterns[k] = res
	}
	return res.p, res.err
}

func (c *compiler) text(expr string) textResult {
	res, ok := c.texts[expr]
	if !ok {
		if res.err = checkProgramSize(expr); res.err == nil {
			res.re, res.err = regexp.Compile(expr)
		}
		if res.err == nil {
			res.fast = newTextMatcher(expr, res.re)
			res.fast.id = c.nTexts
			c.nTexts++
		}
		c.texts[expr] = res
	}
	return res
}

// rule compiles one alert. It returns every problem found, each with its
// field path.
func (c *compiler) rule(a *alert.Alert) (rule, field.ErrorList) {
	mode := c.mode
	errs := a.FieldErrors()
	lint, _ := a.Lint(mode == Flux) // flux mode: what Flux's API server refuses
	errs = append(errs, lint...)
	spec := field.NewPath("spec")
	r := rule{alert: a, excludeS: a.Spec.ExclusionList}

	sev := a.Spec.EventSeverity
	if !sev.IsZero() {
		if !sev.List && len(sev.Values) > 1 {
			errs = append(errs, field.Invalid(spec.Child("eventSeverity"), sev.Values,
				"a single level holds one value; write a list to take several levels"))
		}
		if levels, err := sev.Levels(); err == nil && len(levels) > 0 {
			r.sev = severity{set: true, list: sev.List, levels: levels}
		}
	}

	globs := mode == Extended
	srcs := spec.Child("eventSources")
	for i, src := range a.Spec.EventSources {
		p := srcs.Index(i)
		var s source
		var err error
		if s.kind, err = c.pattern(src.Kind, globs, false); err != nil {
			errs = append(errs, field.Invalid(p.Child("kind"), src.Kind, err.Error()))
		}
		if s.name, err = c.pattern(src.Name, globs, true); err != nil {
			errs = append(errs, field.Invalid(p.Child("name"), src.Name, err.Error()))
		}
		if src.Namespace == "" {
			s.namespace = exactPattern(a.Namespace)
		} else if s.namespace, err = c.pattern(src.Namespace, globs, false); err != nil {
			errs = append(errs, field.Invalid(p.Child("namespace"), src.Namespace, err.Error()))
		}
		if mode == Flux {
			s.needLabels = src.MatchLabels != nil
		} else {
			s.needLabels = len(src.MatchLabels) > 0
		}
		for k, v := range src.MatchLabels {
			lp := p.Child("matchLabels").Key(k)
			for _, msg := range validation.IsQualifiedName(k) {
				errs = append(errs, field.Invalid(lp, k, "label key: "+msg))
			}
			for _, msg := range validation.IsValidLabelValue(v) {
				errs = append(errs, field.Invalid(lp, v, "label value: "+msg))
			}
			s.labels = append(s.labels, label{key: k, value: v})
		}
		slices.SortFunc(s.labels, func(x, y label) int { return strings.Compare(x.key, y.key) })
		r.sources = append(r.sources, s)
	}

	// alert.Validate has checked that the expressions compile; a failure
	// here is already in errs.
	for i, expr := range a.Spec.InclusionList {
		if t := c.text(expr); t.err == nil {
			r.include = append(r.include, t.re)
			r.fastInclude = append(r.fastInclude, t.fast)
		} else if errors.Is(t.err, ErrRegexpTooLarge) {
			errs = append(errs, field.Invalid(spec.Child("inclusionList").Index(i), shortExpr(expr), t.err.Error()))
		}
	}
	for i, expr := range a.Spec.ExclusionList {
		if t := c.text(expr); t.err == nil {
			r.exclude = append(r.exclude, t.re)
			r.fastExclude = append(r.fastExclude, t.fast)
		} else if errors.Is(t.err, ErrRegexpTooLarge) {
			errs = append(errs, field.Invalid(spec.Child("exclusionList").Index(i), shortExpr(expr), t.err.Error()))
		}
	}
	return r, errs
}
