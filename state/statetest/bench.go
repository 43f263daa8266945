package statetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/fluxnotify/fluxnotify/state"
)

// Benchmark measures the store operations on the delivery path, as
// sub-benchmarks of b, so that every engine is measured the same way:
//
//   - SetIfAbsent/new: admitting a new event (deduplication key), or
//     claiming the root of a thread;
//   - SetIfAbsent/duplicate: refusing a duplicate;
//   - Get: reading a thread's timestamp;
//   - Update: a read-modify-write of an object's status (Get then
//     CompareAndSwap, no contention);
//   - AddToWindow: adding an object to an aggregation window of up to 100;
//   - TakeWindow: adding 10 objects and taking the window (per window).
//
// newStore returns an empty store; Benchmark closes it.
func Benchmark(b *testing.B, newStore func(b *testing.B) state.Store) {
	value := []byte("1717171717.000100") // a Slack ts
	status := []byte(`{"since":"2026-11-27T15:00:00Z","failures":12,"revision":"main@sha1:0123456789abcdef"}`)
	run := func(name string, fn func(b *testing.B, s state.Store)) {
		b.Run(name, func(b *testing.B) {
			s := newStore(b)
			defer s.Close()
			b.ReportAllocs()
			fn(b, s)
		})
	}
	run("SetIfAbsent/new", func(b *testing.B, s state.Store) {
		i := 0
		for b.Loop() {
			i++
			if _, err := s.SetIfAbsent(b.Context(), "dedup:"+strconv.Itoa(i), value, 5*time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
	run("SetIfAbsent/duplicate", func(b *testing.B, s state.Store) {
		if _, err := s.SetIfAbsent(b.Context(), "dedup:x", value, time.Hour); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if ok, err := s.SetIfAbsent(b.Context(), "dedup:x", value, time.Hour); ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	run("Get", func(b *testing.B, s state.Store) {
		if err := s.Set(b.Context(), "thread:x", value, time.Hour); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.Get(b.Context(), "thread:x"); err != nil {
				b.Fatal(err)
			}
		}
	})
	run("Update", func(b *testing.B, s state.Store) {
		for b.Loop() {
			_, err := state.Update(b.Context(), s, "status:x", time.Hour, func([]byte, bool) ([]byte, error) { return status, nil })
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	run("AddToWindow", func(b *testing.B, s state.Store) {
		i := 0
		for b.Loop() {
			i++
			if _, err := s.AddToWindow(b.Context(), "window:"+strconv.Itoa(i/100), "Kustomization/flux-system/app-"+strconv.Itoa(i%100), status, 100, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
	run("TakeWindow", func(b *testing.B, s state.Store) {
		for b.Loop() {
			for j := range 10 {
				if _, err := s.AddToWindow(b.Context(), "window", "Kustomization/flux-system/app-"+strconv.Itoa(j), status, 100, time.Minute); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := s.TakeWindow(b.Context(), "window"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
