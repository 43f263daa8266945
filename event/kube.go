package event

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KubeTypeTrace is the Kubernetes event type Flux's recorder uses for trace
// events. Kubernetes itself knows only corev1.EventTypeNormal and
// corev1.EventTypeWarning.
const KubeTypeTrace = "Trace"

// SeverityForKubeType returns the severity of a Kubernetes event type the
// way Flux's event recorder assigns it: Warning is an error (so an alert
// with `eventSeverity: error` catches it, as in Flux), Trace is trace, and
// Normal, like any other type, is info.
//
// fluxnotify's warn level is never assigned: Kubernetes has no type for it.
// An operator that wants Warning events to be warn rather than error sets
// the Severity of the converted event itself.
func SeverityForKubeType(typ string) Severity {
	switch typ {
	case corev1.EventTypeWarning:
		return SeverityError
	case KubeTypeTrace:
		return SeverityTrace
	default:
		return SeverityInfo
	}
}

// FromCoreV1 converts a Kubernetes core/v1 Event, the kind client-go's
// record.EventRecorder writes and `kubectl get events` shows, into an Event
// for routing:
//
//   - involvedObject, related, reason, message and action are copied;
//   - the type becomes a severity (see SeverityForKubeType);
//   - the reporting controller is reportingComponent, else source.component;
//     the reporting instance is reportingInstance, else source.host;
//   - the timestamp is the most recent of lastTimestamp, series'
//     lastObservedTime, eventTime, firstTimestamp and the creation time;
//   - the Event's annotations become metadata: Flux's recorder (and
//     record.EventRecorder.AnnotatedEventf) store an event's metadata there,
//     for example "kustomize.toolkit.fluxcd.io/revision".
//
// FromCoreV1 does not validate; Validate does (a Kubernetes event may have
// an empty message, which routing refuses). It returns nil for nil.
func FromCoreV1(e *corev1.Event) *Event {
	if e == nil {
		return nil
	}
	out := &Event{
		InvolvedObject:      e.InvolvedObject,
		RelatedObject:       copyRef(e.Related),
		Severity:            SeverityForKubeType(e.Type).String(),
		Message:             e.Message,
		Reason:              e.Reason,
		Action:              e.Action,
		Metadata:            cloneMetadata(e.Annotations),
		ReportingController: firstNonEmpty(e.ReportingController, e.Source.Component),
		ReportingInstance:   firstNonEmpty(e.ReportingInstance, e.Source.Host),
	}
	var seriesLast metav1.MicroTime
	if e.Series != nil {
		seriesLast = e.Series.LastObservedTime
	}
	out.Timestamp = latest(e.LastTimestamp, metav1.Time(seriesLast), metav1.Time(e.EventTime),
		e.FirstTimestamp, e.CreationTimestamp)
	return out
}

// FromEventsV1 converts a Kubernetes events.k8s.io/v1 Event, the kind
// client-go's tools/events recorder writes, into an Event for routing, with
// the same rules as FromCoreV1: regarding becomes the involved object, note
// the message, related the related object; the reporting controller and
// instance are copied; the timestamp is the most recent of the series'
// lastObservedTime, eventTime, deprecatedLastTimestamp,
// deprecatedFirstTimestamp and the creation time; annotations become
// metadata. It returns nil for nil.
func FromEventsV1(e *eventsv1.Event) *Event {
	if e == nil {
		return nil
	}
	out := &Event{
		InvolvedObject:      e.Regarding,
		RelatedObject:       copyRef(e.Related),
		Severity:            SeverityForKubeType(e.Type).String(),
		Message:             e.Note,
		Reason:              e.Reason,
		Action:              e.Action,
		Metadata:            cloneMetadata(e.Annotations),
		ReportingController: firstNonEmpty(e.ReportingController, e.DeprecatedSource.Component),
		ReportingInstance:   firstNonEmpty(e.ReportingInstance, e.DeprecatedSource.Host),
	}
	var seriesLast metav1.MicroTime
	if e.Series != nil {
		seriesLast = e.Series.LastObservedTime
	}
	out.Timestamp = latest(metav1.Time(seriesLast), metav1.Time(e.EventTime),
		e.DeprecatedLastTimestamp, e.DeprecatedFirstTimestamp, e.CreationTimestamp)
	return out
}

func copyRef(r *corev1.ObjectReference) *corev1.ObjectReference {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

func cloneMetadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// latest returns the most recent of ts; the zero time when all are zero.
func latest(ts ...metav1.Time) metav1.Time {
	var out metav1.Time
	for _, t := range ts {
		if t.After(out.Time) {
			out = t
		}
	}
	return out
}
