package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Store holds the state that must outlive one event: deduplication keys,
// Slack thread timestamps, the status of each involved object and the
// windows that aggregate events during an outage. Keys are strings (callers
// put a namespace prefix in front, see [Namespace]); values are bytes the
// store never interprets.
//
// Every operation is atomic on its key, also between processes sharing one
// backend (replicas of serve on one Redis). A TTL of zero means the entry
// never expires; a positive TTL counts from the write that sets it. Expired
// entries are never returned, whenever the backend reclaims their space.
//
// Values and windows share one key space: a value operation on a key that
// holds a window, or the reverse, fails with [ErrWrongType]. Errors are
// *[OpError] values that match [ErrNotFound], [ErrWrongType], [ErrInvalid],
// [ErrTooLarge], [ErrClosed], [ErrBackend] or the context's error with
// errors.Is. Slices passed in and returned are never retained or shared by
// the store.
//
// Implementations: [Memory] (the default), [File] (one process, survives
// restarts) and the Redis store of module
// github.com/fluxnotify/fluxnotify/state/redisstate (shared by replicas).
// Package statetest checks that an implementation behaves as this comment
// says.
type Store interface {
	// Get returns the value at key, or an error matching ErrNotFound when
	// there is none (never set, deleted or expired).
	Get(ctx context.Context, key string) ([]byte, error)

	// Set stores value at key with the given TTL, replacing any value and
	// its TTL.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// SetIfAbsent stores value at key only if no live entry is there, and
	// reports whether it did. Of many concurrent callers, on one process or
	// on replicas, exactly one gets true: it admits a deduplication key, or
	// makes its message the root of a Slack thread.
	SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error)

	// CompareAndSwap replaces the value at key with new, and its TTL with
	// ttl, only if the key holds a live value equal to old; it reports
	// whether it did. A missing key is not an error: it reports false. Use
	// SetIfAbsent to create, and [Update] for a read-modify-write loop.
	CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error)

	// CompareAndDelete deletes the value at key only if it equals old, and
	// reports whether it did: a replica releases its own claim, never one
	// that another replica made after the first expired.
	CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error)

	// Delete removes the entry at key, value or window. Deleting a missing
	// key is not an error.
	Delete(ctx context.Context, key string) error

	// AddToWindow adds member (an involved object, say) with value to the
	// window at key, creating the window with the given TTL if there is
	// none; adding to an existing window does not change its TTL. A member
	// already in the window gets the new value and keeps its place. A new
	// member is refused when the window already holds limit members: it is
	// counted in Dropped instead. limit must be positive.
	AddToWindow(ctx context.Context, key, member string, value []byte, limit int, ttl time.Duration) (WindowStatus, error)

	// TakeWindow removes the window at key and returns it, members in the
	// order they were first added. Of concurrent callers exactly one gets
	// the window; the others get an error matching ErrNotFound.
	TakeWindow(ctx context.Context, key string) (Window, error)

	// Keys returns the keys of live entries (values and windows) that
	// start with prefix, sorted: the first limit of them (limit must be
	// positive). It is for recovery, not for the delivery path: after a
	// restart, or when a replica went away, the windows nobody flushed are
	// found this way. It may cost time in proportion to the whole store.
	Keys(ctx context.Context, prefix string, limit int) ([]string, error)

	// Close releases the store. Operations after Close fail with
	// ErrClosed; closing twice is not an error.
	Close() error
}

// WindowStatus is what AddToWindow reports about the window after the add.
type WindowStatus struct {
	// Created is true when this add created the window: the caller that
	// sees it starts the timer that will flush the window.
	Created bool
	// Len is how many members the window holds.
	Len int
	// Dropped counts the adds of new members that the window refused
	// because it was full (an object refused twice counts twice).
	Dropped int
}

// Window is the content of an aggregation window, as TakeWindow returns it.
type Window struct {
	// Entries are the members with their latest values, in the order they
	// were first added.
	Entries []WindowEntry
	// Dropped counts the adds refused because the window was full; a
	// message says "and N more" with it.
	Dropped int
}

// WindowEntry is one member of a Window.
type WindowEntry struct {
	Member string
	Value  []byte
}

