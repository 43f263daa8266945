package fluxnotify

import (
	"fmt"
	"strconv"

	"github.com/gobwas/glob"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/match"
)

// reasonFilter is an alert's spec.reasons, compiled.
type reasonFilter struct {
	include, exclude []reasonPattern
}

type reasonPattern struct {
	text string
	g    *glob.Pattern
}

// planReasons compiles the spec.reasons of a, or returns nil when there is
// none (or in flux mode, with a problem saying it is ignored).
func (rt *Router) planReasons(a *alert.Alert) (*reasonFilter, error) {
	rs := a.Spec.Reasons
	if rs == nil || (len(rs.Include) == 0 && len(rs.Exclude) == 0) {
		return nil, nil
	}
	if rt.opts.mode == match.Flux {
		return nil, fmt.Errorf("alert %s: spec.reasons: not a Flux field; ignored in flux mode", a.NamespacedName())
	}
	f := &reasonFilter{}
	compile := func(field string, pats []string) ([]reasonPattern, error) {
		out := make([]reasonPattern, 0, len(pats))
		for i, p := range pats {
			g, err := glob.Compile(p)
			if err != nil { // Validate refuses it first; kept for safety
				return nil, fmt.Errorf("alert %s: spec.reasons.%s[%d]: %w", a.NamespacedName(), field, i, err)
			}
			out = append(out, reasonPattern{text: p, g: g})
		}
		return out, nil
	}
	var err error
	if f.include, err = compile("include", rs.Include); err != nil {
		return nil, err
	}
	if f.exclude, err = compile("exclude", rs.Exclude); err != nil {
		return nil, err
	}
	return f, nil
}

// drop returns why the filter drops an event of the given reason, for
// Explain, or "" to keep it. A nil filter keeps everything.
func (f *reasonFilter) drop(reason string) string {
	if f == nil {
		return ""
	}
	for i, p := range f.exclude {
		if p.g.Match(reason) {
			return fmt.Sprintf("reason %s is excluded by spec.reasons.exclude[%d] (%s)", strconv.Quote(reason), i, strconv.Quote(p.text))
		}
	}
	if len(f.include) == 0 {
		return ""
	}
	for _, p := range f.include {
		if p.g.Match(reason) {
			return ""
		}
	}
	return fmt.Sprintf("reason %s is not in spec.reasons.include", strconv.Quote(reason))
}
