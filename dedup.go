package fluxnotify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"sync"
	"time"

	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/state"
)

// DefaultDedupWindow is how long an event is remembered when no
// WithDedupWindow option is given: Flux's notification-controller uses the
// same five minutes.
const DefaultDedupWindow = 5 * time.Minute

// DefaultDedupCapacity is how many distinct events the deduplicator
// remembers at most when no WithDedupCapacity option is given. At about 40
// bytes an entry, a full deduplicator holds a few megabytes.
const DefaultDedupCapacity = 100_000

// dedup remembers which events were seen in the last window, so that the
// same event is delivered at most once per window, like Flux's event
// server does with its rate limiter.
//
// The window is fixed: it starts when an event is first seen, and a
// duplicate does not extend it. Memory is bounded: at most capacity entries
// are kept; when full, the oldest entry is forgotten first (so a flood of
// distinct events can make an old event deliverable again before its
// window ends, but never grows memory).
//
// Entries are kept in a ring ordered by first-seen time (which is insertion
// order, since the window is fixed), so expiry and eviction both pop from
// the head of the ring. The map points each key at its entry's time; a ring
// entry whose key was forgotten and seen again since is stale and skipped
// when popped.
type dedup struct {
	window   time.Duration
	capacity int
	now      func() time.Time
	seed     maphash.Seed
	// flux selects Flux's key (appendFluxKey) instead of the extended one.
	flux bool
	// store, when set (WithStore), holds the keys instead of the ring
	// below, so that replicas sharing it deduplicate together.
	store state.Store

	mu   sync.Mutex
	seen map[uint64]int64 // key hash -> first-seen time, Unix nanoseconds
	ring []dedupEntry     // circular, oldest at head
	head int
	n    int
}

type dedupEntry struct {
	key uint64
	at  int64
}

func newDedup(window time.Duration, capacity int) *dedup {
	if capacity <= 0 {
		capacity = DefaultDedupCapacity
	}
	return &dedup{
		window:   window,
		capacity: capacity,
		now:      time.Now,
		seed:     maphash.MakeSeed(),
		seen:     make(map[uint64]int64),
	}
}

// reserve reports whether key is new in the window, and remembers it if
// so, returning the time it was remembered at, for release.
func (d *dedup) reserve(key uint64) (at int64, ok bool) {
	now := d.now().UnixNano()
	win := int64(d.window)

	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now - win)
	if at, ok := d.seen[key]; ok && now-at < win {
		return 0, false
	}
	if d.n == d.capacity {
		d.pop()
	}
	d.push(dedupEntry{key: key, at: now})
	d.seen[key] = now
	return now, true
}

// release forgets key, reserved at at, so that the same event is new
// again: it matched no alert, or every delivery of it failed. A key
// reserved again since is kept. Its ring entry stays until it expires (pop
// skips it), so memory stays bounded.
func (d *dedup) release(key uint64, at int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur, ok := d.seen[key]; ok && cur == at {
		delete(d.seen, key)
	}
}

// expire forgets every entry seen at or before cutoff.
func (d *dedup) expire(cutoff int64) {
	for d.n > 0 && d.ring[d.head].at <= cutoff {
		d.pop()
	}
}

// pop removes the oldest ring entry, and its map entry unless the key was
// seen again since.
func (d *dedup) pop() {
	e := d.ring[d.head]
	d.ring[d.head] = dedupEntry{}
	d.head = (d.head + 1) % len(d.ring)
	d.n--
	if at, ok := d.seen[e.key]; ok && at == e.at {
		delete(d.seen, e.key)
	}
}

// push appends e to the ring, growing it (up to capacity) when full.
func (d *dedup) push(e dedupEntry) {
	if d.n == len(d.ring) {
		size := min(max(2*len(d.ring), 64), d.capacity)
		ring := make([]dedupEntry, size)
		for i := range d.n {
			ring[i] = d.ring[(d.head+i)%len(d.ring)]
		}
		d.ring, d.head = ring, 0
	}
	d.ring[(d.head+d.n)%len(d.ring)] = e
	d.n++
}

