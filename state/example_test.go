package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fluxnotify/fluxnotify/state"
)

// Deduplication across replicas: of all the replicas that receive the same
// event, only the first admits it.
func ExampleStore_SetIfAbsent() {
	ctx := context.Background()
	s := state.Prefixed(state.NewMemory(), "dedup:")
	defer s.Close()

	for _, replica := range []string{"serve-0", "serve-1"} {
		first, err := s.SetIfAbsent(ctx, "Kustomization/flux-system/apps@sha1:4f2b", []byte(replica), 5*time.Minute)
		if err != nil {
			panic(err)
		}
		fmt.Println(replica, "delivers:", first)
	}
	// Output:
	// serve-0 delivers: true
	// serve-1 delivers: false
}

// Per-object status kept with Update: the failure count grows atomically,
// whatever the number of replicas.
func ExampleUpdate() {
	ctx := context.Background()
	s := state.NewMemory()
	defer s.Close()

	type status struct {
		Failures int    `json:"failures"`
		Revision string `json:"revision"`
	}
	for _, rev := range []string{"main@sha1:4f2b", "main@sha1:9c1d"} {
		v, err := state.Update(ctx, s, "status:Kustomization/flux-system/apps", 24*time.Hour,
			func(old []byte, found bool) ([]byte, error) {
				var st status
				if found {
					if err := json.Unmarshal(old, &st); err != nil {
						return nil, err
					}
				}
				st.Failures++
				st.Revision = rev
				return json.Marshal(st)
			})
		if err != nil {
			panic(err)
		}
		fmt.Println(string(v))
	}
	// Output:
	// {"failures":1,"revision":"main@sha1:4f2b"}
	// {"failures":2,"revision":"main@sha1:9c1d"}
}

// An aggregation window during an outage: objects are gathered, at most
// limit of them, and the message is sent once from what TakeWindow returns.
func ExampleStore_AddToWindow() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "state-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	s, err := state.OpenFile(filepath.Join(dir, "state.db"))
	if err != nil {
		panic(err)
	}
	defer s.Close()

	for _, obj := range []string{"apps", "infra", "apps", "monitoring", "tenants"} {
		st, err := s.AddToWindow(ctx, "window:slack-errors", "Kustomization/"+obj, []byte("Health check failed"), 3, time.Minute)
		if err != nil {
			panic(err)
		}
		if st.Created {
			fmt.Println("first event: start the group_wait timer")
		}
	}
	w, err := s.TakeWindow(ctx, "window:slack-errors")
	if err != nil {
		panic(err)
	}
	for _, e := range w.Entries {
		fmt.Println(e.Member)
	}
	fmt.Printf("and %d more\n", w.Dropped)
	// Output:
	// first event: start the group_wait timer
	// Kustomization/apps
	// Kustomization/infra
	// Kustomization/monitoring
	// and 1 more
}

// Open builds the store a --state flag names.
func ExampleOpen() {
	s, err := state.Open(context.Background(), "memory")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	fmt.Printf("%T\n", s)

	_, err = state.Open(context.Background(), "redis://:password@redis:6379/0")
	fmt.Println(err)
	// Output:
	// *state.Memory
	// state: open "redis://:xxxxx@redis:6379/0": unknown store scheme "redis" (import github.com/fluxnotify/fluxnotify/state/redisstate); known: file, memory
}
