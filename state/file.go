package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DefaultLockTimeout is how long OpenFile waits for another process to
// release the file when no WithLockTimeout option is given.
const DefaultLockTimeout = time.Second

// maxFileKey is the longest key a File store takes (bbolt's key limit, less
// the expiry index's prefix).
const maxFileKey = bolt.MaxKeySize - 8

// sweepBatch bounds how many expired entries one write reclaims.
const sweepBatch = 64

// Buckets of a File store: entries by key, and the expiry index (expiry
// in Unix nanoseconds, big endian, then the key) that lets writes reclaim
// expired entries in order.
var (
	bucketEntries = []byte("entries")
	bucketExpiry  = []byte("expiry")
)

// Kinds of record, the first byte of an entry.
const (
	kindValue  byte = 'v'
	kindWindow byte = 'w'
)

// FileOption configures a File store.
type FileOption func(*fileConfig)

type fileConfig struct {
	noSync      bool
	lockTimeout time.Duration
}

// WithNoSync makes a File store write without fsync: writes get much
// faster and survive a crash of the process, but the last ones may be lost
// if the machine fails.
func WithNoSync() FileOption { return func(c *fileConfig) { c.noSync = true } }

// WithLockTimeout sets how long OpenFile waits for another process that
// holds the file; d <= 0 keeps DefaultLockTimeout.
func WithLockTimeout(d time.Duration) FileOption {
	return func(c *fileConfig) {
		if d > 0 {
			c.lockTimeout = d
		}
	}
}

// File is a Store in one file on disk (a bbolt database), for a single
// serve whose state must survive restarts: thread timestamps, status and
// deduplication keys are there after a restart, with their TTLs, which
// keep counting while the process is down. Only one process can open the
// file at a time; replicas share a Redis store instead.
//
// Every write is a transaction, synced to disk before it returns unless
// WithNoSync is given. Expired entries are never returned; each write
// reclaims some of them, oldest first, and OpenFile reclaims all, so the
// file holds about the live entries (bbolt reuses freed pages; the file
// itself never shrinks). The context is checked before each operation; a
// transaction that has begun runs to its end. It is safe for concurrent use.
type File struct {
	db     *bolt.DB
	now    func() time.Time
	closed atomic.Bool
}

// OpenFile opens the File store at path, creating the file (mode 0600) if
// needed, and reclaims the entries that expired while it was closed.
func OpenFile(path string, opts ...FileOption) (*File, error) {
	cfg := fileConfig{lockTimeout: DefaultLockTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: cfg.lockTimeout, NoSync: cfg.noSync})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("state: open file store %s: another process holds it (waited %s): %w", path, cfg.lockTimeout, err)
		}
		return nil, fmt.Errorf("state: open file store %s: %w", path, err)
	}
	f := &File{db: db, now: time.Now}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEntries, bucketExpiry} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		t := f.tx(tx)
		for t.sweep(sweepBatch) == sweepBatch {
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("state: open file store %s: %w", path, err)
	}
	return f, nil
}

// Path returns the path of the file.
func (f *File) Path() string { return f.db.Path() }

// fileTx is one transaction on the store's buckets.
type fileTx struct {
	entries, expiry *bolt.Bucket
	now             int64
}

func (f *File) tx(tx *bolt.Tx) *fileTx {
	return &fileTx{entries: tx.Bucket(bucketEntries), expiry: tx.Bucket(bucketExpiry), now: f.now().UnixNano()}
}

// record is a decoded entry; payload aliases the database until copied.
type record struct {
	kind    byte
	exp     int64
	payload []byte
}

// get returns the live record at key.
func (t *fileTx) get(key string) (record, bool) {
	raw := t.entries.Get([]byte(key))
	if len(raw) < 9 {
		return record{}, false
	}
	r := record{kind: raw[0], exp: int64(binary.BigEndian.Uint64(raw[1:9])), payload: raw[9:]}
	if r.exp != 0 && r.exp <= t.now {
		return record{}, false
	}
	return r, true
}

