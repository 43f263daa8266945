package notifycontroller_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/go-logr/logr/testr"
	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/operator/notifycontroller"
	"github.com/fluxnotify/fluxnotify/provider"
)

// recorder is an Updater that keeps the last configuration.
type recorder struct {
	cfg *fluxnotify.Config
	err error
}

func (r *recorder) Update(cfg *fluxnotify.Config) error { r.cfg = cfg; return r.err }

func TestLoad(t *testing.T) {
	s := scheme(t)
	p := slackProvider("slack", "slack-url")
	p.Spec.CertSecretRef = &corev1.LocalObjectReference{Name: "ca"}
	p.Spec.ProxySecretRef = &corev1.LocalObjectReference{Name: "slack-url"} // read once
	other := slackProvider("other", "missing")
	other.Namespace = "team-a"
	c := newClient(t, s,
		platformAlert("b", "slack"), platformAlert("a", "slack"), p, other,
		webhookSecret("slack-url", "https://hooks.example.com/x"),
		webhookSecret("ca", "unused"),
		webhookSecret("unreferenced", "https://hooks.example.com/y"),
	)
	r := &notifycontroller.ConfigReconciler{Client: c, SecretReader: c, Dispatcher: &recorder{}}
	cfg, err := r.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, names(cfg.Alerts), "sorted")
	assert.Equal(t, []string{"slack", "other"}, providerNames(cfg.Providers), "sorted by namespace, then name")
	var secrets []string
	for _, s := range cfg.Secrets {
		secrets = append(secrets, s.Name)
	}
	assert.Equal(t, []string{"slack-url", "ca"}, secrets, "only referenced Secrets, each once; a missing one is left out")

	r.Namespace = "team-a"
	cfg, err = r.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, cfg.Alerts)
	assert.Equal(t, []string{"other"}, providerNames(cfg.Providers))
}

func TestLoadErrors(t *testing.T) {
	s := scheme(t)
	boom := errors.New("apiserver unavailable")
	failing := func(kind string) client.Client {
		return fakeWithInterceptor(t, s, interceptor.Funcs{
			List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
				// The reconciler lists unstructured objects.
				u, _ := list.(*unstructured.UnstructuredList)
				if u != nil && u.GetKind() == "AlertList" && kind == "alerts" {
					return boom
				}
				if u != nil && u.GetKind() == "ProviderList" && kind == "providers" {
					return boom
				}
				return c.List(ctx, list, opts...)
			},
			Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
				if _, ok := obj.(*corev1.Secret); ok && kind == "secrets" {
					return boom
				}
				return c.Get(ctx, key, obj, opts...)
			},
		}, slackProvider("slack", "slack-url"))
	}
	for kind, want := range map[string]string{
		"alerts":    "listing Alerts: apiserver unavailable",
		"providers": "listing Providers: apiserver unavailable",
		"secrets":   "provider flux-system/slack: reading secret flux-system/slack-url: apiserver unavailable",
	} {
		t.Run(kind, func(t *testing.T) {
			c := failing(kind)
			up := &recorder{}
			r := &notifycontroller.ConfigReconciler{Client: c, SecretReader: c, Dispatcher: up}
			_, err := r.Reconcile(context.Background(), ctrl.Request{})
			require.EqualError(t, err, want)
			assert.Nil(t, up.cfg, "a partial read never replaces the configuration")
		})
	}
}

