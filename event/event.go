package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	eventv1 "github.com/fluxcd/pkg/apis/event/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Event is a report of something that happened to a Kubernetes object, in
// Flux's wire format. It is an alias, so values convert freely to and from
// github.com/fluxcd/pkg/apis/event/v1.Event.
type Event = eventv1.Event

// MaxSize is the largest event body, in bytes, that Decode and Unmarshal
// accept. It matches the limit the fluxnotify event endpoint enforces.
const MaxSize = 3 << 20

// ErrTooLarge is returned (wrapped) by Decode and Unmarshal for a body over
// MaxSize bytes.
var ErrTooLarge = errors.New("event body exceeds 3 MiB")

// ErrInvalid is wrapped by every validation error, so callers can tell a
// well-formed but unusable event from a transport error with errors.Is.
var ErrInvalid = errors.New("invalid event")

// Decode reads one event from r, in Flux's v1 or v1beta1 JSON, and validates
// it. It reads at most MaxSize+1 bytes.
func Decode(r io.Reader) (*Event, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading event: %w", err)
	}
	return Unmarshal(data)
}

// DecodeFlux reads one event from r like Decode, but validates it with
// ValidateFlux: any severity string is accepted, as Flux's
// notification-controller accepts it. Flux mode's event endpoint uses it.
func DecodeFlux(r io.Reader) (*Event, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading event: %w", err)
	}
	return UnmarshalFlux(data)
}

// Unmarshal decodes one event from data, in Flux's v1 or v1beta1 JSON, and
// validates it with Validate.
func Unmarshal(data []byte) (*Event, error) {
	e, err := unmarshal(data)
	if err != nil {
		return nil, err
	}
	if err := Validate(e); err != nil {
		return nil, err
	}
	return e, nil
}

// UnmarshalFlux decodes one event from data like Unmarshal, but validates it
// with ValidateFlux.
func UnmarshalFlux(data []byte) (*Event, error) {
	e, err := unmarshal(data)
	if err != nil {
		return nil, err
	}
	if err := ValidateFlux(e); err != nil {
		return nil, err
	}
	return e, nil
}

func unmarshal(data []byte) (*Event, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("decoding event: %w (got more than %d bytes)", ErrTooLarge, MaxSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("decoding event: %w: empty body", ErrInvalid)
	}
	if e, ok := fastUnmarshal(data); ok {
		return e, nil
	}
	var e Event
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decoding event: %w: %w", ErrInvalid, describeJSONError(err))
	}
	return &e, nil
}

func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("field %s: cannot use JSON %s as %s", te.Field, te.Value, te.Type)
	}
	return err
}

// Validate checks what routing relies on: involvedObject.kind and
// involvedObject.name are set, severity is known (see ParseSeverity) and the
// message is not empty. The error names every field at fault and wraps
// ErrInvalid; a nil event is invalid too.
func Validate(e *Event) error { return validate(e, true) }

// ValidateFlux is Validate for flux mode: it checks the same fields except
// the severity, which may be any string, the empty one included. Flux's
// notification-controller accepts such an event and routes it to the
// alerts whose eventSeverity is info (or unset); flux mode does the same.
func ValidateFlux(e *Event) error { return validate(e, false) }

func validate(e *Event, checkSeverity bool) error {
	if e == nil {
		return fmt.Errorf("%w: no event (nil)", ErrInvalid)
	}
	var problems []string
	if e.InvolvedObject.Kind == "" {
		problems = append(problems, "involvedObject.kind: required")
	}
	if e.InvolvedObject.Name == "" {
		problems = append(problems, "involvedObject.name: required")
	}
	switch {
	case !checkSeverity:
	case e.Severity == "":
		problems = append(problems, "severity: required")
	default:
		if _, ok := lookupSeverity(e.Severity); !ok {
			problems = append(problems, fmt.Sprintf("severity: unknown value %q: want one of trace, info, warn, error", e.Severity))
		}
	}
	if e.Message == "" {
		problems = append(problems, "message: required")
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s: %s", ErrInvalid, objectString(e), strings.Join(problems, "; "))
}

func objectString(e *Event) string {
	o := e.InvolvedObject
	if o.Kind == "" && o.Name == "" {
		return "(no involvedObject)"
	}
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Option customizes an event built by New.
type Option func(*Event)

// WithController sets the reporting controller (for example "my-operator"),
// which Slack messages show as the sender.
func WithController(name string) Option {
	return func(e *Event) { e.ReportingController = name }
}

// WithInstance sets the reporting instance, for example the pod name.
func WithInstance(name string) Option {
	return func(e *Event) { e.ReportingInstance = name }
}

// WithAction sets the action the event is about ("Reconcile", "Apply", ...).
func WithAction(action string) Option {
	return func(e *Event) { e.Action = action }
}

// WithTimestamp sets the time of the event; New uses the current time
// otherwise.
func WithTimestamp(t time.Time) Option {
	return func(e *Event) { e.Timestamp = metav1.NewTime(t) }
}

// WithMetadata adds metadata entries. Keys are used as given: to follow Flux's
// convention, prefix them with the involved object's API group (see MetaKey).
func WithMetadata(md map[string]string) Option {
	return func(e *Event) {
		if len(md) == 0 {
			return
		}
		if e.Metadata == nil {
			e.Metadata = make(map[string]string, len(md))
		}
		for k, v := range md {
			e.Metadata[k] = v
		}
	}
}

// WithRevision records the source revision the event is about (for example
// "main@sha1:2f3c...") under the key "<group>/revision", as Flux controllers
// do, where group is the involved object's API group.
func WithRevision(revision string) Option {
	return func(e *Event) {
		if e.Metadata == nil {
			e.Metadata = make(map[string]string, 1)
		}
		e.Metadata[MetaKey(Group(e), MetaRevisionKey)] = revision
	}
}

// New builds an event about obj, for an operator that notifies like a Flux
// controller. The timestamp is the current time unless WithTimestamp is
// given. New does not validate; Validate does.
func New(obj corev1.ObjectReference, severity Severity, reason, message string, opts ...Option) *Event {
	e := &Event{
		InvolvedObject: obj,
		Severity:       severity.String(),
		Timestamp:      metav1.Now(),
		Reason:         reason,
		Message:        message,
	}
	for _, opt := range opts {
		opt(e)
	}
	return e
}
