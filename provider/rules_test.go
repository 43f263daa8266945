package provider_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
)

const sha = "5394cb7f48332b2de7c17dd8b8384bbc84b7e738"

// ksEvent is a Kustomization event with the given severity, reason and
// metadata.
func ksEvent(severity, reason string, md map[string]string) *event.Event {
	return &event.Event{
		InvolvedObject: corev1.ObjectReference{
			APIVersion: "kustomize.toolkit.fluxcd.io/v1", Kind: "Kustomization",
			Namespace: "flux-system", Name: "apps",
		},
		Severity: severity, Reason: reason, Message: "m", Metadata: md,
		ReportingController: "kustomize-controller",
	}
}

func typed(typ string) *provider.Provider {
	return &provider.Provider{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "flux-system"}, Spec: provider.Spec{Type: typ}}
}

var (
	commitStatusUpdate = map[string]string{
		"kustomize.toolkit.fluxcd.io/commit_status": "update",
		"kustomize.toolkit.fluxcd.io/revision":      "main@sha1:" + sha,
	}
	withCommitKey = map[string]string{
		"event.toolkit.fluxcd.io/commit":       sha,
		"kustomize.toolkit.fluxcd.io/revision": "main@sha1:" + sha,
	}
	revisionOnly = map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:" + sha}
)

