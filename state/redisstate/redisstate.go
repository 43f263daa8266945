package redisstate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fluxnotify/fluxnotify/state"
)

// DefaultPrefix is put in front of every key when no WithPrefix option is
// given.
const DefaultPrefix = "fluxnotify:"

func init() {
	open := func(ctx context.Context, spec string) (state.Store, error) { return Open(ctx, spec) }
	state.Register("redis", open)
	state.Register("rediss", open)
}

// Option configures a Store.
type Option func(*Store)

// WithPrefix sets the prefix of every key in Redis.
func WithPrefix(prefix string) Option { return func(s *Store) { s.prefix = prefix } }

// Store is a state.Store on a Redis server (or a Redis-compatible one that
// runs Lua scripts, such as Valkey). It is safe for concurrent use.
type Store struct {
	c      redis.UniversalClient
	prefix string
	owns   bool
	closed atomic.Bool
}

// New returns a Store that uses the client c. Closing the Store does not
// close c, which stays the caller's.
func New(c redis.UniversalClient, opts ...Option) *Store {
	s := &Store{c: c, prefix: DefaultPrefix}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Open connects to the Redis server a URL names
// (redis://[[USER]:PASSWORD@]HOST:PORT/DB, or rediss:// for TLS, with the
// query parameters of go-redis's ParseURL) and checks that it answers.
// Closing the Store closes the connection. Errors never show the password.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstate: open %s: %v", state.Redact(url), redactErr(err, url))
	}
	c := redis.NewClient(o)
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redisstate: open %s: %w", state.Redact(url), err)
	}
	s := New(c, opts...)
	s.owns = true
	return s, nil
}

// redactErr returns err, or a generic error when its text holds the URL.
func redactErr(err error, url string) error {
	if strings.Contains(err.Error(), url) || strings.Contains(err.Error(), "@") {
		return errors.New("invalid URL")
	}
	return err
}

// Close implements state.Store: later operations fail with
// state.ErrClosed, and the connection is closed if Open made it.
func (s *Store) Close() error {
	if s.closed.Swap(true) || !s.owns {
		return nil
	}
	if err := s.c.Close(); err != nil {
		return fmt.Errorf("redisstate: close: %w", err)
	}
	return nil
}

func (s *Store) check(ctx context.Context, op, key string, ttl time.Duration) error {
	if err := state.CheckArgs(ctx, op, key, ttl); err != nil {
		return err
	}
	if s.closed.Load() {
		return state.NewOpError(op, key, state.ErrClosed)
	}
	return nil
}

// classify turns a client error into the package state's errors.
func (s *Store) classify(ctx context.Context, op, key string, err error) error {
	var rerr redis.Error
	switch {
	case ctx.Err() != nil:
		return state.NewOpError(op, key, ctx.Err())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return state.NewOpError(op, key, err)
	case errors.Is(err, redis.ErrClosed):
		return state.NewOpError(op, key, state.ErrClosed)
	case errors.As(err, &rerr) && strings.Contains(rerr.Error(), "WRONGTYPE"):
		return state.NewOpError(op, key, state.ErrWrongType)
	}
	return state.BackendError(op, key, err)
}

// ms is a TTL in Redis's milliseconds, rounded up; 0 means none.
func ms(ttl time.Duration) int64 {
	m := ttl.Milliseconds()
	if ttl%time.Millisecond != 0 {
		m++
	}
	return m
}

const wrongType = `return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')`

var (
	// setScript: ARGV value, ttl ms. Refuses a window.
	setScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1]).ok
if t ~= 'none' and t ~= 'string' then ` + wrongType + ` end
if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`)

	// setIfAbsentScript: ARGV value, ttl ms. 1 if set.
	setIfAbsentScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'string' then return 0 end
if t ~= 'none' then ` + wrongType + ` end
if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`)

	// casScript: ARGV old, new, ttl ms. 1 if swapped.
	casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`)

	// cadScript: ARGV old. 1 if deleted.
	cadScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`)

	// addScript: ARGV member, value, limit, ttl ms. A window is a hash:
	// '#seq' counts members ever added, '#dropped' the refused adds, and
	// 'm:'..member holds the member's order (16 hex digits) then its value.
	// Returns {created, len, dropped}.
	addScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1]).ok
local created = 0
if t == 'none' then
  created = 1
  redis.call('HSET', KEYS[1], '#seq', 0, '#dropped', 0)
  if ARGV[4] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
elseif t ~= 'hash' then
  ` + wrongType + `
end
local f = 'm:' .. ARGV[1]
local cur = redis.call('HGET', KEYS[1], f)
local n = redis.call('HLEN', KEYS[1]) - 2
if cur then
  redis.call('HSET', KEYS[1], f, string.sub(cur, 1, 16) .. ARGV[2])
elseif n < tonumber(ARGV[3]) then
  local seq = redis.call('HINCRBY', KEYS[1], '#seq', 1)
  redis.call('HSET', KEYS[1], f, string.format('%016x', seq) .. ARGV[2])
  n = n + 1
else
  redis.call('HINCRBY', KEYS[1], '#dropped', 1)
end
return {created, n, tonumber(redis.call('HGET', KEYS[1], '#dropped'))}`)

	// takeScript returns the window's fields and deletes it, or nil.
	takeScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'none' then return false end
if t ~= 'hash' then ` + wrongType + ` end
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return all`)
)

