package notifycontroller_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/fluxcd/pkg/runtime/events"
	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/examples/operator/notifycontroller"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

// Flux's own event recorder, the one kustomize-controller uses, posts
// Kustomization events to the operator's endpoint; the Alerts, Providers
// and Secrets come from the (fake) cluster through the ConfigReconciler,
// matchLabels through the Labeler; the Slack sink receives what Slack
// would.
func TestFluxRecorderToSlack(t *testing.T) {
	sink := slacktest.NewServer()
	defer sink.Close()

	s := scheme(t)
	c := newClient(t, s,
		platformAlert("platform", "slack"),
		slackProvider("slack", "slack-url"),
		webhookSecret("slack-url", sink.WebhookURL()),
		kustomization("apps", map[string]string{"team": "platform"},
			map[string]string{"event.toolkit.fluxcd.io/environment": "production"}),
		kustomization("infra", map[string]string{"team": "storage"}, nil),
	)

	reg := provider.NewRegistry()
	require.NoError(t, slack.Register(reg))
	d, err := fluxnotify.New(nil,
		fluxnotify.WithRegistry(reg),
		fluxnotify.WithLabeler(notifycontroller.Labeler{Reader: c}),
		fluxnotify.WithRetryPolicy(provider.RetryPolicy{Retries: -1}),
		fluxnotify.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
	)
	require.NoError(t, err)
	r := &notifycontroller.ConfigReconciler{Client: c, SecretReader: c, Dispatcher: d}
	ctx := ctrl.LoggerInto(context.Background(), testr.New(t))
	_, err = r.Reconcile(ctx, ctrl.Request{})
	require.NoError(t, err)

	endpoint := httptest.NewServer(d.Handler())
	defer endpoint.Close()

	rec, err := events.NewRecorder(testr.New(t), endpoint.URL, "kustomize-controller",
		events.WithScheme(s), events.WithRetryMax(0))
	require.NoError(t, err)

	apps := kustomization("apps", map[string]string{"team": "platform"},
		map[string]string{"event.toolkit.fluxcd.io/environment": "production"})
	rec.AnnotatedEventf(apps, nil,
		map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:2f3c1e0d"},
		corev1.EventTypeWarning, "HealthCheckFailed", "Reconcile",
		"Health check failed after %s: timeout waiting for Deployment/apps/web", 5*time.Minute)
	// Another team's Kustomization: matchLabels keeps it out.
	rec.Eventf(kustomization("infra", map[string]string{"team": "storage"}, nil), nil,
		corev1.EventTypeWarning, "BuildFailed", "Reconcile", "kustomize build failed")
	// A Normal event is info, which the alert takes too.
	rec.Eventf(apps, nil, corev1.EventTypeNormal, "ReconciliationSucceeded", "Reconcile", "Reconciliation finished in 2s")

	// The endpoint answers 202 and delivers in the background: Close waits.
	closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, d.Shutdown(closeCtx))

	msgs := sink.Messages()
	require.Len(t, msgs, 2, "the infra event must not pass matchLabels")
	failed, ok := messageWith(msgs, "danger")
	require.True(t, ok, "an error message (color danger) arrived")
	assert.Equal(t, "kustomize-controller", failed.Username)
	require.Len(t, failed.Attachments, 1)
	att := failed.Attachments[0]
	assert.Equal(t, "kustomization/apps.flux-system", att.AuthorName)
	assert.Equal(t, "Health check failed after 5m0s: timeout waiting for Deployment/apps/web", att.Text)
	fields := map[string]string{}
	for _, f := range att.Fields {
		fields[f.Title] = f.Value
	}
	assert.Equal(t, map[string]string{"environment": "production", "revision": "main@sha1:2f3c1e0d", "summary": "prod cluster"}, fields,
		"metadata from the object's annotations, the recorder and the alert's summary")

	ok2, found := messageWith(msgs, "good")
	require.True(t, found, "the info message (color good) arrived")
	assert.Equal(t, "Reconciliation finished in 2s", ok2.Attachments[0].Text)
}
