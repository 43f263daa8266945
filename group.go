package fluxnotify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/state"
)

// MaxGroupMessages bounds the messages one group is sent as: each lists at
// most spec.delivery.group.maxObjects objects; the objects beyond are
// counted ("and N more").
const MaxGroupMessages = 10

// ReasonGrouped is the reason of the event that carries a group's
// message to the provider; its involved object is the Alert.
const ReasonGrouped = "Grouped"

// groupTTL bounds how long a window lives in the store past its flush
// time: a window that nobody flushed (its process died) is found by
// recoverGroups or expires.
const groupTTL = time.Hour

// groups are the flush timers of the groups this Dispatcher opened.
type groups struct {
	mu      sync.Mutex
	timers  map[string]*time.Timer // window key -> its flush
	due     map[string]time.Time   // window key -> when its timer fires
	last    map[string]time.Time   // window key -> when it was last flushed
	stopped bool
	running sync.WaitGroup // flushes started by timers
}

func (g *groups) init() {
	g.timers = make(map[string]*time.Timer)
	g.due = make(map[string]time.Time)
	g.last = make(map[string]time.Time)
}

// stop cancels every timer; the groups stay in the store.
func (g *groups) stop() {
	g.mu.Lock()
	g.stopped = true
	for k, t := range g.timers {
		t.Stop()
		delete(g.timers, k)
	}
	g.mu.Unlock()
	g.running.Wait()
}

// groupEntry is one object of a group, as the store keeps it.
type groupEntry struct {
	Event  *event.Event `json:"event"`
	Status objectStatus `json:"status"`
	Change transition   `json:"change"`
	key    string       // the state key: the window's member
}

// addToGroup adds e (with the object's status st and transition tr) to the
// open group of rt's alert, opening one when there is none; the Dispatcher
// that opens it sends it after group.wait, or group.interval after its
// previous group.
func (d *Dispatcher) addToGroup(ctx context.Context, rt *route, key string, e *event.Event, st objectStatus, tr transition, res *Result) {
	g := rt.stateful.spec.Group
	gkey := groupPrefix + rt.alert.NamespacedName()
	value, err := json.Marshal(groupEntry{Event: e, Status: st, Change: tr})
	if err == nil {
		var ws state.WindowStatus
		ws, err = d.state.AddToWindow(ctx, gkey, key, value, g.MaxObjectsOrDefault()*MaxGroupMessages, g.WaitOrDefault()+g.IntervalOrDefault()+groupTTL)
		if err == nil {
			if ws.Created {
				d.schedule(gkey, g)
			}
			res.Deferred = true
			return
		}
	}
	res.Err = fmt.Errorf("alert %s: spec.delivery.group: %w", res.Alert, err)
}

// schedule starts the timer that sends the group at gkey: after wait, or
// interval after the previous group, whichever is later.
func (d *Dispatcher) schedule(gkey string, g *alert.Grouping) {
	d.groups.mu.Lock()
	defer d.groups.mu.Unlock()
	if d.groups.stopped || d.groups.timers[gkey] != nil {
		return
	}
	now := d.now()
	at := now.Add(g.WaitOrDefault())
	if last, ok := d.groups.last[gkey]; ok && last.Add(g.IntervalOrDefault()).After(at) {
		at = last.Add(g.IntervalOrDefault())
	}
	d.groups.due[gkey] = at
	d.groups.timers[gkey] = time.AfterFunc(at.Sub(now), func() {
		d.groups.mu.Lock()
		if d.groups.stopped || d.groups.timers[gkey] == nil {
			d.groups.mu.Unlock()
			return
		}
		delete(d.groups.timers, gkey)
		d.groups.running.Add(1)
		d.groups.mu.Unlock()
		defer d.groups.running.Done()
		d.flushGroup(d.base, gkey)
	})
}

// Flush sends now every group of spec.delivery.group that this Dispatcher
// opened, instead of waiting for their timers; Shutdown calls it once every
// event in flight has ended. It returns the joined errors of the groups
// that could not be sent; each is also logged and observed as a Result.
func (d *Dispatcher) Flush(ctx context.Context) error {
	d.groups.mu.Lock()
	var keys []string
	for k, t := range d.groups.timers {
		// A timer that already fired but has not started its flush finds
		// its entry gone and leaves the group to this loop; TakeWindow
		// hands the group to one flush only, whatever happens.
		t.Stop()
		keys = append(keys, k)
		delete(d.groups.timers, k)
	}
	d.groups.mu.Unlock()
	var errs []error
	for _, k := range keys {
		errs = append(errs, d.flushGroup(ctx, k))
	}
	d.groups.running.Wait() // the groups whose timers fired
	return errors.Join(errs...)
}

// recoverGroups schedules the groups left in the store by a Dispatcher
// that stopped without sending them (a crash, Close): after a restart on
// a file store, or when a replica went away.
func (d *Dispatcher) recoverGroups(ctx context.Context) {
	keys, err := d.state.Keys(ctx, groupPrefix, 10_000)
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "state store failed to list the groups left to send", slog.Any("error", err))
		return
	}
	r := d.Router()
	for _, k := range keys {
		ns, name, _ := strings.Cut(strings.TrimPrefix(k, groupPrefix), "/")
		if rt := r.routes[objKey{ns, name}]; rt != nil && rt.stateful != nil && rt.stateful.spec.Group != nil {
			d.schedule(k, rt.stateful.spec.Group)
		}
	}
}

