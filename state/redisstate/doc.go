// Package redisstate is a state.Store on Redis, for replicas of serve that
// must share deduplication keys, Slack threads, object status and
// aggregation windows: two replicas behind one Service deduplicate
// together, post one root message per thread and flush each window once.
//
// It lives in its own module so that the library does not depend on a
// Redis client. Importing it registers the schemes redis and rediss with
// state.Open, so a --state flag takes redis://HOST:PORT/DB:
//
//	import _ "github.com/fluxnotify/fluxnotify/state/redisstate"
//
//	s, err := state.Open(ctx, "redis://redis.flux-system:6379/0")
//
// Every operation is one Redis command or one Lua script, so it is atomic
// on the server whatever the number of clients. Keys get a prefix
// (DefaultPrefix unless WithPrefix says otherwise), so applications can
// share a database. Values are Redis strings; a window is a Redis hash.
// TTLs are Redis's own (PX, PEXPIRE), in milliseconds, rounded up.
//
// # Testing
//
// The tests of this package start a real redis-server on a loopback port
// (Debian package redis-server) and stop it when done; without it they
// skip, or fail when the environment variable CI is true.
package redisstate
