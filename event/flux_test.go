package event_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

// TestGroupAsKubernetes mirrors corev1.ObjectReference.GroupVersionKind
// (schema.ParseGroupVersion), which Flux's eventKeyFunc, cleanupMetadata
// and combineEventMetadata use to find the object's group.
func TestGroupAsKubernetes(t *testing.T) {
	for apiVersion, want := range map[string]string{
		"kustomize.toolkit.fluxcd.io/v1": "kustomize.toolkit.fluxcd.io",
		"v1":                             "",
		"/":                              "",
		"":                               "",
		"a/b/c":                          "", // malformed: ParseGroupVersion fails, the group is empty
		"/v1":                            "",
		"g/":                             "g",
	} {
		e := &event.Event{InvolvedObject: corev1.ObjectReference{APIVersion: apiVersion}}
		assert.Equal(t, want, event.Group(e), apiVersion)
	}
}

// TestValidateFlux: Flux's event server decodes the body with json.Unmarshal
// and never looks at the severity (eventMiddleware in event_server.go), so
// flux mode accepts any severity string; the other checks stay.
func TestValidateFlux(t *testing.T) {
	obj := corev1.ObjectReference{Kind: "Kustomization", Name: "apps", Namespace: "flux-system"}
	tests := []struct {
		name             string
		e                *event.Event
		strict, fluxMode bool // valid in each
	}{
		{"known", &event.Event{InvolvedObject: obj, Severity: "info", Message: "m"}, true, true},
		{"empty severity", &event.Event{InvolvedObject: obj, Message: "m"}, false, true},
		{"unknown severity", &event.Event{InvolvedObject: obj, Severity: "critical", Message: "m"}, false, true},
		{"upper case", &event.Event{InvolvedObject: obj, Severity: "ERROR", Message: "m"}, true, true},
		{"no message", &event.Event{InvolvedObject: obj, Severity: "info"}, false, false},
		{"no kind", &event.Event{InvolvedObject: corev1.ObjectReference{Name: "x"}, Severity: "info", Message: "m"}, false, false},
		{"nil", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := event.Validate(tt.e)
			assert.Equal(t, tt.strict, err == nil, "Validate: %v", err)
			err = event.ValidateFlux(tt.e)
			assert.Equal(t, tt.fluxMode, err == nil, "ValidateFlux: %v", err)
			if err != nil {
				assert.True(t, errors.Is(err, event.ErrInvalid))
			}
		})
	}
}

func TestUnmarshalFlux(t *testing.T) {
	body := `{"involvedObject": {"kind": "Kustomization", "name": "apps"}, "severity": "Critical", "message": "m"}`
	_, err := event.Unmarshal([]byte(body))
	require.ErrorIs(t, err, event.ErrInvalid)
	e, err := event.DecodeFlux(strings.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, "Critical", e.Severity, "kept as written")

	_, err = event.UnmarshalFlux([]byte(`{"involvedObject": {"kind": "K"}, "message": "m"}`))
	assert.ErrorIs(t, err, event.ErrInvalid, "the name is still required")
	_, err = event.UnmarshalFlux([]byte(`{`))
	assert.ErrorIs(t, err, event.ErrInvalid)
	_, err = event.UnmarshalFlux(make([]byte, event.MaxSize+1))
	assert.ErrorIs(t, err, event.ErrTooLarge)
}

// TestMergeMetadataFlux mirrors, in order, Flux's cleanupMetadata
// (event_server.go), excludeInternalMetadata and combineEventMetadata
// (internal/server/event_handlers.go).
func TestMergeMetadataFlux(t *testing.T) {
	const (
		ks  = "kustomize.toolkit.fluxcd.io/v1"
		ev  = "event.toolkit.fluxcd.io/"
		grp = "kustomize.toolkit.fluxcd.io/"
	)
	tests := []struct {
		name          string
		apiVersion    string
		md            map[string]string
		eventMetadata map[string]string
		summary       string
		want          map[string]string
	}{
		{name: "nothing", apiVersion: ks},
		{name: "cleanupMetadata: unprefixed keys are dropped", apiVersion: ks,
			md: map[string]string{"revision": "r", "env": "prod"}},
		{name: "cleanupMetadata: other groups are dropped", apiVersion: ks,
			md:   map[string]string{"helm.toolkit.fluxcd.io/revision": "r", grp + "revision": "main@sha1:1"},
			want: map[string]string{"revision": "main@sha1:1"}},
		{name: "cleanupMetadata: checksum and digest of the object's group, any case", apiVersion: ks,
			md:   map[string]string{grp + "checksum": "c", grp + "Digest": "d", grp + "revision": "r"},
			want: map[string]string{"revision": "r"}},
		{name: "cleanupMetadata: checksum of the event group is kept", apiVersion: ks,
			md:   map[string]string{ev + "checksum": "c", ev + "digest": "d"},
			want: map[string]string{"checksum": "c", "digest": "d"}},
		{name: "excludeInternalMetadata: token of the object's group, exact case", apiVersion: ks,
			md:   map[string]string{grp + "token": "t", grp + "Token": "T", ev + "token": "e"},
			want: map[string]string{"Token": "T", "token": "e"}},
		{name: "combineEventMetadata: RFC-0008 order", apiVersion: ks,
			md:            map[string]string{ev + "a": "annotation", ev + "b": "annotation", ev + "c": "annotation", ev + "d": "annotation", grp + "d": "controller"},
			eventMetadata: map[string]string{"b": "alert", "c": "alert", "summary": "alert", "token": "alert"},
			summary:       "summary",
			want:          map[string]string{"a": "annotation", "b": "alert", "c": "alert", "d": "controller", "summary": "summary", "token": "alert"}},
		{name: "combineEventMetadata: eventMetadata alone", apiVersion: ks,
			md: map[string]string{"x": "dropped"}, eventMetadata: map[string]string{"env": "prod"},
			want: map[string]string{"env": "prod"}},
		{name: "combineEventMetadata: a bare prefix is the key \"\"", apiVersion: ks,
			md: map[string]string{ev: "v"}, want: map[string]string{"": "v"}},
		{name: "core group: prefix \"/\"", apiVersion: "v1",
			md:   map[string]string{"/revision": "r", "/token": "t", "/checksum": "c", "revision": "dropped"},
			want: map[string]string{"revision": "r"}},
		{name: "malformed apiVersion: group \"\"", apiVersion: "a/b/c",
			md: map[string]string{"a/revision": "dropped", "/revision": "r"}, want: map[string]string{"revision": "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &event.Event{InvolvedObject: corev1.ObjectReference{APIVersion: tt.apiVersion, Kind: "Kustomization", Name: "apps"}, Metadata: tt.md}
			before := len(tt.md)
			got := event.MergeMetadataFlux(e, tt.eventMetadata, tt.summary)
			assert.Equal(t, tt.want, got)
			assert.Len(t, e.Metadata, before, "the event is not modified")
		})
	}
}
