package redisstate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fluxnotify/fluxnotify/state"
	"github.com/fluxnotify/fluxnotify/state/redisstate"
)

// Two replicas of serve on one Redis: the first to see an event delivers
// it. (Not run: it needs a Redis server.)
func ExampleOpen() {
	ctx := context.Background()
	s, err := redisstate.Open(ctx, "redis://redis.flux-system:6379/0")
	if err != nil {
		fmt.Println(err) // the password, if the URL has one, is not shown
		return
	}
	defer s.Close()
	dedup := state.Prefixed(s, "dedup:")
	first, err := dedup.SetIfAbsent(ctx, "Kustomization/flux-system/apps@sha1:4f2b", []byte("serve-0"), 5*time.Minute)
	fmt.Println(first, err)
}
