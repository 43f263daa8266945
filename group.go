package fluxnotify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
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
	last    map[string]time.Time   // window key -> when it was last flushed
	stopped bool
	running sync.WaitGroup // flushes started by timers
}

func (g *groups) init() {
	g.timers = make(map[string]*time.Timer)
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

// flushAt is when the group at gkey, opened at now with the settings grp,
// is sent: grp's wait after now, or its interval after the previous group
// of gkey was sent, whichever is later (Alertmanager's group_wait and
// group_interval). g.mu must be held.
func (g *groups) flushAt(gkey string, grp *alert.Grouping, now time.Time) time.Time {
	at := now.Add(grp.WaitOrDefault())
	if last, ok := g.last[gkey]; ok && last.Add(grp.IntervalOrDefault()).After(at) {
		at = last.Add(grp.IntervalOrDefault())
	}
	return at
}

// droppedMember is the window member that carries, when a group goes back
// to the store (see putBack), how many of its objects were counted but not
// kept. No state key starts with '#'.
const droppedMember = "#dropped"

// groupEntry is one object of a group, as the store keeps it.
type groupEntry struct {
	Event  *event.Event `json:"event,omitempty"`
	Status objectStatus `json:"status"`
	Change transition   `json:"change"`
	// Provider and Type are the alert's provider and its type when the
	// event joined: its Result names them should the alert be gone by the
	// time the group is sent.
	Provider string `json:"provider,omitempty"`
	Type     string `json:"type,omitempty"`
	// Dropped is set on droppedMember only.
	Dropped int    `json:"dropped,omitempty"`
	key     string // the state key: the window's member
	raw     []byte // the value in the window
}

// addToGroup adds e (with the object's status st and transition tr) to the
// open group of rt's alert, opening one when there is none; the Dispatcher
// that opens it sends it after group.wait, or group.interval after its
// previous group.
func (d *Dispatcher) addToGroup(ctx context.Context, rt *route, key string, e *event.Event, st objectStatus, tr transition, res *Result) {
	g := rt.stateful.spec.Group
	gkey := groupPrefix + rt.name
	value, err := json.Marshal(groupEntry{Event: e, Status: st, Change: tr, Provider: res.Provider, Type: res.Type})
	if err == nil {
		var ws state.WindowStatus
		ws, err = d.state.AddToWindow(ctx, gkey, key, value, windowLimit(g), windowTTL(g))
		if err == nil {
			if ws.Created {
				d.learnSent(ctx, gkey)
				d.schedule(gkey, g)
			}
			res.Deferred = true
			return
		}
	}
	res.Err = fmt.Errorf("alert %s: spec.delivery.group: %w", res.Alert, err)
}

// windowLimit is how many objects a group of g holds; windowTTL how long
// its window lives in the store.
func windowLimit(g *alert.Grouping) int { return g.MaxObjectsOrDefault() * MaxGroupMessages }

func windowTTL(g *alert.Grouping) time.Duration {
	return g.WaitOrDefault() + g.IntervalOrDefault() + groupTTL
}

// grouping is the spec.delivery.group of rt, or the defaults when rt no
// longer groups (or is gone): a group left in the store by such an alert
// is still flushed, and its objects handled as live events would be.
func grouping(rt *route) *alert.Grouping {
	if grouped(rt) {
		return rt.stateful.spec.Group
	}
	return &alert.Grouping{}
}

// recordSent notes in the store that the group at gkey was taken to be
// sent at at, for the replicas that open the alert's next group (see
// learnSent). The note lives one group.interval. A failure costs only the
// spacing of the next group, so it is logged, not returned.
func (d *Dispatcher) recordSent(ctx context.Context, gkey string, g *alert.Grouping, at time.Time) {
	interval := g.IntervalOrDefault()
	if interval <= 0 {
		return
	}
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	key := groupSentPrefix + strings.TrimPrefix(gkey, groupPrefix)
	if err := d.state.Set(c, key, strconv.AppendInt(nil, at.UnixNano(), 10), interval); err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "state store failed to record when a group was sent",
			slog.String("alert", strings.TrimPrefix(gkey, groupPrefix)), slog.Any("error", err))
	}
}

