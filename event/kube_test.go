package event_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

var (
	t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
	t2 = t0.Add(2 * time.Minute)

	ks = corev1.ObjectReference{
		APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization",
		Name: "apps", Namespace: "flux-system", UID: "u1", ResourceVersion: "42",
	}
	repo = corev1.ObjectReference{APIVersion: "source.toolkit.fluxcd.io/v1", Kind: "GitRepository", Name: "flux-system", Namespace: "flux-system"}
)

func TestSeverityForKubeType(t *testing.T) {
	for typ, want := range map[string]event.Severity{
		corev1.EventTypeWarning: event.SeverityError,
		corev1.EventTypeNormal:  event.SeverityInfo,
		event.KubeTypeTrace:     event.SeverityTrace,
		"":                      event.SeverityInfo,
		"Custom":                event.SeverityInfo,
	} {
		assert.Equal(t, want, event.SeverityForKubeType(typ), "type %q", typ)
	}
}

func TestFromCoreV1(t *testing.T) {
	tests := []struct {
		name string
		in   *corev1.Event
		want *event.Event
	}{{
		name: "warning from Flux's recorder",
		in: &corev1.Event{
			ObjectMeta: metav1.ObjectMeta{
				Name: "apps.1", Namespace: "flux-system",
				Annotations:       map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:abc"},
				CreationTimestamp: metav1.NewTime(t0),
			},
			InvolvedObject: ks, Related: &repo,
			Type: corev1.EventTypeWarning, Reason: "HealthCheckFailed", Message: "timeout",
			Action: "Reconcile", ReportingController: "kustomize-controller", ReportingInstance: "kc-0",
			Source:         corev1.EventSource{Component: "ignored", Host: "ignored"},
			FirstTimestamp: metav1.NewTime(t0), LastTimestamp: metav1.NewTime(t2),
		},
		want: &event.Event{
			InvolvedObject: ks, RelatedObject: &repo,
			Severity: "error", Reason: "HealthCheckFailed", Message: "timeout", Action: "Reconcile",
			Metadata:            map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:abc"},
			ReportingController: "kustomize-controller", ReportingInstance: "kc-0",
			Timestamp: metav1.NewTime(t2),
		},
	}, {
		name: "normal from an old recorder: source, no last timestamp",
		in: &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(t0)},
			InvolvedObject: ks, Type: corev1.EventTypeNormal, Reason: "Progressing", Message: "applied",
			Source:         corev1.EventSource{Component: "my-operator", Host: "node-1"},
			FirstTimestamp: metav1.NewTime(t1),
		},
		want: &event.Event{
			InvolvedObject: ks, Severity: "info", Reason: "Progressing", Message: "applied",
			ReportingController: "my-operator", ReportingInstance: "node-1",
			Timestamp: metav1.NewTime(t1),
		},
	}, {
		name: "series: last observed time wins",
		in: &corev1.Event{
			InvolvedObject: ks, Type: "Trace", Message: "m",
			EventTime: metav1.NewMicroTime(t0),
			Series:    &corev1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(t2)},
		},
		want: &event.Event{InvolvedObject: ks, Severity: "trace", Message: "m", Timestamp: metav1.NewTime(t2)},
	}, {
		name: "nothing set",
		in:   &corev1.Event{},
		want: &event.Event{Severity: "info"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := event.FromCoreV1(tt.in)
			assert.Equal(t, tt.want, got)
			if got.RelatedObject != nil {
				assert.NotSame(t, tt.in.Related, got.RelatedObject, "related object is copied")
			}
		})
	}
	assert.Nil(t, event.FromCoreV1(nil))
}

func TestFromEventsV1(t *testing.T) {
	tests := []struct {
		name string
		in   *eventsv1.Event
		want *event.Event
	}{{
		name: "warning with series",
		in: &eventsv1.Event{
			ObjectMeta: metav1.ObjectMeta{
				Annotations:       map[string]string{"event.toolkit.fluxcd.io/team": "sre"},
				CreationTimestamp: metav1.NewTime(t0),
			},
			Regarding: ks, Related: &repo,
			Type: corev1.EventTypeWarning, Reason: "ReconciliationFailed", Note: "kustomize build failed",
			Action: "Reconcile", ReportingController: "kustomize-controller", ReportingInstance: "kc-0",
			EventTime: metav1.NewMicroTime(t1),
			Series:    &eventsv1.EventSeries{Count: 2, LastObservedTime: metav1.NewMicroTime(t2)},
		},
		want: &event.Event{
			InvolvedObject: ks, RelatedObject: &repo,
			Severity: "error", Reason: "ReconciliationFailed", Message: "kustomize build failed", Action: "Reconcile",
			Metadata:            map[string]string{"event.toolkit.fluxcd.io/team": "sre"},
			ReportingController: "kustomize-controller", ReportingInstance: "kc-0",
			Timestamp: metav1.NewTime(t2),
		},
	}, {
		name: "normal with deprecated fields only",
		in: &eventsv1.Event{
			Regarding: ks, Type: corev1.EventTypeNormal, Reason: "Progressing", Note: "applied",
			DeprecatedSource:         corev1.EventSource{Component: "my-operator", Host: "node-1"},
			DeprecatedFirstTimestamp: metav1.NewTime(t0),
			DeprecatedLastTimestamp:  metav1.NewTime(t1),
		},
		want: &event.Event{
			InvolvedObject: ks, Severity: "info", Reason: "Progressing", Message: "applied",
			ReportingController: "my-operator", ReportingInstance: "node-1",
			Timestamp: metav1.NewTime(t1),
		},
	}, {
		name: "empty annotations give no metadata",
		in: &eventsv1.Event{
			ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{}},
			Regarding:  ks, Type: corev1.EventTypeNormal, Note: "n", EventTime: metav1.NewMicroTime(t0),
		},
		want: &event.Event{InvolvedObject: ks, Severity: "info", Message: "n", Timestamp: metav1.NewTime(t0)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, event.FromEventsV1(tt.in))
		})
	}
	assert.Nil(t, event.FromEventsV1(nil))
}

func TestFromKubeValidatesAndMerges(t *testing.T) {
	in := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
			"kustomize.toolkit.fluxcd.io/revision": "main@sha1:abc",
			"event.toolkit.fluxcd.io/team":         "sre",
		}},
		InvolvedObject: ks, Type: corev1.EventTypeWarning, Reason: "HealthCheckFailed", Message: "timeout",
	}
	e := event.FromCoreV1(in)
	require.NoError(t, event.Validate(e))
	rev, ok := event.Revision(e)
	assert.True(t, ok)
	assert.Equal(t, "main@sha1:abc", rev)
	assert.Equal(t, map[string]string{"revision": "main@sha1:abc", "team": "sre"}, event.MergeMetadata(e, nil, ""))

	// The converted event does not share the annotations map.
	e.Metadata["x"] = "y"
	assert.NotContains(t, in.Annotations, "x")

	empty := event.FromCoreV1(&corev1.Event{InvolvedObject: ks, Type: corev1.EventTypeNormal})
	assert.ErrorIs(t, event.Validate(empty), event.ErrInvalid, "a Kubernetes event without a message is refused by routing")
}

func BenchmarkFromCoreV1(b *testing.B) {
	in := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name: "apps.1", Namespace: "flux-system",
			Annotations: map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:abc"},
		},
		InvolvedObject: ks, Type: corev1.EventTypeWarning, Reason: "HealthCheckFailed", Message: "timeout",
		ReportingController: "kustomize-controller", LastTimestamp: metav1.NewTime(t2),
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = event.FromCoreV1(in)
	}
}
