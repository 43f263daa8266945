package alert

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Delivery is spec.delivery: how an alert's notifications are delivered
// over time, with state kept between events (see fluxnotify.WithStore).
// Not a Flux field: it belongs to the library's own API group and works in
// extended mode only.
//
//	spec:
//	  delivery:
//	    thread: {enabled: true, broadcastErrors: true}
//	    transitions: true
//	    group: {wait: 30s, interval: 5m}
//
// +kubebuilder:object:generate=true
type Delivery struct {
	// Thread, when enabled, keeps one Slack thread per involved object.
	// +optional
	Thread *Thread `json:"thread,omitempty"`

	// Transitions, when true, notifies only when an involved object changes
	// state: its first failure (an error event), and its recovery (an
	// event that is not an error after errors). Repeats in between are
	// counted, not sent; the count is shown on the thread's root message
	// and in the recovery.
	// +optional
	Transitions bool `json:"transitions,omitempty"`

	// Group aggregates the notifications of many objects into one message,
	// with Alertmanager's group_wait and group_interval meaning.
	// +optional
	Group *Grouping `json:"group,omitempty"`
}

// Thread is spec.delivery.thread: one Slack thread per involved object.
// The first message about an object starts the thread; later ones reply in
// it, and the first message is updated to show the object's state (failing
// since, number of failures, recovered at, last revision). It needs a Slack
// Provider with a bot token (chat.postMessage): an incoming webhook cannot
// thread.
// +kubebuilder:object:generate=true
type Thread struct {
	// Enabled turns threads on.
	Enabled bool `json:"enabled"`

	// Key is a template (the data of message templates) naming the thread
	// an event belongs to; events with the same key share a thread. By
	// default it is the involved object: kind, namespace and name (each
	// alert has its own threads).
	// +optional
	Key string `json:"key,omitempty"`

	// BroadcastErrors also shows error replies in the channel
	// (reply_broadcast), not only in the thread.
	// +optional
	BroadcastErrors bool `json:"broadcastErrors,omitempty"`
}

// Grouping is spec.delivery.group. When an object's notification arrives and
// no group of the alert is open, a group opens and waits Wait for others;
// then one message lists the objects of the group (at most MaxObjects,
// then "and N more"). While notifications keep coming, the next group is
// sent at most every Interval.
// +kubebuilder:object:generate=true
type Grouping struct {
	// Wait is how long a new group waits for more objects before it is
	// sent (Alertmanager's group_wait). Default DefaultGroupWait.
	// +optional
	Wait metav1.Duration `json:"wait,omitzero"`

	// Interval is how long to wait before sending the next group of the
	// alert (Alertmanager's group_interval). Default DefaultGroupInterval.
	// +optional
	Interval metav1.Duration `json:"interval,omitzero"`

	// MaxObjects bounds the objects a message lists; those beyond are
	// counted as "and N more". Default DefaultGroupMaxObjects.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=500
	// +optional
	MaxObjects int `json:"maxObjects,omitempty"`
}

// Defaults of spec.delivery.group.
const (
	DefaultGroupWait       = 30 * time.Second
	DefaultGroupInterval   = 5 * time.Minute
	DefaultGroupMaxObjects = 50
	// MaxGroupObjects bounds spec.delivery.group.maxObjects: Slack shows at
	// most 50 blocks and 40,000 characters.
	MaxGroupObjects = 500
)

// Threaded reports whether the alert asks for Slack threads.
func (d *Delivery) Threaded() bool { return d != nil && d.Thread != nil && d.Thread.Enabled }

// IsZero reports whether the delivery asks for nothing.
func (d *Delivery) IsZero() bool {
	return d == nil || (!d.Threaded() && !d.Transitions && d.Group == nil)
}

// WaitOrDefault returns Wait, or DefaultGroupWait when unset.
func (g *Grouping) WaitOrDefault() time.Duration {
	if g.Wait.Duration > 0 {
		return g.Wait.Duration
	}
	return DefaultGroupWait
}

// IntervalOrDefault returns Interval, or DefaultGroupInterval when unset.
func (g *Grouping) IntervalOrDefault() time.Duration {
	if g.Interval.Duration > 0 {
		return g.Interval.Duration
	}
	return DefaultGroupInterval
}

// MaxObjectsOrDefault returns MaxObjects, or DefaultGroupMaxObjects when
// unset.
func (g *Grouping) MaxObjectsOrDefault() int {
	if g.MaxObjects > 0 {
		return g.MaxObjects
	}
	return DefaultGroupMaxObjects
}

// validateDelivery checks spec.delivery.
func validateDelivery(p *field.Path, d *Delivery) field.ErrorList {
	if d == nil {
		return nil
	}
	var errs field.ErrorList
	if g := d.Group; g != nil {
		gp := p.Child("group")
		if g.Wait.Duration < 0 {
			errs = append(errs, field.Invalid(gp.Child("wait"), g.Wait.Duration.String(), "must not be negative"))
		}
		if g.Interval.Duration < 0 {
			errs = append(errs, field.Invalid(gp.Child("interval"), g.Interval.Duration.String(), "must not be negative"))
		}
		if g.MaxObjects < 0 || g.MaxObjects > MaxGroupObjects {
			errs = append(errs, field.Invalid(gp.Child("maxObjects"), g.MaxObjects, "must be between 1 and 500 (0: the default, 50)"))
		}
	}
	return errs
}