// TestSkip_commitStatusUpdate mirrors the first check of Flux's
// getNotificationParams (internal/server/event_handlers.go) with
// isCommitStatusUpdate, isCommitStatusProvider and isGenericProvider
// (internal/server/provider_commit_status.go): a commit-status update goes
// only to Git commit-status types and generic types.
func TestSkip_commitStatusUpdate(t *testing.T) {
	tests := []struct {
		name string
		e    *event.Event
		typ  string
		want provider.SkipRule
	}{
		{"slack skips an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "slack", provider.SkipCommitStatusUpdate},
		{"msteams skips an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "msteams", provider.SkipCommitStatusUpdate},
		{"a custom type skips an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "teams-echo", provider.SkipCommitStatusUpdate},
		{"a change-request type skips an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "githubpullrequestcomment", provider.SkipCommitStatusUpdate},
		{"github takes an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "github", provider.NoSkip},
		{"azuredevops takes an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "azuredevops", provider.NoSkip},
		{"generic takes an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "generic", provider.NoSkip},
		{"generic-hmac takes an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "generic-hmac", provider.NoSkip},
		{"an error update is still an update", ksEvent("error", "HealthCheckFailed", commitStatusUpdate), "slack", provider.SkipCommitStatusUpdate},
		{"slack takes other events", ksEvent("info", "ReconciliationSucceeded", revisionOnly), "slack", provider.NoSkip},
		{"the value must be update", ksEvent("info", "ReconciliationSucceeded", map[string]string{"kustomize.toolkit.fluxcd.io/commit_status": "Update"}), "slack", provider.NoSkip},
		{"the key is under the object's own group", ksEvent("info", "ReconciliationSucceeded", map[string]string{"helm.toolkit.fluxcd.io/commit_status": "update"}), "slack", provider.NoSkip},
		{"not under the event group", ksEvent("info", "ReconciliationSucceeded", map[string]string{"event.toolkit.fluxcd.io/commit_status": "update"}), "slack", provider.NoSkip},
		{"core group: the key is /commit_status", func() *event.Event {
			e := ksEvent("info", "x", map[string]string{"/commit_status": "update"})
			e.InvolvedObject.APIVersion = "v1"
			return e
		}(), "slack", provider.SkipCommitStatusUpdate},
		{"a malformed apiVersion has no group", func() *event.Event {
			e := ksEvent("info", "x", map[string]string{"a/commit_status": "update"})
			e.InvolvedObject.APIVersion = "a/b/c"
			return e
		}(), "slack", provider.NoSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, provider.Skip(tt.e, nil, typed(tt.typ)))
		})
	}
}

// TestSkip_commitStatusProvider mirrors the second check of Flux's
// getNotificationParams with hasCommitKey: a commit-status type takes only
// events with event.toolkit.fluxcd.io/commit, commit-status updates and
// errors.
func TestSkip_commitStatusProvider(t *testing.T) {
	tests := []struct {
		name string
		e    *event.Event
		typ  string
		want provider.SkipRule
	}{
		{"info without the commit key", ksEvent("info", "ReconciliationSucceeded", revisionOnly), "github", provider.SkipNoCommit},
		{"every git type", ksEvent("info", "ReconciliationSucceeded", revisionOnly), "gitea", provider.SkipNoCommit},
		{"bitbucketserver too", ksEvent("info", "ReconciliationSucceeded", revisionOnly), "bitbucketserver", provider.SkipNoCommit},
		{"with the commit key", ksEvent("info", "ReconciliationSucceeded", withCommitKey), "github", provider.NoSkip},
		{"an empty commit key is none", ksEvent("info", "ReconciliationSucceeded", map[string]string{"event.toolkit.fluxcd.io/commit": "", "kustomize.toolkit.fluxcd.io/revision": "main@sha1:" + sha}), "gitlab", provider.SkipNoCommit},
		{"an update", ksEvent("info", "ReconciliationSucceeded", commitStatusUpdate), "gitlab", provider.NoSkip},
		{"an error", ksEvent("error", "HealthCheckFailed", revisionOnly), "bitbucket", provider.NoSkip},
		{"severity is compared exactly", ksEvent("Error", "HealthCheckFailed", revisionOnly), "bitbucket", provider.SkipNoCommit},
		{"other types do not need the key", ksEvent("info", "ReconciliationSucceeded", revisionOnly), "generic", provider.NoSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, provider.Skip(tt.e, nil, typed(tt.typ)))
		})
	}
}

// TestSkip_changeRequest mirrors the third check of Flux's
// getNotificationParams with isChangeRequestProvider and
// hasChangeRequestKey (internal/server/provider_change_request.go).
func TestSkip_changeRequest(t *testing.T) {
	withCR := map[string]string{"event.toolkit.fluxcd.io/change_request": "42"}
	tests := []struct {
		name string
		e    *event.Event
		typ  string
		want provider.SkipRule
	}{
		{"github comment without the key", ksEvent("info", "x", revisionOnly), "githubpullrequestcomment", provider.SkipNoChangeRequest},
		{"gitlab comment without the key", ksEvent("error", "x", nil), "gitlabmergerequestcomment", provider.SkipNoChangeRequest},
		{"gitea comment without the key", ksEvent("info", "x", nil), "giteapullrequestcomment", provider.SkipNoChangeRequest},
		{"with the key", ksEvent("info", "x", withCR), "githubpullrequestcomment", provider.NoSkip},
		{"an empty key is none", ksEvent("info", "x", map[string]string{"event.toolkit.fluxcd.io/change_request": ""}), "githubpullrequestcomment", provider.SkipNoChangeRequest},
		{"under the object's group it is not the key", ksEvent("info", "x", map[string]string{"kustomize.toolkit.fluxcd.io/change_request": "42"}), "githubpullrequestcomment", provider.SkipNoChangeRequest},
		{"other types do not need it", ksEvent("info", "x", nil), "slack", provider.NoSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, provider.Skip(tt.e, nil, typed(tt.typ)))
		})
	}
}

// TestSkip_gitNotifiers mirrors the Post methods of Flux's Git notifiers
// (internal/notifier/github.go, gitlab.go, bitbucket.go,
// bitbucketserver.go, azure_devops.go: Progressing events are ignored;
// gitea.go posts them as pending), Event.GetRevision on the metadata that
// combineEventMetadata merged, and parseRevision (internal/notifier/util.go,
// with fluxcd/pkg/git TransformRevision and ExtractHashFromRevision).
func TestSkip_gitNotifiers(t *testing.T) {
	tests := []struct {
		name  string
		e     *event.Event
		alert *alert.Alert
		typ   string
		want  provider.SkipRule
	}{
		{"github ignores Progressing", ksEvent("info", "Progressing", withCommitKey), nil, "github", provider.SkipProgressing},
		{"azuredevops ignores Progressing", ksEvent("info", "Progressing", withCommitKey), nil, "azuredevops", provider.SkipProgressing},
		{"gitea posts Progressing as pending", ksEvent("info", "Progressing", withCommitKey), nil, "gitea", provider.NoSkip},
		{"the reason is compared exactly", ksEvent("info", "progressing", withCommitKey), nil, "github", provider.NoSkip},
		{"Progressing is not the notifier's business for slack", ksEvent("info", "Progressing", nil), nil, "slack", provider.NoSkip},
		{"an error without revision", ksEvent("error", "HealthCheckFailed", nil), nil, "github", provider.SkipNoRevision},
		{"main@sha1:<hash>", ksEvent("error", "x", revisionOnly), nil, "github", provider.NoSkip},
		{"sha1:<hash>", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": "sha1:" + sha}), nil, "github", provider.NoSkip},
		{"a bare hash", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": sha}), nil, "github", provider.NoSkip},
		{"legacy main/<hash>", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main/" + sha}), nil, "github", provider.NoSkip},
		{"legacy HEAD/<hash>", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": "HEAD/" + sha}), nil, "github", provider.NoSkip},
		{"a tag", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": "v1.2.3@sha1:" + sha}), nil, "github", provider.NoSkip},
		{"a chart version", func() *event.Event {
			e := ksEvent("error", "UpgradeFailed", map[string]string{"helm.toolkit.fluxcd.io/revision": "0.28.0"})
			e.InvolvedObject.APIVersion, e.InvolvedObject.Kind = "helm.toolkit.fluxcd.io/v2", "HelmRelease"
			return e
		}(), nil, "github", provider.SkipRevisionNotCommit},
		{"a short hash", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": "main@sha1:5394cb7"}), nil, "github", provider.SkipRevisionNotCommit},
		{"sha256 is not known to Flux", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": "sha256:" + strings.Repeat("a", 64)}), nil, "github", provider.SkipRevisionNotCommit},
		{"an empty revision is present", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": ""}), nil, "github", provider.SkipRevisionNotCommit},
		{"commit wins over revision", ksEvent("info", "x", map[string]string{"event.toolkit.fluxcd.io/commit": sha, "kustomize.toolkit.fluxcd.io/revision": "0.1.0"}), nil, "github", provider.NoSkip},
		{"originRevision wins over revision", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/originRevision": "main@sha1:" + sha, "kustomize.toolkit.fluxcd.io/revision": "0.1.0"}), nil, "github", provider.NoSkip},
		{"a revision under another group is dropped by the merge", ksEvent("error", "x", map[string]string{"source.toolkit.fluxcd.io/revision": "main@sha1:" + sha}), nil, "github", provider.SkipNoRevision},
		{"unprefixed keys count when nothing else merges", ksEvent("error", "x", map[string]string{"revision": "main@sha1:" + sha}), nil, "github", provider.NoSkip},
		{"unprefixed keys are dropped when something merges", ksEvent("error", "x", map[string]string{"revision": "main@sha1:" + sha, "kustomize.toolkit.fluxcd.io/x": "y"}), nil, "github", provider.SkipNoRevision},
		{"the alert's eventMetadata merges", ksEvent("error", "x", nil), &alert.Alert{Spec: alert.Spec{EventMetadata: map[string]string{"revision": sha}}}, "github", provider.NoSkip},
		{"the object's keys win over the alert's", ksEvent("error", "x", map[string]string{"kustomize.toolkit.fluxcd.io/revision": "0.1.0"}), &alert.Alert{Spec: alert.Spec{EventMetadata: map[string]string{"revision": sha}}}, "github", provider.SkipRevisionNotCommit},
		{"a summary alone makes the merge non-empty", ksEvent("error", "x", map[string]string{"revision": sha}), &alert.Alert{Spec: alert.Spec{Summary: "prod"}}, "github", provider.SkipNoRevision},
		{"gitea needs a revision too", ksEvent("error", "x", nil), nil, "gitea", provider.SkipNoRevision},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, provider.Skip(tt.e, tt.alert, typed(tt.typ)))
		})
	}
}

func TestSkipRule(t *testing.T) {
	rules := []provider.SkipRule{provider.NoSkip, provider.SkipCommitStatusUpdate, provider.SkipNoCommit,
		provider.SkipNoChangeRequest, provider.SkipProgressing, provider.SkipNoRevision, provider.SkipRevisionNotCommit}
	seen := map[string]bool{}
	for _, r := range rules {
		assert.NotEqual(t, "unknown", r.String())
		assert.False(t, seen[r.String()], "names are unique")
		seen[r.String()] = true
		assert.NotEmpty(t, r.Reason())
	}
	assert.False(t, provider.SkipNoCommit.ByNotifier())
	assert.True(t, provider.SkipProgressing.ByNotifier())
	err := error(&provider.SkipError{Rule: provider.SkipCommitStatusUpdate})
	assert.ErrorIs(t, err, provider.ErrSkipped)
	var se *provider.SkipError
	assert.True(t, errors.As(err, &se))
	assert.Equal(t, "skipped by Flux's delivery rule commit-status-update: "+provider.SkipCommitStatusUpdate.Reason(), err.Error())
	assert.Equal(t, provider.NoSkip, provider.Skip(nil, nil, typed("slack")))
}

// FuzzSkip checks that Skip never panics and keeps the rules' invariants
// whatever the event: only Git commit-status types get their rules, only
// change-request types theirs, and generic types are never skipped.
func FuzzSkip(f *testing.F) {
	f.Add("kustomize.toolkit.fluxcd.io/v1", "info", "Progressing", "kustomize.toolkit.fluxcd.io/commit_status", "update", "github", "main@sha1:"+sha)
	f.Add("v1", "error", "x", "/commit_status", "update", "slack", "0.28.0")
	f.Add("a/b/c", "error", "", "event.toolkit.fluxcd.io/change_request", "1", "githubpullrequestcomment", "HEAD/")
	f.Fuzz(func(t *testing.T, apiVersion, severity, reason, key, value, typ, revision string) {
		e := ksEvent(severity, reason, map[string]string{key: value, "kustomize.toolkit.fluxcd.io/revision": revision})
		e.InvolvedObject.APIVersion = apiVersion
		rule := provider.Skip(e, nil, typed(typ))
		if rule.ByNotifier() || rule == provider.SkipNoCommit {
			assert.True(t, provider.IsCommitStatusType(typ), "%s for %q", rule, typ)
		}
		if provider.IsGenericType(typ) {
			assert.Equal(t, provider.NoSkip, rule)
		}
		if rule == provider.SkipNoChangeRequest {
			assert.True(t, provider.IsChangeRequestType(typ))
		}
		assert.NotEqual(t, "unknown", rule.String())
	})
}
