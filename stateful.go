package fluxnotify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
	"github.com/fluxnotify/fluxnotify/state"
	"github.com/fluxnotify/fluxnotify/template"
)

// Prefixes of the Dispatcher's keys in its store.
const (
	dedupPrefix  = "dedup:"
	statusPrefix = "status:"
	threadPrefix = "thread:"
	groupPrefix  = "group:"
	// groupSentPrefix keys when each alert's last group was taken to be
	// sent, so that every replica keeps group.interval between the groups
	// of one alert (see recordSent); no key of it starts with groupPrefix.
	groupSentPrefix = "groupsent:"
)

// StateTTL is how long the status of an involved object and the timestamp
// of its Slack thread are kept after its last event: a week. An object
// silent for longer starts a new thread.
const StateTTL = 7 * 24 * time.Hour

// storeTimeout bounds a store operation made when the event's own context
// may have ended already (releasing a deduplication key after delivery).
const storeTimeout = 5 * time.Second

// pendingRoot is the value of a thread key while the replica that claimed
// it posts the root message; pendingTTL bounds how long a claim lives if
// that replica dies, and rootWait how long another replica waits for it.
const (
	pendingRoot = "pending"
	pendingTTL  = 2 * time.Minute
	rootWait    = 10 * time.Second
)

// WithStore puts the Dispatcher's state in s instead of the process's
// memory: deduplication keys (WithDedupWindow), and, for alerts with
// spec.delivery, the Slack thread of each object, its status (failing
// since, failures, recovered at) and the groups of spec.delivery.group.
// Replicas of a Dispatcher given one shared store (Redis, see package
// github.com/fluxnotify/fluxnotify/state/redisstate) deduplicate together,
// post one root message per thread and reply in it; a state.File store
// keeps all of it across a restart. The Dispatcher does not close s: the
// caller does, after Shutdown.
//
// Without WithStore, deduplication keeps its keys in memory, bounded by
// WithDedupCapacity, and the rest of the state is kept in a state.Memory
// with its default bounds.
//
// A store that fails never loses an event: deduplication then admits the
// event (a duplicate may be delivered), a thread that cannot be found is
// replaced by a message in the channel, and the error is logged.
func WithStore(s state.Store) Option {
	return dispatcherOption(func(o *dispatcherOptions) { o.store = s })
}

// reserveShared reserves e in the shared store; see dedup.reserveShared.
func (d *Dispatcher) reserveShared(ctx context.Context, e *event.Event) ticket {
	t := ticket{skey: d.dedup.storeKey(e)}
	claim, ok, err := d.dedup.reserveShared(ctx, t.skey)
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "deduplication store failed; delivering the event",
			slog.String("object", eventObject(e)), slog.Any("error", err))
	}
	t.ok, t.claim = ok, claim
	return t
}

// release forgets the reservation of t: nothing was delivered.
func (d *Dispatcher) release(ctx context.Context, t ticket) {
	if d.dedup.store == nil {
		d.dedup.release(t.key, t.at)
		return
	}
	if t.claim == nil { // the store failed when reserving: nothing to release
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := d.dedup.releaseShared(ctx, t.skey, t.claim); err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "deduplication store failed to forget an undelivered event; its copies are dropped until the window ends",
			slog.Any("error", err))
	}
}

// statefulRoute is what spec.delivery asks of one route, compiled once.
type statefulRoute struct {
	spec      *alert.Delivery
	threadKey *template.Template // nil: the involved object
}

// planDelivery compiles the spec.delivery of route r (of alert a), or
// returns nil when there is none. Its error is a configuration problem
// naming the alert and the field; when it also stops the route from
// delivering as asked, r.err is set to it.
func (rt *Router) planDelivery(a *alert.Alert, r *route) (*statefulRoute, error) {
	dl := a.Spec.Delivery
	if dl.IsZero() {
		return nil, nil
	}
	name := a.NamespacedName()
	if rt.opts.mode == match.Flux {
		return nil, fmt.Errorf("alert %s: spec.delivery: not a Flux field; ignored in flux mode", name)
	}
	sr := &statefulRoute{spec: dl}
	if !dl.Threaded() {
		return sr, nil
	}
	if k := dl.Thread.Key; k != "" {
		t, err := template.Parse(&template.Spec{Text: k})
		if err != nil {
			return nil, fmt.Errorf("alert %s: spec.delivery.thread.key: %w", name, err)
		}
		sr.threadKey = t
	}
	if r.prov == nil || r.err != nil {
		return sr, nil
	}
	p := r.prov.p
	if p.Spec.Type != slack.Type {
		r.err = fmt.Errorf("alert %s: spec.delivery.thread: provider %s is of type %q: threads need a Slack provider with a bot token", name, r.ref, p.Spec.Type)
		return sr, r.err
	}
	// The Config's Secrets tell whether the provider has a bot token; a
	// controller's Secrets (WithSecrets) are known only at delivery time,
	// which then fails the same way.
	if c, err := provider.Resolve(context.Background(), p, rt.secrets); err == nil && c.Token == "" && c.Address != "" {
		r.err = fmt.Errorf("alert %s: spec.delivery.thread: provider %s: %w", name, r.ref, slack.ErrNoThreads)
		return sr, r.err
	}
	return sr, nil
}