// learnSent reads when the alert's previous group was sent, by this
// Dispatcher or another on the same store (see recordSent), so that
// schedule waits group.interval after the latest of them. Without a note
// (none, expired, or the store failing) the Dispatcher's own memory counts.
func (d *Dispatcher) learnSent(ctx context.Context, gkey string) {
	v, err := d.state.Get(ctx, groupSentPrefix+strings.TrimPrefix(gkey, groupPrefix))
	if err != nil {
		return
	}
	ns, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return
	}
	at := time.Unix(0, ns)
	d.groups.mu.Lock()
	if at.After(d.groups.last[gkey]) {
		d.groups.last[gkey] = at
	}
	d.groups.mu.Unlock()
}

// schedule starts the timer that sends the group at gkey (see flushAt).
func (d *Dispatcher) schedule(gkey string, g *alert.Grouping) {
	d.groups.mu.Lock()
	defer d.groups.mu.Unlock()
	if d.groups.stopped || d.groups.timers[gkey] != nil {
		return
	}
	now := d.now()
	d.groups.timers[gkey] = time.AfterFunc(d.groups.flushAt(gkey, g, now).Sub(now), func() {
		d.groups.mu.Lock()
		if d.groups.stopped || d.groups.timers[gkey] == nil {
			d.groups.mu.Unlock()
			return
		}
		delete(d.groups.timers, gkey)
		d.groups.running.Add(1)
		d.groups.mu.Unlock()
		defer d.groups.running.Done()
		_ = d.flushGroup(d.base, gkey) // reported by flushGroup
	})
}

// Flush sends now every group of spec.delivery.group that this Dispatcher
// opened, instead of waiting for their timers; Shutdown calls it once every
// event in flight has ended. Each message takes a delivery slot
// (WithConcurrency) like any delivery. Before a group is sent, each of its
// objects is checked as a live event would be now: one whose alert is
// suspended, removed or no longer matches it (ErrNotRouted), whose
// provider is suspended (ErrSuspended) or that one of Flux's delivery
// rules skips (provider.ErrSkipped) is not sent, and reported to the
// observer with that reason; when the alert no longer groups, each object
// is sent on its own, as it would be now.
//
// If ctx ends before a group is sent, the group stays in the store (or
// goes back to it: the messages already sent are not sent again), where
// the next Flush, a Dispatcher started later on the store, or another
// replica sends it; it is not reported as failed. Without WithStore, once
// Shutdown or Close began, there is no later: the group's messages are
// then reported as failed (wrapping ErrAbandoned when the Dispatcher's
// context ended).
//
// Flush returns the joined errors of the groups that could not be sent
// (those left in the store included); each failed message is also logged
// and observed as a Result.
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
// that stopped without sending them (a crash, Close, a Shutdown whose
// context ended): after a restart on a file store, or when a replica went
// away. Every group is scheduled, that of an alert now removed or that no
// longer groups included: flushGroup handles its objects as live events.
func (d *Dispatcher) recoverGroups(ctx context.Context) {
	keys, err := d.state.Keys(ctx, groupPrefix, 10_000)
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "state store failed to list the groups left to send", slog.Any("error", err))
		return
	}
	r := d.Router()
	for _, k := range keys {
		ns, name, _ := strings.Cut(strings.TrimPrefix(k, groupPrefix), "/")
		d.learnSent(ctx, k)
		d.schedule(k, grouping(r.routes[objKey{ns, name}]))
	}
}

// closing reports whether Shutdown or Close began.
func (d *Dispatcher) closing() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.closed
}

// canKeep reports whether a group not sent now can stay in the store to
// be sent later: always with WithStore; with the Dispatcher's own memory,
// only until Shutdown or Close began (it is dropped then).
func (d *Dispatcher) canKeep() bool { return !d.ownState || !d.closing() }

// groupMessage is one notification a group is sent as: a message that
// lists objects, or one object sent on its own.
type groupMessage struct {
	event   *event.Event
	entries []groupEntry // the objects it stands for, listed or counted
	dropped int          // objects counted but not kept in the window
	single  bool         // entries[0] sent as itself
}

