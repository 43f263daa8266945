package notifycontroller_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

var kustomizationGVK = schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"}

func scheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(s))
	require.NoError(t, alert.AddToScheme(s))
	require.NoError(t, provider.AddToScheme(s))
	return s
}

// newClient returns a fake client holding objs. Kustomizations are
// unstructured: the test needs their metadata only, as the Labeler does.
func newClient(t *testing.T, s *runtime.Scheme, objs ...client.Object) client.WithWatch {
	t.Helper()
	mapper := meta.NewDefaultRESTMapper(nil)
	for gvk := range s.AllKnownTypes() {
		mapper.Add(gvk, meta.RESTScopeNamespace)
	}
	mapper.Add(kustomizationGVK, meta.RESTScopeNamespace)
	return fake.NewClientBuilder().WithScheme(s).WithRESTMapper(mapper).WithObjects(objs...).Build()
}

func kustomization(name string, labels map[string]string, annotations map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(kustomizationGVK)
	u.SetNamespace("flux-system")
	u.SetName(name)
	u.SetLabels(labels)
	u.SetAnnotations(annotations)
	return u
}

func slackProvider(name, secret string) *provider.Provider {
	return &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flux-system"},
		Spec:       provider.Spec{Type: "slack", SecretRef: &corev1.LocalObjectReference{Name: secret}},
	}
}

func webhookSecret(name, url string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flux-system"},
		Data:       map[string][]byte{"address": []byte(url)},
	}
}

func platformAlert(name, providerName string) *alert.Alert {
	return &alert.Alert{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "flux-system"},
		Spec: alert.Spec{
			ProviderRef:   corev1.LocalObjectReference{Name: providerName},
			EventSeverity: alert.Threshold("info"),
			EventSources: []alert.CrossNamespaceObjectReference{{
				Kind: "Kustomization", Name: "*",
				MatchLabels: map[string]string{"team": "platform"},
			}},
			Summary: "prod cluster",
		},
	}
}
