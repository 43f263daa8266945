package provider_test

import (
	"context"
	"fmt"
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
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

// fullProvider sets every field of the fluxnotify types inside a Provider,
// so that TestDeepCopy notices a field DeepCopy forgets.
func fullProvider() *provider.Provider {
	return &provider.Provider{
		TypeMeta: metav1.TypeMeta{APIVersion: provider.GroupVersion.String(), Kind: provider.Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name: "slack", Namespace: "flux-system",
			Labels:            map[string]string{"team": "sre"},
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
		},
		Spec: provider.Spec{
			Type:               "slack",
			Interval:           &metav1.Duration{Duration: time.Minute},
			Channel:            "#general",
			Username:           "flux",
			Address:            "https://slack.example.com/api/chat.postMessage",
			Timeout:            &metav1.Duration{Duration: 5 * time.Second},
			Proxy:              "http://proxy.example.com:3128",
			ProxySecretRef:     &corev1.LocalObjectReference{Name: "proxy"},
			SecretRef:          &corev1.LocalObjectReference{Name: "slack-url"},
			CertSecretRef:      &corev1.LocalObjectReference{Name: "ca"},
			ServiceAccountName: "notifier",
			CommitStatusExpr:   "event.reason",
			Suspend:            true,
			Template: &template.Spec{
				Format: "flux", Title: "t", Text: "x",
				Fields: []template.Field{{Title: "a", Value: "b", Short: true}},
				Blocks: []byte(`[]`),
				Color:  "good", IconEmoji: ":flux:", IconURL: "https://example.com/i.png",
			},
		},
	}
}

func TestDeepCopy(t *testing.T) {
	in := fullProvider()
	assertFilled(t, reflect.ValueOf(in.Spec), "spec")

	out := in.DeepCopy()
	require.Equal(t, in, out)
	assertNoAliasing(t, reflect.ValueOf(in).Elem(), reflect.ValueOf(out).Elem(), "provider")
	require.Equal(t, in, in.DeepCopyObject())

	list := &provider.ProviderList{Items: []provider.Provider{*in, *fullProvider()}}
	listCopy := list.DeepCopyObject().(*provider.ProviderList)
	require.Equal(t, list, listCopy)
	assertNoAliasing(t, reflect.ValueOf(list).Elem(), reflect.ValueOf(listCopy).Elem(), "list")

	var nilProvider *provider.Provider
	assert.Nil(t, nilProvider.DeepCopyObject())
	var nilList *provider.ProviderList
	assert.Nil(t, nilList.DeepCopyObject())
	zero := provider.Spec{}
	assert.Equal(t, &zero, zero.DeepCopy())
}

// schemeWith returns a scheme with both kinds added by the two functions,
// after checking that each kind and its list are registered under gv.
func schemeWith(t *testing.T, addProvider, addAlert func(*runtime.Scheme) error, gv string) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	require.NoError(t, addProvider(s))
	require.NoError(t, addAlert(s), "both kinds share one group version")
	for obj, kind := range map[runtime.Object]string{
		&provider.Provider{}: "Provider", &provider.ProviderList{}: "ProviderList",
		&alert.Alert{}: "Alert", &alert.AlertList{}: "AlertList",
	} {
		gvks, _, err := s.ObjectKinds(obj)
		require.NoError(t, err)
		require.Len(t, gvks, 1)
		assert.Equal(t, gv+", Kind="+kind, gvks[0].String())
	}
	return s
}

// AddExtendedToScheme registers fluxnotify's own group for both kinds.
func TestAddExtendedToScheme(t *testing.T) {
	schemeWith(t, provider.AddExtendedToScheme, alert.AddExtendedToScheme, "fluxnotify.io/v1alpha1")
	assert.Equal(t, alert.ExtendedGroupVersion, provider.ExtendedGroupVersion)
}

func TestAddToScheme(t *testing.T) {
	s := schemeWith(t, provider.AddToScheme, alert.AddToScheme, "notification.toolkit.fluxcd.io/v1beta3")

	manifest := `{"apiVersion":"notification.toolkit.fluxcd.io/v1beta3","kind":"Provider",
"metadata":{"name":"slack","namespace":"flux-system"},
"spec":{"type":"slack","secretRef":{"name":"slack-url"},"timeout":"5s"}}`
	obj, _, err := serializer.NewCodecFactory(s).UniversalDeserializer().Decode([]byte(manifest), nil, nil)
	require.NoError(t, err)
	p, ok := obj.(*provider.Provider)
	require.True(t, ok, "decoded %T", obj)
	assert.Equal(t, "slack-url", p.Spec.SecretRef.Name)
	assert.Equal(t, 5*time.Second, p.GetTimeout())
}

// A provider type is a name and a Factory. Once registered, Providers of
// that type (`spec.type: teams-echo` in YAML) are delivered by the notifier
// the factory builds, with the same matching, templates, retries and
// redaction as the built-in types.
func ExampleRegistry_Register() {
	reg := provider.NewRegistry()
	err := reg.Register("teams-echo", func(p *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
		// A real factory checks c.Address here and builds an HTTP client.
		return provider.NotifierFunc(func(ctx context.Context, n *provider.Notification) error {
			fmt.Printf("to %s via %s: %s %s/%s: %s\n", n.Data.Channel, n.Provider.Name,
				n.Data.Severity, strings.ToLower(n.Data.Object.Kind), n.Data.Object.Name, n.Data.Message)
			return nil
		}), nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "flux-system"},
		Spec:       provider.Spec{Type: "teams-echo", Channel: "#gitops"},
	}
	notifier, err := reg.New(p, provider.Credentials{Address: "https://example.com/hook"})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := event.New(corev1.ObjectReference{Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		event.SeverityError, "HealthCheckFailed", "timeout waiting for Deployment/apps/web")
	if err := notifier.Notify(context.Background(), provider.NewNotification(e, nil, p, nil, provider.Context{})); err != nil {
		fmt.Println(err)
	}

	fmt.Println(reg.Types())
	_, err = reg.New(&provider.Provider{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default"}, Spec: provider.Spec{Type: "pager"}}, provider.Credentials{})
	fmt.Println(err)
	// Output:
	// to #gitops via echo: error kustomization/apps: timeout waiting for Deployment/apps/web
	// [teams-echo]
	// provider default/x: spec.type: unknown provider type "pager" (neither one of Flux's types nor registered)
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
