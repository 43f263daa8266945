package match

import (
	"context"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// Reference is a deliberately plain matcher with the same semantics as
// Matcher: for each event it walks every alert and every event source, the
// way Flux's notification-controller does. It is the oracle of the
// differential tests and the baseline of the benchmarks; use Matcher in
// production. Its patterns and regular expressions are compiled once, by
// NewReference, so the comparison measures the index, not the parsing.
type Reference struct {
	opts   options
	alerts []*alert.Alert
	rules  []rule
}

// NewReference validates and compiles alerts as Compile does, with the same
// options, and reports invalid alerts the same way.
func NewReference(alerts []alert.Alert, opts ...Option) (*Reference, error) {
	r := &Reference{opts: newOptions(opts)}
	rules, valid, _, err := compileRules(alerts, &r.opts)
	r.rules, r.alerts = rules, valid
	return r, err
}

// Alerts returns the valid alerts, in input order.
func (r *Reference) Alerts() []*alert.Alert { return r.alerts }

// Match returns the alerts that e matches, in input order.
func (r *Reference) Match(ctx context.Context, e *event.Event) []*alert.Alert {
	return r.AppendMatches(ctx, nil, e)
}

// AppendMatches appends the alerts that e matches to dst and returns it.
func (r *Reference) AppendMatches(ctx context.Context, dst []*alert.Alert, e *event.Event) []*alert.Alert {
	if e == nil {
		return dst
	}
	ec := newEvalCtx(ctx, &r.opts, e)
	for i := range r.rules {
		if ok, _ := r.rules[i].eval(&ec, false); ok {
			dst = append(dst, r.rules[i].alert)
		}
	}
	return dst
}

// Explain returns, for every valid alert that e does not match, the first
// reason, exactly as Matcher.Explain does.
func (r *Reference) Explain(ctx context.Context, e *event.Event) []Miss {
	return explain(ctx, &r.opts, r.rules, e)
}
