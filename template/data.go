package template

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

// Data is what a template sees: the event and everything fluxnotify knows
// about where it is going. Templates use the fields directly
// ({{ .Object.Name }}, {{ .Metadata.revision }}, {{ .Links.Commit }}).
type Data struct {
	// Event is the event as received. Its metadata is the raw, prefixed one;
	// prefer Metadata.
	Event *event.Event

	// Object is the involved object.
	Object Object

	// Severity is the canonical level: trace, info, warn or error. In flux
	// mode it is the event's severity exactly as written (Flux compares
	// and shows it as is), which may be any string.
	Severity string
	// Message is the event's message.
	Message string
	// Reason is the event's reason, for example "HealthCheckFailed".
	Reason string
	// Action is the event's action (v1 events only).
	Action string
	// Controller is the reporting controller, for example
	// "kustomize-controller".
	Controller string
	// Timestamp is when the event was recorded.
	Timestamp time.Time

	// Metadata is the merged metadata (see event.MergeMetadata, and
	// event.MergeMetadataFlux in flux mode). Ranging
	// over it visits keys in sorted order, so output is deterministic.
	Metadata map[string]string
	// Revision is the source revision, for example "main@sha1:2f3c...".
	Revision string

	// Alert is the alert that matched.
	Alert Ref
	// Provider is the provider that delivers.
	Provider ProviderRef
	// Channel is the resolved channel (alert > provider > "", the webhook's
	// default).
	Channel string

	// Cluster is the cluster name the user configured, if any.
	Cluster string
	// Links are URLs built from the configured repository and dashboard.
	Links Links

	// rs is set on the copy Render hands to the templates: the escaper and
	// budgets of that call.
	rs *renderState
}

// Object identifies the involved object.
type Object struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
}

// Ref names a namespaced object.
type Ref struct {
	Name      string
	Namespace string
}

// ProviderRef names the provider and its type.
type ProviderRef struct {
	Name      string
	Namespace string
	Type      string
}

// Links are URLs a message can point to; each is empty when unknown.
type Links struct {
	// Repository is the Git repository's web URL, as configured.
	Repository string
	// Commit is the URL of the event's revision in Repository.
	Commit string
	// Dashboard is the URL of the object in a dashboard, as configured.
	Dashboard string
}

// Sample returns the data of a typical event, the one Parse executes every
// template on: the Kustomization flux-system/my-app-kustomization
// failing its health check at revision main@sha1:2f3c4d5e..., routed by the
// alert flux-system/flux-alerts to the Slack provider flux-system/slack,
// with a cluster name and every link set. Each call returns a new value;
// tests and examples can change it freely.
func Sample() *Data {
	const (
		revision = "main@sha1:2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
		message  = "Health check failed after 5m0s: timeout waiting for: [Deployment/my-app/my-app-deployment status: 'InProgress']"
		repo     = "https://github.com/example/fleet-infra"
	)
	ts := time.Date(2025, time.March, 14, 9, 26, 53, 0, time.UTC)
	obj := Object{
		APIVersion: "kustomize.toolkit.fluxcd.io/v1",
		Kind:       "Kustomization",
		Name:       "my-app-kustomization",
		Namespace:  "flux-system",
	}
	e := &event.Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: obj.APIVersion,
			Kind:       obj.Kind,
			Name:       obj.Name,
			Namespace:  obj.Namespace,
		},
		Severity:  "error",
		Timestamp: metav1.NewTime(ts),
		Message:   message,
		Reason:    "HealthCheckFailed",
		Metadata: map[string]string{
			"kustomize.toolkit.fluxcd.io/revision": revision,
		},
		ReportingController: "kustomize-controller",
		ReportingInstance:   "kustomize-controller-7f5c7d9b8-x2v4k",
	}
	return &Data{
		Event:      e,
		Object:     obj,
		Severity:   "error",
		Message:    message,
		Reason:     e.Reason,
		Controller: e.ReportingController,
		Timestamp:  ts,
		Metadata:   map[string]string{"revision": revision},
		Revision:   revision,
		Alert:      Ref{Name: "flux-alerts", Namespace: "flux-system"},
		Provider:   ProviderRef{Name: "slack", Namespace: "flux-system", Type: "slack"},
		Channel:    "#devops-alerts",
		Cluster:    "production",
		Links: NewLinks(repo, "https://dashboard.example.com/{namespace}/{kind}/{name}",
			obj, revision),
	}
}
