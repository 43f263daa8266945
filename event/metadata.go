package event

import (
	"strings"

	eventv1 "github.com/fluxcd/pkg/apis/event/v1"
)

// Metadata keys, without their group prefix, that Flux controllers set.
const (
	MetaRevisionKey       = eventv1.MetaRevisionKey
	MetaOriginRevisionKey = eventv1.MetaOriginRevisionKey
	MetaChecksumKey       = eventv1.MetaChecksumKey
	MetaDigestKey         = eventv1.MetaDigestKey
	MetaTokenKey          = eventv1.MetaTokenKey
	MetaCommitKey         = eventv1.MetaCommitKey
	// MetaSummaryKey is the key under which an alert's spec.summary is
	// handed to templates and providers.
	MetaSummaryKey = "summary"
)

// ObjectGroup is the prefix of metadata keys that Flux's event recorder
// copies from the involved object's annotations
// ("event.toolkit.fluxcd.io/<key>").
const ObjectGroup = eventv1.Group

// MetaKey returns the metadata key "<group>/<key>", the convention Flux
// controllers use. With an empty group it returns key unchanged.
func MetaKey(group, key string) string {
	if group == "" {
		return key
	}
	return group + "/" + key
}

// Group returns the API group of the event's involved object, for example
// "kustomize.toolkit.fluxcd.io" for apiVersion
// "kustomize.toolkit.fluxcd.io/v1", or "" for the core group ("v1"). It
// reads apiVersion as Kubernetes does (ObjectReference.GroupVersionKind,
// which Flux uses): an apiVersion with more than one "/" is malformed and
// has the group "".
func Group(e *Event) string {
	av := e.InvolvedObject.APIVersion
	i := strings.IndexByte(av, '/')
	if i < 0 || strings.IndexByte(av[i+1:], '/') >= 0 {
		return ""
	}
	return av[:i]
}

// Revision returns the source revision an event is about, looking in the
// same order as Flux (commit, originRevision, revision), first under the
// involved object's group prefix, then unprefixed.
func Revision(e *Event) (string, bool) {
	if len(e.Metadata) == 0 {
		return "", false
	}
	group := Group(e)
	var buf [128]byte // "<group>/<key>" without allocating, for most groups
	for _, key := range [...]string{MetaCommitKey, MetaOriginRevisionKey, MetaRevisionKey} {
		if group != "" {
			k := append(append(append(buf[:0], group...), '/'), key...)
			if v, ok := e.Metadata[string(k)]; ok && v != "" {
				return v, true
			}
		}
		if v, ok := e.Metadata[key]; ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// hiddenKeys are never shown to templates or providers.
func hiddenKey(key string) bool {
	switch key {
	case MetaChecksumKey, MetaDigestKey, MetaTokenKey:
		return true
	}
	return false
}

// MergeMetadata returns the metadata a notification shows for e, merged in
// the order of Flux's RFC-0008 where a later source wins:
//
//  1. unprefixed keys (custom operators that do not prefix their keys);
//  2. "event.toolkit.fluxcd.io/<key>" keys (from the object's annotations);
//  3. eventMetadata (an alert's spec.eventMetadata);
//  4. summary, under the key "summary" (an alert's spec.summary), if set;
//  5. "<group>/<key>" keys set by the controller, group being the involved
//     object's API group.
//
// Prefixes are stripped. Keys under other prefixes are dropped, as Flux does,
// and so are checksum, digest and token. The event is not modified; the
// result is a new map (nil when there is nothing to show).
func MergeMetadata(e *Event, eventMetadata map[string]string, summary string) map[string]string {
	group := Group(e)
	n := len(e.Metadata) + len(eventMetadata)
	if summary != "" {
		n++
	}
	if n == 0 {
		return nil
	}
	out := make(map[string]string, n)
	set := func(k, v string) {
		if k != "" && !hiddenKey(k) {
			out[k] = v
		}
	}
	// 1. unprefixed keys.
	for k, v := range e.Metadata {
		if !strings.Contains(k, "/") {
			set(k, v)
		}
	}
	// 2. event.toolkit.fluxcd.io/* keys.
	for k, v := range e.Metadata {
		if rest, ok := strings.CutPrefix(k, ObjectGroup+"/"); ok && group != ObjectGroup {
			set(rest, v)
		}
	}
	// 3. the alert's eventMetadata.
	for k, v := range eventMetadata {
		set(k, v)
	}
	// 4. the alert's summary.
	if summary != "" {
		out[MetaSummaryKey] = summary
	}
	// 5. the controller's own keys.
	if group != "" {
		for k, v := range e.Metadata {
			if rest, ok := strings.CutPrefix(k, group+"/"); ok {
				set(rest, v)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// MergeMetadataFlux returns the metadata that Flux's notification-controller
// hands to its notifiers for e, as flux mode shows it to templates. It
// applies, in Flux's order:
//
//  1. cleanupMetadata (event_server.go): only keys under
//     "event.toolkit.fluxcd.io/" or "<group>/" are kept, group being the
//     involved object's API group (so "/" for the core group); unprefixed
//     keys and other groups' keys are dropped, and so are
//     "<group>/checksum" and "<group>/digest" in any letter case;
//  2. excludeInternalMetadata (event_handlers.go): "<group>/token" (exact
//     case) is dropped;
//  3. combineEventMetadata (event_handlers.go, RFC-0008, later wins):
//     "event.toolkit.fluxcd.io/<key>" keys, then eventMetadata, then
//     summary as "summary", then "<group>/<key>" keys, prefixes stripped.
//
// Unlike MergeMetadata, nothing else is hidden: a "token" key from the
// alert's eventMetadata or under "event.toolkit.fluxcd.io/" is shown, as
// Flux shows it, and a key that is only a prefix becomes the key "". The
// event is not modified; the result is a new map (nil when empty).
func MergeMetadataFlux(e *Event, eventMetadata map[string]string, summary string) map[string]string {
	const eventPrefix = ObjectGroup + "/"
	objectPrefix := Group(e) + "/"
	dropped := func(k string) bool {
		return strings.EqualFold(k, objectPrefix+MetaChecksumKey) ||
			strings.EqualFold(k, objectPrefix+MetaDigestKey) ||
			k == objectPrefix+MetaTokenKey
	}
	out := make(map[string]string)
	for k, v := range e.Metadata {
		if rest, ok := strings.CutPrefix(k, eventPrefix); ok && !dropped(k) {
			out[rest] = v
		}
	}
	for k, v := range eventMetadata {
		out[k] = v
	}
	if summary != "" {
		out[MetaSummaryKey] = summary
	}
	for k, v := range e.Metadata {
		if rest, ok := strings.CutPrefix(k, objectPrefix); ok && !dropped(k) {
			out[rest] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