// Errors that store operations match with errors.Is.
var (
	// ErrNotFound: the key holds no live entry.
	ErrNotFound = errors.New("not found")
	// ErrWrongType: a value operation on a window, or the reverse.
	ErrWrongType = errors.New("key holds the other kind of entry (value or window)")
	// ErrInvalid: an argument is not valid (empty key, negative TTL,
	// limit below 1).
	ErrInvalid = errors.New("invalid argument")
	// ErrTooLarge: the entry is larger than the store can ever hold.
	ErrTooLarge = errors.New("entry too large for the store")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrBackend: the backend failed (disk, network, server); the error
	// wraps the backend's own error too. The operation may be retried.
	ErrBackend = errors.New("backend failure")
)

// OpError is the error every store operation returns: which operation on
// which key failed, and why. Keys are not secret and are shown; values
// never are.
type OpError struct {
	// Op is the Store method, such as "get" or "set-if-absent".
	Op string
	// Key is the key the operation concerned.
	Key string
	// Err matches one of the package's errors or the context's error.
	Err error
}

// Error returns "state: OP KEY: REASON".
func (e *OpError) Error() string {
	return "state: " + e.Op + " " + strconv.Quote(e.Key) + ": " + e.Err.Error()
}

// Unwrap returns the reason, for errors.Is and errors.As.
func (e *OpError) Unwrap() error { return e.Err }

// NewOpError returns the *OpError for operation op on key, with reason
// as its Err: one of the package's errors (wrapped or not) or the
// context's error. Store implementations outside this package use it, with
// BackendError, CheckArgs and CheckLimit, to report errors as the package
// documents.
func NewOpError(op, key string, reason error) error {
	return &OpError{Op: op, Key: key, Err: reason}
}

// BackendError returns the error for a failure of the backend itself: it
// matches both ErrBackend and cause. Store implementations use it.
func BackendError(op, key string, cause error) error {
	return &OpError{Op: op, Key: key, Err: fmt.Errorf("%w: %w", ErrBackend, cause)}
}

// CheckArgs validates the arguments common to store operations: the
// context is not done, the key is not empty, the TTL is not negative. It
// returns nil or the *OpError to return. Store implementations call it
// first.
func CheckArgs(ctx context.Context, op, key string, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return &OpError{Op: op, Key: key, Err: err}
	}
	if key == "" {
		return &OpError{Op: op, Key: key, Err: fmt.Errorf("%w: empty key", ErrInvalid)}
	}
	if ttl < 0 {
		return &OpError{Op: op, Key: key, Err: fmt.Errorf("%w: negative TTL %s", ErrInvalid, ttl)}
	}
	return nil
}

// CheckLimit validates the limit of AddToWindow and Keys.
func CheckLimit(op, key string, limit int) error {
	if limit < 1 {
		return &OpError{Op: op, Key: key, Err: fmt.Errorf("%w: limit %d, want at least 1", ErrInvalid, limit)}
	}
	return nil
}

// ErrConflict is returned by Update when other writers changed the value
// on every attempt.
var ErrConflict = errors.New("too many concurrent updates")

// maxUpdateAttempts bounds the read-modify-write loop of Update.
const maxUpdateAttempts = 100

// Update changes the value at key atomically: it reads the value (found
// is false when there is none), calls fn to compute the new one and writes
// it with the given TTL only if nobody changed the value in between;
// otherwise it reads again and calls fn again, so fn must have no side
// effects. It returns the value written. If fn returns an error, Update
// stops and returns that error unchanged, writing nothing. Per-object
// status (failing since, failure count, recovered at) is kept this way.
//
// After many failed attempts Update gives up with an error matching
// ErrConflict; it also stops when ctx is done.
func Update(ctx context.Context, s Store, key string, ttl time.Duration, fn func(old []byte, found bool) ([]byte, error)) ([]byte, error) {
	for range maxUpdateAttempts {
		old, err := s.Get(ctx, key)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		nv, err := fn(old, found)
		if err != nil {
			return nil, err
		}
		var ok bool
		if found {
			ok, err = s.CompareAndSwap(ctx, key, old, nv, ttl)
		} else {
			ok, err = s.SetIfAbsent(ctx, key, nv, ttl)
		}
		if err != nil {
			return nil, err
		}
		if ok {
			return nv, nil
		}
	}
	return nil, &OpError{Op: "update", Key: key, Err: ErrConflict}
}