// key hashes what makes two events the same: the involved object (kind,
// namespace, name), the message, and the revision, origin revision and
// token metadata. In extended mode, each metadata value is read under the
// object's group prefix, or unprefixed (custom operators); a missing value
// differs from an empty one, and each part is length-prefixed so that no two
// different events hash the same input. In flux mode it is Flux's string
// (appendFluxKey). The hash
// is seeded per process, so it cannot be aimed at.
func (d *dedup) key(e *event.Event) uint64 {
	// One buffer, hashed once: cheaper than many small writes. It stays on
	// the stack unless the event is unusually long.
	var stack [512]byte
	return maphash.Bytes(d.seed, d.appendKey(stack[:0], e))
}

// appendKey appends to b what makes e the same as another event: Flux's
// key string in flux mode (appendFluxKey), the length-prefixed fields otherwise.
func (d *dedup) appendKey(b []byte, e *event.Event) []byte {
	if d.flux {
		return appendFluxKey(b, e)
	}
	o := &e.InvolvedObject
	b = appendField(b, o.Kind)
	b = appendField(b, o.Namespace)
	b = appendField(b, o.Name)
	b = appendField(b, e.Message)
	group := event.Group(e)
	for _, k := range [...]string{event.MetaRevisionKey, event.MetaOriginRevisionKey, event.MetaTokenKey} {
		v, ok := "", false
		if group != "" {
			var kb [128]byte
			// The conversion in the index expression does not allocate.
			v, ok = e.Metadata[string(append(append(append(kb[:0], group...), '/'), k...))]
		}
		if !ok {
			v, ok = e.Metadata[k]
		}
		if ok {
			b = append(b, 1)
			b = appendField(b, v)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

// appendFluxKey appends the very string that Flux's eventKeyFunc
// (internal/server/event_server.go) hashes with SHA-256, so two events are
// the same exactly when they are for Flux:
//
//	event/name=<name>/namespace=<namespace>/kind=<kind>/message=<message>
//
// followed, for each of originRevision, revision and token (in that order)
// present under "<group>/" (the involved object's API group, "" for the core
// group: "/revision"), by "/originRevision=<value>" and so on. Unprefixed
// keys are not read, and an empty value differs from a missing one.
func appendFluxKey(b []byte, e *event.Event) []byte {
	o := &e.InvolvedObject
	b = append(b, "event/name="...)
	b = append(b, o.Name...)
	b = append(b, "/namespace="...)
	b = append(b, o.Namespace...)
	b = append(b, "/kind="...)
	b = append(b, o.Kind...)
	b = append(b, "/message="...)
	b = append(b, e.Message...)
	group := event.Group(e)
	for _, k := range [...]string{event.MetaOriginRevisionKey, event.MetaRevisionKey, event.MetaTokenKey} {
		var kb [128]byte
		// The conversion in the index expression does not allocate.
		if v, ok := e.Metadata[string(append(append(append(kb[:0], group...), '/'), k...))]; ok {
			b = append(append(append(append(b, '/'), k...), '='), v...)
		}
	}
	return b
}

// appendField appends s to b with its length in front.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// storeKey is the key of e in a shared store: the SHA-256, in hex, of what
// key hashes. It is the same in every process, so replicas on one store
// agree; in flux mode it is exactly the key Flux's eventKeyFunc computes.
func (d *dedup) storeKey(e *event.Event) string {
	var stack [512]byte
	sum := sha256.Sum256(d.appendKey(stack[:0], e))
	return hex.EncodeToString(sum[:])
}

// reserveShared is reserve on the shared store: of the replicas that see
// the same event within the window, exactly one gets ok. It returns the
// claim that releaseShared needs. A store that fails admits the event: a
// duplicate is better than a lost notification; the error is returned for
// the caller to log.
func (d *dedup) reserveShared(ctx context.Context, key string) (claim []byte, ok bool, err error) {
	var c [16]byte
	_, _ = rand.Read(c[:])
	claim = []byte(hex.EncodeToString(c[:]))
	ok, err = d.store.SetIfAbsent(ctx, key, claim, d.window)
	if err != nil {
		return nil, true, err
	}
	return claim, ok, nil
}

// releaseShared forgets key if it still holds this reservation's claim.
func (d *dedup) releaseShared(ctx context.Context, key string, claim []byte) error {
	_, err := d.store.CompareAndDelete(ctx, key, claim)
	return err
}
