package state

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Default bounds of a Memory store, used when no option sets them.
const (
	// DefaultMaxEntries is how many entries (values and windows) a Memory
	// store holds at most.
	DefaultMaxEntries = 100_000
	// DefaultMaxBytes is how many bytes of keys, values and bookkeeping a
	// Memory store holds at most (an estimate that counts Go's overhead).
	DefaultMaxBytes = 64 << 20
)

// Per-entry overheads counted against MaxBytes: map slot, entry struct,
// heap slot; and per window member.
const (
	memEntryOverhead  = 96
	memMemberOverhead = 48
)

// MemoryOption configures a Memory store.
type MemoryOption func(*Memory)

// WithMaxEntries bounds how many entries a Memory store holds; n <= 0 keeps
// DefaultMaxEntries.
func WithMaxEntries(n int) MemoryOption {
	return func(m *Memory) {
		if n > 0 {
			m.maxEntries = n
		}
	}
}

// WithMaxBytes bounds the bytes a Memory store holds (keys, values, window
// members and a fixed overhead per entry); n <= 0 keeps DefaultMaxBytes.
func WithMaxBytes(n int64) MemoryOption {
	return func(m *Memory) {
		if n > 0 {
			m.maxBytes = n
		}
	}
}

// Memory is a Store in the memory of one process: the default, for one
// serve whose state may be lost on restart. It is bounded: when a write
// would take it over its entry or byte bound, expired entries go first,
// then the values closest to expiry (values without a TTL last), and
// windows only when no value is left, since a lost window would lose the
// events it gathered; the entry being written is never the one evicted. An
// evicted deduplication key lets a repeat through early; memory never
// grows past the bounds.
//
// Expired entries are reclaimed as writes happen; a Memory store starts no
// goroutine. It is safe for concurrent use.
type Memory struct {
	maxEntries int
	maxBytes   int64
	now        func() time.Time

	mu      sync.Mutex
	m       map[string]*memEntry
	values  memHeap // value entries, for expiry and eviction
	windows memHeap // window entries, evicted only when no value is left
	bytes   int64
	seq     uint64
	evicted uint64
	closed  bool
}

type memEntry struct {
	key   string
	value []byte     // a value; nil for a window
	win   *memWindow // a window; nil for a value
	exp   int64      // expiry, Unix nanoseconds; 0: never
	seq   uint64     // write order, breaks ties between equal expiries
	size  int64
	index int // in its heap
}

type memWindow struct {
	index   map[string]int
	entries []WindowEntry
	dropped int
}

// NewMemory returns an empty Memory store.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{
		maxEntries: DefaultMaxEntries,
		maxBytes:   DefaultMaxBytes,
		now:        time.Now,
		m:          make(map[string]*memEntry),
	}
	for _, o := range opts {
		o(m)
	}
	return m
}

// MemoryStats is what a Memory store holds.
type MemoryStats struct {
	// Entries counts values and windows, including expired ones not yet
	// reclaimed.
	Entries int
	// Bytes is the estimate counted against the byte bound.
	Bytes int64
	// Evicted counts the live entries removed to respect the bounds.
	Evicted uint64
}

// Stats reports what the store holds.
func (m *Memory) Stats() MemoryStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MemoryStats{Entries: len(m.m), Bytes: m.bytes, Evicted: m.evicted}
}

// begin validates the arguments and locks the store; on success the caller
// must unlock.
func (m *Memory) begin(ctx context.Context, op, key string, ttl time.Duration) (int64, error) {
	if err := CheckArgs(ctx, op, key, ttl); err != nil {
		return 0, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, &OpError{Op: op, Key: key, Err: ErrClosed}
	}
	return m.now().UnixNano(), nil
}

// live returns the live entry at key, removing it if it expired.
func (m *Memory) live(key string, now int64) *memEntry {
	e := m.m[key]
	if e == nil {
		return nil
	}
	if e.exp != 0 && e.exp <= now {
		m.remove(e)
		return nil
	}
	return e
}

// heap returns the heap e belongs to.
func (m *Memory) heap(e *memEntry) *memHeap {
	if e.win != nil {
		return &m.windows
	}
	return &m.values
}

