package alert_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/fluxnotify/fluxnotify/alert"
)

func TestDelivery(t *testing.T) {
	dur := func(d time.Duration) metav1.Duration { return metav1.Duration{Duration: d} }
	tests := []struct {
		name      string
		yaml      string
		want      *alert.Delivery
		threaded  bool
		wantError string
	}{
		{name: "unset"},
		{name: "thread", yaml: "thread: {enabled: true, broadcastErrors: true}",
			want: &alert.Delivery{Thread: &alert.Thread{Enabled: true, BroadcastErrors: true}}, threaded: true},
		{name: "thread off", yaml: "thread: {enabled: false}", want: &alert.Delivery{Thread: &alert.Thread{}}},
		{name: "group", yaml: "transitions: true\ngroup: {wait: 10s, interval: 1m, maxObjects: 20}",
			want: &alert.Delivery{Transitions: true, Group: &alert.Grouping{Wait: dur(10 * time.Second), Interval: dur(time.Minute), MaxObjects: 20}}},
		{name: "negative wait", yaml: "group: {wait: -1s}", wantError: "spec.delivery.group.wait: Invalid value"},
		{name: "too many objects", yaml: "group: {maxObjects: 501}", wantError: "spec.delivery.group.maxObjects: Invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := alert.Alert{Spec: alert.Spec{ProviderRef: corev1Ref("slack"), EventSources: []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}}}}
			a.Name, a.Namespace = "a", "flux-system"
			if tt.yaml != "" {
				a.Spec.Delivery = new(alert.Delivery)
				assert.NoError(t, yaml.UnmarshalStrict([]byte(tt.yaml), a.Spec.Delivery))
			}
			err := a.Validate()
			if tt.wantError != "" {
				assert.ErrorContains(t, err, tt.wantError)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, a.Spec.Delivery)
			assert.Equal(t, tt.threaded, a.Spec.Delivery.Threaded())
		})
	}
}

func TestGrouping_defaults(t *testing.T) {
	var g alert.Grouping
	assert.Equal(t, alert.DefaultGroupWait, g.WaitOrDefault())
	assert.Equal(t, alert.DefaultGroupInterval, g.IntervalOrDefault())
	assert.Equal(t, alert.DefaultGroupMaxObjects, g.MaxObjectsOrDefault())
}

func corev1Ref(name string) corev1.LocalObjectReference {
	return corev1.LocalObjectReference{Name: name}
}

func TestReasons_validate(t *testing.T) {
	tests := []struct {
		name      string
		reasons   *alert.Reasons
		wantError string
	}{
		{"unset", nil, ""},
		{"exact and globs", &alert.Reasons{Include: []string{"HealthCheckFailed", "*Failed"}, Exclude: []string{"{A,B}"}}, ""},
		{"bad glob", &alert.Reasons{Exclude: []string{"[A"}}, "spec.reasons.exclude[0]: Invalid value"},
		{"empty", &alert.Reasons{Include: []string{""}}, "spec.reasons.include[0]: Required value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := alert.Alert{Spec: alert.Spec{ProviderRef: corev1Ref("slack"), EventSources: []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}}, Reasons: tt.reasons}}
			a.Name = "a"
			err := a.Validate()
			if tt.wantError == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.wantError)
			}
		})
	}
}