func indexKey(exp int64, key string) []byte {
	k := make([]byte, 8, 8+len(key))
	binary.BigEndian.PutUint64(k, uint64(exp))
	return append(k, key...)
}

// put writes the record at key, replacing the expiry index entry of
// whatever was there.
func (t *fileTx) put(key string, kind byte, exp int64, payload []byte) error {
	if err := t.del(key); err != nil {
		return err
	}
	raw := make([]byte, 9, 9+len(payload))
	raw[0] = kind
	binary.BigEndian.PutUint64(raw[1:9], uint64(exp))
	raw = append(raw, payload...)
	if err := t.entries.Put([]byte(key), raw); err != nil {
		return err
	}
	if exp != 0 {
		return t.expiry.Put(indexKey(exp, key), nil)
	}
	return nil
}

// del removes the entry at key, live or expired, and its index entry.
func (t *fileTx) del(key string) error {
	raw := t.entries.Get([]byte(key))
	if raw == nil {
		return nil
	}
	if len(raw) >= 9 {
		if exp := int64(binary.BigEndian.Uint64(raw[1:9])); exp != 0 {
			if err := t.expiry.Delete(indexKey(exp, key)); err != nil {
				return err
			}
		}
	}
	return t.entries.Delete([]byte(key))
}

// sweep reclaims up to n expired entries, soonest expiry first, and returns
// how many it reclaimed.
func (t *fileTx) sweep(n int) int {
	var idx [][]byte
	c := t.expiry.Cursor()
	for k, _ := c.First(); k != nil && len(idx) < n; k, _ = c.Next() {
		if len(k) >= 8 && int64(binary.BigEndian.Uint64(k[:8])) > t.now {
			break
		}
		idx = append(idx, bytes.Clone(k))
	}
	for _, k := range idx {
		_ = t.expiry.Delete(k)
		if len(k) < 8 {
			continue
		}
		if key := string(k[8:]); t.entries.Get([]byte(key)) != nil {
			if _, live := t.get(key); !live {
				_ = t.entries.Delete([]byte(key))
			}
		}
	}
	return len(idx)
}

// view runs fn in a read transaction.
func (f *File) view(ctx context.Context, op, key string, fn func(t *fileTx) error) error {
	if err := f.check(ctx, op, key, 0); err != nil {
		return err
	}
	return f.classify(op, key, f.db.View(func(tx *bolt.Tx) error { return fn(f.tx(tx)) }))
}

// update runs fn in a write transaction that also reclaims expired entries.
func (f *File) update(ctx context.Context, op, key string, ttl time.Duration, fn func(t *fileTx) error) error {
	if err := f.check(ctx, op, key, ttl); err != nil {
		return err
	}
	return f.classify(op, key, f.db.Update(func(tx *bolt.Tx) error {
		t := f.tx(tx)
		if err := fn(t); err != nil {
			return err
		}
		t.sweep(sweepBatch)
		return nil
	}))
}

func (f *File) check(ctx context.Context, op, key string, ttl time.Duration) error {
	if err := CheckArgs(ctx, op, key, ttl); err != nil {
		return err
	}
	if f.closed.Load() {
		return &OpError{Op: op, Key: key, Err: ErrClosed}
	}
	if len(key) > maxFileKey {
		return &OpError{Op: op, Key: key[:64] + "…", Err: fmt.Errorf("%w: key of %d bytes, bound %d", ErrTooLarge, len(key), maxFileKey)}
	}
	return nil
}

func (f *File) classify(op, key string, err error) error {
	var oe *OpError
	switch {
	case err == nil, errors.As(err, &oe):
		return err
	case errors.Is(err, bolterrors.ErrDatabaseNotOpen):
		return &OpError{Op: op, Key: key, Err: ErrClosed}
	case errors.Is(err, bolterrors.ErrValueTooLarge), errors.Is(err, bolterrors.ErrKeyTooLarge):
		return &OpError{Op: op, Key: key, Err: fmt.Errorf("%w: %w", ErrTooLarge, err)}
	}
	return BackendError(op, key, err)
}