func (m *Memory) remove(e *memEntry) {
	heap.Remove(m.heap(e), e.index)
	delete(m.m, e.key)
	m.bytes -= e.size
}

func expiry(now int64, ttl time.Duration) int64 {
	if ttl == 0 {
		return 0
	}
	return now + int64(ttl)
}

func valueSize(key string, value []byte) int64 {
	return int64(len(key)+len(value)) + memEntryOverhead
}

// put stores a value at key (which holds no live entry or a value).
func (m *Memory) put(op, key string, value []byte, ttl time.Duration, now int64) error {
	size := valueSize(key, value)
	if size > m.maxBytes {
		return &OpError{Op: op, Key: key, Err: fmt.Errorf("%w: %d bytes, bound %d", ErrTooLarge, size, m.maxBytes)}
	}
	m.seq++
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	e := m.m[key]
	if e == nil {
		e = &memEntry{key: key}
		m.m[key] = e
		e.value, e.exp, e.seq, e.size = v, expiry(now, ttl), m.seq, size
		heap.Push(&m.values, e)
	} else {
		m.bytes -= e.size
		e.value, e.exp, e.seq, e.size = v, expiry(now, ttl), m.seq, size
		heap.Fix(&m.values, e.index)
	}
	m.bytes += size
	m.trim(e, now)
	return nil
}

// trim reclaims expired entries at the front of both heaps, then evicts
// values, and windows only when no value is left, until the store is
// within its bounds, sparing keep.
func (m *Memory) trim(keep *memEntry, now int64) {
	kh := m.heap(keep)
	heap.Remove(kh, keep.index)
	for _, h := range []*memHeap{&m.values, &m.windows} {
		for h.Len() > 0 && (*h)[0].exp != 0 && (*h)[0].exp <= now {
			m.remove((*h)[0])
		}
	}
	for len(m.m) > m.maxEntries || m.bytes > m.maxBytes {
		h := &m.values
		if h.Len() == 0 {
			h = &m.windows
		}
		if h.Len() == 0 {
			break
		}
		m.evicted++
		m.remove((*h)[0])
	}
	heap.Push(kh, keep)
}

func wrongType(op, key string) error {
	return &OpError{Op: op, Key: key, Err: ErrWrongType}
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	now, err := m.begin(ctx, "get", key, 0)
	if err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	e := m.live(key, now)
	switch {
	case e == nil:
		return nil, &OpError{Op: "get", Key: key, Err: ErrNotFound}
	case e.win != nil:
		return nil, wrongType("get", key)
	}
	return bytes.Clone(e.value), nil
}

// Set implements Store.
func (m *Memory) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	now, err := m.begin(ctx, "set", key, ttl)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	if e := m.live(key, now); e != nil && e.win != nil {
		return wrongType("set", key)
	}
	return m.put("set", key, value, ttl, now)
}

// SetIfAbsent implements Store.
func (m *Memory) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	now, err := m.begin(ctx, "set-if-absent", key, ttl)
	if err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	if e := m.live(key, now); e != nil {
		if e.win != nil {
			return false, wrongType("set-if-absent", key)
		}
		return false, nil
	}
	if err := m.put("set-if-absent", key, value, ttl, now); err != nil {
		return false, err
	}
	return true, nil
}

// CompareAndSwap implements Store.
func (m *Memory) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	now, err := m.begin(ctx, "compare-and-swap", key, ttl)
	if err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	if e, err := m.holding("compare-and-swap", key, old, now); e == nil {
		return false, err
	}
	if err := m.put("compare-and-swap", key, new, ttl, now); err != nil {
		return false, err
	}
	return true, nil
}

// CompareAndDelete implements Store.
func (m *Memory) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	now, err := m.begin(ctx, "compare-and-delete", key, 0)
	if err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	e, err := m.holding("compare-and-delete", key, old, now)
	if e == nil {
		return false, err
	}
	m.remove(e)
	return true, nil
}

// holding returns the live value entry of key when it holds exactly old,
// for the compare-and-* operations; nil otherwise, with an error when key
// holds a window. m.mu must be held.
func (m *Memory) holding(op, key string, old []byte, now int64) (*memEntry, error) {
	e := m.live(key, now)
	switch {
	case e == nil:
		return nil, nil
	case e.win != nil:
		return nil, wrongType(op, key)
	case !bytes.Equal(e.value, old):
		return nil, nil
	}
	return e, nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, key string) error {
	_, err := m.begin(ctx, "delete", key, 0)
	if err != nil {
		return err
	}
	defer m.mu.Unlock()
	if e := m.m[key]; e != nil {
		m.remove(e)
	}
	return nil
}

