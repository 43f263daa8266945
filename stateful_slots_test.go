package fluxnotify

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state"
)

// TestGroup_takesADeliverySlot: a group's messages are deliveries like any
// other: each holds one of the WithConcurrency slots while its notifier
// runs, whether Flush or the group's timer sends it.
func TestGroup_takesADeliverySlot(t *testing.T) {
	tests := []struct {
		name    string
		objects int
		wait    time.Duration // hour: sent by Flush; else by the timer
		want    int           // notifications
	}{
		{"one object, sent as itself by Flush", 1, time.Hour, 1},
		{"three objects in two messages, by Flush", 3, time.Hour, 2},
		{"two objects, by the group's timer", 2, time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			var d *Dispatcher
			var held []int // slots in use during each notifier call
			sent := make(chan struct{}, 16)
			rec.fail = func(*provider.Notification, int) error { // called with rec.mu held
				held = append(held, len(d.sem))
				sent <- struct{}{}
				return nil
			}
			g := &alert.Grouping{Wait: metav1.Duration{Duration: tt.wait}, MaxObjects: 2}
			d = newTestDispatcher(t, groupConfig(g, false), rec, WithConcurrency(1))
			for i := range tt.objects {
				res, err := d.Dispatch(context.Background(), newEvent("Kustomization", fmt.Sprintf("app-%d", i), "error", "failed"))
				require.NoError(t, err)
				require.True(t, res[0].Deferred)
			}
			if tt.wait == time.Hour {
				require.NoError(t, d.Flush(context.Background()))
			}
			for range tt.want {
				<-sent
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			assert.Equal(t, slicesRepeat(1, tt.want), held, "each message held the one slot")
		})
	}
}

func slicesRepeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// pendingStore signals when a thread key is read as claimed by another
// replica that has not posted the root yet.
type pendingStore struct {
	state.Store
	key  string
	once sync.Once
	seen chan struct{}
}

func (s *pendingStore) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := s.Store.Get(ctx, key)
	if key == s.key && err == nil && string(v) == pendingRoot {
		s.once.Do(func() { close(s.seen) })
	}
	return v, err
}

// TestThreads_waitForAnotherReplicaHoldsNoSlot: while a reply waits for
// the root message that another replica claimed (up to rootWait), it holds
// no delivery slot, so with WithConcurrency(1) other events are delivered
// meanwhile; the wait ends when the root is posted, or when the event's
// context or the Dispatcher's Shutdown ends (then nothing is posted).
func TestThreads_waitForAnotherReplicaHoldsNoSlot(t *testing.T) {
	const rootTS = "1700000000.000100"
	tkey := threadPrefix + "flux-system/threads|Kustomization/flux-system/app"
	tests := []struct {
		name    string
		end     func(t *testing.T, d *Dispatcher, s state.Store, cancel context.CancelFunc)
		wantErr error // of the waiting reply; nil: replied in the thread
	}{
		{"the other replica posts the root", func(t *testing.T, _ *Dispatcher, s state.Store, _ context.CancelFunc) {
			require.NoError(t, s.Set(context.Background(), tkey, []byte("#alerts\n"+rootTS), StateTTL))
		}, nil},
		{"the event's context ends", func(*testing.T, *Dispatcher, state.Store, context.CancelFunc) {}, context.Canceled},
		{"Shutdown's context ends", func(t *testing.T, d *Dispatcher, _ state.Store, _ context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			assert.ErrorIs(t, d.Shutdown(ctx), context.Canceled)
		}, ErrAbandoned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := slacktest.NewServer()
			defer srv.Close()
			mem := state.NewMemory()
			defer mem.Close()
			// Another replica claimed the thread of app and is posting its root.
			require.NoError(t, mem.Set(context.Background(), tkey, []byte(pendingRoot), pendingTTL))
			s := &pendingStore{Store: mem, key: tkey, seen: make(chan struct{})}
			d := newSlackDispatcher(t, slackConfig(srv, threaded(false), false), WithConcurrency(1), WithStore(s))

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.wantErr == context.Canceled {
				tt.end = func(*testing.T, *Dispatcher, state.Store, context.CancelFunc) { cancel() }
			}
			type outcome struct {
				res []Result
				err error
			}
			waiting := make(chan outcome, 1)
			go func() {
				res, err := d.Dispatch(ctx, newEvent("Kustomization", "app", "error", "waits for its root"))
				waiting <- outcome{res, err}
			}()
			<-s.seen

			// The only slot is free: another object's event is delivered.
			res, err := d.Dispatch(context.Background(), newEvent("Kustomization", "other", "error", "delivered meanwhile"))
			require.NoError(t, err)
			require.Len(t, res, 1)
			require.Equal(t, 1, len(srv.Posted()), "the root of other, while app waits")

			tt.end(t, d, s, cancel)
			got := <-waiting
			require.Len(t, got.res, 1)
			if tt.wantErr != nil {
				require.ErrorIs(t, got.res[0].Err, tt.wantErr)
				assert.Contains(t, got.res[0].Err.Error(), "not delivered")
				assert.Equal(t, 1, len(srv.Requests()), "nothing posted for app")
				return
			}
			require.NoError(t, got.err)
			replies := srv.Replies(rootTS)
			require.Equal(t, 1, len(replies), "app replied in the thread of the other replica's root")
			assert.Contains(t, replies[0].Message.Attachments[0].Text, "waits for its root")
		})
	}
}

// claimStore plays another replica that claimed the thread at key and gave
// up: the first read sees its claim, which is then gone; when this replica
// claims the thread in turn, after the claim is stored, claimed runs.
type claimStore struct {
	state.Store
	key     string
	once    sync.Once
	claimed func()
}

func (s *claimStore) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := s.Store.Get(ctx, key)
	if key == s.key && err == nil && string(v) == pendingRoot {
		s.once.Do(func() { _ = s.Store.Delete(context.Background(), key) })
	}
	return v, err
}

func (s *claimStore) SetIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	won, err := s.Store.SetIfAbsent(ctx, key, value, ttl)
	if key == s.key && won {
		s.claimed()
	}
	return won, err
}

// TestThreads_claimGivenBackWhenTheSlotIsNotRetaken: a reply that waited
// for another replica's root, then claimed the thread itself (that replica
// gave up), but whose context ended before it got its delivery slot back,
// posts nothing and gives the claim back, so that the next event of the
// object posts the root instead of waiting for one that never comes.
func TestThreads_claimGivenBackWhenTheSlotIsNotRetaken(t *testing.T) {
	tkey := threadPrefix + "flux-system/threads|Kustomization/flux-system/app"
	srv := slacktest.NewServer()
	defer srv.Close()
	mem := state.NewMemory()
	defer mem.Close()
	require.NoError(t, mem.Set(context.Background(), tkey, []byte(pendingRoot), pendingTTL))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &claimStore{Store: mem, key: tkey, claimed: cancel}
	d := newSlackDispatcher(t, slackConfig(srv, threaded(false), false), WithConcurrency(1), WithStore(s))

	res, _ := d.Dispatch(ctx, newEvent("Kustomization", "app", "error", "claims, then its context ends"))
	require.Len(t, res, 1)
	require.ErrorIs(t, res[0].Err, context.Canceled)
	assert.Empty(t, srv.Requests(), "nothing posted")
	_, err := mem.Get(context.Background(), tkey)
	assert.ErrorIs(t, err, state.ErrNotFound, "the claim is given back")
}