// Get implements Store.
func (f *File) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := f.view(ctx, "get", key, func(t *fileTx) error {
		r, ok := t.get(key)
		switch {
		case !ok:
			return &OpError{Op: "get", Key: key, Err: ErrNotFound}
		case r.kind != kindValue:
			return wrongType("get", key)
		}
		v = bytes.Clone(r.payload)
		if v == nil {
			v = []byte{}
		}
		return nil
	})
	return v, err
}

// refuse reads key and reports whether the operation can end now without
// writing: when the key holds a window (an error), or a value for which
// refused returns true. A missing key is never refused here: that is
// decided inside the write transaction.
func (f *File) refuse(ctx context.Context, op, key string, refused func(record) bool) (bool, error) {
	var done bool
	err := f.view(ctx, op, key, func(t *fileTx) error {
		r, ok := t.get(key)
		switch {
		case !ok:
		case r.kind != kindValue:
			return wrongType(op, key)
		default:
			done = refused(r)
		}
		return nil
	})
	return done, err
}

// Set implements Store.
func (f *File) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return f.update(ctx, "set", key, ttl, func(t *fileTx) error {
		if r, ok := t.get(key); ok && r.kind != kindValue {
			return wrongType("set", key)
		}
		return t.put(key, kindValue, expiry(t.now, ttl), value)
	})
}

// SetIfAbsent implements Store.
func (f *File) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	// A duplicate is the common case: refuse it with a read, without a
	// synced write. If the read finds no entry, the write checks again.
	if done, err := f.refuse(ctx, "set-if-absent", key, func(r record) bool { return true }); done || err != nil {
		return false, err
	}
	var set bool
	err := f.update(ctx, "set-if-absent", key, ttl, func(t *fileTx) error {
		if r, ok := t.get(key); ok {
			if r.kind != kindValue {
				return wrongType("set-if-absent", key)
			}
			return nil
		}
		set = true
		return t.put(key, kindValue, expiry(t.now, ttl), value)
	})
	return set && err == nil, err
}

// CompareAndSwap implements Store.
func (f *File) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	if done, err := f.refuse(ctx, "compare-and-swap", key, func(r record) bool { return !bytes.Equal(r.payload, old) }); done || err != nil {
		return false, err
	}
	var swapped bool
	err := f.update(ctx, "compare-and-swap", key, ttl, func(t *fileTx) error {
		r, ok := t.get(key)
		switch {
		case !ok:
			return nil
		case r.kind != kindValue:
			return wrongType("compare-and-swap", key)
		case !bytes.Equal(r.payload, old):
			return nil
		}
		swapped = true
		return t.put(key, kindValue, expiry(t.now, ttl), new)
	})
	return swapped && err == nil, err
}

// CompareAndDelete implements Store.
func (f *File) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	var deleted bool
	err := f.update(ctx, "compare-and-delete", key, 0, func(t *fileTx) error {
		r, ok := t.get(key)
		switch {
		case !ok:
			return nil
		case r.kind != kindValue:
			return wrongType("compare-and-delete", key)
		case !bytes.Equal(r.payload, old):
			return nil
		}
		deleted = true
		return t.del(key)
	})
	return deleted && err == nil, err
}

// Delete implements Store.
func (f *File) Delete(ctx context.Context, key string) error {
	return f.update(ctx, "delete", key, 0, func(t *fileTx) error { return t.del(key) })
}

// AddToWindow implements Store.
func (f *File) AddToWindow(ctx context.Context, key, member string, value []byte, limit int, ttl time.Duration) (WindowStatus, error) {
	const op = "add-to-window"
	if err := CheckLimit(op, key, limit); err != nil {
		return WindowStatus{}, err
	}
	var st WindowStatus
	err := f.update(ctx, op, key, ttl, func(t *fileTx) error {
		r, ok := t.get(key)
		var w Window
		exp := expiry(t.now, ttl)
		if ok {
			if r.kind != kindWindow {
				return wrongType(op, key)
			}
			var err error
			if w, err = decodeWindow(r.payload); err != nil {
				return err
			}
			exp = r.exp
		}
		st = addToWindow(&w, member, value, limit)
		st.Created = !ok
		return t.put(key, kindWindow, exp, encodeWindow(w))
	})
	if err != nil {
		return WindowStatus{}, err
	}
	return st, nil
}