// AddToWindow implements Store.
func (m *Memory) AddToWindow(ctx context.Context, key, member string, value []byte, limit int, ttl time.Duration) (WindowStatus, error) {
	const op = "add-to-window"
	if err := CheckLimit(op, key, limit); err != nil {
		return WindowStatus{}, err
	}
	now, err := m.begin(ctx, op, key, ttl)
	if err != nil {
		return WindowStatus{}, err
	}
	defer m.mu.Unlock()
	e := m.live(key, now)
	created := e == nil
	if e != nil && e.win == nil {
		return WindowStatus{}, wrongType(op, key)
	}
	var w *memWindow
	var grow int64
	if created {
		w = &memWindow{index: make(map[string]int)}
		grow = int64(len(key)) + memEntryOverhead
	} else {
		w = e.win
	}
	i, present := w.index[member]
	switch {
	case present:
		grow += int64(len(value) - len(w.entries[i].Value))
	case len(w.entries) < limit:
		grow += int64(len(member)+len(value)) + memMemberOverhead
	}
	size := grow
	if e != nil {
		size += e.size
	}
	if size > m.maxBytes {
		return WindowStatus{}, &OpError{Op: op, Key: key, Err: fmt.Errorf("%w: window of %d bytes, bound %d", ErrTooLarge, size, m.maxBytes)}
	}
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	switch {
	case present:
		w.entries[i].Value = v
	case len(w.entries) < limit:
		w.index[member] = len(w.entries)
		w.entries = append(w.entries, WindowEntry{Member: member, Value: v})
	default:
		w.dropped++
	}
	if created {
		m.seq++
		e = &memEntry{key: key, win: w, exp: expiry(now, ttl), seq: m.seq}
		m.m[key] = e
		heap.Push(&m.windows, e)
	}
	e.size = size
	m.bytes += grow
	m.trim(e, now)
	return WindowStatus{Created: created, Len: len(w.entries), Dropped: w.dropped}, nil
}

// TakeWindow implements Store.
func (m *Memory) TakeWindow(ctx context.Context, key string) (Window, error) {
	const op = "take-window"
	now, err := m.begin(ctx, op, key, 0)
	if err != nil {
		return Window{}, err
	}
	defer m.mu.Unlock()
	e := m.live(key, now)
	switch {
	case e == nil:
		return Window{}, &OpError{Op: op, Key: key, Err: ErrNotFound}
	case e.win == nil:
		return Window{}, wrongType(op, key)
	}
	m.remove(e)
	// The entries are no longer reachable from the store: hand them over.
	return Window{Entries: e.win.entries, Dropped: e.win.dropped}, nil
}

// Keys implements Store. It visits every entry.
func (m *Memory) Keys(ctx context.Context, prefix string, limit int) ([]string, error) {
	const op = "keys"
	if err := CheckLimit(op, prefix, limit); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &OpError{Op: op, Key: prefix, Err: err}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, &OpError{Op: op, Key: prefix, Err: ErrClosed}
	}
	now := m.now().UnixNano()
	var keys []string
	for k, e := range m.m {
		if strings.HasPrefix(k, prefix) && (e.exp == 0 || e.exp > now) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if len(keys) > limit {
		keys = keys[:limit]
	}
	return keys, nil
}

// Close empties the store; later operations fail with ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.m, m.values, m.windows, m.bytes = nil, nil, nil, 0
	return nil
}

// memHeap orders entries by expiry, soonest first, entries that never
// expire last; ties go to the oldest write. Values and windows have a heap
// each.
type memHeap []*memEntry

func (h memHeap) Len() int { return len(h) }
func (h memHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.exp != b.exp {
		switch {
		case a.exp == 0:
			return false
		case b.exp == 0:
			return true
		}
		return a.exp < b.exp
	}
	return a.seq < b.seq
}
func (h memHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *memHeap) Push(x any) {
	e := x.(*memEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *memHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}
