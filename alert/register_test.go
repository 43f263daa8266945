package alert_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/template"
)

// fullAlert sets every field of the fluxnotify types inside an Alert, so
// that TestDeepCopy notices a field DeepCopy forgets.
func fullAlert() *alert.Alert {
	return &alert.Alert{
		TypeMeta: metav1.TypeMeta{APIVersion: alert.GroupVersion.String(), Kind: alert.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name: "on-call", Namespace: "flux-system",
			Labels:            map[string]string{"team": "sre"},
			Annotations:       map[string]string{"a": "b"},
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
			EventSeverity: alert.Exactly("error", "warn"),
			EventSources: []alert.CrossNamespaceObjectReference{{
				APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "*",
				Namespace: "apps", MatchLabels: map[string]string{"tier": "web"},
			}},
			InclusionList: []string{"^Health"},
			ExclusionList: []string{"dry-run"},
			EventMetadata: map[string]string{"env": "prod"},
			Summary:       "prod cluster",
			Suspend:       true,
			Channel:       "#devops-alerts",
			Template: &template.Spec{
				Format: "blocks", Title: "{{ .Object.Name }}", Text: "{{ .Message }}",
				Fields: []template.Field{{Title: "Revision", Value: "{{ .Revision }}", Short: true}},
				Blocks: []byte(`[{"type":"divider"}]`),
				Color:  "danger", IconEmoji: ":flux:", IconURL: "https://example.com/flux.png",
			},
			Delivery: &alert.Delivery{
				Thread:      &alert.Thread{Enabled: true, Key: "{{ .Object.Name }}", BroadcastErrors: true},
				Transitions: true,
				Group:       &alert.Grouping{Wait: metav1.Duration{Duration: time.Second}, Interval: metav1.Duration{Duration: time.Minute}, MaxObjects: 5},
			},
			Reasons: &alert.Reasons{Include: []string{"*Failed"}, Exclude: []string{"DependencyNotReady"}},
		},
	}
}

func TestDeepCopy(t *testing.T) {
	in := fullAlert()
	assertFilled(t, reflect.ValueOf(in.Spec), "spec")

	out := in.DeepCopy()
	require.Equal(t, in, out)
	assertNoAliasing(t, reflect.ValueOf(in).Elem(), reflect.ValueOf(out).Elem(), "alert")

	obj := in.DeepCopyObject()
	require.Equal(t, in, obj)

	list := &alert.AlertList{ListMeta: metav1.ListMeta{ResourceVersion: "7"}, Items: []alert.Alert{*in, *fullAlert()}}
	listCopy := list.DeepCopyObject().(*alert.AlertList)
	require.Equal(t, list, listCopy)
	assertNoAliasing(t, reflect.ValueOf(list).Elem(), reflect.ValueOf(listCopy).Elem(), "list")

	var nilAlert *alert.Alert
	assert.Nil(t, nilAlert.DeepCopy())
	assert.Nil(t, nilAlert.DeepCopyObject())
	var nilList *alert.AlertList
	assert.Nil(t, nilList.DeepCopyObject())
}

func TestDeepCopyKeepsNilAndEmpty(t *testing.T) {
	for name, spec := range map[string]alert.Spec{
		"zero":  {},
		"empty": {EventSources: []alert.CrossNamespaceObjectReference{}, InclusionList: []string{}, EventMetadata: map[string]string{}, EventSeverity: alert.Exactly()},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, &spec, spec.DeepCopy())
		})
	}
}

func TestAddToScheme(t *testing.T) {
	s := runtime.NewScheme()
	require.NoError(t, alert.AddToScheme(s))

	gvks, _, err := s.ObjectKinds(&alert.Alert{})
	require.NoError(t, err)
	require.Len(t, gvks, 1)
	assert.Equal(t, "notification.toolkit.fluxcd.io/v1beta3, Kind=Alert", gvks[0].String())

	gvks, _, err = s.ObjectKinds(&alert.AlertList{})
	require.NoError(t, err)
	assert.Equal(t, "AlertList", gvks[0].Kind)

	obj, err := s.New(alert.GroupVersion.WithKind(alert.Kind))
	require.NoError(t, err)
	assert.IsType(t, &alert.Alert{}, obj)
}

