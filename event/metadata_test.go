package event_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
)

func TestMetaKeyAndGroup(t *testing.T) {
	assert.Equal(t, "kustomize.toolkit.fluxcd.io/revision", event.MetaKey("kustomize.toolkit.fluxcd.io", event.MetaRevisionKey))
	assert.Equal(t, "revision", event.MetaKey("", event.MetaRevisionKey))

	for apiVersion, want := range map[string]string{
		"kustomize.toolkit.fluxcd.io/v1": "kustomize.toolkit.fluxcd.io",
		"helm.toolkit.fluxcd.io/v2":      "helm.toolkit.fluxcd.io",
		"v1":                             "",
		"":                               "",
	} {
		e := &event.Event{InvolvedObject: corev1.ObjectReference{APIVersion: apiVersion}}
		assert.Equal(t, want, event.Group(e), apiVersion)
	}
}

func TestRevision(t *testing.T) {
	const ksv = "kustomize.toolkit.fluxcd.io/v1"
	tests := []struct {
		name       string
		apiVersion string
		md         map[string]string
		want       string
	}{
		{name: "none", apiVersion: ksv},
		{name: "prefixed revision", apiVersion: ksv, md: map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:1"}, want: "main@sha1:1"},
		{name: "origin revision wins over revision", apiVersion: ksv, md: map[string]string{
			"kustomize.toolkit.fluxcd.io/revision":       "oci@sha256:2",
			"kustomize.toolkit.fluxcd.io/originRevision": "main@sha1:1",
		}, want: "main@sha1:1"},
		{name: "commit wins over everything", apiVersion: ksv, md: map[string]string{
			"kustomize.toolkit.fluxcd.io/revision": "r",
			"kustomize.toolkit.fluxcd.io/commit":   "c",
		}, want: "c"},
		{name: "unprefixed, as in v1beta1", apiVersion: ksv, md: map[string]string{"revision": "6.1.4"}, want: "6.1.4"},
		{name: "another group's key is ignored", apiVersion: ksv, md: map[string]string{"helm.toolkit.fluxcd.io/revision": "x"}},
		{name: "empty values are ignored", apiVersion: ksv, md: map[string]string{"kustomize.toolkit.fluxcd.io/revision": "", "revision": "r"}, want: "r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &event.Event{InvolvedObject: corev1.ObjectReference{APIVersion: tt.apiVersion}, Metadata: tt.md}
			got, ok := event.Revision(e)
			assert.Equal(t, tt.want != "", ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestMergeMetadata follows Flux's RFC-0008 order: object annotations
// (event.toolkit.fluxcd.io/*) < alert eventMetadata < alert summary < the
// controller's own <group>/* keys, later wins.
func TestMergeMetadata(t *testing.T) {
	const group = "kustomize.toolkit.fluxcd.io"
	tests := []struct {
		name          string
		md            map[string]string
		eventMetadata map[string]string
		summary       string
		want          map[string]string
	}{
		{name: "nothing", want: nil},
		{
			name: "prefixes are stripped",
			md:   map[string]string{group + "/revision": "r1", "event.toolkit.fluxcd.io/team": "a"},
			want: map[string]string{"revision": "r1", "team": "a"},
		},
		{
			name:          "eventMetadata wins over annotations",
			md:            map[string]string{"event.toolkit.fluxcd.io/env": "from-annotation"},
			eventMetadata: map[string]string{"env": "from-alert"},
			want:          map[string]string{"env": "from-alert"},
		},
		{
			name:          "summary wins over eventMetadata",
			eventMetadata: map[string]string{"summary": "from-metadata", "cluster": "prod"},
			summary:       "from-summary",
			want:          map[string]string{"summary": "from-summary", "cluster": "prod"},
		},
		{
			name:          "the controller's keys win over everything",
			md:            map[string]string{group + "/summary": "from-controller", "event.toolkit.fluxcd.io/summary": "from-annotation", group + "/env": "controller"},
			eventMetadata: map[string]string{"env": "alert"},
			summary:       "from-summary",
			want:          map[string]string{"summary": "from-controller", "env": "controller"},
		},
		{
			name: "unprefixed keys are kept, lowest",
			md:   map[string]string{"custom": "kept", "env": "unprefixed", "event.toolkit.fluxcd.io/env": "annotation"},
			want: map[string]string{"custom": "kept", "env": "annotation"},
		},
		{
			name:          "checksum, digest and token are never shown",
			md:            map[string]string{group + "/checksum": "c", group + "/digest": "d", group + "/token": "t", "token": "t2", group + "/revision": "r"},
			eventMetadata: map[string]string{"token": "t3"},
			want:          map[string]string{"revision": "r"},
		},
		{
			name: "other groups' keys are dropped",
			md:   map[string]string{"helm.toolkit.fluxcd.io/revision": "x"},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &event.Event{InvolvedObject: corev1.ObjectReference{APIVersion: group + "/v1"}, Metadata: tt.md}
			var before map[string]string
			if tt.md != nil {
				before = make(map[string]string, len(tt.md))
				for k, v := range tt.md {
					before[k] = v
				}
			}
			got := event.MergeMetadata(e, tt.eventMetadata, tt.summary)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, before, e.Metadata, "the event is not modified")
		})
	}
}
