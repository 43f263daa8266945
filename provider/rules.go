package provider

import (
	"errors"
	"strings"

	eventv1 "github.com/fluxcd/pkg/apis/event/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
)

// ErrSkipped is wrapped (through a *SkipError) by the error of a route or
// result that one of Flux's delivery rules skips: the alert matched, and
// Flux would send nothing to that provider on purpose. It is not a failure.
var ErrSkipped = errors.New("not delivered, as Flux does not deliver it")

// SkipRule names one of the rules by which Flux does not deliver an event
// to the provider of an alert that matched it. See Skip.
type SkipRule uint8

// The delivery rules, in the order Flux applies them.
const (
	// NoSkip means the event is delivered.
	NoSkip SkipRule = iota
	// SkipCommitStatusUpdate: the event is a commit-status update (metadata
	// "<involved object's API group>/commit_status" is "update") and the
	// provider neither sets commit statuses nor is generic (Flux's
	// getNotificationParams, first check).
	SkipCommitStatusUpdate
	// SkipNoCommit: the provider sets commit statuses and the event has no
	// "event.toolkit.fluxcd.io/commit" metadata, is not a commit-status
	// update and is not an error (getNotificationParams).
	SkipNoCommit
	// SkipNoChangeRequest: the provider comments on pull or merge requests
	// and the event has no "event.toolkit.fluxcd.io/change_request"
	// metadata (getNotificationParams).
	SkipNoChangeRequest
	// SkipProgressing: the provider sets commit statuses (every Git type
	// but gitea, which posts a pending status) and the event's reason is
	// Progressing (the Post method of Flux's GitHub, GitLab, Bitbucket,
	// Bitbucket Server and Azure DevOps notifiers).
	SkipProgressing
	// SkipNoRevision: the provider sets commit statuses and the
	// notification's metadata has no revision ("commit", "originRevision"
	// or "revision", once merged as Flux merges it): Flux's notifier fails
	// with "missing revision metadata" and posts nothing.
	SkipNoRevision
	// SkipRevisionNotCommit: the provider sets commit statuses and the
	// revision names no Git commit (a chart version such as 0.28.0, an OCI
	// digest): Flux's notifier fails with "failed to extract commit hash"
	// and posts nothing.
	SkipRevisionNotCommit
)

// String returns the rule's short name, for example "commit-status-update".
func (r SkipRule) String() string {
	switch r {
	case NoSkip:
		return "none"
	case SkipCommitStatusUpdate:
		return "commit-status-update"
	case SkipNoCommit:
		return "no-commit"
	case SkipNoChangeRequest:
		return "no-change-request"
	case SkipProgressing:
		return "progressing"
	case SkipNoRevision:
		return "no-revision"
	case SkipRevisionNotCommit:
		return "revision-not-commit"
	}
	return "unknown"
}

// Reason says, in words, why the rule skips the event.
func (r SkipRule) Reason() string {
	switch r {
	case NoSkip:
		return "the event is delivered"
	case SkipCommitStatusUpdate:
		return "a commit-status update goes only to Git commit-status providers and generic ones"
	case SkipNoCommit:
		return "a commit-status provider takes only events with event.toolkit.fluxcd.io/commit metadata, commit-status updates and errors"
	case SkipNoChangeRequest:
		return "a change-request provider takes only events with event.toolkit.fluxcd.io/change_request metadata"
	case SkipProgressing:
		return "a commit-status provider ignores Progressing events"
	case SkipNoRevision:
		return "a commit-status provider needs a revision in the event's metadata (commit, originRevision or revision)"
	case SkipRevisionNotCommit:
		return "a commit-status provider needs a revision that names a Git commit (main@sha1:<hash>, sha1:<hash> or a 40-character hash), not a version"
	}
	return "unknown rule"
}

// ByNotifier reports whether Flux applies the rule in its notifier (once
// the provider's notifier is built) rather than in its event server: it
// comes after the check of spec.serviceAccountName.
func (r SkipRule) ByNotifier() bool {
	return r == SkipProgressing || r == SkipNoRevision || r == SkipRevisionNotCommit
}

// SkipError is the error of a route or result that a rule skips. It wraps
// ErrSkipped; errors.As gives the rule.
type SkipError struct {
	// Rule is the rule that skipped the event.
	Rule SkipRule
}

// Error names the rule and says why.
func (e *SkipError) Error() string {
	return "skipped by Flux's delivery rule " + e.Rule.String() + ": " + e.Rule.Reason()
}

// Unwrap returns ErrSkipped.
func (e *SkipError) Unwrap() error { return ErrSkipped }

