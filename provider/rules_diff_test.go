package provider_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
)

// fluxEventServerSkips restates, as plainly as notification-controller
// v1.9.3 writes them, the three checks of getNotificationParams
// (internal/server/event_handlers.go) that drop an alert/provider pair
// after matching, with isCommitStatusProvider, isGenericProvider,
// isCommitStatusUpdate, hasCommitKey (provider_commit_status.go),
// isChangeRequestProvider and hasChangeRequestKey
// (provider_change_request.go). It shares no code with provider.Skip.
func fluxEventServerSkips(e *event.Event, typ string) bool {
	gitTypes := []string{"github", "gitlab", "gitea", "bitbucketserver", "bitbucket", "azuredevops"}
	isCommitStatusProvider := slices.Contains(gitTypes, typ)
	isGenericProvider := typ == "generic" || typ == "generic-hmac"
	group := e.InvolvedObject.GroupVersionKind().Group
	isCommitStatusUpdate := e.Metadata[group+"/commit_status"] == "update"
	hasCommitKey := e.Metadata["event.toolkit.fluxcd.io/commit"] != ""
	isChangeRequestProvider := typ == "githubpullrequestcomment" || typ == "gitlabmergerequestcomment" || typ == "giteapullrequestcomment"
	hasChangeRequestKey := e.Metadata["event.toolkit.fluxcd.io/change_request"] != ""

	if !isCommitStatusProvider && !isGenericProvider && isCommitStatusUpdate {
		return true
	}
	if isCommitStatusProvider && !hasCommitKey && !isCommitStatusUpdate && e.Severity != "error" {
		return true
	}
	return isChangeRequestProvider && !hasChangeRequestKey
}

// randomSkipEvent builds an event from the pieces the rules read: the
// involved object's API version (so its group), the severity and the
// metadata keys, each present, empty or absent, some under another group.
func randomSkipEvent(r *rand.Rand) *event.Event {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	e := &event.Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: pick("kustomize.toolkit.fluxcd.io/v1", "helm.toolkit.fluxcd.io/v2", "source.toolkit.fluxcd.io/v1", "v1", "a/b/c", ""),
			Kind:       "Kustomization", Namespace: "flux-system", Name: "apps",
		},
		Severity: pick("info", "error", "warn", "", "Error"),
		Reason:   pick("ReconciliationSucceeded", "Progressing", "HealthCheckFailed"),
		Message:  "m",
		Metadata: map[string]string{},
	}
	keys := []string{
		"kustomize.toolkit.fluxcd.io/commit_status", "helm.toolkit.fluxcd.io/commit_status",
		"source.toolkit.fluxcd.io/commit_status", "/commit_status", "commit_status",
		"event.toolkit.fluxcd.io/commit", "event.toolkit.fluxcd.io/change_request",
		"kustomize.toolkit.fluxcd.io/commit", "kustomize.toolkit.fluxcd.io/change_request",
	}
	for _, k := range keys {
		if r.IntN(3) == 0 {
			v := pick("update", "", "42", "Update")
			if strings.HasSuffix(k, "/commit") {
				v = pick("", "9a1b2c3d4e5f60718293a4b5c6d7e8f901234567")
			}
			e.Metadata[k] = v
		}
	}
	return e
}

// TestSkip_differential compares provider.Skip with the restatement of
// Flux's getNotificationParams on random events, for every Flux type: the
// event server's rules (those that are not ByNotifier) must skip exactly
// the pairs Flux skips.
func TestSkip_differential(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	skipped := 0
	for range 3000 {
		e := randomSkipEvent(r)
		for _, typ := range provider.FluxTypes() {
			rule := provider.Skip(e, nil, typed(typ))
			got := rule != provider.NoSkip && !rule.ByNotifier()
			if want := fluxEventServerSkips(e, typ); got != want {
				t.Fatalf("type %s, event %+v (metadata %v): Skip = %s, Flux skips: %v", typ, e.InvolvedObject, e.Metadata, rule, want)
			}
			if got {
				skipped++
			}
		}
	}
	if skipped == 0 {
		t.Fatal("no pair was skipped: the generator does not reach the rules")
	}
}

// FuzzSkipDifferential drives the same comparison from fuzzed events.
func FuzzSkipDifferential(f *testing.F) {
	f.Add("kustomize.toolkit.fluxcd.io/v1", "info", "kustomize.toolkit.fluxcd.io/commit_status", "update", "")
	f.Add("helm.toolkit.fluxcd.io/v2", "error", "event.toolkit.fluxcd.io/change_request", "1", "")
	f.Add("v1", "info", "/commit_status", "update", "sha")
	f.Fuzz(func(t *testing.T, apiVersion, severity, key, value, commit string) {
		e := ksEvent(severity, "r", map[string]string{key: value})
		e.InvolvedObject.APIVersion = apiVersion
		if commit != "" {
			e.Metadata["event.toolkit.fluxcd.io/commit"] = commit
		}
		for _, typ := range provider.FluxTypes() {
			rule := provider.Skip(e, nil, typed(typ))
			got := rule != provider.NoSkip && !rule.ByNotifier()
			if want := fluxEventServerSkips(e, typ); got != want {
				t.Fatalf("type %s, apiVersion %q, metadata %v: Skip = %s, Flux skips: %v", typ, apiVersion, e.Metadata, rule, want)
			}
		}
	})
}
