package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

var update = flag.Bool("update", false, "rewrite testdata/quickstart.golden")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	code := run(t.Context(), &out, func(string) string { return "" })
	require.Equal(t, 0, code, out.String())

	golden := filepath.Join("testdata", "quickstart.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -update to create it")
	assert.Equal(t, string(want), out.String())

	for _, s := range []string{
		"Matched alert flux-system/flux-alerts: provider flux-system/slack (type slack), to the webhook's default channel.",
		"Delivered in 1 attempt(s).",
		`"color": "danger"`,
		`"author_name": "kustomization/my-app-kustomization.flux-system"`,
		"Not sent through alert flux-system/flux-alerts: severity info is below error.",
		"Slack received 1 message(s) in all.",
	} {
		assert.Contains(t, out.String(), s)
	}
}

// With SLACK_WEBHOOK_URL set, the quickstart posts there instead of to its
// own sink; here a sink stands in for Slack.
func TestQuickstart_slackWebhookURL(t *testing.T) {
	slack := slacktest.NewServer()
	defer slack.Close()
	var out bytes.Buffer
	code := run(t.Context(), &out, func(key string) string {
		if key == "SLACK_WEBHOOK_URL" {
			return slack.WebhookURL()
		}
		return ""
	})
	require.Equal(t, 0, code, out.String())
	require.Equal(t, 1, slack.Len(), "only the failure is posted")
	msg := slack.Messages()[0]
	require.Len(t, msg.Attachments, 1)
	assert.Equal(t, "danger", msg.Attachments[0].Color)
	assert.Contains(t, out.String(), "Slack: the webhook of SLACK_WEBHOOK_URL.")
	assert.Contains(t, out.String(), "Posted to Slack:")
	assert.NotContains(t, out.String(), slack.WebhookURL(), "the webhook URL is a secret")
}

func TestQuickstart_deliveryFailure(t *testing.T) {
	slack := slacktest.NewServer()
	defer slack.Close()
	slack.RespondFunc(func(slacktest.Request) slacktest.Answer { return slacktest.NotFound() })
	var out bytes.Buffer
	code := run(t.Context(), &out, func(string) string { return slack.WebhookURL() })
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "Not delivered:")
	assert.Contains(t, out.String(), "no_service")
	assert.NotContains(t, out.String(), slack.WebhookURL())
}
