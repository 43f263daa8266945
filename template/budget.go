package template

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"
)

// DefaultWork is the work budget of one Render call when Limits.Work is 0:
// 512 Mi units, where a unit is about a nanosecond of CPU (a function is
// charged from 1 unit per byte it reads, for hashing, to 32, for camelcase
// or toJson), so about half a second. A template that calls a dozen
// functions on a 3 MiB message (the largest event), or searches it once
// with a regular expression of 25 instructions, uses less than two thirds
// of it.
const DefaultWork = 512 << 20

// SampleWork is the work budget of the render on Sample that Parse does
// (or Limits.Work, when smaller): 32 Mi units, about 30 ms of CPU, so that
// loading a configuration of many templates never takes long. A template
// that needs more on the small sample event loops for its own sake.
const SampleWork = 32 << 20

// MaxRegexpProgram bounds the compiled size of a regular expression a
// template uses, in instructions of Go's regexp program. Expressions people
// write compile to a few dozen; "(?:a?){1000}" compiles to thousands.
const MaxRegexpProgram = 2000

// regexpCost is how much work one byte searched by a regular expression of
// n instructions costs: Go's matcher may step through every instruction for
// every byte, which takes 1 to 9 ns per instruction (measured on a 2-core
// AMD EPYC: 3 ns for "(?i)(error|failed).*timeout", 25 instructions).
func regexpCost(n int) int64 { return 4 * int64(max(1, n)) }

// callCost is the work charged for a function call, besides what it reads:
// text/template calls functions through reflection, which costs from a few
// hundred nanoseconds to a microsecond on a busy machine.
const callCost = 512

// iterationCost is the work charged for each element a range loop visits.
const iterationCost = 64

// Limits bound the work of one Render call (and of the sample render of
// Parse). A field left 0 takes its default.
type Limits struct {
	// Work is how much work the template functions of one Render call may
	// do, in units of about a nanosecond: every call is charged 512 plus the
	// size of its arguments in bytes (strings, byte slices, lists, maps and
	// the structs of Data) times the function's cost per byte (1 to 32,
	// 4 for a function of WithFuncs), a regular expression the bytes it
	// searches times 4 times the instructions of its compiled program, and
	// every range iteration 64. Default DefaultWork.
	Work int64
	// Iterations is how many elements the range loops of one Render call
	// may visit in all. Default MaxIterations.
	Iterations int
}

func (l Limits) withDefaults() Limits {
	if l.Work <= 0 {
		l.Work = DefaultWork
	}
	if l.Iterations <= 0 {
		l.Iterations = MaxIterations
	}
	return l
}

// WithLimits sets the work and iteration bounds of every Render call of the
// template, and of the render on Sample that Parse does.
func WithLimits(l Limits) Option {
	return func(o *options) { o.limits = l }
}

// ErrWorkBudget is wrapped by the error of a Render call whose template
// functions would read more than Limits.Work.
var ErrWorkBudget = errors.New("over the work budget")

// ErrRegexpTooLarge is wrapped by the error of a template function given a
// regular expression whose program is larger than MaxRegexpProgram.
var ErrRegexpTooLarge = errors.New("regular expression too large")

// budget is the work left to one Render call, and its context.
type budget struct {
	left  int64
	limit int64
	done  <-chan struct{}
	ctx   context.Context
}

// charge spends n units of work, failing past the budget or when the
// context is done.
func (b *budget) charge(n int64) error {
	if b.done != nil {
		select {
		case <-b.done:
			return &limitError{fmt.Errorf("rendering stopped: %w", context.Cause(b.ctx))}
		default:
		}
	}
	b.left -= n
	if b.left < 0 {
		return &limitError{fmt.Errorf("template functions did more than %d units of work: %w", b.limit, ErrWorkBudget)}
	}
	return nil
}

// chargeArg charges the size of v, a function's argument, times weight, the
// cost of the function per byte, and returns v unchanged. The rewriter
// wraps every argument of every function call that is not a literal in it.
func chargeArg(d *Data, weight int, v any) (any, error) {
	if d == nil || d.rs == nil {
		return v, nil
	}
	return v, d.rs.budget.charge(callCost + int64(weight)*workSize(v, d.rs.budget.left))
}

// defaultWeight is the cost per byte read of a function funcWeight does
// not list, a user's function included.
const defaultWeight = 4

