package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/internal/outagetest"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state/redisstate"
	"github.com/fluxnotify/fluxnotify/state/redisstate/redistest"
)

// TestOutage_redis is the outage of the root module's TestOutage with two
// Dispatchers (two replicas of serve) on one real redis-server: 500
// Kustomizations fail three times each, then recover; Slack gets
// outagetest.WantCalls calls (23), one root message for the object that
// fails alone, every object named as failing and as recovered.
func TestOutage_redis(t *testing.T) {
	ctx := context.Background()
	url := "redis://" + redistest.Addr(t) + "/0"
	prefix := fmt.Sprintf("outage-%d:", time.Now().UnixNano())
	srv := slacktest.NewServer()
	defer srv.Close()
	o := &outagetest.Observer{}
	var ds []*fluxnotify.Dispatcher
	for range 2 {
		s, err := redisstate.Open(ctx, url, redisstate.WithPrefix(prefix)) // a client each, as two processes
		require.NoError(t, err)
		defer s.Close()
		d, err := fluxnotify.New(outagetest.Config(srv), o.Options(s)...)
		require.NoError(t, err)
		ds = append(ds, d)
	}
	outagetest.Phase(t, ds, true)
	outagetest.Phase(t, ds, false)
	outagetest.Alone(t, ds)
	for _, d := range ds {
		require.NoError(t, d.Shutdown(ctx))
	}
	o.Check(t, srv)
}

// TestThreads_redis: two Dispatchers on one Redis, given the first events
// of one object at once, post one root message and reply in its thread.
func TestThreads_redis(t *testing.T) {
	ctx := context.Background()
	url := "redis://" + redistest.Addr(t) + "/0"
	prefix := fmt.Sprintf("threads-%d:", time.Now().UnixNano())
	srv := slacktest.NewServer()
	defer srv.Close()
	cfg := outagetest.Config(srv)
	cfg.Alerts[0].Spec.Delivery.Group = nil
	cfg.Alerts[0].Spec.Delivery.Transitions = false
	var ds []*fluxnotify.Dispatcher
	o := &outagetest.Observer{}
	for range 2 {
		s, err := redisstate.Open(ctx, url, redisstate.WithPrefix(prefix))
		require.NoError(t, err)
		defer s.Close()
		d, err := fluxnotify.New(cfg, o.Options(s)...)
		require.NoError(t, err)
		defer func() { require.NoError(t, d.Shutdown(ctx)) }()
		ds = append(ds, d)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := ds[i%2].Dispatch(ctx, outagetest.Event("app", "error", fmt.Sprint("failed ", i)))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	posted := srv.Posted()
	require.Len(t, posted, 1, "one root message")
	assert.Len(t, srv.Replies(posted[0].TS), 7)
	assert.Len(t, srv.Updates(posted[0].TS), 7)
}