// threader is a notifier that can post in threads: a Slack one with a bot
// token.
type threader interface {
	CanThread() bool
	Post(ctx context.Context, n *provider.Notification, o slack.PostOptions) (string, error)
	Update(ctx context.Context, n *provider.Notification, ts string, o slack.PostOptions) error
}

// objectStatus is what the store keeps about one involved object, per
// alert (or thread key).
type objectStatus struct {
	Object      string    `json:"object"`
	Failing     bool      `json:"failing,omitempty"`
	Since       time.Time `json:"since,omitzero"`       // failing since
	Failures    int       `json:"failures,omitempty"`   // errors in the current (or last) failing spell
	RecoveredAt time.Time `json:"recoveredAt,omitzero"` // when the last spell ended
	Revision    string    `json:"revision,omitempty"`
	Events      int       `json:"events"`
	// Unsent marks a change of state whose notification failed: the next
	// event sends it, so that no change is lost.
	Unsent bool `json:"unsent,omitempty"`
}

// transition is how an event changes an object's status.
type transition uint8

const (
	stayed    transition = iota // same state as before: a repeat
	failed                      // first error after none (or after recovery)
	recovered                   // first event that is not an error after errors
	unknown                     // the store failed: sent, as if a change
)

// next returns the status after e, and the transition.
func (st objectStatus) next(e *event.Event, now time.Time) (objectStatus, transition) {
	st.Object = eventObject(e)
	st.Events++
	if rev, ok := event.Revision(e); ok && rev != "" {
		st.Revision = rev
	}
	isErr := isError(e)
	tr := stayed
	switch {
	case isErr && !st.Failing:
		st.Failing, st.Since, st.Failures = true, now, 1
		tr = failed
	case isErr:
		st.Failures++
	case st.Failing:
		st.Failing, st.RecoveredAt = false, now
		tr = recovered
	}
	if tr == stayed && st.Unsent { // the last change was not sent: send it now
		tr = recovered
		if st.Failing {
			tr = failed
		}
	}
	return st, tr
}

// line is the status shown on a thread's root message and in groups, in
// Slack mrkdwn.
func (st objectStatus) line() string {
	obj := "*" + template.EscapeSlack(st.Object) + "*"
	var b strings.Builder
	switch {
	case st.Failing:
		fmt.Fprintf(&b, ":red_circle: %s failing since %s · %s", obj, clock(st.Since), nFailures(st.Failures))
	case !st.RecoveredAt.IsZero():
		fmt.Fprintf(&b, ":large_green_circle: %s recovered at %s after %s (failing since %s)", obj, clock(st.RecoveredAt), nFailures(st.Failures), clock(st.Since))
	default:
		fmt.Fprintf(&b, ":large_green_circle: %s", obj)
	}
	if st.Revision != "" {
		b.WriteString(" · last revision " + template.EscapeSlack(st.Revision))
	}
	return b.String()
}

func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func nFailures(n int) string {
	if n == 1 {
		return "1 failure"
	}
	return strconv.Itoa(n) + " failures"
}

// stateKey names the state of e through route rt: the alert, then the
// thread key (the involved object by default).
func (d *Dispatcher) stateKey(ctx context.Context, r *Router, e *event.Event, rt *route) string {
	k := eventObject(e)
	if t := rt.stateful.threadKey; t != nil {
		if m, err := t.RenderContext(ctx, r.notification(e, rt).Data, nil); err == nil && m.Text != "" {
			k = m.Text
		}
	}
	return rt.name + "|" + k
}

// updateStatus records e in the status of key and returns the new status
// and the transition. A store that fails gives the status e alone implies,
// as a transition, so that the event is sent.
func (d *Dispatcher) updateStatus(ctx context.Context, key string, e *event.Event) (objectStatus, transition, error) {
	now := d.now()
	var st objectStatus
	var tr transition
	_, err := state.Update(ctx, d.state, statusPrefix+key, StateTTL, func(old []byte, found bool) ([]byte, error) {
		var prev objectStatus
		if found {
			if err := json.Unmarshal(old, &prev); err != nil {
				prev = objectStatus{} // a corrupt record starts again
			}
		}
		st, tr = prev.next(e, now)
		return json.Marshal(st)
	})
	if err != nil {
		st, tr = objectStatus{}.next(e, now)
		if tr == stayed {
			tr = unknown
		}
	}
	return st, tr, err
}