// flushGroup takes the group at gkey and sends it: one object alone as its
// own notification (in its thread when the alert asks for threads), many
// as messages that list them; each object is first checked against the
// current configuration as a live event (see Flush). If ctx ends first,
// the group is left in the store, or what was not sent goes back to it.
func (d *Dispatcher) flushGroup(ctx context.Context, gkey string) error {
	ns, name, _ := strings.Cut(strings.TrimPrefix(gkey, groupPrefix), "/")
	alertName := ns + "/" + name
	keep := d.canKeep()
	r := d.Router()
	rt := r.routes[objKey{ns, name}]
	if err := ctx.Err(); err != nil && keep {
		// Not taken: it stays for the next flush, here or elsewhere.
		if !d.closing() {
			d.schedule(gkey, grouping(rt))
		}
		return fmt.Errorf("alert %s: spec.delivery.group: not sent, left in the store: %w", alertName, err)
	}
	tctx := ctx
	if !keep { // the group cannot stay: take it to report its messages
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		tctx = c
	}
	w, err := d.state.TakeWindow(tctx, gkey)
	if errors.Is(err, state.ErrNotFound) {
		return nil // taken by another replica
	}
	if err != nil {
		// The group is still in the store: try again later.
		if keep && !d.closing() {
			d.schedule(gkey, grouping(rt))
		}
		err = fmt.Errorf("alert %s: spec.delivery.group: %w", alertName, err)
		d.log.LogAttrs(ctx, slog.LevelError, "group not sent", slog.Any("error", err))
		return err
	}
	sentAt := d.now()
	d.groups.mu.Lock()
	d.groups.last[gkey] = sentAt
	d.groups.mu.Unlock()
	d.recordSent(ctx, gkey, grouping(rt), sentAt)

	entries, dropped := decodeWindow(w)
	var errs []error
	// leave puts back in the store the objects back, not sent because
	// res.Err (ctx ended), with the count backDropped of those not kept.
	leave := func(back []groupEntry, backDropped int, res Result) error {
		if perr := d.putBack(gkey, rt, back, backDropped); perr != nil {
			err := fmt.Errorf("alert %s: spec.delivery.group: %d objects taken from the store and not sent (%w); putting them back failed: %w", alertName, len(back), res.Err, perr)
			for _, ge := range back {
				d.report(ctx, Result{Event: ge.Event, Alert: alertName, Provider: res.Provider, Type: res.Type, Channel: res.Channel, Err: err})
			}
			return errors.Join(append(errs, err)...)
		}
		d.log.LogAttrs(ctx, slog.LevelWarn, "group left in the store, to be sent later",
			slog.String("alert", alertName), slog.Int("objects", len(back)), slog.Any("error", res.Err))
		return errors.Join(append(errs, fmt.Errorf("alert %s: spec.delivery.group: not sent, left in the store: %w", alertName, res.Err))...)
	}
	kept := make([]groupEntry, 0, len(entries))
	for i, ge := range entries {
		if err := d.recheck(tctx, r, rt, alertName, ge.Event); err != nil {
			res := Result{Event: ge.Event, Alert: alertName, Provider: ge.Provider, Type: ge.Type, Err: err}
			if rt != nil {
				res.Provider = rt.refName
				if rt.prov != nil {
					res.Type, res.Channel = rt.prov.p.Spec.Type, provider.Channel(rt.alert, rt.prov.p)
				}
			}
			if keep && ctx.Err() != nil {
				// ctx ended during the check (a Labeler reads it), which
				// may have made the object miss: what is not decided yet
				// goes back to the store.
				res.Err = ctx.Err()
				return leave(append(kept, entries[i:]...), dropped, res)
			}
			d.report(ctx, res)
			if !nothingSentOnPurpose(err) {
				errs = append(errs, err)
			}
			continue
		}
		kept = append(kept, ge)
	}
	if dropped > 0 && (len(kept) == 0 || !grouped(rt)) {
		// Counted, never kept: nothing to send them as.
		d.log.LogAttrs(ctx, slog.LevelWarn, "objects of a group were counted but not kept (the group was full, or they were unreadable); they are not sent",
			slog.String("alert", alertName), slog.Int("objects", dropped))
	}
	if len(kept) == 0 {
		return errors.Join(errs...)
	}
	var msgs []groupMessage
	if !grouped(rt) || (len(kept) == 1 && dropped == 0) {
		for _, ge := range kept {
			msgs = append(msgs, groupMessage{event: ge.Event, entries: []groupEntry{ge}, single: true})
		}
	} else {
		msgs = groupMessages(rt.alert, kept, dropped, rt.stateful.spec.Group.MaxObjectsOrDefault(), d.now())
	}
	for i, m := range msgs {
		res := d.sendNow(ctx, r, rt, m)
		if res.Err != nil && keep && (ctx.Err() != nil || errors.Is(res.Err, ErrAbandoned)) {
			// Interrupted: this message and the next go back to the store.
			var back []groupEntry
			backDropped := 0
			for _, m := range msgs[i:] {
				back = append(back, m.entries...)
				backDropped += m.dropped
			}
			return leave(back, backDropped, res)
		}
		d.report(ctx, res)
		if res.Err != nil {
			errs = append(errs, res.Err)
		}
	}
	return errors.Join(errs...)
}