// Skip returns the first of Flux's delivery rules by which e, matched by
// alert a, is not delivered to provider p, or NoSkip. It is pure: it reads
// e, a (its eventMetadata and summary, which Flux merges into the metadata
// before its notifiers look for the revision) and p's spec.type, and
// nothing else. a may be nil.
//
// The rules, in Flux's order (notification-controller's
// getNotificationParams, then its Git notifiers' Post):
//
//   - a commit-status update (metadata "<group>/commit_status" is
//     "update", group being the involved object's API group) goes only to
//     Git commit-status types and generic types (SkipCommitStatusUpdate);
//   - a Git commit-status type takes only events with
//     "event.toolkit.fluxcd.io/commit", commit-status updates and errors
//     (SkipNoCommit);
//   - a change-request type takes only events with
//     "event.toolkit.fluxcd.io/change_request" (SkipNoChangeRequest);
//   - a Git commit-status type other than gitea ignores Progressing events
//     (SkipProgressing), and every one needs a revision (SkipNoRevision)
//     that names a commit (SkipRevisionNotCommit).
//
// Suspended providers and spec.serviceAccountName are the Dispatcher's
// business; Flux checks the first before these rules, the second between
// the rules that are not ByNotifier and those that are.
func Skip(e *event.Event, a *alert.Alert, p *Provider) SkipRule {
	if e == nil || p == nil {
		return NoSkip
	}
	typ := p.Spec.Type
	commitStatus := IsCommitStatusType(typ)
	update := isCommitStatusUpdate(e)
	switch {
	case update && !commitStatus && !IsGenericType(typ):
		return SkipCommitStatusUpdate
	case commitStatus && e.Metadata[event.ObjectGroup+"/"+eventv1.MetaCommitKey] == "" && !update && e.Severity != eventv1.EventSeverityError:
		return SkipNoCommit
	case IsChangeRequestType(typ) && e.Metadata[event.ObjectGroup+"/"+eventv1.MetaChangeRequestKey] == "":
		return SkipNoChangeRequest
	case !commitStatus:
		return NoSkip
	}
	if typ != TypeGitea && e.Reason == "Progressing" {
		return SkipProgressing
	}
	rev, ok := notificationRevision(e, a)
	if !ok {
		return SkipNoRevision
	}
	if !namesCommit(rev) {
		return SkipRevisionNotCommit
	}
	return NoSkip
}

// isCommitStatusUpdate mirrors Flux's isCommitStatusUpdate: the key's group
// is the involved object's, parsed as Kubernetes parses an apiVersion ("" for
// "v1" and for a malformed one).
func isCommitStatusUpdate(e *event.Event) bool {
	if len(e.Metadata) == 0 {
		return false
	}
	group := e.InvolvedObject.GroupVersionKind().Group
	// The key is built on the stack: m[string(b)] does not allocate.
	var buf [96]byte
	key := append(append(append(buf[:0], group...), '/'), eventv1.MetaCommitStatusKey...)
	return e.Metadata[string(key)] == eventv1.MetaCommitStatusUpdateValue
}

// notificationRevision is the revision Flux's Git notifiers read
// (Event.GetRevision: "commit", then "originRevision", then "revision",
// present even if empty) from the metadata as Flux's event server merges
// it (combineEventMetadata): event.toolkit.fluxcd.io/* keys, the alert's
// eventMetadata, its summary, then the involved object's group keys, with
// their prefixes stripped; when that merge is empty, the event's metadata
// as it came.
func notificationRevision(e *event.Event, a *alert.Alert) (string, bool) {
	md := make(map[string]string)
	for k, v := range e.Metadata {
		if rest, ok := strings.CutPrefix(k, event.ObjectGroup+"/"); ok {
			md[rest] = v
		}
	}
	if a != nil {
		for k, v := range a.Spec.EventMetadata {
			md[k] = v
		}
		if a.Spec.Summary != "" {
			md[event.MetaSummaryKey] = a.Spec.Summary
		}
	}
	groupPrefix := e.InvolvedObject.GroupVersionKind().Group + "/"
	for k, v := range e.Metadata {
		if rest, ok := strings.CutPrefix(k, groupPrefix); ok {
			md[rest] = v
		}
	}
	if len(md) == 0 {
		md = e.Metadata
	}
	for _, k := range [...]string{eventv1.MetaCommitKey, eventv1.MetaOriginRevisionKey, eventv1.MetaRevisionKey} {
		if v, ok := md[k]; ok {
			return v, true
		}
	}
	return "", false
}

// namesCommit reports whether Flux's Git notifiers find a commit in rev
// (their parseRevision): the revision is first brought to the
// "<pointer>@<algorithm>:<hash>" form (a legacy "main/<hash>" becomes
// "main@sha1:<hash>"), then its hash is taken; a hash is a commit when it
// is 40 characters long (SHA-1; Flux knows no other).
func namesCommit(rev string) bool {
	return len(hashOf(legacyToDigest(rev))) == 40
}

// legacyToDigest mirrors fluxcd/pkg/git TransformRevision.
func legacyToDigest(rev string) string {
	if rev == "" || strings.Contains(rev, ":") {
		return rev
	}
	pointer, hash := pointerOf(rev), hashOf(rev)
	digest := ""
	if hash != "" {
		alg := "<unknown>"
		if len(hash) == 40 {
			alg = "sha1"
		}
		digest = alg + ":" + hash
	}
	if pointer == "" {
		return digest
	}
	return pointer + "@" + digest
}

// pointerOf mirrors fluxcd/pkg/git ExtractNamedPointerFromRevision.
func pointerOf(rev string) string {
	if i := strings.LastIndexByte(rev, '@'); i >= 0 {
		return rev[:i]
	}
	if i := strings.LastIndexByte(rev, '/'); i >= 0 && rev[:i] != "HEAD" {
		return rev[:i]
	}
	return ""
}

// hashOf mirrors fluxcd/pkg/git ExtractHashFromRevision.
func hashOf(rev string) string {
	if i := strings.LastIndexByte(rev, ':'); i >= 0 {
		return rev[i+1:]
	}
	if i := strings.LastIndexByte(rev, '/'); i >= 0 {
		return rev[i+1:]
	}
	return rev
}
