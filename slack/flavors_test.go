package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
)

func flavorProvider(typ string) *provider.Provider {
	p := exampleProvider()
	p.Name, p.Spec.Type, p.Spec.Channel = typ, typ, "#flux"
	return p
}

func flavorNotification(typ string) *provider.Notification {
	n := exampleNotification(nil)
	n.Provider = flavorProvider(typ)
	n.Data.Channel = "#flux"
	return n
}

// TestRender_FluxCompatibleTypes keeps a golden payload of each of the
// types Flux delivers with a Slack payload (internal/notifier/discord.go
// and rocket.go), next to Slack's.
func TestRender_FluxCompatibleTypes(t *testing.T) {
	for _, typ := range []string{TypeDiscord, TypeRocket} {
		t.Run(typ, func(t *testing.T) {
			golden(t, "example-"+typ, render(t, flavorProvider(typ), flavorNotification(typ)))
		})
	}
}

// TestRender_FluxCompatibleShapes checks what Flux's NewDiscord and
// NewRocket payloads differ in from Slack's.
func TestRender_FluxCompatibleShapes(t *testing.T) {
	decode := func(t *testing.T, body []byte) (msg struct {
		Channel     string `json:"channel"`
		Username    string `json:"username"`
		Attachments []struct {
			Color    string `json:"color"`
			Fallback string `json:"fallback"`
		} `json:"attachments"`
	}) {
		require.NoError(t, json.Unmarshal(body, &msg))
		require.Len(t, msg.Attachments, 1)
		return msg
	}
	slackMsg := decode(t, render(t, flavorProvider(Type), flavorNotification(Type)))
	assert.Equal(t, "#flux", slackMsg.Channel)
	assert.Equal(t, "kustomize-controller", slackMsg.Username)
	assert.Equal(t, "danger", slackMsg.Attachments[0].Color)
	assert.NotEmpty(t, slackMsg.Attachments[0].Fallback)

	discord := decode(t, render(t, flavorProvider(TypeDiscord), flavorNotification(TypeDiscord)))
	assert.Empty(t, discord.Channel, "Flux sends Discord no channel")
	assert.Equal(t, "kustomize-controller", discord.Username)
	assert.Equal(t, "danger", discord.Attachments[0].Color)
	assert.Empty(t, discord.Attachments[0].Fallback)

	rocket := decode(t, render(t, flavorProvider(TypeRocket), flavorNotification(TypeRocket)))
	assert.Equal(t, "#flux", rocket.Channel)
	assert.Empty(t, rocket.Username, "Flux's Rocket.Chat payload has no default username")
	assert.Equal(t, "#FF0000", rocket.Attachments[0].Color)
	n := flavorNotification(TypeRocket)
	n.Data.Severity = "info"
	assert.Equal(t, "#0076D7", decode(t, render(t, flavorProvider(TypeRocket), n)).Attachments[0].Color)
	p := flavorProvider(TypeRocket)
	p.Spec.Username = "flux"
	assert.Equal(t, "flux", decode(t, render(t, p, flavorNotification(TypeRocket))).Username)
}

// TestNotify_discordEndpoint mirrors Flux's NewDiscord: the message goes to
// the webhook's Slack-compatible endpoint, "/slack" joined to the path
// unless the address ends with it, and the token is not sent.
func TestNotify_discordEndpoint(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	// Discord and Rocket.Chat answer on paths of their own.
	srv.RespondFunc(func(slacktest.Request) slacktest.Answer { return slacktest.OK() })
	for _, tt := range []struct {
		typ, address, wantPath string
	}{
		{TypeDiscord, srv.URL + "/api/webhooks/1/SECRETSECRET", "/api/webhooks/1/SECRETSECRET/slack"},
		{TypeDiscord, srv.URL + "/api/webhooks/1/SECRETSECRET/", "/api/webhooks/1/SECRETSECRET/slack"},
		{TypeDiscord, srv.URL + "/api/webhooks/1/SECRETSECRET/slack", "/api/webhooks/1/SECRETSECRET/slack"},
		{TypeRocket, srv.URL + "/hooks/SECRETSECRET", "/hooks/SECRETSECRET"},
	} {
		t.Run(tt.address, func(t *testing.T) {
			before := srv.Len()
			nt, err := New(flavorProvider(tt.typ), provider.Credentials{Address: tt.address, Token: "TOKENSECRET"}, WithHTTPClient(srv.Client()))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(nt.String(), tt.typ+" webhook "), nt.String())
			assert.NotContains(t, nt.String(), "SECRETSECRET")
			require.NoError(t, nt.Notify(context.Background(), flavorNotification(tt.typ)))
			reqs := srv.Requests()[before:]
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.wantPath, reqs[0].Path)
			assert.False(t, reqs[0].Bearer, "Flux sends %s no token", tt.typ)
		})
	}
}

func TestNotify_flavorWithoutAddress(t *testing.T) {
	for _, typ := range []string{TypeDiscord, TypeRocket} {
		nt, err := New(flavorProvider(typ), provider.Credentials{Token: "TOKENSECRET"})
		require.NoError(t, err, "a token alone is a dry run for %s", typ)
		err = nt.Notify(context.Background(), flavorNotification(typ))
		require.ErrorContains(t, err, typ+" unconfigured: no webhook address")
		assert.NotContains(t, err.Error(), "TOKENSECRET")
		_, err = New(flavorProvider(typ), provider.Credentials{Address: "discord.com/api/webhooks/1/SECRETSECRET"})
		require.ErrorContains(t, err, "want an http(s) URL")
		assert.NotContains(t, err.Error(), "SECRETSECRET")
	}
}
