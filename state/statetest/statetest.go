package statetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluxnotify/fluxnotify/state"
)

// Option adds checks to Run.
type Option func(*config)

type config struct {
	replica func(t *testing.T, s state.Store) state.Store
	reopen  func(t *testing.T, closed state.Store) state.Store
}

// Replica gives Run a second client on the same backend as s (another
// connection to the same Redis, say), closed by the caller's cleanup. The
// concurrency checks then race the two clients as two replicas would.
// Without it they race goroutines on one store.
func Replica(fn func(t *testing.T, s state.Store) state.Store) Option {
	return func(c *config) { c.replica = fn }
}

// Reopen gives Run a way to open again the data of a store that Run has
// just closed (the same file, say); Run then checks that values, windows
// and TTLs survived.
func Reopen(fn func(t *testing.T, closed state.Store) state.Store) Option {
	return func(c *config) { c.reopen = fn }
}

// Run runs the conformance suite as subtests of t. newStore returns a new
// store with no entries, for each subtest; Run closes it.
func Run(t *testing.T, newStore func(t *testing.T) state.Store, opts ...Option) {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	open := func(t *testing.T) state.Store {
		s := newStore(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	pair := func(t *testing.T) (state.Store, state.Store) {
		s := open(t)
		if c.replica == nil {
			return s, s
		}
		return s, c.replica(t, s)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"Values", func(t *testing.T) { testValues(t, open(t)) }},
		{"Isolation", func(t *testing.T) { testIsolation(t, open(t)) }},
		{"TTL", func(t *testing.T) { testTTL(t, open(t)) }},
		{"SetIfAbsent", func(t *testing.T) { testSetIfAbsent(t, open(t)) }},
		{"SetIfAbsentRace", func(t *testing.T) { testSetIfAbsentRace(t, pair) }},
		{"CompareAndSwap", func(t *testing.T) { testCompareAndSwap(t, open(t)) }},
		{"CompareAndDelete", func(t *testing.T) { testCompareAndDelete(t, open(t)) }},
		{"UpdateRace", func(t *testing.T) { testUpdateRace(t, pair) }},
		{"Window", func(t *testing.T) { testWindow(t, open(t)) }},
		{"WindowTTL", func(t *testing.T) { testWindowTTL(t, open(t)) }},
		{"WindowRace", func(t *testing.T) { testWindowRace(t, pair) }},
		{"Keys", func(t *testing.T) { testKeys(t, open(t)) }},
		{"WrongType", func(t *testing.T) { testWrongType(t, open(t)) }},
		{"Invalid", func(t *testing.T) { testInvalid(t, open(t)) }},
		{"Context", func(t *testing.T) { testContext(t, open(t)) }},
		{"Close", func(t *testing.T) { testClose(t, newStore(t)) }},
	}
	if c.reopen != nil {
		tests = append(tests, struct {
			name string
			fn   func(t *testing.T)
		}{"Reopen", func(t *testing.T) { testReopen(t, newStore(t), c.reopen) }})
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.fn)
	}
}

const (
	// long is a TTL that no test outlives.
	long = time.Hour
	// short is a TTL that tests wait out.
	short = 30 * time.Millisecond
	// patience bounds how long a test waits for an entry to expire.
	patience = 5 * time.Second
)

