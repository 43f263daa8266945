package alert_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/alert"
)

func validAlert() *alert.Alert {
	return &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: "on-call", Namespace: "flux-system"},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
			EventSeverity: alert.Threshold("error"),
			EventSources: []alert.CrossNamespaceObjectReference{
				{Kind: "Kustomization", Name: "*"},
				{Kind: "HelmRelease", Name: "app-*", Namespace: "apps"},
			},
		},
	}
}

func TestValidate(t *testing.T) {
	type problem struct {
		field string
		typ   field.ErrorType
	}
	tests := []struct {
		name   string
		mutate func(*alert.Alert)
		want   []problem
	}{
		{name: "valid", mutate: func(*alert.Alert) {}},
		{name: "unset severity is valid", mutate: func(a *alert.Alert) { a.Spec.EventSeverity = alert.EventSeverity{} }},
		{name: "a severity list is valid", mutate: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Exactly("error", "Warning") }},
		{name: "no name", mutate: func(a *alert.Alert) { a.Name = "" }, want: []problem{{"metadata.name", field.ErrorTypeRequired}}},
		{name: "no provider", mutate: func(a *alert.Alert) { a.Spec.ProviderRef.Name = "" }, want: []problem{{"spec.providerRef.name", field.ErrorTypeRequired}}},
		{name: "unknown severity", mutate: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Threshold("critical") }, want: []problem{{"spec.eventSeverity", field.ErrorTypeNotSupported}}},
		{name: "unknown severity in a list", mutate: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Exactly("error", "fatal") }, want: []problem{{"spec.eventSeverity[1]", field.ErrorTypeNotSupported}}},
		{name: "empty severity list", mutate: func(a *alert.Alert) { a.Spec.EventSeverity = alert.Exactly() }, want: []problem{{"spec.eventSeverity", field.ErrorTypeInvalid}}},
		{name: "no event source", mutate: func(a *alert.Alert) { a.Spec.EventSources = nil }, want: []problem{{"spec.eventSources", field.ErrorTypeRequired}}},
		{name: "empty event source kind", mutate: func(a *alert.Alert) { a.Spec.EventSources[1].Kind = "" }, want: []problem{{"spec.eventSources[1].kind", field.ErrorTypeRequired}}},
		{name: "empty event source name", mutate: func(a *alert.Alert) { a.Spec.EventSources[1].Name = "" }, want: []problem{{"spec.eventSources[1].name", field.ErrorTypeRequired}}},
		{name: "bad inclusion regexp", mutate: func(a *alert.Alert) { a.Spec.InclusionList = []string{".*", "(unclosed"} }, want: []problem{{"spec.inclusionList[1]", field.ErrorTypeInvalid}}},
		{name: "bad exclusion regexp", mutate: func(a *alert.Alert) { a.Spec.ExclusionList = []string{"[z-a]"} }, want: []problem{{"spec.exclusionList[0]", field.ErrorTypeInvalid}}},
		{
			name: "every problem at once",
			mutate: func(a *alert.Alert) {
				a.Spec.ProviderRef.Name = ""
				a.Spec.EventSeverity = alert.Exactly("loud", "error", "quiet")
				a.Spec.EventSources = append(a.Spec.EventSources, alert.CrossNamespaceObjectReference{})
			},
			want: []problem{
				{"spec.providerRef.name", field.ErrorTypeRequired},
				{"spec.eventSeverity[0]", field.ErrorTypeNotSupported},
				{"spec.eventSeverity[2]", field.ErrorTypeNotSupported},
				{"spec.eventSources[2].kind", field.ErrorTypeRequired},
				{"spec.eventSources[2].name", field.ErrorTypeRequired},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := validAlert()
			tt.mutate(a)
			var got []problem
			for _, fe := range a.FieldErrors() {
				got = append(got, problem{fe.Field, fe.Type})
			}
			assert.Equal(t, tt.want, got)

			err := a.Validate()
			if len(tt.want) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "alert "+a.NamespacedName()+": ")
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w.field+": ")
			}
			// Each problem is reachable as a *field.Error.
			var fe *field.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.want[0].field, fe.Field)
			u, ok := errors.Unwrap(err).(interface{ Unwrap() []error })
			require.True(t, ok)
			assert.Len(t, u.Unwrap(), len(tt.want))
		})
	}
}

func TestValidateMessage(t *testing.T) {
	a := validAlert()
	a.Spec.EventSeverity = alert.Threshold("critical")
	a.Spec.EventSources[0].Kind = ""
	assert.EqualError(t, a.Validate(), `alert flux-system/on-call: spec.eventSeverity: Unsupported value: "critical": supported values: "trace", "info", "warn", "error"; spec.eventSources[0].kind: Required value`)
}

func BenchmarkValidate(b *testing.B) {
	a := validAlert()
	a.Spec.InclusionList = []string{".*failed.*"}
	a.Spec.ExclusionList = []string{"^Dependencies", "waiting"}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
