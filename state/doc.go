// Package state keeps what fluxnotify must remember between events:
// which events were already delivered (deduplication), the Slack thread
// of each failing object, the status of each object (failing since, how
// many failures, recovered at) and the windows that gather events during
// an outage into one message. This state must survive a restart of serve,
// and replicas of serve behind one Service must share it.
//
// A [Store] is a small key-value interface with TTLs and atomic
// operations: [Store.SetIfAbsent] for "the first one wins" (a new
// deduplication key, the root message of a thread, between goroutines or
// replicas), [Store.CompareAndSwap] and the [Update] loop for per-object
// status, [Store.CompareAndDelete] to release one's own claim, and
// [Store.AddToWindow] with [Store.TakeWindow] for bounded aggregation
// windows, and [Store.Keys] to find, after a restart, what a previous
// process left (the windows it did not flush). Keys are strings, values bytes; [Prefixed] gives each user of a
// store its own namespace. Errors are [*OpError] values classified by
// errors.Is: [ErrNotFound] apart from [ErrBackend] (the disk or the
// server failed), and [ErrWrongType], [ErrInvalid], [ErrTooLarge],
// [ErrClosed] or the context's error.
//
// # Engines
//
//   - [Memory], the default: one process, lost on restart, bounded in
//     entries and bytes (values closest to expiry go first, windows last).
//   - [File], a bbolt database in one file: one process, survives
//     restarts, TTLs keep counting while it is down.
//   - The Redis store of module github.com/fluxnotify/fluxnotify/state/redisstate
//     (its own module, so that the library does not depend on a Redis
//     client): shared by replicas, atomic on the server with Lua scripts.
//
// [Open] builds one from the spec a --state flag takes: "memory",
// "file:PATH" or "redis://HOST:PORT/DB" (once redisstate is imported,
// which [Register]s its schemes).
//
// # Testing
//
// Package statetest holds the behavioural suite every engine passes
// (statetest.Run, in the style of testing/slogtest) and the benchmarks of
// the delivery path (statetest.Benchmark). Authors of another engine run
// both against theirs. In tests of code that uses a store, a [Memory]
// store is the simple choice.
package state
