package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allTypes holds one Provider of each of Flux's 34 types, each with an
// Alert on every Kustomization event.
const (
	allTypes           = "testdata/all-types"
	commitStatusUpdate = "testdata/events/commit-status-update.json"
)

type routeLine struct {
	Alert, Provider, Type, Channel, Error string
	Notifier                              bool
}

func routeAllTypes(t *testing.T, event string) map[string]routeLine {
	t.Helper()
	code, stdout, stderr := runCLI(t, "route", "-f", allTypes, "--event", event)
	require.Equal(t, exitOK, code, stderr)
	var out struct {
		Routes []routeLine `json:"routes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	byType := map[string]routeLine{}
	for _, r := range out.Routes {
		byType[r.Type] = r
	}
	require.Len(t, out.Routes, 34, "every route is listed")
	require.Len(t, byType, 34)
	return byType
}

// TestRoute_everyFluxType: a folder with a Provider of each of Flux's 34
// types loads, and route lists all of them and exits 0; the types this
// tool does not deliver are marked "notifier": false.
func TestRoute_everyFluxType(t *testing.T) {
	routes := routeAllTypes(t, failedEvent)
	for typ, r := range routes {
		switch typ {
		case "slack", "discord", "rocket":
			assert.True(t, r.Notifier, typ)
			assert.Empty(t, r.Error, typ)
		default:
			assert.False(t, r.Notifier, typ)
			assert.NotEmpty(t, r.Error, typ)
		}
	}
	assert.Contains(t, routes["msteams"].Error, "no notifier is registered")
	// Flux's delivery rules, on an error without commit metadata.
	assert.Contains(t, routes["githubpullrequestcomment"].Error, "no-change-request")
	assert.Contains(t, routes["github"].Error, "no notifier is registered", "an error reaches commit-status providers")
	assert.Contains(t, routes["azuredevops"].Error, "spec.serviceAccountName")

	code, stdout, stderr := runCLI(t, "render", "-f", allTypes, "--event", failedEvent)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, 34, strings.Count(stdout, `"notifier": `))
	assert.Equal(t, 31, strings.Count(stdout, `"notifier": false`))
}

// TestRoute_commitStatusUpdate: the event kustomize-controller emits for
// commit statuses after every successful reconciliation reaches a github
// Provider and skips a Slack one, with the reason, as in Flux.
func TestRoute_commitStatusUpdate(t *testing.T) {
	routes := routeAllTypes(t, commitStatusUpdate)
	assert.Contains(t, routes["slack"].Error, "skipped by Flux's delivery rule commit-status-update")
	assert.True(t, routes["slack"].Notifier)
	assert.Contains(t, routes["msteams"].Error, "commit-status-update")
	for _, typ := range []string{"github", "gitlab", "gitea", "bitbucketserver", "bitbucket", "generic", "generic-hmac"} {
		assert.NotContains(t, routes[typ].Error, "skipped", typ)
	}
}

// TestSend_noNotifier: send reports a route to a type without a notifier
// as failed, and exits 1.
func TestSend_noNotifier(t *testing.T) {
	code, stdout, _ := runCLI(t, "send", "-f", allTypes, "--event", failedEvent, "--retries", "0")
	assert.Equal(t, exitFailed, code)
	var out struct {
		Results []struct {
			Alert, Type, Error string
			Delivered          bool
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.Len(t, out.Results, 34)
	for _, r := range out.Results {
		assert.False(t, r.Delivered, r.Alert)
		if r.Type == "msteams" {
			assert.Contains(t, r.Error, "no notifier is registered")
		}
	}
}