// deliverStateful delivers e through rt, whose alert has spec.delivery,
// with notifier n, holding the delivery slot sl: it records the object's
// status, counts repeats (transitions), adds to a group, or posts in the
// object's thread.
func (d *Dispatcher) deliverStateful(ctx context.Context, sl *slot, r *Router, e *event.Event, rt *route, n provider.Notifier, res *Result) {
	start := time.Now()
	defer func() { res.Duration = time.Since(start) }()
	sr := rt.stateful
	key := d.stateKey(ctx, r, e, rt)
	st, tr, err := d.updateStatus(ctx, key, e)
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "state store failed; the event is sent as a change of state",
			slog.String("alert", res.Alert), slog.String("object", eventObject(e)), slog.Any("error", err))
	}
	if sr.spec.Transitions && tr == stayed {
		res.Deferred = true // counted in the status, shown on the root or the recovery
		return
	}
	if sr.spec.Group != nil {
		d.addToGroup(ctx, rt, key, e, st, tr, res)
		return
	}
	d.send(ctx, sl, r, e, rt, n, key, st, tr, res)
	if unsent := res.Err != nil; unsent != st.Unsent && tr != stayed {
		d.markUnsent(ctx, key, unsent)
	}
}

// markUnsent records whether the last change of state of key was sent.
func (d *Dispatcher) markUnsent(ctx context.Context, key string, unsent bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	_, err := state.Update(ctx, d.state, statusPrefix+key, StateTTL, func(old []byte, found bool) ([]byte, error) {
		var st objectStatus
		if found {
			_ = json.Unmarshal(old, &st)
		}
		st.Unsent = unsent
		return json.Marshal(st)
	})
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "state store failed to record a change of state", slog.Any("error", err))
	}
}

// send delivers e now, holding the delivery slot sl: in the object's
// thread when the alert asks for one, else as any notification.
func (d *Dispatcher) send(ctx context.Context, sl *slot, r *Router, e *event.Event, rt *route, n provider.Notifier, key string, st objectStatus, tr transition, res *Result) {
	notification := r.notification(e, rt)
	if tr == recovered {
		// The recovery sums up the failing spell.
		md := make(map[string]string, len(notification.Data.Metadata)+1)
		for k, v := range notification.Data.Metadata {
			md[k] = v
		}
		md["failures"] = nFailures(st.Failures) + " since " + clock(st.Since)
		notification.Data.Metadata = md
	}
	p := rt.prov.p
	wrap := func(err error) error {
		return fmt.Errorf("alert %s: provider %s: %w", res.Alert, rt.ref, err)
	}
	if !rt.stateful.spec.Threaded() || key == "" { // key "": a group's message, to the channel
		dr, err := provider.Deliver(ctx, n, notification, d.opts.retry, p.GetTimeout())
		res.Attempts = dr.Attempts
		if err != nil {
			res.Err = wrap(err)
		}
		return
	}
	th, ok := n.(threader)
	if !ok || !th.CanThread() {
		res.Err = wrap(fmt.Errorf("spec.delivery.thread: %w", slack.ErrNoThreads))
		return
	}
	post := func(o slack.PostOptions) (string, error) {
		var ts string
		dr, err := provider.Deliver(ctx, provider.NotifierFunc(func(ctx context.Context, n *provider.Notification) error {
			var err error
			ts, err = th.Post(ctx, n, o)
			return err
		}), notification, d.opts.retry, p.GetTimeout())
		res.Attempts += dr.Attempts
		return ts, err
	}
	tkey := threadPrefix + key
	channel := notification.Data.Channel
	root, err := d.threadRoot(ctx, sl, tkey, channel)
	if err != nil && !sl.held {
		// The wait for another replica's root ended with ctx or the
		// Dispatcher: nothing was posted.
		res.Err = wrap(fmt.Errorf("not delivered: %w", err))
		return
	}
	if err != nil {
		d.log.LogAttrs(ctx, slog.LevelWarn, "state store failed; posting in the channel instead of the thread",
			slog.String("alert", res.Alert), slog.String("object", eventObject(e)), slog.Any("error", err))
	}
	switch {
	case root == "" && err == nil:
		// This replica claimed the thread: its message is the root.
		ts, perr := post(slack.PostOptions{Text: st.line()})
		if perr != nil {
			// Give the claim back, so that the next event posts the root;
			// bounded, as the event's context may have ended.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
			_, _ = d.state.CompareAndDelete(cctx, tkey, []byte(pendingRoot))
			cancel()
			res.Err = wrap(perr)
			return
		}
		if err := d.state.Set(ctx, tkey, []byte(channel+"\n"+ts), StateTTL); err != nil {
			d.log.LogAttrs(ctx, slog.LevelWarn, "state store failed to keep a thread", slog.String("alert", res.Alert), slog.Any("error", err))
		}
	case root == "":
		if _, perr := post(slack.PostOptions{}); perr != nil {
			res.Err = wrap(perr)
		}
	default:
		broadcast := rt.stateful.spec.Thread.BroadcastErrors && isError(e)
		if _, perr := post(slack.PostOptions{ThreadTS: root, Broadcast: broadcast}); perr != nil {
			res.Err = wrap(perr)
			return
		}
		// The root shows the object's state; failing to update it loses
		// nothing: the reply is in the thread.
		if err := th.Update(ctx, notification, root, slack.PostOptions{Text: st.line()}); err != nil {
			d.log.LogAttrs(ctx, slog.LevelWarn, "updating the root message of a thread failed",
				slog.String("alert", res.Alert), slog.String("object", eventObject(e)), slog.Any("error", err))
		}
		res.Attempts++
	}
}