// addToWindow adds member to w as AddToWindow says.
func addToWindow(w *Window, member string, value []byte, limit int) WindowStatus {
	v := bytes.Clone(value)
	if v == nil {
		v = []byte{}
	}
	found := false
	for i := range w.Entries {
		if w.Entries[i].Member == member {
			w.Entries[i].Value, found = v, true
			break
		}
	}
	switch {
	case found:
	case len(w.Entries) < limit:
		w.Entries = append(w.Entries, WindowEntry{Member: member, Value: v})
	default:
		w.Dropped++
	}
	return WindowStatus{Len: len(w.Entries), Dropped: w.Dropped}
}

// TakeWindow implements Store.
func (f *File) TakeWindow(ctx context.Context, key string) (Window, error) {
	const op = "take-window"
	var w Window
	err := f.update(ctx, op, key, 0, func(t *fileTx) error {
		r, ok := t.get(key)
		switch {
		case !ok:
			return &OpError{Op: op, Key: key, Err: ErrNotFound}
		case r.kind != kindWindow:
			return wrongType(op, key)
		}
		var err error
		if w, err = decodeWindow(r.payload); err != nil {
			return err
		}
		return t.del(key)
	})
	if err != nil {
		return Window{}, err
	}
	return w, nil
}

// Keys implements Store. It reads the keys in order from the first one
// with the prefix.
func (f *File) Keys(ctx context.Context, prefix string, limit int) ([]string, error) {
	const op = "keys"
	if err := CheckLimit(op, prefix, limit); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &OpError{Op: op, Key: prefix, Err: err}
	}
	if f.closed.Load() {
		return nil, &OpError{Op: op, Key: prefix, Err: ErrClosed}
	}
	var keys []string
	err := f.db.View(func(tx *bolt.Tx) error {
		t := f.tx(tx)
		c := t.entries.Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && len(keys) < limit; k, _ = c.Next() {
			if _, live := t.get(string(k)); live {
				keys = append(keys, string(k))
			}
		}
		return nil
	})
	if err != nil {
		return nil, f.classify(op, prefix, err)
	}
	return keys, nil
}

// Close closes the file; later operations fail with ErrClosed.
func (f *File) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("state: close file store %s: %w", f.db.Path(), err)
	}
	return nil
}

// encodeWindow writes a window as: dropped, count, then for each entry the
// member and the value, each preceded by its length (uvarints).
func encodeWindow(w Window) []byte {
	n := 2 * binary.MaxVarintLen64
	for _, e := range w.Entries {
		n += 2*binary.MaxVarintLen64 + len(e.Member) + len(e.Value)
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(w.Dropped))
	b = binary.AppendUvarint(b, uint64(len(w.Entries)))
	for _, e := range w.Entries {
		b = binary.AppendUvarint(b, uint64(len(e.Member)))
		b = append(b, e.Member...)
		b = binary.AppendUvarint(b, uint64(len(e.Value)))
		b = append(b, e.Value...)
	}
	return b
}

var errCorrupt = errors.New("corrupt window record")

// decodeWindow reads what encodeWindow wrote, copying out of b.
func decodeWindow(b []byte) (Window, error) {
	var w Window
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	take := func() ([]byte, bool) {
		l, ok := next()
		if !ok || l > uint64(len(b)) {
			return nil, false
		}
		v := bytes.Clone(b[:l])
		if v == nil {
			v = []byte{}
		}
		b = b[l:]
		return v, true
	}
	dropped, ok1 := next()
	count, ok2 := next()
	if !ok1 || !ok2 || count > uint64(len(b)) {
		return Window{}, errCorrupt
	}
	w.Dropped = int(dropped)
	w.Entries = make([]WindowEntry, 0, count)
	for range count {
		m, ok1 := take()
		v, ok2 := take()
		if !ok1 || !ok2 {
			return Window{}, errCorrupt
		}
		w.Entries = append(w.Entries, WindowEntry{Member: string(m), Value: v})
	}
	return w, nil
}