// funcWeight is the cost per byte read of the functions that are much
// cheaper or dearer than defaultWeight, in about nanoseconds, rounded up to
// a power of two (measured on a 2-core AMD EPYC, Go 1.26), and never less
// than the bytes they allocate per byte read, so that a render allocates
// less than its budget.
var funcWeight = map[string]int{
	// Dear: per-rune work, reflection, or building the result rune by rune.
	"camelcase": 32, "shuffle": 32, "toJson": 32, "mustToJson": 32, "toRawJson": 32, "mustToRawJson": 32,
	"kebabcase": 16, "snakecase": 16, "swapcase": 16, "untitle": 16, "slackEscape": 16,
	"toPrettyJson": 16, "mustToPrettyJson": 16, "fromJson": 16, "mustFromJson": 16,
	"upper": 8, "title": 8, "nospace": 8, "html": 8, "js": 8, "quote": 8, "squote": 8,
	"slackLink": 8, "printf": 8, "print": 8, "println": 8, "toString": 8, "toStrings": 8,
	// Cheap: a pass over the bytes (after a copy to []byte), or none.
	"sha256sum": 2, "sha1sum": 2, "adler32sum": 2, "b64dec": 2, "b32dec": 2,
	"urlquery": 2, "trunc": 1, "truncate": 1, "substr": 1, "abbrev": 1, "len": 1,
	"default": 1, "empty": 1, "coalesce": 1, "ternary": 1, "contains": 1, "hasPrefix": 1,
	"hasSuffix": 1, "trimPrefix": 1, "trimSuffix": 1, "trim": 1, "trimAll": 1,
}

// weightOf returns the cost per byte read of the function name.
func weightOf(name string) int {
	if w, ok := funcWeight[name]; ok {
		return w
	}
	return defaultWeight
}

// workSize is the size of v, a function's argument, for the work budget:
// its printed size, with the exported fields of structs and pointers
// followed a few levels deep (an event's message is in a struct), stopping
// past limit.
func workSize(v any, limit int64) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case Safe:
		return int64(len(v))
	case nil:
		return 0
	}
	return int64(deepSize(reflect.ValueOf(v), int(min(limit, 1<<40))+1, 0))
}

func deepSize(v reflect.Value, limit, depth int) int {
	if !v.IsValid() || depth > 6 {
		return 8
	}
	switch v.Kind() {
	case reflect.String:
		return v.Len()
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return 8
		}
		return deepSize(v.Elem(), limit, depth+1)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Len()
		}
		n := 2
		for i := 0; i < v.Len() && n <= limit; i++ {
			n += 1 + deepSize(v.Index(i), limit-n, depth+1)
		}
		return n
	case reflect.Map:
		n := 2
		it := v.MapRange()
		for it.Next() && n <= limit {
			n += 2 + deepSize(it.Key(), limit-n, depth+1)
			n += deepSize(it.Value(), limit-n, depth+1)
		}
		return n
	case reflect.Struct:
		// Exported fields only: what a template can reach. (Data's
		// unexported render state holds the context, whose maps other
		// goroutines write.)
		n := 2
		t := v.Type()
		for i := 0; i < v.NumField() && n <= limit; i++ {
			if t.Field(i).IsExported() {
				n += 1 + deepSize(v.Field(i), limit-n, depth+1)
			}
		}
		return n
	}
	return 8
}

// chargeRegexp charges the search of subject by the regular expression
// expr, and returns subject unchanged. It fails for an expression that does
// not compile or whose program is too large.
func chargeRegexp(d *Data, expr string, subject any) (any, error) {
	re, err := compileRegexp(expr)
	if err != nil {
		return subject, &limitError{err}
	}
	if d == nil || d.rs == nil {
		return subject, nil
	}
	n := workSize(subject, d.rs.budget.left)
	return subject, d.rs.budget.charge(callCost + int64(len(expr)) + n*re.cost)
}

// compiled is a regular expression and the work per byte it searches.
type compiled struct {
	re   *regexp.Regexp
	cost int64
}

// regexps caches the expressions templates use: they are nearly always
// literals in the template, compiled once instead of at every call.
var regexps struct {
	sync.Mutex
	m map[string]*compiled
}

const (
	maxCachedRegexps   = 512
	maxCachedRegexpLen = 4 << 10
)

// compileRegexp compiles expr, refusing a program over MaxRegexpProgram
// instructions.
func compileRegexp(expr string) (*compiled, error) {
	if len(expr) <= maxCachedRegexpLen {
		regexps.Lock()
		c := regexps.m[expr]
		regexps.Unlock()
		if c != nil {
			return c, nil
		}
	}
	c, err := compileBounded(expr)
	if err != nil {
		return nil, err
	}
	if len(expr) <= maxCachedRegexpLen {
		regexps.Lock()
		if regexps.m == nil || len(regexps.m) >= maxCachedRegexps {
			regexps.m = make(map[string]*compiled)
		}
		regexps.m[expr] = c
		regexps.Unlock()
	}
	return c, nil
}