// Every operation of a Store, for the checks that apply to all of them
// (Keys takes a prefix for its key).
var ops = []struct {
	name string
	call func(ctx context.Context, s state.Store, key string) error
}{
	{"Get", func(ctx context.Context, s state.Store, k string) error { _, err := s.Get(ctx, k); return err }},
	{"Set", func(ctx context.Context, s state.Store, k string) error { return s.Set(ctx, k, []byte("v"), long) }},
	{"SetIfAbsent", func(ctx context.Context, s state.Store, k string) error {
		_, err := s.SetIfAbsent(ctx, k, []byte("v"), long)
		return err
	}},
	{"CompareAndSwap", func(ctx context.Context, s state.Store, k string) error {
		_, err := s.CompareAndSwap(ctx, k, []byte("v"), []byte("w"), long)
		return err
	}},
	{"CompareAndDelete", func(ctx context.Context, s state.Store, k string) error {
		_, err := s.CompareAndDelete(ctx, k, []byte("v"))
		return err
	}},
	{"Delete", func(ctx context.Context, s state.Store, k string) error { return s.Delete(ctx, k) }},
	{"AddToWindow", func(ctx context.Context, s state.Store, k string) error {
		_, err := s.AddToWindow(ctx, k, "m", []byte("v"), 10, long)
		return err
	}},
	{"TakeWindow", func(ctx context.Context, s state.Store, k string) error { _, err := s.TakeWindow(ctx, k); return err }},
	{"Keys", func(ctx context.Context, s state.Store, k string) error { _, err := s.Keys(ctx, k, 10); return err }},
}

func testValues(t *testing.T, s state.Store) {
	ctx := t.Context()
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		name, key string
		value     []byte
	}{
		{"text", "dedup:abc", []byte("1717171717.000100")},
		{"binary", "status:bin", binary},
		{"empty value", "status:empty", []byte{}},
		{"unicode key", "thread:prod/Kustomization/ünïcode app", []byte("x")},
		{"long key", "k:" + strings.Repeat("x", 1000), []byte("long")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Get(ctx, tt.key); !errors.Is(err, state.ErrNotFound) {
				t.Fatalf("Get before Set: err = %v, want ErrNotFound", err)
			}
			if err := s.Set(ctx, tt.key, tt.value, long); err != nil {
				t.Fatalf("Set: %v", err)
			}
			got, err := s.Get(ctx, tt.key)
			if err != nil || !bytes.Equal(got, tt.value) {
				t.Fatalf("Get = %q, %v; want %q", got, err, tt.value)
			}
			if err := s.Set(ctx, tt.key, []byte("second"), 0); err != nil {
				t.Fatalf("Set again: %v", err)
			}
			if got, err := s.Get(ctx, tt.key); err != nil || string(got) != "second" {
				t.Fatalf("Get after overwrite = %q, %v; want second", got, err)
			}
			if err := s.Delete(ctx, tt.key); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := s.Get(ctx, tt.key); !errors.Is(err, state.ErrNotFound) {
				t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
			}
			if err := s.Delete(ctx, tt.key); err != nil {
				t.Fatalf("Delete of a missing key: %v, want nil", err)
			}
		})
	}
	t.Run("not found error", func(t *testing.T) {
		_, err := s.Get(ctx, "missing")
		var oe *state.OpError
		if !errors.As(err, &oe) || !strings.HasSuffix(oe.Key, "missing") || oe.Op == "" {
			t.Fatalf("Get of a missing key: err = %#v, want an *OpError naming the key", err)
		}
		if errors.Is(err, state.ErrBackend) {
			t.Fatalf("not found is classified as a backend failure: %v", err)
		}
	})
}

// testIsolation checks that the store neither keeps the caller's slices
// nor hands out its own.
func testIsolation(t *testing.T, s state.Store) {
	ctx := t.Context()
	v := []byte("original")
	if err := s.Set(ctx, "k", v, long); err != nil {
		t.Fatal(err)
	}
	copy(v, "mutated!")
	got, err := s.Get(ctx, "k")
	if err != nil || string(got) != "original" {
		t.Fatalf("Get after the caller changed its slice = %q, %v; want original", got, err)
	}
	copy(got, "mutated!")
	if again, _ := s.Get(ctx, "k"); string(again) != "original" {
		t.Fatalf("Get after the caller changed a returned slice = %q; want original", again)
	}
	wv := []byte("w1")
	if _, err := s.AddToWindow(ctx, "w", "m", wv, 10, long); err != nil {
		t.Fatal(err)
	}
	copy(wv, "xx")
	w, err := s.TakeWindow(ctx, "w")
	if err != nil || len(w.Entries) != 1 || string(w.Entries[0].Value) != "w1" {
		t.Fatalf("TakeWindow after the caller changed its slice = %+v, %v", w, err)
	}
}

