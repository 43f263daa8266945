package match

// This file is the API contract of package match (issue 3). The bodies are
// placeholders until the matcher lands; the signatures are what the root
// package's Dispatcher and the examples code against.

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// Mode selects the matching semantics.
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

// ParseMode parses "extended" or "flux".
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
// matchLabels. A controller reads them from the cluster; a test supplies
// them.
type Labeler interface {
	Labels(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error)
}

// LabelerFunc adapts a function to Labeler.
type LabelerFunc func(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error)

// Labels calls f(ctx, obj).
func (f LabelerFunc) Labels(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error) {
	return f(ctx, obj)
}

// Option configures Compile.
type Option func(*options)

type options struct {
	mode             Mode
	noCrossNamespace bool
	labeler          Labeler
}

// WithMode selects the semantics (Extended by default).
func WithMode(m Mode) Option { return func(o *options) { o.mode = m } }

// WithNoCrossNamespaceRefs restricts every alert to events from its own
// namespace, like Flux's --no-cross-namespace-refs.
func WithNoCrossNamespaceRefs() Option { return func(o *options) { o.noCrossNamespace = true } }

// WithLabeler sets the label lookup used by matchLabels.
func WithLabeler(l Labeler) Option { return func(o *options) { o.labeler = l } }

// Miss explains why one alert did not match an event.
type Miss struct {
	Alert  *alert.Alert
	Reason string
}

// Matcher is a compiled, immutable set of alerts, safe for concurrent use.
type Matcher struct {
	alerts []*alert.Alert
}

// Compile compiles alerts. Invalid alerts are left out and reported in the
// returned error (one entry per alert, naming it and the field); the
// returned Matcher is never nil and matches with the valid alerts.
func Compile(alerts []alert.Alert, opts ...Option) (*Matcher, error) {
	return &Matcher{}, errors.New("match: not implemented")
}

// Alerts returns the valid alerts, in input order.
func (m *Matcher) Alerts() []*alert.Alert { return m.alerts }

// Match returns the alerts that e matches, in input order.
func (m *Matcher) Match(ctx context.Context, e *event.Event) []*alert.Alert {
	return m.AppendMatches(ctx, nil, e)
}

// AppendMatches appends the alerts that e matches to dst and returns it; it
// does not allocate when dst has room.
func (m *Matcher) AppendMatches(ctx context.Context, dst []*alert.Alert, e *event.Event) []*alert.Alert {
	return dst
}

// Explain returns, for every alert that e does not match, the first reason.
func (m *Matcher) Explain(ctx context.Context, e *event.Event) []Miss { return nil }
