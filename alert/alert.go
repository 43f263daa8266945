package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/template"
)

// Group is the API group of Flux's notification objects.
const Group = "notification.toolkit.fluxcd.io"

// Kind is the Kubernetes kind of an Alert.
const Kind = "Alert"

// Alert says which events to send, and through which provider: Flux's
// notification.toolkit.fluxcd.io Alert, with the additions fluxnotify
// documents (a per-alert channel, severity lists, a message template).
//
// The same type serves two API groups: Flux's notification.toolkit.fluxcd.io
// (Group), whose schema prunes or refuses the additions, and fluxnotify.io
// (ExtendedGroup), whose schema keeps them.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=fluxnotify
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=".spec.providerRef.name"
// +kubebuilder:printcolumn:name="Suspended",type=boolean,JSONPath=".spec.suspend"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type Alert struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the user wrote.
	Spec Spec `json:"spec"`
}

// Spec holds every field of Flux's AlertSpec (v1beta1 to v1beta3), plus Channel
// and Template.
//
// +kubebuilder:object:generate=true
type Spec struct {
	// ProviderRef names the Provider, in the alert's namespace, that delivers
	// the matched events.
	// +required
	ProviderRef corev1.LocalObjectReference `json:"providerRef"`

	// EventSeverity filters events by severity: a single level ("info") or a
	// list (["error", "warn"]). See EventSeverity for the meaning of each.
	// The schema cannot say "a string or a list of strings", so it keeps
	// any value; loading refuses what is neither.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	EventSeverity EventSeverity `json:"eventSeverity,omitzero"`

	// EventSources are the objects whose events the alert takes; an event
	// matches when any one source matches it.
	// +required
	EventSources []CrossNamespaceObjectReference `json:"eventSources"`

	// InclusionList holds Go regular expressions; when set, an event's
	// message must match at least one of them.
	// +optional
	InclusionList []string `json:"inclusionList,omitempty"`

	// ExclusionList holds Go regular expressions; an event whose message
	// matches any of them is dropped. Exclusion wins over inclusion.
	// +optional
	ExclusionList []string `json:"exclusionList,omitempty"`

	// EventMetadata is added to the metadata of every event the alert sends.
	// It wins over the keys copied from the object's annotations
	// (event.toolkit.fluxcd.io/*) and loses to those the controller sets
	// under its own API group, as in Flux (see event.MergeMetadata).
	// +optional
	EventMetadata map[string]string `json:"eventMetadata,omitempty"`

	// Summary is shown as the "summary" metadata entry. Flux (and flux
	// mode) allows at most 255 characters.
	// +optional
	Summary string `json:"summary,omitempty"`

	// Suspend stops the alert from sending anything.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Channel overrides the provider's channel for this alert (for example
	// errors to "#devops-alerts", info to "#gitops-updates", through one
	// Provider). Not a Flux field.
	// +optional
	Channel string `json:"channel,omitempty"`

	// Template overrides the provider's message template for this alert.
	// Not a Flux field.
	// +optional
	Template *template.Spec `json:"template,omitempty"`

	// Delivery asks for Slack threads, transitions and grouping (see
	// Delivery). Not a Flux field; extended mode only.
	// +optional
	Delivery *Delivery `json:"delivery,omitempty"`

	// Reasons filters events by reason (see Reasons). Not a Flux field;
	// extended mode only.
	// +optional
	Reasons *Reasons `json:"reasons,omitempty"`
}

// CrossNamespaceObjectReference selects the objects whose events an alert
// takes. The name follows Flux's type of the same name.
//
// +kubebuilder:object:generate=true
type CrossNamespaceObjectReference struct {
	// APIVersion of the referent; informative, not used for matching.
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`

	// Kind of the referent, for example "Kustomization". Exact and
	// case-sensitive; a glob in extended mode; one of FluxKinds in flux
	// mode (see Alert.Lint).
	// +required
	Kind string `json:"kind"`

	// Name of the referent: an exact name, "*" for all, or (extended mode) a
	// glob such as "app-*" or "{frontend,backend}".
	// +required
	Name string `json:"name"`

	// Namespace of the referent; empty means the alert's own namespace. A
	// glob in extended mode.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// MatchLabels requires the involved object to carry all these labels.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// EventSeverity is spec.eventSeverity, written either as one level or as a
// list of levels. The two forms mean different things:
//
//   - a single level is a threshold: "info" takes info, warn and error;
//     "error" takes only error (in flux mode "info" takes every event);
//   - a list takes exactly the listed levels: ["error", "warn"].
//
// The zero value means unset: error only in extended mode, every event in
// flux mode. Values are kept as written; Validate and Levels check them.
//
// +kubebuilder:object:generate=true
type EventSeverity struct {
	// Values are the levels as written.
	Values []string
	// List records that the levels were written as a list.
	List bool
}

// Threshold returns a single-level EventSeverity, as `eventSeverity: info`.
func Threshold(level string) EventSeverity { return EventSeverity{Values: []string{level}} }

// Exactly returns a list EventSeverity, as `eventSeverity: [error, warn]`.
func Exactly(levels ...string) EventSeverity { return EventSeverity{Values: levels, List: true} }

// IsZero reports whether the severity is unset.
func (s EventSeverity) IsZero() bool { return len(s.Values) == 0 && !s.List }

// String returns the severity as it would be written in YAML flow style.
func (s EventSeverity) String() string {
	if !s.List {
		if len(s.Values) == 0 {
			return ""
		}
		return s.Values[0]
	}
	return "[" + strings.Join(s.Values, ", ") + "]"
}

// MarshalJSON writes a string for a single level and an array for a list.
func (s EventSeverity) MarshalJSON() ([]byte, error) {
	if s.List {
		if s.Values == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(s.Values)
	}
	if len(s.Values) == 0 {
		return []byte(`""`), nil
	}
	return json.Marshal(s.Values[0])
}

// UnmarshalJSON reads a string or an array of strings.
func (s *EventSeverity) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		*s = EventSeverity{}
		return nil
	case len(data) > 0 && data[0] == '[':
		var list []string
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("eventSeverity: want a string or a list of strings: %w", err)
		}
		*s = EventSeverity{Values: list, List: true}
		return nil
	default:
		var one string
		if err := json.Unmarshal(data, &one); err != nil {
			return fmt.Errorf("eventSeverity: want a string or a list of strings, got %s", data)
		}
		if one == "" {
			*s = EventSeverity{}
			return nil
		}
		*s = EventSeverity{Values: []string{one}}
		return nil
	}
}

// NamespacedName returns "namespace/name", the way errors and results name an
// alert.
func (a *Alert) NamespacedName() string { return a.Namespace + "/" + a.Name }

// SourceNamespace returns the namespace a source selects: its own, or the
// alert's when empty.
func (a *Alert) SourceNamespace(src CrossNamespaceObjectReference) string {
	if src.Namespace == "" {
		return a.Namespace
	}
	return src.Namespace
}
