package state

import (
	"context"
	"strings"
	"sync/atomic"
	"time"
)

// Prefixed returns a view of s in which every key gets prefix in front, so
// that the users of one store (deduplication, threads, status, windows) and
// the applications sharing one Redis never meet: Prefixed(s, "dedup:").
// Errors name the full key.
//
// Closing the view closes only the view: its operations then fail with
// ErrClosed, while s and its other views keep working.
func Prefixed(s Store, prefix string) Store {
	return &prefixed{s: s, p: prefix}
}

type prefixed struct {
	s      Store
	p      string
	closed atomic.Bool
}

func (v *prefixed) check(op, key string) error {
	if v.closed.Load() {
		return &OpError{Op: op, Key: v.p + key, Err: ErrClosed}
	}
	if key == "" {
		// An empty key is refused even though the prefix is not empty.
		return CheckArgs(context.Background(), op, "", 0)
	}
	return nil
}

func (v *prefixed) Get(ctx context.Context, key string) ([]byte, error) {
	if err := v.check("get", key); err != nil {
		return nil, err
	}
	return v.s.Get(ctx, v.p+key)
}

func (v *prefixed) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := v.check("set", key); err != nil {
		return err
	}
	return v.s.Set(ctx, v.p+key, value, ttl)
}

func (v *prefixed) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := v.check("set-if-absent", key); err != nil {
		return false, err
	}
	return v.s.SetIfAbsent(ctx, v.p+key, value, ttl)
}

func (v *prefixed) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	if err := v.check("compare-and-swap", key); err != nil {
		return false, err
	}
	return v.s.CompareAndSwap(ctx, v.p+key, old, new, ttl)
}

func (v *prefixed) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	if err := v.check("compare-and-delete", key); err != nil {
		return false, err
	}
	return v.s.CompareAndDelete(ctx, v.p+key, old)
}

func (v *prefixed) Delete(ctx context.Context, key string) error {
	if err := v.check("delete", key); err != nil {
		return err
	}
	return v.s.Delete(ctx, v.p+key)
}

func (v *prefixed) AddToWindow(ctx context.Context, key, member string, value []byte, limit int, ttl time.Duration) (WindowStatus, error) {
	if err := v.check("add-to-window", key); err != nil {
		return WindowStatus{}, err
	}
	return v.s.AddToWindow(ctx, v.p+key, member, value, limit, ttl)
}

func (v *prefixed) TakeWindow(ctx context.Context, key string) (Window, error) {
	if err := v.check("take-window", key); err != nil {
		return Window{}, err
	}
	return v.s.TakeWindow(ctx, v.p+key)
}

func (v *prefixed) Keys(ctx context.Context, prefix string, limit int) ([]string, error) {
	if v.closed.Load() {
		return nil, &OpError{Op: "keys", Key: v.p + prefix, Err: ErrClosed}
	}
	keys, err := v.s.Keys(ctx, v.p+prefix, limit)
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, v.p)
	}
	return keys, err
}

func (v *prefixed) Close() error {
	v.closed.Store(true)
	return nil
}