// Get implements state.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	const op = "get"
	if err := s.check(ctx, op, key, 0); err != nil {
		return nil, err
	}
	v, err := s.c.Get(ctx, s.prefix+key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, state.NewOpError(op, key, state.ErrNotFound)
	case err != nil:
		return nil, s.classify(ctx, op, key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Set implements state.Store.
func (s *Store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "set"
	if err := s.check(ctx, op, key, ttl); err != nil {
		return err
	}
	if err := setScript.Run(ctx, s.c, []string{s.prefix + key}, value, ms(ttl)).Err(); err != nil {
		return s.classify(ctx, op, key, err)
	}
	return nil
}

// flag runs a script that returns 0 or 1.
func (s *Store) flag(ctx context.Context, op, key string, sc *redis.Script, args ...any) (bool, error) {
	n, err := sc.Run(ctx, s.c, []string{s.prefix + key}, args...).Int()
	if err != nil {
		return false, s.classify(ctx, op, key, err)
	}
	return n == 1, nil
}

// SetIfAbsent implements state.Store.
func (s *Store) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	const op = "set-if-absent"
	if err := s.check(ctx, op, key, ttl); err != nil {
		return false, err
	}
	return s.flag(ctx, op, key, setIfAbsentScript, value, ms(ttl))
}

// CompareAndSwap implements state.Store.
func (s *Store) CompareAndSwap(ctx context.Context, key string, old, new []byte, ttl time.Duration) (bool, error) {
	const op = "compare-and-swap"
	if err := s.check(ctx, op, key, ttl); err != nil {
		return false, err
	}
	return s.flag(ctx, op, key, casScript, old, new, ms(ttl))
}

// CompareAndDelete implements state.Store.
func (s *Store) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	const op = "compare-and-delete"
	if err := s.check(ctx, op, key, 0); err != nil {
		return false, err
	}
	return s.flag(ctx, op, key, cadScript, old)
}

// Delete implements state.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	const op = "delete"
	if err := s.check(ctx, op, key, 0); err != nil {
		return err
	}
	if err := s.c.Del(ctx, s.prefix+key).Err(); err != nil {
		return s.classify(ctx, op, key, err)
	}
	return nil
}

// AddToWindow implements state.Store.
func (s *Store) AddToWindow(ctx context.Context, key, member string, value []byte, limit int, ttl time.Duration) (state.WindowStatus, error) {
	const op = "add-to-window"
	if err := state.CheckLimit(op, key, limit); err != nil {
		return state.WindowStatus{}, err
	}
	if err := s.check(ctx, op, key, ttl); err != nil {
		return state.WindowStatus{}, err
	}
	r, err := addScript.Run(ctx, s.c, []string{s.prefix + key}, member, value, limit, ms(ttl)).Int64Slice()
	if err != nil {
		return state.WindowStatus{}, s.classify(ctx, op, key, err)
	}
	if len(r) != 3 {
		return state.WindowStatus{}, state.BackendError(op, key, fmt.Errorf("script returned %d values, want 3", len(r)))
	}
	return state.WindowStatus{Created: r[0] == 1, Len: int(r[1]), Dropped: int(r[2])}, nil
}

// TakeWindow implements state.Store.
func (s *Store) TakeWindow(ctx context.Context, key string) (state.Window, error) {
	const op = "take-window"
	if err := s.check(ctx, op, key, 0); err != nil {
		return state.Window{}, err
	}
	fields, err := takeScript.Run(ctx, s.c, []string{s.prefix + key}).StringSlice()
	switch {
	case errors.Is(err, redis.Nil):
		return state.Window{}, state.NewOpError(op, key, state.ErrNotFound)
	case err != nil:
		return state.Window{}, s.classify(ctx, op, key, err)
	}
	w, err := decodeWindow(fields)
	if err != nil {
		return state.Window{}, state.BackendError(op, key, err)
	}
	return w, nil
}

// scanCount is the COUNT hint of each SCAN call of Keys.
const scanCount = 1000

// Keys implements state.Store with SCAN, which visits the whole database.
func (s *Store) Keys(ctx context.Context, prefix string, limit int) ([]string, error) {
	const op = "keys"
	if err := state.CheckLimit(op, prefix, limit); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, state.NewOpError(op, prefix, err)
	}
	if s.closed.Load() {
		return nil, state.NewOpError(op, prefix, state.ErrClosed)
	}
	match := globEscape(s.prefix+prefix) + "*"
	seen := map[string]bool{} // SCAN may return a key twice
	var cursor uint64
	for {
		keys, next, err := s.c.Scan(ctx, cursor, match, scanCount).Result()
		if err != nil {
			return nil, s.classify(ctx, op, prefix, err)
		}
		for _, k := range keys {
			seen[strings.TrimPrefix(k, s.prefix)] = true
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// globEscape quotes the characters that Redis's MATCH patterns give a
// meaning to.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decodeWindow reads the field/value pairs of a window hash.
func decodeWindow(fields []string) (state.Window, error) {
	type entry struct {
		seq uint64
		e   state.WindowEntry
	}
	var w state.Window
	var es []entry
	for i := 0; i+1 < len(fields); i += 2 {
		f, v := fields[i], fields[i+1]
		switch {
		case f == "#dropped":
			n, err := strconv.Atoi(v)
			if err != nil {
				return w, fmt.Errorf("window field #dropped: %w", err)
			}
			w.Dropped = n
		case strings.HasPrefix(f, "m:"):
			if len(v) < 16 {
				return w, fmt.Errorf("window member %q: short record", f[2:])
			}
			seq, err := strconv.ParseUint(v[:16], 16, 64)
			if err != nil {
				return w, fmt.Errorf("window member %q: %w", f[2:], err)
			}
			es = append(es, entry{seq, state.WindowEntry{Member: f[2:], Value: []byte(v[16:])}})
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	w.Entries = make([]state.WindowEntry, len(es))
	for i, e := range es {
		w.Entries[i] = e.e
	}
	return w, nil
}