// flushGroup takes the group at gkey and sends it: one object alone as its
// own notification (in its thread when the alert asks for threads), many
// as messages that list them.
func (d *Dispatcher) flushGroup(ctx context.Context, gkey string) error {
	d.groups.mu.Lock()
	d.groups.last[gkey] = d.now()
	d.groups.mu.Unlock()
	w, err := d.state.TakeWindow(ctx, gkey)
	if errors.Is(err, state.ErrNotFound) {
		return nil // taken by another replica
	}
	ns, name, _ := strings.Cut(strings.TrimPrefix(gkey, groupPrefix), "/")
	r := d.Router()
	rt := r.routes[objKey{ns, name}]
	if err == nil && (rt == nil || rt.stateful == nil || rt.stateful.spec.Group == nil || rt.err != nil) {
		err = fmt.Errorf("the alert no longer groups its notifications (changed or removed); %d objects not sent", len(w.Entries)+w.Dropped)
	}
	if err != nil {
		err = fmt.Errorf("alert %s/%s: spec.delivery.group: %w", ns, name, err)
		d.log.LogAttrs(ctx, slog.LevelError, "group not sent", slog.Any("error", err))
		return err
	}
	entries := make([]groupEntry, 0, len(w.Entries))
	for _, we := range w.Entries {
		var ge groupEntry
		if json.Unmarshal(we.Value, &ge) == nil && ge.Event != nil {
			ge.key = we.Member
			entries = append(entries, ge)
		} else {
			w.Dropped++
		}
	}
	if len(entries) == 1 && w.Dropped == 0 {
		ge := entries[0]
		res := d.sendNow(ctx, r, rt, ge.Event, func(res *Result, n provider.Notifier) {
			d.send(ctx, r, ge.Event, rt, n, ge.key, ge.Status, ge.Change, res)
		})
		return res.Err
	}
	var errs []error
	for _, e := range groupEvents(rt.alert, entries, w.Dropped, rt.stateful.spec.Group.MaxObjectsOrDefault(), d.now()) {
		res := d.sendNow(ctx, r, rt, e, func(res *Result, n provider.Notifier) {
			d.send(ctx, r, e, rt, n, "", objectStatus{}, stayed, res)
		})
		errs = append(errs, res.Err)
	}
	return errors.Join(errs...)
}

// groupEvents are the events that carry a group's messages: each lists at
// most max objects, failing ones first, then the others, in the order they
// joined; the last counts the objects left out.
func groupEvents(a *alert.Alert, entries []groupEntry, dropped, max int, now time.Time) []*event.Event {
	var failing, others []groupEntry
	for _, ge := range entries {
		if ge.Status.Failing {
			failing = append(failing, ge)
		} else {
			others = append(others, ge)
		}
	}
	ordered := append(failing, others...)
	total := len(ordered) + dropped
	msgs := min((len(ordered)+max-1)/max, MaxGroupMessages)
	var out []*event.Event
	for i := range msgs {
		part := ordered[i*max : min((i+1)*max, len(ordered))]
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %d objects: %d failing, %d recovered or fine", len(part), total, len(failing), len(others))
		if msgs > 1 {
			fmt.Fprintf(&b, " (message %d of %d)", i+1, msgs)
		}
		sev := event.SeverityInfo
		for _, ge := range part {
			b.WriteString("\n• ")
			b.WriteString(ge.Status.plain())
			if ge.Event.Message != "" {
				b.WriteString(": " + cutRunes(oneLine(ge.Event.Message), 120))
			}
			if ge.Status.Failing {
				sev = event.SeverityError
			}
		}
		if more := total - min(msgs*max, len(ordered)); i == msgs-1 && more > 0 {
			fmt.Fprintf(&b, "\n… and %d more", more)
		}
		out = append(out, &event.Event{
			InvolvedObject: corev1.ObjectReference{
				APIVersion: alert.Group + "/v1beta3", Kind: alert.Kind, Namespace: a.Namespace, Name: a.Name,
			},
			Severity:            sev.String(),
			Timestamp:           metav1.NewTime(now),
			Message:             b.String(),
			Reason:              ReasonGrouped,
			ReportingController: "fluxnotify",
		})
	}
	return out
}

// plain is the status of an object in a group message: plain text, which
// the message's format escapes.
func (st objectStatus) plain() string {
	switch {
	case st.Failing:
		return st.Object + ": failing since " + clock(st.Since) + ", " + nFailures(st.Failures)
	case !st.RecoveredAt.IsZero():
		return st.Object + ": recovered at " + clock(st.RecoveredAt) + " after " + nFailures(st.Failures)
	}
	return st.Object
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// sendNow delivers, outside of any event's delivery, what fn sends through
// rt's notifier (a group's message), then logs and observes its Result.
func (d *Dispatcher) sendNow(ctx context.Context, r *Router, rt *route, e *event.Event, fn func(*Result, provider.Notifier)) (res Result) {
	res = Result{Event: e, Alert: rt.alert.NamespacedName(), Provider: rt.ref.String()}
	defer func() { d.report(ctx, res) }()
	p := rt.prov.p
	res.Type, res.Channel = p.Spec.Type, provider.Channel(rt.alert, p)
	if p.Spec.Suspend {
		res.Err = fmt.Errorf("alert %s: provider %s: %w", res.Alert, rt.ref, ErrSuspended)
		return res
	}
	start := time.Now()
	n, err := d.notifier(ctx, r, rt.prov)
	if err != nil {
		res.Err = fmt.Errorf("alert %s: %w", res.Alert, err)
		return res
	}
	fn(&res, n)
	res.Duration = time.Since(start)
	return res
}
