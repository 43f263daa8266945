package provider

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fluxnotify/fluxnotify/internal/suggest"
)

// The provider types of Flux's notification.toolkit.fluxcd.io/v1beta3
// Provider (its spec.type enum), as Flux names them. Every one loads,
// validates and routes; which ones deliver depends on the notifiers
// registered (by default: slack, discord and rocket, see package slack).
const (
	TypeSlack                     = "slack"
	TypeDiscord                   = "discord"
	TypeMSTeams                   = "msteams"
	TypeRocket                    = "rocket"
	TypeGeneric                   = "generic"
	TypeGenericHMAC               = "generic-hmac"
	TypeGitHub                    = "github"
	TypeGitLab                    = "gitlab"
	TypeGitea                     = "gitea"
	TypeGiteaPullRequestComment   = "giteapullrequestcomment"
	TypeBitbucketServer           = "bitbucketserver"
	TypeBitbucket                 = "bitbucket"
	TypeAzureDevOps               = "azuredevops"
	TypeGoogleChat                = "googlechat"
	TypeGooglePubSub              = "googlepubsub"
	TypeWebex                     = "webex"
	TypeSentry                    = "sentry"
	TypeAzureEventHub             = "azureeventhub"
	TypeTelegram                  = "telegram"
	TypeLark                      = "lark"
	TypeMatrix                    = "matrix"
	TypeOpsgenie                  = "opsgenie"
	TypeAlertmanager              = "alertmanager"
	TypeGrafana                   = "grafana"
	TypeGitHubDispatch            = "githubdispatch"
	TypeGitHubPullRequestComment  = "githubpullrequestcomment"
	TypeGitLabMergeRequestComment = "gitlabmergerequestcomment"
	TypePagerDuty                 = "pagerduty"
	TypeDatadog                   = "datadog"
	TypeNATS                      = "nats"
	TypeZulip                     = "zulip"
	TypeOTel                      = "otel"
	TypeZoom                      = "zoom"
	TypeIncidentIO                = "incident.io"
)

// fluxTypes is Flux's enum, in Flux's order.
var fluxTypes = [...]string{
	TypeSlack, TypeDiscord, TypeMSTeams, TypeRocket, TypeGeneric, TypeGenericHMAC,
	TypeGitHub, TypeGitLab, TypeGitea, TypeGiteaPullRequestComment, TypeBitbucketServer,
	TypeBitbucket, TypeAzureDevOps, TypeGoogleChat, TypeGooglePubSub, TypeWebex, TypeSentry,
	TypeAzureEventHub, TypeTelegram, TypeLark, TypeMatrix, TypeOpsgenie, TypeAlertmanager,
	TypeGrafana, TypeGitHubDispatch, TypeGitHubPullRequestComment,
	TypeGitLabMergeRequestComment, TypePagerDuty, TypeDatadog, TypeNATS, TypeZulip, TypeOTel,
	TypeZoom, TypeIncidentIO,
}

// FluxTypes returns the 34 provider types of Flux's v1beta3 Provider, in
// the order of Flux's enum. The slice is a copy: changing it changes
// nothing else.
func FluxTypes() []string { return slices.Clone(fluxTypes[:]) }

// IsFluxType reports whether typ is one of Flux's provider types. The
// comparison is exact, as Flux's API server makes it: "Slack" is not one.
func IsFluxType(typ string) bool { return slices.Contains(fluxTypes[:], typ) }

// IsCommitStatusType reports whether typ is one of the Git types with which
// Flux sets commit statuses: github, gitlab, gitea, bitbucketserver,
// bitbucket and azuredevops (Flux's isCommitStatusProvider).
func IsCommitStatusType(typ string) bool {
	switch typ {
	case TypeGitHub, TypeGitLab, TypeGitea, TypeBitbucketServer, TypeBitbucket, TypeAzureDevOps:
		return true
	}
	return false
}

// IsChangeRequestType reports whether typ comments on pull or merge
// requests: githubpullrequestcomment, gitlabmergerequestcomment and
// giteapullrequestcomment (Flux's isChangeRequestProvider).
func IsChangeRequestType(typ string) bool {
	switch typ {
	case TypeGitHubPullRequestComment, TypeGitLabMergeRequestComment, TypeGiteaPullRequestComment:
		return true
	}
	return false
}

// IsGenericType reports whether typ forwards Flux's event as it is to a
// webhook: generic and generic-hmac (Flux's isGenericProvider).
func IsGenericType(typ string) bool { return typ == TypeGeneric || typ == TypeGenericHMAC }

// ErrNoNotifier is wrapped by the error of a provider whose type is one of
// Flux's (see FluxTypes) but has no notifier in the Registry in use. Such a
// provider is valid configuration: it routes, and every delivery to it
// fails with this error, while other providers deliver. Register a notifier
// for the type to deliver it.
var ErrNoNotifier = errors.New("no notifier is registered for this provider type")

// ErrUnknownType is wrapped by the error of a provider whose spec.type is
// neither one of Flux's types nor registered: most often a typo, which the
// error follows with a suggestion ("did you mean \"slack\"?").
var ErrUnknownType = errors.New("unknown provider type")

// CheckType says whether r delivers typ: nil when a notifier is
// registered for it; an error wrapping ErrNoNotifier for one of Flux's
// types that none delivers; an error wrapping ErrUnknownType, with a
// suggestion, for any other type. Errors start with "spec.type".
func (r *Registry) CheckType(typ string) error {
	if _, ok := r.Lookup(typ); ok {
		return nil
	}
	registered := r.Types()
	if IsFluxType(typ) {
		return fmt.Errorf("spec.type: %q is one of Flux's types, but %w (registered: %s)", typ, ErrNoNotifier, strings.Join(registered, ", "))
	}
	hint := suggestType(typ, registered)
	if hint == "" {
		hint = " (neither one of Flux's types nor registered)"
	}
	return fmt.Errorf("spec.type: %w %q%s", ErrUnknownType, typ, hint)
}

// suggestType proposes the known type closest to typ, as
// ` (did you mean "slack"?)`, or "".
func suggestType(typ string, registered []string) string {
	low := strings.ToLower(strings.TrimSpace(typ))
	if low == "" {
		return ""
	}
	best, bestDist := "", 3 // only close names: at most two edits
	for _, cands := range [][]string{fluxTypes[:], registered} {
		for _, c := range cands {
			d := suggest.Distance(low, strings.ToLower(c))
			// Also compare without separators: "incidentio", "generic_hmac",
			// "MS-Teams".
			if dd := suggest.Distance(stripSeparators(low), stripSeparators(strings.ToLower(c))); dd < d {
				d = dd
			}
			if d < bestDist {
				best, bestDist = c, d
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r == ' ' {
			return -1
		}
		return r
	}, s)
}