func compileBounded(expr string) (*compiled, error) {
	n, err := RegexpProgramSize(expr)
	if err != nil {
		return nil, err
	}
	if n > MaxRegexpProgram {
		return nil, fmt.Errorf("regular expression `%s` compiles to %d instructions, more than %d: %w", cutRunes(expr, 40), n, MaxRegexpProgram, ErrRegexpTooLarge)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	return &compiled{re: re, cost: regexpCost(n)}, nil
}

// RegexpProgramSize returns the number of instructions of the program Go's
// regexp package compiles expr (Perl syntax) to: the work it may do for
// each byte it searches.
func RegexpProgramSize(expr string) (int, error) {
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0, err
	}
	prog, err := syntax.Compile(tree.Simplify())
	if err != nil {
		return 0, err
	}
	return len(prog.Inst), nil
}

// cutRunes returns s cut to at most n runes, ending with TruncateMarker
// when cut.
func cutRunes(s string, n int) string { return Truncate(n, s) }

// limitError is an error of the internal functions the rewriter adds: a
// bound was reached. Render reports it at its place in the template,
// without the internal function's name.
type limitError struct{ err error }

func (e *limitError) Error() string { return e.err.Error() }
func (e *limitError) Unwrap() error { return e.err }

// locatedError is a limitError and where in the template it happened.
type locatedError struct {
	loc string // "template: text:1:45"
	err *limitError
}

func (e *locatedError) Error() string { return e.loc + ": " + e.err.Error() }
func (e *locatedError) Unwrap() error { return e.err }

// cleanError turns the text/template error of an internal function that
// reached a bound ("template: text:1:45: executing "text" at <_arg $ 2
// $.Message>: error calling _arg: ...") into "template: text:1:45: ...".
func cleanError(err error) error {
	var le *limitError
	if !errors.As(err, &le) {
		return err
	}
	msg := err.Error()
	i := strings.Index(msg, ": executing ")
	if i < 0 {
		return err
	}
	return &locatedError{loc: msg[:i], err: le}
}

// errCut stops the execution of a field whose output reached its limit:
// the output so far, ended with TruncateMarker, is the field's value.
var errCut = errors.New("output cut")

// runeStart returns the largest i <= n that starts a rune of s (or len(s)).
func runeStart[S ~string | ~[]byte](s S, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for i := n; i > 0 && n-i < utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return i
		}
	}
	if n-utf8.UTFMax >= 0 {
		return n // not UTF-8: any byte will do
	}
	return 0
}

// trimMarkup drops from the end of s, escaped text, a piece of markup the
// cut left unfinished: an entity ("&am") or a link ("<https://…").
func trimMarkup[S ~string | ~[]byte](s S) S {
	n := len(s)
	for i := n - 1; i >= 0 && n-i <= len("&amp;"); i-- {
		if s[i] == ';' {
			break
		}
		if s[i] == '&' {
			s = s[:i]
			break
		}
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '>' {
			break
		}
		if s[i] == '<' {
			s = s[:i]
			break
		}
	}
	return s
}

// cutString returns s cut to at most limit bytes, TruncateMarker included,
// at a rune boundary; when markup is set, s is escaped text and the cut
// never leaves half an entity or link.
func cutString(s string, limit int, markup bool) string {
	if len(s) <= limit {
		return s
	}
	if limit < len(TruncateMarker) {
		return ""
	}
	head := s[:runeStart(s, limit-len(TruncateMarker))]
	if markup {
		head = trimMarkup(head)
	}
	return head + TruncateMarker
}

// cutValue cuts v, a function's result, when it is a string or Safe over
// MaxOutput; other values are returned unchanged.
func cutValue(v reflect.Value) (reflect.Value, bool) {
	switch v.Kind() {
	case reflect.String:
		if v.Len() <= MaxOutput {
			return v, false
		}
		markup := v.Type() == safeType
		return reflect.ValueOf(cutString(v.String(), MaxOutput, markup)).Convert(v.Type()), true
	case reflect.Interface:
		if !v.IsNil() && v.Elem().Kind() == reflect.String {
			return cutValue(v.Elem())
		}
	}
	return v, false
}