// eventuallyGone waits until Get reports key as not found.
func eventuallyGone(t *testing.T, s state.Store, key string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for {
		_, err := s.Get(t.Context(), key)
		if errors.Is(err, state.ErrNotFound) {
			return
		}
		if err != nil {
			t.Fatalf("Get %s while waiting for expiry: %v", key, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still there %s after its TTL", key, patience)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testTTL(t *testing.T, s state.Store) {
	ctx := t.Context()
	must(t, s.Set(ctx, "short", []byte("v"), short))
	must(t, s.Set(ctx, "long", []byte("v"), long))
	must(t, s.Set(ctx, "forever", []byte("v"), 0))
	// A Set replaces the TTL: this one first had a short TTL, then none.
	must(t, s.Set(ctx, "renewed", []byte("v"), short))
	must(t, s.Set(ctx, "renewed", []byte("v2"), 0))
	// And the reverse: no TTL, then a short one.
	must(t, s.Set(ctx, "shortened", []byte("v"), 0))
	must(t, s.Set(ctx, "shortened", []byte("v"), short))
	eventuallyGone(t, s, "short")
	eventuallyGone(t, s, "shortened")
	for _, k := range []string{"long", "forever", "renewed"} {
		if _, err := s.Get(ctx, k); err != nil {
			t.Errorf("Get %s after the short TTL passed: %v", k, err)
		}
	}
	// An expired key is absent for every operation.
	if ok, err := s.CompareAndSwap(ctx, "short", []byte("v"), []byte("w"), long); ok || err != nil {
		t.Errorf("CompareAndSwap on an expired key = %v, %v; want false, nil", ok, err)
	}
	if ok, err := s.SetIfAbsent(ctx, "short", []byte("again"), long); !ok || err != nil {
		t.Errorf("SetIfAbsent on an expired key = %v, %v; want true, nil", ok, err)
	}
}

func testSetIfAbsent(t *testing.T, s state.Store) {
	ctx := t.Context()
	ok, err := s.SetIfAbsent(ctx, "k", []byte("first"), long)
	if !ok || err != nil {
		t.Fatalf("first SetIfAbsent = %v, %v; want true", ok, err)
	}
	ok, err = s.SetIfAbsent(ctx, "k", []byte("second"), long)
	if ok || err != nil {
		t.Fatalf("second SetIfAbsent = %v, %v; want false", ok, err)
	}
	if got, _ := s.Get(ctx, "k"); string(got) != "first" {
		t.Fatalf("value = %q, want the first writer's", got)
	}
	// The TTL counts from the first write; a refused write does not renew it.
	ok, err = s.SetIfAbsent(ctx, "t", []byte("v"), short)
	if !ok || err != nil {
		t.Fatalf("SetIfAbsent = %v, %v", ok, err)
	}
	_, _ = s.SetIfAbsent(ctx, "t", []byte("v"), long)
	eventuallyGone(t, s, "t")
	if ok, err := s.SetIfAbsent(ctx, "t", []byte("v"), long); !ok || err != nil {
		t.Fatalf("SetIfAbsent after expiry = %v, %v; want true", ok, err)
	}
}

// workers is how many goroutines race in the concurrency checks, split
// between the two clients.
const workers = 8

func testSetIfAbsentRace(t *testing.T, pair func(*testing.T) (state.Store, state.Store)) {
	a, b := pair(t)
	ctx := t.Context()
	const keys = 20
	wins := make([][workers]bool, keys)
	var wg sync.WaitGroup
	errs := make(chan error, workers*keys)
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for k := range keys {
				ok, err := s.SetIfAbsent(ctx, "race:"+strconv.Itoa(k), []byte(strconv.Itoa(w)), long)
				if err != nil {
					errs <- err
					return
				}
				wins[k][w] = ok
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for k := range keys {
		var winner []int
		for w, ok := range wins[k] {
			if ok {
				winner = append(winner, w)
			}
		}
		if len(winner) != 1 {
			t.Fatalf("key %d: SetIfAbsent returned true to workers %v; want exactly one", k, winner)
		}
		got, err := a.Get(ctx, "race:"+strconv.Itoa(k))
		if err != nil || string(got) != strconv.Itoa(winner[0]) {
			t.Fatalf("key %d = %q, %v; want the winner's value %d", k, got, err, winner[0])
		}
	}
}

func testCompareAndSwap(t *testing.T, s state.Store) {
	ctx := t.Context()
	if ok, err := s.CompareAndSwap(ctx, "k", []byte("a"), []byte("b"), long); ok || err != nil {
		t.Fatalf("CompareAndSwap on a missing key = %v, %v; want false, nil", ok, err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("CompareAndSwap on a missing key created it: %v", err)
	}
	must(t, s.Set(ctx, "k", []byte("a"), long))
	if ok, err := s.CompareAndSwap(ctx, "k", []byte("x"), []byte("b"), long); ok || err != nil {
		t.Fatalf("CompareAndSwap with the wrong old value = %v, %v; want false", ok, err)
	}
	if ok, err := s.CompareAndSwap(ctx, "k", []byte("a"), []byte("b"), long); !ok || err != nil {
		t.Fatalf("CompareAndSwap with the right old value = %v, %v; want true", ok, err)
	}
	if got, _ := s.Get(ctx, "k"); string(got) != "b" {
		t.Fatalf("value after swap = %q, want b", got)
	}
	// A swap sets the new TTL.
	if ok, err := s.CompareAndSwap(ctx, "k", []byte("b"), []byte("c"), short); !ok || err != nil {
		t.Fatalf("CompareAndSwap = %v, %v; want true", ok, err)
	}
	eventuallyGone(t, s, "k")
	// Empty values compare equal.
	must(t, s.Set(ctx, "e", []byte{}, long))
	if ok, err := s.CompareAndSwap(ctx, "e", nil, []byte("x"), 0); !ok || err != nil {
		t.Fatalf("CompareAndSwap from an empty value = %v, %v; want true", ok, err)
	}
}

func testCompareAndDelete(t *testing.T, s state.Store) {
	ctx := t.Context()
	if ok, err := s.CompareAndDelete(ctx, "k", []byte("a")); ok || err != nil {
		t.Fatalf("CompareAndDelete on a missing key = %v, %v; want false, nil", ok, err)
	}
	must(t, s.Set(ctx, "k", []byte("mine"), long))
	if ok, err := s.CompareAndDelete(ctx, "k", []byte("theirs")); ok || err != nil {
		t.Fatalf("CompareAndDelete with another value = %v, %v; want false", ok, err)
	}
	if _, err := s.Get(ctx, "k"); err != nil {
		t.Fatalf("CompareAndDelete with another value deleted the key: %v", err)
	}
	if ok, err := s.CompareAndDelete(ctx, "k", []byte("mine")); !ok || err != nil {
		t.Fatalf("CompareAndDelete with the value = %v, %v; want true", ok, err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get after CompareAndDelete: %v, want ErrNotFound", err)
	}
}

func testUpdateRace(t *testing.T, pair func(*testing.T) (state.Store, state.Store)) {
	a, b := pair(t)
	ctx := t.Context()
	const each = 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for range each {
				_, err := state.Update(ctx, s, "counter", long, func(old []byte, found bool) ([]byte, error) {
					n := 0
					if found {
						var err error
						if n, err = strconv.Atoi(string(old)); err != nil {
							return nil, err
						}
					}
					return []byte(strconv.Itoa(n + 1)), nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := a.Get(ctx, "counter")
	if want := strconv.Itoa(workers * each); err != nil || string(got) != want {
		t.Fatalf("counter after %d concurrent increments = %q, %v; want %s (an update was lost)", workers*each, got, err, want)
	}
	// An error from fn stops Update and writes nothing.
	boom := errors.New("boom")
	if _, err := state.Update(ctx, a, "counter", long, func([]byte, bool) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("Update with a failing fn: err = %v, want boom", err)
	}
}

func testWindow(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, err := s.TakeWindow(ctx, "w"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("TakeWindow of a missing window: err = %v, want ErrNotFound", err)
	}
	steps := []struct {
		member, value string
		want          state.WindowStatus
	}{
		{"kustomization/a", "1", state.WindowStatus{Created: true, Len: 1}},
		{"kustomization/b", "1", state.WindowStatus{Len: 2}},
		{"kustomization/a", "2", state.WindowStatus{Len: 2}}, // repeat: new value, same place
		{"kustomization/c", "1", state.WindowStatus{Len: 3}},
		{"kustomization/d", "1", state.WindowStatus{Len: 3, Dropped: 1}}, // full
		{"kustomization/b", "2", state.WindowStatus{Len: 3, Dropped: 1}}, // a member still updates
		{"kustomization/e", "", state.WindowStatus{Len: 3, Dropped: 2}},
	}
	for i, st := range steps {
		got, err := s.AddToWindow(ctx, "w", st.member, []byte(st.value), 3, long)
		if err != nil || got != st.want {
			t.Fatalf("step %d: AddToWindow(%s) = %+v, %v; want %+v", i, st.member, got, err, st.want)
		}
	}
	w, err := s.TakeWindow(ctx, "w")
	if err != nil {
		t.Fatalf("TakeWindow: %v", err)
	}
	want := "kustomization/a=2 kustomization/b=2 kustomization/c=1 dropped=2"
	if got := windowString(w); got != want {
		t.Fatalf("TakeWindow = %s; want %s", got, want)
	}
	if _, err := s.TakeWindow(ctx, "w"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("second TakeWindow: err = %v, want ErrNotFound", err)
	}
	// A new window starts empty, and Delete removes a window.
	st, err := s.AddToWindow(ctx, "w", "x", []byte("v"), 3, long)
	if err != nil || st != (state.WindowStatus{Created: true, Len: 1}) {
		t.Fatalf("AddToWindow after TakeWindow = %+v, %v; want a new window", st, err)
	}
	must(t, s.Delete(ctx, "w"))
	if _, err := s.TakeWindow(ctx, "w"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("TakeWindow after Delete: err = %v, want ErrNotFound", err)
	}
	// Binary members and values.
	if _, err := s.AddToWindow(ctx, "b", "a\x00b ü", []byte{0, 255, 10}, 1, long); err != nil {
		t.Fatal(err)
	}
	w, err = s.TakeWindow(ctx, "b")
	if err != nil || len(w.Entries) != 1 || w.Entries[0].Member != "a\x00b ü" || !bytes.Equal(w.Entries[0].Value, []byte{0, 255, 10}) {
		t.Fatalf("binary window = %+v, %v", w, err)
	}
}

func windowString(w state.Window) string {
	var b strings.Builder
	for _, e := range w.Entries {
		fmt.Fprintf(&b, "%s=%s ", e.Member, e.Value)
	}
	fmt.Fprintf(&b, "dropped=%d", w.Dropped)
	return b.String()
}

func testWindowTTL(t *testing.T, s state.Store) {
	ctx := t.Context()
	// Adding does not extend the window's life. (On a loaded machine the
	// window may expire between the two adds: then the second creates a
	// window of its own, and the check starts again.)
	for attempt := 0; ; attempt++ {
		if _, err := s.AddToWindow(ctx, "w", "a", nil, 10, short); err != nil {
			t.Fatal(err)
		}
		st, err := s.AddToWindow(ctx, "w", "b", nil, 10, long)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Created {
			break
		}
		must(t, s.Delete(ctx, "w"))
		if attempt == 10 {
			t.Fatalf("two adds never landed within %s", short)
		}
	}
	// Expiry is absolute: once the TTL has passed the window must be gone.
	time.Sleep(2 * short)
	if w, err := s.TakeWindow(ctx, "w"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("TakeWindow after the window's TTL = %+v, %v; want ErrNotFound", w, err)
	}
}

// testWindowRace adds distinct members from many goroutines on both clients
// while others take windows: every member is taken exactly once, none is
// lost.
func testWindowRace(t *testing.T, pair func(*testing.T) (state.Store, state.Store)) {
	a, b := pair(t)
	ctx := t.Context()
	const each = 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	created, taken := 0, 0
	take := func(s state.Store) error {
		w, err := s.TakeWindow(ctx, "w")
		if errors.Is(err, state.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if w.Dropped != 0 {
			return fmt.Errorf("window dropped %d members under its limit", w.Dropped)
		}
		mu.Lock()
		defer mu.Unlock()
		taken++
		for _, e := range w.Entries {
			seen[e.Member]++
		}
		return nil
	}
	errs := make(chan error, workers+1)
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for i := range each {
				st, err := s.AddToWindow(ctx, "w", fmt.Sprintf("%d/%d", w, i), []byte("v"), workers*each, long)
				if err != nil {
					errs <- err
					return
				}
				if st.Created {
					mu.Lock()
					created++
					mu.Unlock()
				}
				if i%5 == 4 {
					if err := take(s); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if err := take(a); err != nil {
		errs <- err
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != workers*each {
		t.Fatalf("took %d distinct members, want %d: members were lost", len(seen), workers*each)
	}
	for m, n := range seen {
		if n != 1 {
			t.Fatalf("member %s taken %d times, want once", m, n)
		}
	}
	// Each window was created by one add and taken by one take.
	if created == 0 || created != taken {
		t.Fatalf("%d adds reported Created and %d takes got a window; want the same number, at least one", created, taken)
	}
}

func testKeys(t *testing.T, s state.Store) {
	ctx := t.Context()
	for _, k := range []string{"window:b", "status:x", "window:a", "window:c", "window*", "windows"} {
		must(t, s.Set(ctx, k, []byte("v"), long))
	}
	must(t, s.Delete(ctx, "window:c"))
	if _, err := s.AddToWindow(ctx, "window:w", "m", nil, 10, long); err != nil {
		t.Fatal(err)
	}
	must(t, s.Set(ctx, "window:expired", []byte("v"), short))
	time.Sleep(2 * short)
	tests := []struct {
		prefix string
		limit  int
		want   string
	}{
		{"window:", 10, "window:a window:b window:w"},
		{"window:", 2, "window:a window:b"},
		{"window*", 10, "window*"}, // no pattern: * is a plain character
		{"status:", 1, "status:x"},
		{"nothing:", 10, ""},
		{"", 100, "status:x window* window:a window:b window:w windows"},
	}
	for _, tt := range tests {
		got, err := s.Keys(ctx, tt.prefix, tt.limit)
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("Keys(%q, %d) = %q, %v; want %q", tt.prefix, tt.limit, got, err, tt.want)
		}
	}
}

func testWrongType(t *testing.T, s state.Store) {
	ctx := t.Context()
	must(t, s.Set(ctx, "value", []byte("v"), long))
	if _, err := s.AddToWindow(ctx, "window", "m", []byte("v"), 10, long); err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		key := "window"
		if strings.Contains(op.name, "Window") {
			key = "value"
		}
		if op.name == "Delete" || op.name == "Keys" {
			continue
		}
		t.Run(op.name, func(t *testing.T) {
			err := op.call(ctx, s, key)
			if !errors.Is(err, state.ErrWrongType) {
				t.Fatalf("%s on a key of the other kind: err = %v, want ErrWrongType", op.name, err)
			}
		})
	}
	// The entries are untouched.
	if got, err := s.Get(ctx, "value"); err != nil || string(got) != "v" {
		t.Fatalf("value after wrong-type calls = %q, %v", got, err)
	}
	if w, err := s.TakeWindow(ctx, "window"); err != nil || len(w.Entries) != 1 {
		t.Fatalf("window after wrong-type calls = %+v, %v", w, err)
	}
}

func testInvalid(t *testing.T, s state.Store) {
	ctx := t.Context()
	for _, op := range ops {
		if op.name == "Keys" { // the empty prefix is every key
			continue
		}
		t.Run(op.name+"/empty key", func(t *testing.T) {
			if err := op.call(ctx, s, ""); !errors.Is(err, state.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"Set negative TTL", func() error { return s.Set(ctx, "k", nil, -time.Second) }},
		{"SetIfAbsent negative TTL", func() error { _, err := s.SetIfAbsent(ctx, "k", nil, -1); return err }},
		{"CompareAndSwap negative TTL", func() error { _, err := s.CompareAndSwap(ctx, "k", nil, nil, -1); return err }},
		{"AddToWindow negative TTL", func() error { _, err := s.AddToWindow(ctx, "k", "m", nil, 1, -1); return err }},
		{"AddToWindow limit 0", func() error { _, err := s.AddToWindow(ctx, "k", "m", nil, 0, long); return err }},
		{"Keys limit 0", func() error { _, err := s.Keys(ctx, "k", 0); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, state.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("an invalid call wrote k: %v", err)
	}
}

func testContext(t *testing.T, s state.Store) {
	must(t, s.Set(t.Context(), "k", []byte("v"), long))
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			if err := op.call(canceled, s, "k"); !errors.Is(err, context.Canceled) {
				t.Fatalf("with a cancelled context: err = %v, want context.Canceled", err)
			}
			if err := op.call(expired, s, "k"); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("past the deadline: err = %v, want context.DeadlineExceeded", err)
			}
		})
	}
	if got, err := s.Get(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Fatalf("a cancelled call changed k: %q, %v", got, err)
	}
}

func testClose(t *testing.T, s state.Store) {
	must(t, s.Set(t.Context(), "k", []byte("v"), long))
	must(t, s.Close())
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v, want nil", err)
	}
	for _, op := range ops {
		if err := op.call(t.Context(), s, "k"); !errors.Is(err, state.ErrClosed) {
			t.Errorf("%s after Close: err = %v, want ErrClosed", op.name, err)
		}
	}
}

func testReopen(t *testing.T, s state.Store, reopen func(*testing.T, state.Store) state.Store) {
	ctx := t.Context()
	must(t, s.Set(ctx, "forever", []byte("v0"), 0))
	must(t, s.Set(ctx, "long", []byte("v1"), long))
	must(t, s.Set(ctx, "short", []byte("v2"), short))
	if _, err := s.AddToWindow(ctx, "window", "a", []byte("1"), 10, long); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToWindow(ctx, "window", "b", []byte("2"), 10, long); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddToWindow(ctx, "window-short", "a", nil, 10, short); err != nil {
		t.Fatal(err)
	}
	must(t, s.Close())
	r := reopen(t, s)
	t.Cleanup(func() { _ = r.Close() })
	for k, want := range map[string]string{"forever": "v0", "long": "v1"} {
		if got, err := r.Get(ctx, k); err != nil || string(got) != want {
			t.Errorf("after reopen, Get %s = %q, %v; want %q", k, got, err, want)
		}
	}
	// TTLs survive: the short one still expires.
	eventuallyGone(t, r, "short")
	st, err := r.AddToWindow(ctx, "window", "c", []byte("3"), 10, long)
	if err != nil || st != (state.WindowStatus{Len: 3}) {
		t.Fatalf("after reopen, AddToWindow = %+v, %v; want the window kept", st, err)
	}
	w, err := r.TakeWindow(ctx, "window")
	if got, want := windowString(w), "a=1 b=2 c=3 dropped=0"; err != nil || got != want {
		t.Fatalf("after reopen, TakeWindow = %s, %v; want %s", got, err, want)
	}
	time.Sleep(2 * short)
	if w, err := r.TakeWindow(ctx, "window-short"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("after reopen, TakeWindow past the window's TTL = %+v, %v; want ErrNotFound", w, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