// grouped reports whether rt groups its notifications.
func grouped(rt *route) bool { return rt != nil && rt.stateful != nil && rt.stateful.spec.Group != nil }

// decodeWindow returns the objects of a group's window, and how many more
// were counted: refused because the window was full, or not readable.
func decodeWindow(w state.Window) ([]groupEntry, int) {
	dropped := w.Dropped
	entries := make([]groupEntry, 0, len(w.Entries))
	for _, we := range w.Entries {
		var ge groupEntry
		switch err := json.Unmarshal(we.Value, &ge); {
		case err == nil && we.Member == droppedMember:
			dropped += ge.Dropped
		case err == nil && ge.Event != nil:
			ge.key, ge.raw = we.Member, we.Value
			entries = append(entries, ge)
		default:
			dropped++
		}
	}
	return entries, dropped
}

// recheck returns why a live event like e would not be delivered now
// through the alert alertName (route rt, nil when the alert is gone), in
// the order deliverOne checks: the alert takes e no more (ErrNotRouted),
// the route's configuration problem, a suspended provider (ErrSuspended),
// then Router.hold (Flux's delivery rules, workload identity, no
// notifier). It returns nil to send e.
func (d *Dispatcher) recheck(ctx context.Context, r *Router, rt *route, alertName string, e *event.Event) error {
	switch {
	case rt == nil:
		return fmt.Errorf("alert %s: %w: the alert was removed (or is not valid)", alertName, ErrNotRouted)
	case rt.alert.Spec.Suspend:
		return fmt.Errorf("alert %s: %w: the alert is suspended", alertName, ErrNotRouted)
	}
	var buf [8]*route
	if !slices.Contains(r.appendRoutes(ctx, buf[:0], e), rt) {
		return fmt.Errorf("alert %s: %w: the alert no longer matches the event (event sources, severity or spec.reasons changed)", alertName, ErrNotRouted)
	}
	switch {
	case rt.err != nil:
		return rt.err
	case rt.prov.p.Spec.Suspend:
		return fmt.Errorf("alert %s: provider %s: %w", alertName, rt.ref, ErrSuspended)
	}
	return r.hold(e, rt)
}

// nothingSentOnPurpose reports whether err says that nothing was sent on
// purpose (not a failure).
func nothingSentOnPurpose(err error) bool {
	return errors.Is(err, ErrNotRouted) || errors.Is(err, ErrSuspended) || errors.Is(err, provider.ErrSkipped)
}

