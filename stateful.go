package fluxnotify

import (
	"context"
	"log/slog"
	"time"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/state"
)

// Prefixes of the Dispatcher's keys in the store given with WithStore.
const (
	dedupPrefix = "dedup:"
)

// storeTimeout bounds a store operation made when the event's own context
// may have ended already (releasing a deduplication key after delivery).
const storeTimeout = 5 * time.Second

// WithStore puts the Dispatcher's state in s instead of the process's
// memory: deduplication keys (WithDedupWindow), and the Slack threads,
// object status and aggregation windows of alerts that ask for them. Replicas
// of a Dispatcher given one shared store (Redis, see package
// github.com/fluxnotify/fluxnotify/state/redisstate) deduplicate together;
// a state.File store keeps the state across a restart. The Dispatcher does
// not close s: the caller does, after Shutdown.
//
// Without WithStore, deduplication keeps its keys in memory, bounded by
// WithDedupCapacity, and the rest of the state in a state.Memory with its
// default bounds.
//
// A store that fails never loses an event: deduplication then admits the
// event (a duplicate may be delivered) and logs the error.
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