// Every change is seen: the reconciler rebuilds from the cluster and the
// Dispatcher routes with the new configuration.
func TestReconcileFollowsChanges(t *testing.T) {
	s := scheme(t)
	c := newClient(t, s, slackProvider("slack", "slack-url"), webhookSecret("slack-url", "https://hooks.example.com/x"),
		kustomization("apps", map[string]string{"team": "platform"}, nil))
	d, err := fluxnotify.New(nil, fluxnotify.WithLabeler(notifycontroller.Labeler{Reader: c}),
		fluxnotify.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	require.NoError(t, err)
	defer d.Shutdown(context.Background())
	r := &notifycontroller.ConfigReconciler{Client: c, SecretReader: c, Dispatcher: d}
	ctx := ctrl.LoggerInto(context.Background(), testr.New(t))
	e := event.New(corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: "flux-system"},
		event.SeverityError, "HealthCheckFailed", "timeout")

	routes := func() int {
		t.Helper()
		_, err := r.Reconcile(ctx, ctrl.Request{})
		require.NoError(t, err)
		routing, err := d.Route(ctx, e)
		require.NoError(t, err)
		n := 0
		for _, rt := range routing.Routes {
			if rt.Err == nil {
				n++
			}
		}
		return n
	}
	assert.Equal(t, 0, routes(), "no alert yet")

	a := platformAlert("platform", "slack")
	require.NoError(t, c.Create(ctx, a))
	assert.Equal(t, 1, routes(), "alert created")

	a.Spec.EventSources[0].MatchLabels = map[string]string{"team": "storage"}
	require.NoError(t, c.Update(ctx, a))
	assert.Equal(t, 0, routes(), "alert changed: labels no longer match")

	require.NoError(t, c.Delete(ctx, a))
	assert.Equal(t, 0, routes(), "alert deleted")

	// An invalid alert is reported, not retried; the others keep routing.
	require.NoError(t, c.Create(ctx, platformAlert("platform", "slack")))
	bad := platformAlert("bad", "nowhere")
	require.NoError(t, c.Create(ctx, bad))
	assert.Equal(t, 1, routes(), "the valid alert routes; the one without a provider cannot deliver")
}

func TestSecretReferenced(t *testing.T) {
	s := scheme(t)
	c := newClient(t, s, slackProvider("slack", "slack-url"))
	r := &notifycontroller.ConfigReconciler{Client: c, SecretReader: c, Dispatcher: &recorder{}}
	secret := func(ns, name string) client.Object {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	assert.Len(t, r.SecretReferenced(context.Background(), secret("flux-system", "slack-url")), 1)
	assert.Empty(t, r.SecretReferenced(context.Background(), secret("flux-system", "db-password")))
	assert.Empty(t, r.SecretReferenced(context.Background(), secret("team-a", "slack-url")))
	r.Namespace = "team-a"
	assert.Empty(t, r.SecretReferenced(context.Background(), secret("flux-system", "slack-url")))
	assert.Equal(t, []reconcile.Request(nil), r.SecretReferenced(context.Background(), secret("team-a", "x")))
}

func TestLabeler(t *testing.T) {
	s := scheme(t)
	c := newClient(t, s, kustomization("apps", map[string]string{"team": "platform"}, nil))
	l := notifycontroller.Labeler{Reader: c}
	ref := &corev1.ObjectReference{APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization", Name: "apps", Namespace: "flux-system"}
	labels, err := l.Labels(context.Background(), ref)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"team": "platform"}, labels)

	ref.Name = "gone"
	_, err = l.Labels(context.Background(), ref)
	assert.ErrorContains(t, err, "labels of Kustomization flux-system/gone: ")

	ref.APIVersion = ""
	_, err = l.Labels(context.Background(), ref)
	assert.ErrorContains(t, err, "involvedObject.apiVersion is empty")

	ref.APIVersion = "a/b/c"
	_, err = l.Labels(context.Background(), ref)
	assert.ErrorContains(t, err, `apiVersion "a/b/c"`)
}

func fakeWithInterceptor(t *testing.T, s *runtime.Scheme, funcs interceptor.Funcs, objs ...client.Object) client.Client {
	t.Helper()
	return interceptor.NewClient(newClient(t, s, objs...), funcs)
}

func names(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.Name)
	}
	return out
}

func providerNames(ps []provider.Provider) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func messageWith(msgs []slack.WebhookMessage, color string) (slack.WebhookMessage, bool) {
	for _, m := range msgs {
		if len(m.Attachments) > 0 && m.Attachments[0].Color == color {
			return m, true
		}
	}
	return slack.WebhookMessage{}, false
}
