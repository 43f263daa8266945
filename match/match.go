package match

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// Mode selects the matching semantics. The package documentation lists the
// differences between the two modes.
type Mode uint8

const (
	// Extended is the default: severity lists and thresholds, unset
	// severity = error, globs in kind, name and namespace.
	Extended Mode = iota
	// Flux reproduces Flux's notification-controller exactly.
	Flux
)

// String returns "extended" or "flux".
func (m Mode) String() string {
	switch m {
	case Extended:
		return "extended"
	case Flux:
		return "flux"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode parses "extended" or "flux", as a command-line flag or a
// configuration file would spell the mode. The empty string is Extended.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "extended", "":
		return Extended, nil
	case "flux":
		return Flux, nil
	}
	return 0, fmt.Errorf("unknown mode %q: want extended or flux", s)
}

// Labeler returns the labels of an event's involved object, for
// matchLabels. A controller reads them from the cluster (for example a
// metadata-only Get); a test supplies them. A Matcher calls it at most once
// per Match, AppendMatches or Explain call, with that call's context, and
// only when a source with matchLabels selects the involved object and its
// alert takes the event's severity. obj is the event's involved object:
// read it, do not modify it. Labels must be safe for concurrent use when the
// Matcher is used concurrently. A returned error makes the sources that need
// the labels miss; Explain quotes it, so it should not contain secrets.
type Labeler interface {
	Labels(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error)
}

// LabelerFunc adapts a function to Labeler.
type LabelerFunc func(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error)

// Labels calls f(ctx, obj).
func (f LabelerFunc) Labels(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error) {
	return f(ctx, obj)
}

// Option configures Compile and NewReference.
type Option func(*options)

type options struct {
	mode             Mode
	noCrossNamespace bool
	labeler          Labeler
}

// WithMode selects the semantics (Extended by default). Compile reports an
// unknown Mode as an error.
func WithMode(m Mode) Option { return func(o *options) { o.mode = m } }

// WithNoCrossNamespaceRefs restricts every alert to events whose involved
// object is in the alert's own namespace, like Flux's
// --no-cross-namespace-refs, in both modes. Use it on multi-tenant clusters,
// where a tenant must not receive another tenant's events.
func WithNoCrossNamespaceRefs() Option { return func(o *options) { o.noCrossNamespace = true } }

// WithLabeler sets the label lookup used by matchLabels. Without one, a
// source with matchLabels never matches, and Explain says so.
func WithLabeler(l Labeler) Option { return func(o *options) { o.labeler = l } }

// Miss explains why one alert did not match an event.
type Miss struct {
	// Alert is the alert that did not match.
	Alert *alert.Alert
	// Reason is the first check the event failed, in words a user
	// understands, for example "severity info is below error" or
	// "kind HelmRelease, want Kustomization".
	Reason string
}

// String returns "namespace/name: reason".
func (m Miss) String() string { return m.Alert.NamespacedName() + ": " + m.Reason }

// Matcher is a compiled, immutable set of alerts, safe for concurrent use.
// Build it once per configuration with Compile and call Match for every
// event.
type Matcher struct {
	opts   options
	alerts []*alert.Alert
	rules  []rule // one per alert, same order
	index  index
}

// Compile validates and compiles alerts: globs, regular expressions and
// severities are parsed here, once, and every event source is put in an
// index, so that Match costs about the same for ten alerts as for a hundred
// thousand.
//
// Invalid alerts are left out and reported in the returned error, which
// joins one *AlertError per alert (naming it and each field at fault); the
// returned Matcher is never nil and matches with the valid alerts. Alerts
// with the same namespace and name are invalid after the first.
//
// Compile copies the slice, not what the alerts point to: do not modify
// their maps and slices afterwards.
func Compile(alerts []alert.Alert, opts ...Option) (*Matcher, error) {
	m := &Matcher{opts: newOptions(opts)}
	rules, valid, c, err := compileRules(alerts, &m.opts)
	m.rules, m.alerts = rules, valid
	if c != nil {
		buildIndex(&m.index, rules, c, &m.opts)
	}
	return m, err
}

func newOptions(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// Alerts returns the valid alerts, in input order, including suspended ones.
// The slice is shared: do not modify it.
func (m *Matcher) Alerts() []*alert.Alert { return m.alerts }

// Mode returns the semantics the Matcher was compiled with.
func (m *Matcher) Mode() Mode { return m.opts.mode }

// Match returns the alerts that e matches, in input order, each once. A nil
// event matches nothing.
func (m *Matcher) Match(ctx context.Context, e *event.Event) []*alert.Alert {
	return m.AppendMatches(ctx, nil, e)
}

// AppendMatches appends the alerts that e matches to dst, in input order,
// and returns the extended slice. It does not allocate when dst has room
// (what the Labeler does aside), so a caller that reuses dst[:0] between
// events routes without garbage.
func (m *Matcher) AppendMatches(ctx context.Context, dst []*alert.Alert, e *event.Event) []*alert.Alert {
	if e == nil {
		return dst
	}
	ec := newEvalCtx(ctx, &m.opts, e)
	return m.appendMatches(&ec, dst)
}

// Explain returns, for every valid alert that e does not match, in input
// order, the first check the event failed. The checks run in this order:
// suspension, event sources (kind, namespace, name), severity, the
// cross-namespace lockdown, matchLabels, inclusionList, exclusionList. When
// no source has the event's kind, namespace and name, the reason is that of
// the source that got furthest through those three checks (the first one on
// a tie).
//
// Explain is a diagnostic: it evaluates every alert one by one instead of
// using the index, and formats a reason for each miss.
func (m *Matcher) Explain(ctx context.Context, e *event.Event) []Miss {
	return explain(ctx, &m.opts, m.rules, e)
}

func explain(ctx context.Context, o *options, rules []rule, e *event.Event) []Miss {
	if e == nil {
		e = &event.Event{}
	}
	ec := newEvalCtx(ctx, o, e)
	var out []Miss
	for i := range rules {
		if ok, why := rules[i].eval(&ec, true); !ok {
			out = append(out, Miss{Alert: rules[i].alert, Reason: why})
		}
	}
	return out
}