func TestDecodeWithScheme(t *testing.T) {
	s := runtime.NewScheme()
	require.NoError(t, alert.AddToScheme(s))
	manifest := `apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: flux-alerts
  namespace: flux-system
spec:
  providerRef:
    name: slack
  eventSeverity: [error, warn]
  eventSources:
    - kind: Kustomization
      name: "*"
`
	obj, gvk, err := serializer.NewCodecFactory(s).UniversalDeserializer().Decode([]byte(manifest), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, alert.Kind, gvk.Kind)
	a, ok := obj.(*alert.Alert)
	require.True(t, ok, "decoded %T", obj)
	assert.Equal(t, "flux-system/flux-alerts", a.NamespacedName())
	assert.Equal(t, alert.Exactly("error", "warn"), a.Spec.EventSeverity)
	assert.NoError(t, a.Validate())
}

// AddExtendedToScheme registers fluxnotify's own group, whose CRDs keep the
// extended fields; an Alert decodes from it with all of them.
func TestAddExtendedToScheme(t *testing.T) {
	s := runtime.NewScheme()
	require.NoError(t, alert.AddExtendedToScheme(s))
	for obj, want := range map[runtime.Object]string{
		&alert.Alert{}:     "fluxnotify.io/v1alpha1, Kind=Alert",
		&alert.AlertList{}: "fluxnotify.io/v1alpha1, Kind=AlertList",
	} {
		gvks, _, err := s.ObjectKinds(obj)
		require.NoError(t, err)
		require.Len(t, gvks, 1)
		assert.Equal(t, want, gvks[0].String())
	}
	assert.False(t, s.Recognizes(alert.GroupVersion.WithKind(alert.Kind)), "Flux's group is not registered")

	manifest := `apiVersion: fluxnotify.io/v1alpha1
kind: Alert
metadata: {name: errors, namespace: flux-system}
spec:
  providerRef: {name: slack}
  channel: "#devops-alerts"
  eventSeverity: [error, warn]
  eventSources: [{kind: "Helm*", name: "app-*"}]
  template: {text: "{{ .Message }}"}
`
	obj, gvk, err := serializer.NewCodecFactory(s).UniversalDeserializer().Decode([]byte(manifest), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, alert.ExtendedGroupVersion.WithKind(alert.Kind), *gvk)
	a := obj.(*alert.Alert)
	assert.Equal(t, "#devops-alerts", a.Spec.Channel)
	assert.Equal(t, alert.Exactly("error", "warn"), a.Spec.EventSeverity)
	assert.Equal(t, "{{ .Message }}", a.Spec.Template.Text)
}

func TestAddKnownTypesOtherVersion(t *testing.T) {
	s := runtime.NewScheme()
	gv := alert.GroupVersion
	gv.Version = "v1beta2"
	require.NoError(t, alert.AddKnownTypes(s, gv))
	assert.True(t, s.Recognizes(gv.WithKind("Alert")))
	assert.False(t, s.Recognizes(alert.GroupVersion.WithKind("Alert")))
}

// assertFilled fails for every zero field of a fluxnotify type inside v, so
// the DeepCopy test fixture keeps up with new fields.
func assertFilled(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.IsZero() {
		t.Errorf("fixture leaves %s unset: set it so DeepCopy is tested on it", path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		assertFilled(t, v.Elem(), path)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			assertFilled(t, v.Index(0), path+"[0]")
		}
	case reflect.Struct:
		if !strings.HasPrefix(v.Type().PkgPath(), "github.com/fluxnotify/") {
			return
		}
		for i := range v.NumField() {
			assertFilled(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	}
}

// assertNoAliasing fails when a and b share a pointer, slice array or map.
func assertNoAliasing(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: copy shares the pointer", path)
		}
		assertNoAliasing(t, a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() == 0 {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: copy shares the backing array", path)
		}
		for i := range a.Len() {
			assertNoAliasing(t, a.Index(i), b.Index(i), path+"[i]")
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: copy shares the map", path)
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				assertNoAliasing(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	}
}

func BenchmarkDeepCopy(b *testing.B) {
	in := fullAlert()
	b.ReportAllocs()
	for b.Loop() {
		_ = in.DeepCopy()
	}
}