// putBack returns to the window at gkey the objects of a group that was
// taken and not sent, and the count of those it did not keep. Objects that
// joined the group since it was taken are newer: they keep their values.
// It uses a context of its own, as the flush's has ended.
func (d *Dispatcher) putBack(gkey string, rt *route, entries []groupEntry, dropped int) error {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	newer, err := d.state.TakeWindow(ctx, gkey)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return err
	}
	values := make(map[string][]byte, len(entries)+len(newer.Entries))
	order := make([]string, 0, len(entries)+len(newer.Entries))
	for _, ge := range entries {
		if _, ok := values[ge.key]; !ok {
			order = append(order, ge.key)
		}
		values[ge.key] = ge.raw
	}
	newEntries, newDropped := decodeWindow(newer)
	dropped += newDropped
	for _, ge := range newEntries {
		if _, ok := values[ge.key]; !ok {
			order = append(order, ge.key)
		}
		values[ge.key] = ge.raw
	}
	g := grouping(rt)
	created := false
	add := func(member string, value []byte) error {
		ws, err := d.state.AddToWindow(ctx, gkey, member, value, windowLimit(g), windowTTL(g))
		created = created || ws.Created
		return err
	}
	var errs []error
	if dropped > 0 {
		// First: should the window be full, the last object is refused
		// and counted, so the count stays right.
		v, _ := json.Marshal(groupEntry{Dropped: dropped})
		errs = append(errs, add(droppedMember, v))
	}
	for _, k := range order {
		errs = append(errs, add(k, values[k]))
	}
	if created && !d.closing() {
		d.schedule(gkey, g)
	}
	return errors.Join(errs...)
}

// groupMessages are the messages a group is sent as: each lists at most
// max objects, failing ones first, then the others, in the order they
// joined; the last counts the objects left out (dropped were counted but
// not kept). Each message is an event of the alert a.
func groupMessages(a *alert.Alert, entries []groupEntry, dropped, max int, now time.Time) []groupMessage {
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
	var out []groupMessage
	for i := range msgs {
		part := ordered[i*max : min((i+1)*max, len(ordered))]
		m := groupMessage{entries: part}
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
		if i == msgs-1 {
			// The objects beyond MaxGroupMessages messages are counted.
			m.entries, m.dropped = ordered[i*max:], dropped
			if more := total - min(msgs*max, len(ordered)); more > 0 {
				fmt.Fprintf(&b, "\n… and %d more", more)
			}
		}
		m.event = &event.Event{
			InvolvedObject: corev1.ObjectReference{
				APIVersion: alert.Group + "/v1beta3", Kind: alert.Kind, Namespace: a.Namespace, Name: a.Name,
			},
			Severity:            sev.String(),
			Timestamp:           metav1.NewTime(now),
			Message:             b.String(),
			Reason:              ReasonGrouped,
			ReportingController: "fluxnotify",
		}
		out = append(out, m)
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

// sendNow delivers m through rt, outside of any event's delivery, holding
// a delivery slot (WithConcurrency) as every delivery does, and returns
// its Result; the caller logs and observes it.
func (d *Dispatcher) sendNow(ctx context.Context, r *Router, rt *route, m groupMessage) (res Result) {
	alertName := rt.name
	res = Result{Event: m.event, Alert: alertName, Provider: rt.refName}
	p := rt.prov.p
	res.Type, res.Channel = p.Spec.Type, provider.Channel(rt.alert, p)
	sl := slot{d: d}
	err := sl.take(ctx)
	defer sl.release()
	if err != nil {
		res.Err = fmt.Errorf("alert %s: provider %s: not delivered: %w", alertName, rt.ref, err)
		return res
	}
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	n, err := d.notifier(ctx, r, rt.prov)
	if err != nil {
		res.Err = fmt.Errorf("alert %s: %w", alertName, err)
		return res
	}
	switch ge := m.entries[0]; {
	case !m.single:
		d.send(ctx, &sl, r, m.event, rt, n, "", objectStatus{}, stayed, &res)
	case rt.stateful != nil:
		d.send(ctx, &sl, r, ge.Event, rt, n, ge.key, ge.Status, ge.Change, &res)
	default: // the alert no longer has spec.delivery: sent as any event
		dr, err := provider.Deliver(ctx, n, r.notification(ge.Event, rt), d.opts.retry, p.GetTimeout())
		res.Attempts = dr.Attempts
		if err != nil {
			res.Err = fmt.Errorf("alert %s: provider %s: %w", alertName, rt.ref, err)
		}
	}
	return res
}

// ErrNotRouted is wrapped by the Err of the Result of an event that
// joined a group of spec.delivery.group when, by the time the group is
// sent, a live event like it would no longer reach the alert: the alert
// was suspended, removed, or changed so that it no longer matches the
// event. Nothing is sent, on purpose, as for a live event; it is not a
// failure.
var ErrNotRouted = errors.New("the alert no longer takes the event")
