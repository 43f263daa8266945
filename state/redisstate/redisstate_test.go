package redisstate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify/state"
	"github.com/fluxnotify/fluxnotify/state/redisstate"
	"github.com/fluxnotify/fluxnotify/state/redisstate/redistest"
	"github.com/fluxnotify/fluxnotify/state/statetest"
)

// TestMain stops the shared redis-server, then checks that no test left a
// goroutine behind.
func TestMain(m *testing.M) {
	// The client logs failed dials; the tests that cause them check errors.
	redis.SetLogger(quiet{})
	code := m.Run()
	redistest.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// prefixes gives each store of the suite its own key space on the shared
// server.
var prefixes atomic.Int64

// client returns a new client of the test server, closed when t ends.
func client(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestConformance runs the suite with two clients as two replicas, and
// reopening as a restart of serve.
func TestConformance(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := map[state.Store]string{}
	statetest.Run(t, func(t *testing.T) state.Store {
		// Glob characters in the prefix must not confuse Keys (SCAN MATCH).
		p := fmt.Sprintf("test[%d]*?:", prefixes.Add(1))
		s, err := redisstate.Open(t.Context(), "redis://"+addr+"/0", redisstate.WithPrefix(p))
		if err != nil {
			t.Fatal(err)
		}
		prefix[s] = p
		return s
	},
		statetest.Replica(func(t *testing.T, s state.Store) state.Store {
			return redisstate.New(client(t, addr), redisstate.WithPrefix(prefix[s]))
		}),
		statetest.Reopen(func(t *testing.T, closed state.Store) state.Store {
			return redisstate.New(client(t, addr), redisstate.WithPrefix(prefix[closed]))
		}))
}

func TestOpenSpec(t *testing.T) {
	addr := redistest.Addr(t)
	ctx := t.Context()
	s, err := state.Open(ctx, "redis://"+addr+"/2")
	if err != nil {
		t.Fatalf("state.Open: %v", err)
	}
	defer s.Close()
	if err := s.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	// The value is in database 2, under the default prefix.
	c := client(t, addr)
	got, err := c.Do(ctx, "SELECT", 2).Result()
	if err != nil || got != "OK" {
		t.Fatal(got, err)
	}
	c2 := redis.NewClient(&redis.Options{Addr: addr, DB: 2})
	defer c2.Close()
	if v, err := c2.Get(ctx, redisstate.DefaultPrefix+"k").Result(); err != nil || v != "v" {
		t.Fatalf("GET %sk in db 2 = %q, %v", redisstate.DefaultPrefix, v, err)
	}
	_ = c2.Del(ctx, redisstate.DefaultPrefix+"k")
}

func TestOpenErrors(t *testing.T) {
	addr := redistest.Addr(t)
	tests := []struct {
		name, spec, want string
	}{
		{"bad db", "redis://" + addr + "/notanumber", "invalid"},
		{"unreachable", "redis://:s3cr3t-pw@127.0.0.1:1/0", "connect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := state.Open(t.Context(), tt.spec)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "s3cr3t-pw") {
				t.Fatalf("error shows the password: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// TestBackendFailure checks that a server that went away is a backend
// failure, not "not found".
func TestBackendFailure(t *testing.T) {
	addr := redistest.Addr(t)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	s := redisstate.New(c)
	_ = c.Close() // the client is gone under the store
	_, err := s.Get(t.Context(), "k")
	if !errors.Is(err, state.ErrClosed) {
		t.Fatalf("Get on a closed client: %v, want ErrClosed", err)
	}
	c2 := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer c2.Close()
	s2 := redisstate.New(c2)
	_, err = s2.Get(t.Context(), "k")
	if !errors.Is(err, state.ErrBackend) || errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get with no server: %v, want ErrBackend", err)
	}
	// Closing a Store made with New leaves the caller's client open.
	c3 := client(t, addr)
	if err := redisstate.New(c3).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c3.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("the caller's client was closed: %v", err)
	}
}

// BenchmarkRedis measures the store on the test redis-server, over
// loopback TCP.
func BenchmarkRedis(b *testing.B) {
	addr := redistest.Addr(b)
	statetest.Benchmark(b, func(b *testing.B) state.Store {
		s, err := redisstate.Open(b.Context(), "redis://"+addr+"/0", redisstate.WithPrefix(fmt.Sprintf("bench%d:", prefixes.Add(1))))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
