package slack

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

func TestPost_thread(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	p := exampleProvider()
	p.Spec.Channel = "#alerts"
	nt, err := New(p, provider.Credentials{Token: testToken}, WithAPIURL(srv.APIURL()))
	require.NoError(t, err)
	defer nt.CloseIdleConnections()
	require.True(t, nt.CanThread())
	ctx := context.Background()
	n := exampleNotification(nil)
	n.Data.Channel = "#alerts"

	root, err := nt.Post(ctx, n, PostOptions{})
	require.NoError(t, err)
	assert.Equal(t, "1700000000.000001", root)

	tests := []struct {
		name string
		o    PostOptions
	}{
		{"reply", PostOptions{ThreadTS: root}},
		{"broadcast", PostOptions{ThreadTS: root, Broadcast: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := nt.Post(ctx, n, tt.o)
			require.NoError(t, err)
			assert.NotEqual(t, root, ts)
		})
	}
	require.NoError(t, nt.Update(ctx, n, root, PostOptions{Text: "failing since 00:35 UTC · 3 failures"}))

	replies := srv.Replies(root)
	require.Len(t, replies, 2)
	assert.False(t, replies[0].Message.ReplyBroadcast)
	assert.True(t, replies[1].Message.ReplyBroadcast)
	updates := srv.Updates(root)
	require.Len(t, updates, 1)
	assert.Equal(t, "failing since 00:35 UTC · 3 failures", updates[0].Message.Text)
	assert.Equal(t, "#alerts", updates[0].Message.Channel)
	assert.NotEmpty(t, updates[0].Message.Attachments, "the update keeps the message's attachment")

	// Updating a message Slack does not know is a permanent error.
	err = nt.Update(ctx, n, "1.1", PostOptions{Text: "x"})
	var pe *provider.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "message_not_found", pe.Code)
	assert.False(t, pe.Retryable)
}

func TestPost_webhookCannotThread(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	nt, err := New(exampleProvider(), provider.Credentials{Address: srv.WebhookURL()})
	require.NoError(t, err)
	defer nt.CloseIdleConnections()
	assert.False(t, nt.CanThread())
	_, err = nt.Post(context.Background(), exampleNotification(nil), PostOptions{})
	assert.True(t, errors.Is(err, ErrNoThreads), "%v", err)
	err = nt.Update(context.Background(), exampleNotification(nil), "1.1", PostOptions{})
	assert.ErrorIs(t, err, ErrNoThreads)
	assert.NotContains(t, err.Error(), slacktest.WebhookPath)
	assert.Zero(t, srv.Len())
}
