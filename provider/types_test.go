package provider_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
)

// TestFluxTypes mirrors the spec.type enum of Flux's v1beta3 Provider
// (api/v1beta3/provider_types.go, ProviderSpec.Type).
func TestFluxTypes(t *testing.T) {
	const enum = "slack;discord;msteams;rocket;generic;generic-hmac;github;gitlab;gitea;giteapullrequestcomment;bitbucketserver;bitbucket;azuredevops;googlechat;googlepubsub;webex;sentry;azureeventhub;telegram;lark;matrix;opsgenie;alertmanager;grafana;githubdispatch;githubpullrequestcomment;gitlabmergerequestcomment;pagerduty;datadog;nats;zulip;otel;zoom;incident.io"
	got := provider.FluxTypes()
	assert.Equal(t, enum, strings.Join(got, ";"))
	got[0] = "changed"
	assert.Equal(t, provider.TypeSlack, provider.FluxTypes()[0], "FluxTypes returns a copy")
	for _, typ := range []string{"Slack", "", "teams", "generic_hmac"} {
		assert.False(t, provider.IsFluxType(typ), typ)
	}
}

// TestTypeClasses mirrors isCommitStatusProvider, isGenericProvider
// (internal/server/provider_commit_status.go) and isChangeRequestProvider
// (internal/server/provider_change_request.go).
func TestTypeClasses(t *testing.T) {
	var commitStatus, generic, changeRequest []string
	for _, typ := range provider.FluxTypes() {
		if provider.IsCommitStatusType(typ) {
			commitStatus = append(commitStatus, typ)
		}
		if provider.IsGenericType(typ) {
			generic = append(generic, typ)
		}
		if provider.IsChangeRequestType(typ) {
			changeRequest = append(changeRequest, typ)
		}
	}
	assert.Equal(t, []string{"github", "gitlab", "gitea", "bitbucketserver", "bitbucket", "azuredevops"}, commitStatus)
	assert.Equal(t, []string{"generic", "generic-hmac"}, generic)
	assert.Equal(t, []string{"giteapullrequestcomment", "githubpullrequestcomment", "gitlabmergerequestcomment"}, changeRequest)
}

func TestCheckType(t *testing.T) {
	r := provider.NewRegistry()
	require.NoError(t, r.Register("slack", nopFactory))
	require.NoError(t, r.Register("teams-echo", nopFactory))
	tests := []struct {
		typ     string
		is      error
		suggest string
	}{
		{typ: "slack"},
		{typ: "teams-echo"},
		{typ: "github", is: provider.ErrNoNotifier},
		{typ: "incident.io", is: provider.ErrNoNotifier},
		{typ: "Slack", is: provider.ErrUnknownType, suggest: `(did you mean "slack"?)`},
		{typ: "discrod", is: provider.ErrUnknownType, suggest: `(did you mean "discord"?)`},
		{typ: "teams", is: provider.ErrUnknownType, suggest: `(did you mean "msteams"?)`},
		{typ: "incidentio", is: provider.ErrUnknownType, suggest: `(did you mean "incident.io"?)`},
		{typ: "generic_hmac", is: provider.ErrUnknownType, suggest: `(did you mean "generic-hmac"?)`},
		{typ: "teams-ech", is: provider.ErrUnknownType, suggest: `(did you mean "teams-echo"?)`},
		{typ: "carrier-pigeon", is: provider.ErrUnknownType, suggest: "neither one of Flux's types nor registered"},
		{typ: "", is: provider.ErrUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			err := r.CheckType(tt.typ)
			if tt.is == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.is)
			assert.ErrorContains(t, err, "spec.type: ")
			assert.ErrorContains(t, err, tt.suggest)
		})
	}
}
