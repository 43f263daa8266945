package match

import (
	"slices"
	"strings"
	"unicode/utf8"

	globsyntax "github.com/gobwas/glob/syntax"
)

// A glob without wildcards, such as "{Kustomization,HelmRelease}" or
// "app-{1,2,3}", matches a few exact values. The index files the sources of
// such a glob under each of those values, as if they were written out, so
// that the glob never runs: the event's value is looked up among the exact
// values it looks up anyway.

// maxGlobValues bounds how many exact values a glob is filed under; a glob
// that matches more stays a glob.
const maxGlobValues = 8

// maxSourceLeaves bounds how many leaves of the index one event source is
// filed in, over its three fields, so that the index stays within a few
// times the size of the configuration whatever the globs spell.
const maxSourceLeaves = 8

// globValues returns the values glob matches when it has no wildcard ("*",
// "**", "?") and no negated class, and matches at most max values; else
// nil. Values holding U+FFFD are refused, as the glob reads an invalid byte
// of a value as U+FFFD, which a value looked up exactly would not be.
func globValues(glob string, max int) []string {
	x := expander{lx: globsyntax.NewLexer(glob), max: max, ok: true}
	x.next()
	vs := x.seq()
	if !x.ok || x.tok.Type != globsyntax.EOF {
		return nil
	}
	for _, v := range vs {
		if strings.ContainsRune(v, utf8.RuneError) {
			return nil
		}
	}
	slices.Sort(vs)
	return slices.Compact(vs)
}

// expander reads a glob's tokens and spells out the values it matches.
// ok turns false at the first wildcard, negated class, syntax it does not
// know, or when the values exceed max.
type expander struct {
	lx  *globsyntax.Lexer
	tok globsyntax.Token
	max int
	ok  bool
}

func (x *expander) next() { x.tok = x.lx.Next() }

func (x *expander) fail() []string {
	x.ok = false
	return nil
}

// seq reads a concatenation up to a ",", a "}" or the end, and returns the
// values it matches.
func (x *expander) seq() []string {
	out := []string{""}
	for {
		var part []string
		switch x.tok.Type {
		case globsyntax.Text:
			part = []string{x.tok.Data}
			x.next()
		case globsyntax.TermsOpen:
			x.next()
			part = x.alternatives()
		case globsyntax.RangeOpen:
			x.next()
			part = x.class()
		case globsyntax.TermSeparator, globsyntax.TermsClose, globsyntax.EOF:
			return out
		default: // a wildcard, or an error
			return x.fail()
		}
		if !x.ok || len(out)*len(part) > x.max {
			return x.fail()
		}
		next := make([]string, 0, len(out)*len(part))
		for _, a := range out {
			for _, b := range part {
				next = append(next, a+b)
			}
		}
		out = next
	}
}

// alternatives reads the inside of "{...}" and its "}".
func (x *expander) alternatives() []string {
	var out []string
	for {
		vs := x.seq()
		if !x.ok || len(out)+len(vs) > x.max {
			return x.fail()
		}
		out = append(out, vs...)
		switch x.tok.Type {
		case globsyntax.TermSeparator:
			x.next()
		case globsyntax.TermsClose:
			x.next()
			return out
		default:
			return x.fail()
		}
	}
}

// class reads the inside of "[...]" and its "]": a set of characters or a
// range.
func (x *expander) class() []string {
	var out []string
	switch x.tok.Type {
	case globsyntax.Text:
		for _, r := range x.tok.Data {
			out = append(out, string(r))
		}
		x.next()
	case globsyntax.RangeLo:
		lo, _ := utf8.DecodeRuneInString(x.tok.Data)
		if x.next(); x.tok.Type != globsyntax.RangeBetween {
			return x.fail()
		}
		if x.next(); x.tok.Type != globsyntax.RangeHi {
			return x.fail()
		}
		hi, _ := utf8.DecodeRuneInString(x.tok.Data)
		if hi < lo || int(hi-lo) >= x.max {
			return x.fail()
		}
		for r := lo; r <= hi; r++ {
			out = append(out, string(r))
		}
		x.next()
	default: // a negated class, or an error
		return x.fail()
	}
	if len(out) > x.max || x.tok.Type != globsyntax.RangeClose {
		return x.fail()
	}
	x.next()
	return out
}
