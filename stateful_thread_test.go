package fluxnotify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state"
)

// slackConfig is one alert on every Kustomization's events (info and
// more), with delivery dl, through a Slack provider posting to srv with a
// bot token (or its incoming webhook when webhook is true).
func slackConfig(srv *slacktest.Server, dl *alert.Delivery, webhook bool) *Config {
	a := newAlert("threads", "slack", alert.Threshold("info"), source("Kustomization", "*"))
	a.Spec.Delivery = dl
	p := newProvider("slack", "slack")
	p.Spec.Channel = "#alerts"
	data := map[string]string{"address": srv.PostMessageURL(), "token": "xoxb-test"}
	if webhook {
		data = map[string]string{"address": srv.WebhookURL()}
	}
	return &Config{
		Alerts:    []alert.Alert{a},
		Providers: []provider.Provider{p},
		Secrets: []corev1.Secret{{
			ObjectMeta: metav1.ObjectMeta{Namespace: "flux-system", Name: "slack-secret"},
			StringData: data,
		}},
	}
}

func newSlackDispatcher(t *testing.T, cfg *Config, opts ...Option) *Dispatcher {
	t.Helper()
	opts = append([]Option{WithLogger(discardLogger()), WithRetryPolicy(fastRetries())}, opts...)
	d, err := New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, d.Shutdown(context.Background())) })
	return d
}

func threaded(broadcast bool) *alert.Delivery {
	return &alert.Delivery{Thread: &alert.Thread{Enabled: true, BroadcastErrors: broadcast}}
}

// TestThreads: the first event about an object posts the root message,
// which shows the object's state; the next ones reply in its thread (errors
// broadcast to the channel) and update the root: failing since, failures,
// recovered at, last revision. Another object has a thread of its own.
func TestThreads(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	d := newSlackDispatcher(t, slackConfig(srv, threaded(true), false))
	ctx := context.Background()
	send := func(name, severity, msg string) {
		t.Helper()
		res, err := d.Dispatch(ctx, newEvent("Kustomization", name, severity, msg))
		require.NoError(t, err)
		require.Len(t, res, 1)
		assert.False(t, res[0].Deferred)
	}
	send("app", "error", "health check failed 1")
	send("app", "error", "health check failed 2")
	send("other", "error", "apply failed")
	send("app", "info", "reconciliation succeeded")

	posted := srv.Posted()
	require.Len(t, posted, 2, "one root per object")
	root := posted[0].TS
	assert.Contains(t, posted[0].Message.Text, "*Kustomization/flux-system/app* failing since")
	assert.Contains(t, posted[0].Message.Text, "1 failure · last revision main@sha1:2f3c4d5e")

	replies := srv.Replies(root)
	require.Len(t, replies, 2)
	assert.True(t, replies[0].Message.ReplyBroadcast, "errors are broadcast")
	assert.False(t, replies[1].Message.ReplyBroadcast, "the recovery is not")
	assert.Contains(t, replies[1].Message.Attachments[0].Fields[0].Value, "2 failures since", "the recovery sums up the spell")

	updates := srv.Updates(root)
	require.Len(t, updates, 2)
	assert.Contains(t, updates[0].Message.Text, "failing since")
	assert.Contains(t, updates[0].Message.Text, "2 failures")
	assert.Contains(t, updates[1].Message.Text, ":large_green_circle: *Kustomization/flux-system/app* recovered at")
	assert.Contains(t, updates[1].Message.Text, "after 2 failures")
	assert.Empty(t, srv.Replies(posted[1].TS))
	assert.Len(t, srv.Requests(), 2+2+2)
}

