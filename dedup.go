package fluxnotify

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/fluxnotify/fluxnotify/event"
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

// admit reports whether e is new in the window, and remembers it if so. A
// nil dedup (deduplication turned off) admits everything.
func (d *dedup) admit(e *event.Event) bool {
	if d == nil {
		return true
	}
	key := d.key(e)
	now := d.now().UnixNano()
	win := int64(d.window)

	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now - win)
	if at, ok := d.seen[key]; ok && now-at < win {
		return false
	}
	if d.n == d.capacity {
		d.pop()
	}
	d.push(dedupEntry{key: key, at: now})
	d.seen[key] = now
	return true
}

// len returns how many events are remembered.
func (d *dedup) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.seen)
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

// key hashes what makes two events the same for Flux: the involved object
// (kind, namespace, name), the message, and the revision, origin revision
// and token metadata (under the object's group prefix, or unprefixed). Each
// part is length-prefixed so that no two different events hash the same
// input. The hash is seeded per process, so it cannot be aimed at.
func (d *dedup) key(e *event.Event) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	write := func(s string) {
		var n [8]byte
		l := uint64(len(s))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		_, _ = h.Write(n[:])
		_, _ = h.WriteString(s)
	}
	o := &e.InvolvedObject
	write(o.Kind)
	write(o.Namespace)
	write(o.Name)
	write(e.Message)
	group := event.Group(e)
	var buf [128]byte
	for _, k := range [...]string{event.MetaRevisionKey, event.MetaOriginRevisionKey, event.MetaTokenKey} {
		v, ok := "", false
		if group != "" {
			// The conversion in the index expression does not allocate.
			b := append(append(append(buf[:0], group...), '/'), k...)
			v, ok = e.Metadata[string(b)]
		}
		if !ok {
			v = e.Metadata[k]
		}
		write(v)
	}
	return h.Sum64()
}
