package appconfig_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/operator/appconfig"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func configMap(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "checkout", Namespace: "shop", Labels: map[string]string{appconfig.Label: "true"}},
		Data:       data,
	}
}

// setup returns a Dispatcher whose alert takes every ConfigMap event of the
// namespace "shop" to the Slack sink.
func setup(t *testing.T, sink *slacktest.Server) *fluxnotify.Dispatcher {
	t.Helper()
	cfg := &fluxnotify.Config{
		Alerts: []alert.Alert{{
			ObjectMeta: metav1.ObjectMeta{Name: "configs", Namespace: "shop"},
			Spec: alert.Spec{
				ProviderRef:   corev1.LocalObjectReference{Name: "slack"},
				EventSeverity: alert.Threshold("info"),
				EventSources:  []alert.CrossNamespaceObjectReference{{Kind: "ConfigMap", Name: "*"}},
			},
		}},
		Providers: []provider.Provider{{
			ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "shop"},
			Spec:       provider.Spec{Type: slack.Type, Address: sink.WebhookURL()},
		}},
	}
	reg := provider.NewRegistry()
	require.NoError(t, slack.Register(reg))
	d, err := fluxnotify.New(cfg, fluxnotify.WithRegistry(reg),
		fluxnotify.WithRetryPolicy(provider.RetryPolicy{Retries: -1}), fluxnotify.WithCallerDedup(),
		fluxnotify.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Shutdown(context.Background())) })
	return d
}

// The ConfigMap fails, is retried, and recovers: one error message, one
// recovery message, and nothing while it stays healthy.
func TestFailAndRecover(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()
	d := setup(t, sink)

	cm := configMap(map[string]string{"settings.json": `{"currency": "EUR",}`, "README": "not JSON, not checked"})
	c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(cm).Build()
	r := &appconfig.Reconciler{Client: c, Dispatcher: d}
	ctx := ctrl.LoggerInto(context.Background(), testr.New(t))
	req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "shop", Name: "checkout"}}
	reconcile := func() *corev1.ConfigMap {
		t.Helper()
		_, err := r.Reconcile(ctx, req)
		require.NoError(t, err)
		var got corev1.ConfigMap
		require.NoError(t, c.Get(ctx, req.NamespacedName, &got))
		return &got
	}

	got := reconcile()
	assert.Equal(t, appconfig.Failed, got.Annotations[appconfig.HealthAnnotation])
	msgs := sink.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "appconfig-controller", msgs[0].Username)
	assert.Equal(t, "danger", msgs[0].Attachments[0].Color)
	assert.Equal(t, "configmap/checkout.shop", msgs[0].Attachments[0].AuthorName)
	assert.Contains(t, msgs[0].Attachments[0].Text, "invalid JSON in settings.json: ")

	reconcile() // still failing, same message: the Dispatcher drops the repeat
	assert.Len(t, sink.Messages(), 1)

	got.Data["settings.json"] = `{"currency": "EUR"}`
	require.NoError(t, c.Update(ctx, got))
	got = reconcile()
	assert.Equal(t, appconfig.Healthy, got.Annotations[appconfig.HealthAnnotation])
	msgs = sink.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, "good", msgs[1].Attachments[0].Color)
	assert.Equal(t, "configuration is valid again", msgs[1].Attachments[0].Text)

	reconcile() // healthy and was healthy: nothing to say
	assert.Len(t, sink.Messages(), 2)
}

// dispatcherFunc adapts a function to appconfig.Dispatcher.
type dispatcherFunc func(ctx context.Context, e *event.Event) ([]fluxnotify.Result, error)

func (f dispatcherFunc) Dispatch(ctx context.Context, e *event.Event) ([]fluxnotify.Result, error) {
	return f(ctx, e)
}

func TestReconcileSkips(t *testing.T) {
	var sent []*event.Event
	d := dispatcherFunc(func(_ context.Context, e *event.Event) ([]fluxnotify.Result, error) {
		sent = append(sent, e)
		return nil, nil
	})
	unlabelled := configMap(map[string]string{"a.json": "{"})
	unlabelled.Labels = nil
	c := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(unlabelled).Build()
	r := &appconfig.Reconciler{Client: c, Dispatcher: d, Controller: "my-operator"}
	for _, name := range []string{"checkout", "gone"} {
		_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "shop", Name: name}})
		require.NoError(t, err)
	}
	assert.Empty(t, sent, "neither an unlabelled nor a deleted ConfigMap is checked")

	require.NoError(t, c.Patch(context.Background(), configMap(map[string]string{"a.json": "{"}), client.Merge))
	_, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "shop", Name: "checkout"}})
	require.NoError(t, err)
	require.Len(t, sent, 1)
	e := sent[0]
	assert.Equal(t, "my-operator", e.ReportingController)
	assert.Equal(t, "error", e.Severity)
	assert.Equal(t, appconfig.ReasonValidationFailed, e.Reason)
	assert.Equal(t, corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "shop", Name: "checkout", ResourceVersion: e.InvolvedObject.ResourceVersion}, e.InvolvedObject)
	require.NoError(t, event.Validate(e))
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		data map[string]string
		want string
	}{
		"valid":       {map[string]string{"a.json": `{"x": [1, 2]}`, "b.json": `"s"`, "c.txt": "{"}, ""},
		"no data":     {nil, ""},
		"one invalid": {map[string]string{"a.json": `{"x": }`}, "invalid JSON in a.json: invalid character '}' looking for beginning of value"},
		"two invalid, sorted": {map[string]string{"z.json": "", "b.json": "[1,"},
			"invalid JSON in b.json: unexpected end of JSON input; z.json: unexpected end of JSON input"},
	} {
		t.Run(name, func(t *testing.T) {
			err := appconfig.Validate(configMap(tc.data))
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.want)
		})
	}
}