// TestThreads_replicas: two Dispatchers on one store, given the first
// events of one object at once, post one root and reply in its thread.
func TestThreads_replicas(t *testing.T) {
	for name, open := range sharedStores(t) {
		t.Run(name, func(t *testing.T) {
			srv := slacktest.NewServer()
			defer srv.Close()
			s := open(t)
			cfg := slackConfig(srv, threaded(false), false)
			a := newSlackDispatcher(t, cfg, WithStore(s))
			b := newSlackDispatcher(t, cfg, WithStore(s))
			var wg sync.WaitGroup
			for i, d := range []*Dispatcher{a, b, a, b} {
				wg.Go(func() {
					_, err := d.Dispatch(context.Background(), newEvent("Kustomization", "app", "error", fmt.Sprint("failed ", i)))
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			posted := srv.Posted()
			require.Len(t, posted, 1, "one root message")
			assert.Len(t, srv.Replies(posted[0].TS), 3)
		})
	}
}

// TestThreads_restart: with a file store, a restarted Dispatcher replies
// in the thread the first one started.
func TestThreads_restart(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	path := t.TempDir() + "/state.db"
	cfg := slackConfig(srv, threaded(false), false)
	for i := range 2 {
		s, err := state.OpenFile(path)
		require.NoError(t, err)
		d, err := New(cfg, WithStore(s), WithLogger(discardLogger()))
		require.NoError(t, err)
		_, err = d.Dispatch(context.Background(), newEvent("Kustomization", "app", "error", fmt.Sprint("failed ", i)))
		require.NoError(t, err)
		require.NoError(t, d.Shutdown(context.Background()))
		require.NoError(t, s.Close())
	}
	posted := srv.Posted()
	require.Len(t, posted, 1)
	assert.Len(t, srv.Replies(posted[0].TS), 1)
}

// TestThreads_configErrors: threads need a Slack provider with a bot
// token; in flux mode spec.delivery is not read.
func TestThreads_configErrors(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	tests := []struct {
		name    string
		cfg     func() *Config
		opts    []Option
		wantErr string
		is      error
	}{
		{"webhook", func() *Config { return slackConfig(srv, threaded(false), true) }, nil,
			"alert flux-system/threads: spec.delivery.thread: provider flux-system/slack: Slack threads need a bot token", slack.ErrNoThreads},
		{"not slack", func() *Config {
			c := slackConfig(srv, threaded(false), false)
			c.Providers[0].Spec.Type = "discord"
			return c
		}, nil, `provider flux-system/slack is of type "discord": threads need a Slack provider with a bot token`, nil},
		{"bad key", func() *Config {
			c := slackConfig(srv, threaded(false), false)
			c.Alerts[0].Spec.Delivery.Thread.Key = "{{ .Nope"
			return c
		}, nil, "alert flux-system/threads: spec.delivery.thread.key:", nil},
		{"flux mode", func() *Config { return slackConfig(srv, threaded(false), false) }, []Option{WithMode(match.Flux)},
			"alert flux-system/threads: spec.delivery: not a Flux field; ignored in flux mode", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.cfg(), append([]Option{WithLogger(discardLogger())}, tt.opts...)...)
			require.NotNil(t, d)
			defer d.Close()
			require.ErrorContains(t, err, tt.wantErr)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
				res, _ := d.Dispatch(context.Background(), newEvent("Kustomization", "app", "error", "failed"))
				require.Len(t, res, 1)
				assert.ErrorIs(t, res[0].Err, tt.is)
			}
		})
	}
	assert.Zero(t, srv.Len(), "nothing sent")
}

// TestThreads_webhookAtDelivery: when the Secret is read only at delivery
// (WithSecrets), a webhook provider fails there, with the same error.
func TestThreads_webhookAtDelivery(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	cfg := slackConfig(srv, threaded(false), true)
	secrets := provider.StaticSecrets(cfg.Secrets...)
	cfg.Secrets = nil
	d, err := New(cfg, WithSecrets(secrets), WithLogger(discardLogger()))
	require.NoError(t, err)
	defer d.Close()
	res, err := d.Dispatch(context.Background(), newEvent("Kustomization", "app", "error", "failed"))
	assert.ErrorIs(t, err, slack.ErrNoThreads)
	require.Len(t, res, 1)
	assert.True(t, strings.HasPrefix(res[0].Err.Error(), "alert flux-system/threads: provider flux-system/slack: spec.delivery.thread:"), res[0].Err.Error())
	assert.Zero(t, srv.Len())
}

// TestThreads_key: spec.delivery.thread.key groups objects into threads:
// here one per namespace, with groups of one sent in their thread.
func TestThreads_key(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	dl := threaded(false)
	dl.Thread.Key = "{{ .Object.Namespace }}"
	dl.Group = &alert.Grouping{Wait: hour}
	d := newSlackDispatcher(t, slackConfig(srv, dl, false))
	for _, name := range []string{"a", "b"} {
		_, err := d.Dispatch(context.Background(), newEvent("Kustomization", name, "error", "failed"))
		require.NoError(t, err)
		require.NoError(t, d.Flush(context.Background()))
	}
	posted := srv.Posted()
	require.Len(t, posted, 1, "one thread for the namespace")
	assert.Len(t, srv.Replies(posted[0].TS), 1)
}

// TestThreads_failingStore: without a working store, events go to the
// channel rather than being lost.
func TestThreads_failingStore(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	s := state.NewMemory()
	require.NoError(t, s.Close())
	d := newSlackDispatcher(t, slackConfig(srv, threaded(false), false), WithStore(s))
	for i := range 2 {
		_, err := d.Dispatch(context.Background(), newEvent("Kustomization", "app", "error", fmt.Sprint("failed ", i)))
		require.NoError(t, err)
	}
	assert.Len(t, srv.Posted(), 2)
}
