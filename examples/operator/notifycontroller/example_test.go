package notifycontroller_test

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/examples/operator/notifycontroller"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
)

// The reconciler reads what a cluster holds (here a fake client; in a
// manager, its cache) and hands it to the Dispatcher.
func ExampleConfigReconciler() {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = alert.AddToScheme(s)
	_ = provider.AddToScheme(s)
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(
		&alert.Alert{
			ObjectMeta: metav1.ObjectMeta{Name: "flux-alerts", Namespace: "flux-system"},
			Spec: alert.Spec{
				ProviderRef:  corev1.LocalObjectReference{Name: "slack"},
				EventSources: []alert.CrossNamespaceObjectReference{{Kind: "Kustomization", Name: "*"}},
			},
		},
		&provider.Provider{
			ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
			Spec:       provider.Spec{Type: "slack", SecretRef: &corev1.LocalObjectReference{Name: "slack-url"}},
		},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "slack-url", Namespace: "flux-system"},
			StringData: map[string]string{"address": "https://hooks.slack.com/services/T0/B0/XXX"},
		},
	).Build()

	reg := provider.NewRegistry()
	_ = slack.Register(reg)
	d, _ := fluxnotify.New(nil, fluxnotify.WithRegistry(reg))
	defer d.Shutdown(context.Background())
	r := &notifycontroller.ConfigReconciler{Client: c, SecretReader: c, Dispatcher: d}
	cfg, err := r.Load(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d alert(s), %d provider(s), %d secret(s)\n", len(cfg.Alerts), len(cfg.Providers), len(cfg.Secrets))
	fmt.Println("update:", d.Update(cfg))
	// Output:
	// 1 alert(s), 1 provider(s), 1 secret(s)
	// update: <nil>
}
