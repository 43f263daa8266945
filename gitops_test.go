package fluxnotify_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
)

// TestGitOpsRepositories loads folders written in the shapes of public
// GitOps repositories (testdata/gitops) and checks, for a few events each,
// which alerts take the event and what happens to each route: "deliver",
// "skip" (one of Flux's delivery rules drops the pair) or "suspended" (the
// provider is suspended). The expectations are Flux's answers, worked out
// from notification-controller's filterAlertsForEvent and
// getNotificationParams.
func TestGitOpsRepositories(t *testing.T) {
	type want map[string]string // alert name -> outcome
	tests := []struct {
		repo   string
		mode   match.Mode
		opts   []fluxnotify.Option
		events map[string]want
	}{
		{repo: "home-ops-alertmanager", mode: match.Flux, events: map[string]want{
			"ks-apps-failed":    {"alert-manager": "deliver", "github": "deliver"},
			"ks-apps-succeeded": {"github": "deliver"},
			"ks-apps-applied":   {"github": "skip"},
			"git-clone-failed":  {},
			"hr-podinfo-failed": {},
		}},
		{repo: "flux-slack-v1beta2", mode: match.Flux, events: map[string]want{
			"ks-apps-failed":      {"on-call-webapp": "deliver"},
			"ks-apps-succeeded":   {"on-call-webapp": "skip"},
			"ks-apps-applied":     {"on-call-webapp": "deliver"},
			"git-clone-failed":    {"on-call-webapp": "deliver"},
			"hr-podinfo-failed":   {"podinfo-errors": "deliver"},
			"hr-podinfo-upgraded": {},
		}},
		{repo: "discord-v1beta1", mode: match.Flux, events: map[string]want{
			"hr-podinfo-upgraded": {"discord": "deliver"},
			"ks-apps-succeeded":   {"discord": "skip"},
			"ks-apps-failed":      {"discord": "deliver"},
			"ks-tenant-failed":    {},
		}},
		{repo: "msteams-tenants", mode: match.Flux, events: map[string]want{
			"ks-tenant-failed": {"frontend-alerts": "deliver", "tenants": "deliver"},
			"ks-apps-failed":   {},
		}},
		{repo: "msteams-tenants", mode: match.Flux, opts: []fluxnotify.Option{fluxnotify.WithNoCrossNamespaceRefs()}, events: map[string]want{
			"ks-tenant-failed": {"frontend-alerts": "deliver"},
		}},
		{repo: "matrix-substitution", mode: match.Flux, events: map[string]want{
			"ks-apps-failed":    {"matrix": "deliver", "telegram": "deliver"},
			"ks-apps-succeeded": {"matrix": "skip"},
			"ks-apps-applied":   {"matrix": "deliver"},
			"git-clone-failed":  {"matrix": "deliver"},
		}},
		{repo: "generic-ntfy", mode: match.Flux, events: map[string]want{
			"ks-apps-failed":      {"ntfy": "deliver"},
			"ks-apps-succeeded":   {"ntfy": "deliver"},
			"ks-apps-applied":     {},
			"hr-podinfo-failed":   {"audit": "deliver"},
			"hr-podinfo-upgraded": {"audit": "deliver"},
		}},
		{repo: "generic-ntfy", mode: match.Extended, events: map[string]want{
			// Extended mode: an alert without eventSeverity takes errors only.
			"hr-podinfo-failed":   {"audit": "deliver"},
			"hr-podinfo-upgraded": {},
		}},
		{repo: "gitlab-commit-status", mode: match.Flux, events: map[string]want{
			"ks-apps-succeeded":   {"gitlab-kustomizations": "deliver"},
			"ks-apps-applied":     {"gitlab-kustomizations": "skip"},
			"ks-apps-failed":      {"gitlab-kustomizations": "deliver"},
			"hr-podinfo-failed":   {"gitlab-helmreleases": "skip"}, // 6.7.1 names no commit
			"hr-podinfo-upgraded": {"gitlab-helmreleases": "skip"},
		}},
		{repo: "opsgenie-helm", mode: match.Flux, events: map[string]want{
			"hr-podinfo-failed":   {"helm-failures": "deliver", "helm-pages": "suspended", "helm-events": "deliver"},
			"hr-podinfo-upgraded": {"helm-events": "deliver"},
			"ks-apps-failed":      {},
		}},
		{repo: "github-dispatch", mode: match.Flux, events: map[string]want{
			"image-updated":     {"github-dispatch": "deliver"},
			"ks-apps-succeeded": {"github-dispatch": "skip"},
			"ks-apps-failed":    {"github-dispatch": "deliver"},
		}},
		{repo: "pr-comments", mode: match.Flux, events: map[string]want{
			"ks-preview-pr":   {"pr-comments": "deliver", "chat": "deliver"},
			"ks-apps-failed":  {"pr-comments": "skip"},
			"ks-apps-applied": {"pr-comments": "skip"},
		}},
		{repo: "legacy-mixed", mode: match.Flux, events: map[string]want{
			"git-clone-failed":    {"rocket": "deliver"},
			"ks-apps-failed":      {"rocket": "deliver"},
			"hr-podinfo-failed":   {"webex": "deliver"},
			"hr-podinfo-upgraded": {},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.repo+"/"+tt.mode.String(), func(t *testing.T) {
			cfg, err := fluxnotify.LoadFiles(filepath.Join("testdata", "gitops", tt.repo))
			require.NoError(t, err)
			d, err := fluxnotify.New(cfg, append([]fluxnotify.Option{fluxnotify.WithMode(tt.mode)}, tt.opts...)...)
			require.NoError(t, err)
			defer d.Shutdown(context.Background())
			names := make([]string, 0, len(tt.events))
			for name := range tt.events {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				t.Run(name, func(t *testing.T) {
					e := readGitOpsEvent(t, name)
					routing, err := d.Route(context.Background(), e)
					require.NoError(t, err)
					got := want{}
					for _, r := range routing.Routes {
						_, alertName, _ := cut(r.Alert)
						got[alertName] = routeOutcome(t, r)
					}
					assert.Equal(t, tt.events[name], got, "routes: %+v\nunmatched: %+v", routing.Routes, routing.Unmatched)
				})
			}
		})
	}
}

// routeOutcome names what Flux would do with a route: "deliver", "skip"
// (a delivery rule drops it) or "suspended". A route of a type that has no
// notifier in the default registry is one Flux delivers: it is "deliver"
// too, and its Notifier field is checked apart.
func routeOutcome(t *testing.T, r fluxnotify.Route) string {
	t.Helper()
	hasNotifier := slices.Contains([]string{"slack", "discord", "rocket"}, r.Type)
	assert.Equal(t, hasNotifier, r.Notifier, "route %s (type %s): Notifier", r.Alert, r.Type)
	switch {
	case errors.Is(r.Err, fluxnotify.ErrSuspended):
		return "suspended"
	case errors.Is(r.Err, provider.ErrSkipped):
		return "skip"
	case r.Err == nil, !hasNotifier && errors.Is(r.Err, provider.ErrNoNotifier):
		return "deliver"
	default:
		t.Errorf("route %s: unexpected error: %v", r.Alert, r.Err)
		return "error"
	}
}

func cut(nsName string) (ns, name string, ok bool) {
	for i := range len(nsName) {
		if nsName[i] == '/' {
			return nsName[:i], nsName[i+1:], true
		}
	}
	return "", nsName, false
}

func readGitOpsEvent(t *testing.T, name string) *event.Event {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gitops", "events", name+".json"))
	require.NoError(t, err)
	defer f.Close()
	e, err := event.Decode(f)
	require.NoError(t, err)
	return e
}
