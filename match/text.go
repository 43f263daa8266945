package match

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// MaxRegexpProgram bounds the compiled size of an inclusionList or
// exclusionList expression, in instructions of Go's regexp program: the
// matcher may step through each of them for every byte of a message (3 MiB
// at most), so an expression of thousands ("(?:a?){1000}") costs seconds
// per event. Expressions people write compile to a few dozen. A larger one
// is a load error naming the field; Flux sets no such bound.
const MaxRegexpProgram = 2000

// ErrRegexpTooLarge is the cause of an expression that compiles to more
// than MaxRegexpProgram instructions; its text ends the detail of that
// expression's field error (spec.inclusionList[i] or
// spec.exclusionList[i]) in the *AlertError.
var ErrRegexpTooLarge = errors.New("regular expression too large")

// regexpProgramSize returns the number of instructions of the program Go's
// regexp package compiles expr to.
func regexpProgramSize(expr string) (int, error) {
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

// checkProgramSize fails for an expression over MaxRegexpProgram.
func checkProgramSize(expr string) error {
	n, err := regexpProgramSize(expr)
	if err != nil {
		return err
	}
	if n > MaxRegexpProgram {
		return fmt.Errorf("compiles to %d instructions, more than %d: %w", n, MaxRegexpProgram, ErrRegexpTooLarge)
	}
	return nil
}

// textMemo remembers, for one event, the result of each distinct
// inclusion or exclusion expression (by its id, see compiler.text), so that
// each runs at most once per event however many alerts share it.
type textMemo struct {
	small [32]uint8 // ids 0 to 31: 0 not run yet, 1 no match, 2 match
	big   map[int32]bool
	// ext, when set, holds the results of ids from 32 on instead of big:
	// the Matcher's pooled memo, which does not allocate.
	ext  *memo
	runs int // expressions run, for tests
}

// matchText reports whether the event's message contains a match of t,
// running t at most once per event. The index uses it.
func (ec *evalCtx) matchText(t *textMatcher) bool {
	if ok, done := ec.texts.get(t.id); done {
		return ok
	}
	return ec.texts.set(t.id, t.match(ec.e.Message))
}

// matchRegexp is matchText with the plain expression re, whose id is id:
// Explain and the reference matcher use it, so that the reference stays a
// plain implementation to test the index's literal searches against.
func (ec *evalCtx) matchRegexp(id int32, re *regexp.Regexp) bool {
	if ok, done := ec.texts.get(id); done {
		return ok
	}
	return ec.texts.set(id, re.MatchString(ec.e.Message))
}

// get returns the result of expression id, if it ran.
func (m *textMemo) get(id int32) (ok, done bool) {
	if int(id) < len(m.small) {
		v := m.small[id]
		return v == 2, v != 0
	}
	if m.ext != nil {
		return m.ext.get(id)
	}
	ok, done = m.big[id]
	return ok, done
}

// set records the result of expression id and returns it.
func (m *textMemo) set(id int32, ok bool) bool {
	m.runs++
	if int(id) < len(m.small) {
		m.small[id] = 1
		if ok {
			m.small[id] = 2
		}
		return ok
	}
	if m.ext != nil {
		return m.ext.set(id, ok)
	}
	if m.big == nil {
		m.big = make(map[int32]bool)
	}
	m.big[id] = ok
	return ok
}

// shortExpr is expr as quoted in an error: its first 64 bytes.
func shortExpr(expr string) string {
	if len(expr) <= 64 {
		return expr
	}
	i := 64
	for i > 0 && !utf8.RuneStart(expr[i]) {
		i--
	}
	return expr[:i] + "…"
}
