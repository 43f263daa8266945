// Package match decides which alerts an event is for, and explains why the
// others did not take it.
//
// [Compile] turns a set of [alert.Alert] values into a [Matcher]: globs,
// regular expressions and severities are parsed once, and every event source
// goes into an index keyed by namespace, kind and name. There a glob that
// spells a few values ("{Kustomization,HelmRelease}") is filed under each of
// them, other globs are found by their literal prefix ("app-" for "app-*")
// and checked against their literal suffix, and a glob that is no more than
// a prefix, "*" and a suffix ("app-*", "*-api") never runs. [Matcher.Match] then
// returns the alerts an event matches, in input order, at a cost that does
// not grow with the number of alerts; [Matcher.AppendMatches] does the same
// into a caller's slice without allocating. A Matcher is immutable and safe
// for concurrent use: compile a new one when the configuration changes.
//
//	m, err := match.Compile(alerts, match.WithMode(match.Extended))
//	if err != nil {
//		log.Print(err) // invalid alerts are left out; the others still match
//	}
//	for _, a := range m.Match(ctx, ev) {
//		// send ev through a.Spec.ProviderRef, to a.Spec.Channel if set
//	}
//
// # Semantics
//
// An event matches an alert when the alert is not suspended, one of its event
// sources selects the event's involved object, the alert takes the event's
// severity, and the message passes inclusionList and exclusionList:
//
//   - kind is compared exactly and case-sensitively;
//   - name "*" takes every name, any other value the name it spells;
//   - an empty namespace means the alert's own namespace;
//   - matchLabels requires every listed label on the involved object, read
//     through the [Labeler] given with [WithLabeler] (at most one lookup per
//     event); without a Labeler, or when the lookup fails, such a source does
//     not match;
//   - when inclusionList is set, some expression must match the message;
//     an exclusionList match drops the event, even when it is included;
//   - an alert that lists several sources selecting the event is returned
//     once.
//
// [WithNoCrossNamespaceRefs] limits every alert to events from its own
// namespace, in both modes, like Flux's --no-cross-namespace-refs.
//
// # Modes
//
// [Extended], the default, is the behaviour the fluxnotify documentation
// describes; [Flux] reproduces Flux's notification-controller, for people who
// test the alerts of a real Flux cluster. They differ as follows:
//
//	                           extended                          flux
//	eventSeverity unset        error only                        every event (Flux's default, info)
//	eventSeverity: info        info, warn, error                 every event, trace included
//	eventSeverity: error       error only                        error only ("error" exactly)
//	eventSeverity: warn        warn, error                       invalid (Flux takes info or error)
//	eventSeverity: trace       every known severity              invalid
//	eventSeverity: [a, b]      exactly a and b                   invalid (not a Flux feature)
//	event severity             parsed: "ERROR", "warning" work   compared exactly, as Flux does
//	unknown event severity     never matches                     taken by info and unset only
//	kind                       exact, or a glob (Helm*)          exact, one of alert.FluxKinds
//	name                       "*", exact, or a glob (app-*)     "*" or exact
//	namespace                  exact, or a glob (team-*, *)      exact
//	matchLabels: {} (empty)    no condition                      the labels must be readable
//
// Globs use the syntax of github.com/gobwas/glob with no separator: "*" any
// run of characters, "?" one character, "[a-c]" a class, "{a,b}"
// alternatives, "\" escapes. A value without meta characters is exact.
// In extended mode event severities are compared after parsing, so
// "warning" is "warn" and "ERROR" is "error"; in flux mode they are
// compared as the exact strings, as Flux's eventMatchesAlertSource does, so
// an alert with eventSeverity error takes only "error".
//
// In both modes matchLabels applies whatever the source's name, and a failed
// label lookup means no match: this is what Flux's current
// notification-controller does (older releases only applied matchLabels to
// name "*", and matched an object they could not read against no labels).
//
// Flux's own controllers never send trace events to the
// notification-controller; fluxnotify accepts them, and in flux mode an
// info alert takes them, as the notification-controller would.
//
// # Invalid alerts
//
// An alert that fails [alert.Alert.Validate], has a glob that does not
// compile, an invalid label key or value in matchLabels, or repeats the
// namespace and name of an earlier alert is left out. In flux mode, so is
// an alert that Flux's API server would refuse: the errors of
// [alert.Alert.Lint] (eventSeverity other than info or error, a kind that
// is not Flux's, a summary over 255 characters). Compile reports each
// one as an [*AlertError] naming the alert and every field at fault, joined
// into one error; the other alerts keep matching.
//
// # Explaining misses
//
// [Matcher.Explain] answers "why did no message arrive?": for each alert that
// did not take the event, the first check that failed, for example
//
//	flux-system/flux-alerts: severity info is below error
//	flux-system/helm: kind Kustomization, want HelmRelease
//	apps/frontend: name my-app does not match app-*
//	apps/quiet: excluded by exclusionList[0] `.*dry-run.*`
//
// The checks run in this order: suspension, event sources (kind, namespace,
// name), severity, the cross-namespace lockdown, matchLabels, inclusionList,
// exclusionList. With several sources, the reason given is that of the
// source that came closest (furthest through kind, namespace and name).
//
// # Testing
//
// [Reference] has the same methods as Matcher and the same semantics, written
// as a plain loop over every alert. The package's tests compare the two on
// random alerts and events in both modes; a program that builds its own
// alerts can do the same. In tests, give the labels with a [LabelerFunc]:
//
//	labels := match.LabelerFunc(func(ctx context.Context, obj *corev1.ObjectReference) (map[string]string, error) {
//		return map[string]string{"team": "platform"}, nil
//	})
//	m, err := match.Compile(alerts, match.WithLabeler(labels))
package match