// threadRoot returns the ts of the thread at tkey in channel. It returns
// "" and no error when the caller must post the root (it claimed the key),
// and "" with an error when there is no usable thread (the store failed, or
// the replica that claimed the key did not post in time): post to the
// channel then.
//
// While another replica posts the root (up to rootWait), the caller's
// delivery slot sl is given back, so that a slow replica holds back no
// other delivery, and taken again once the wait is over. If ctx or the
// Dispatcher ends first, or while the slot is awaited, threadRoot returns
// their error with sl not held: the caller must not post.
func (d *Dispatcher) threadRoot(ctx context.Context, sl *slot, tkey, channel string) (root string, err error) {
	deadline := time.Now().Add(rootWait)
	waited := false
	defer func() {
		if waited {
			if serr := sl.take(ctx); serr != nil {
				if root == "" && err == nil {
					// This replica claimed the thread and will not post
					// its root: give the claim back, bounded, as ctx ended.
					cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
					_, _ = d.state.CompareAndDelete(cctx, tkey, []byte(pendingRoot))
					cancel()
				}
				root, err = "", serr
			}
		}
	}()
	for {
		v, err := d.state.Get(ctx, tkey)
		switch {
		case errors.Is(err, state.ErrNotFound):
			won, err := d.state.SetIfAbsent(ctx, tkey, []byte(pendingRoot), pendingTTL)
			if err != nil {
				return "", err
			}
			if won {
				return "", nil
			}
			continue // another replica claimed it: read its root
		case err != nil:
			return "", err
		}
		if string(v) != pendingRoot {
			ch, ts, _ := strings.Cut(string(v), "\n")
			if ch != channel { // the alert moved: a new thread in the new channel
				ok, err := d.state.CompareAndSwap(ctx, tkey, v, []byte(pendingRoot), pendingTTL)
				if err != nil {
					return "", err
				}
				if ok {
					return "", nil
				}
				continue
			}
			return ts, nil
		}
		if time.Now().After(deadline) {
			return "", errors.New("the root message of the thread was not posted in time by the replica that claimed it")
		}
		if !waited {
			waited = true
			sl.release()
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err() // the deferred take reports the Dispatcher's end
		case <-d.base.Done():
			return "", d.base.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// slot is a delivery slot of WithConcurrency, held by one delivery:
// every delivery, a live event's or a group's message, takes one before it
// calls a notifier, so at most WithConcurrency notifiers run at once.
type slot struct {
	d    *Dispatcher
	held bool
}

// take waits for a slot of d. It fails, holding nothing, when ctx ends
// first, or the Dispatcher's context ended (wrapping ErrAbandoned).
func (s *slot) take(ctx context.Context) error {
	if s.held {
		return nil
	}
	if ctx.Err() == nil {
		select {
		case s.d.sem <- struct{}{}:
			s.held = true
		case <-ctx.Done():
		}
	}
	err := ctx.Err()
	if berr := s.d.base.Err(); berr != nil {
		// Checked apart from ctx, which follows the Dispatcher's context
		// asynchronously in Dispatch.
		err = fmt.Errorf("%w: %w", ErrAbandoned, berr)
	}
	if err != nil {
		s.release()
	}
	return err
}

// release gives the slot back, if held.
func (s *slot) release() {
	if s.held {
		s.held = false
		<-s.d.sem
	}
}

// isError reports whether e is an error event.
func isError(e *event.Event) bool {
	sev, err := event.ParseSeverity(e.Severity)
	return err == nil && sev == event.SeverityError
}
