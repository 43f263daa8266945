package fluxnotify_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/internal/outagetest"
	"github.com/fluxnotify/fluxnotify/slack/slacktest"
	"github.com/fluxnotify/fluxnotify/state"
)

// TestOutage: 500 Kustomizations fail (three times each) within the group
// wait, then recover, through Dispatchers with threads, transitions and
// groups: Slack gets outagetest.WantCalls calls (23), every object is named
// as failing, then as recovered after 3 failures, nothing fails. The same
// with two Dispatchers sharing one store, and across a restart on a file
// store. (Redis: see examples/fluxnotify.)
func TestOutage(t *testing.T) {
	ctx := context.Background()
	newD := func(t *testing.T, srv *slacktest.Server, o *outagetest.Observer, s state.Store) *fluxnotify.Dispatcher {
		d, err := fluxnotify.New(outagetest.Config(srv), o.Options(s)...)
		require.NoError(t, err)
		return d
	}
	t.Run("one dispatcher", func(t *testing.T) {
		srv := slacktest.NewServer()
		defer srv.Close()
		s := state.NewMemory()
		defer s.Close()
		o := &outagetest.Observer{}
		d := newD(t, srv, o, s)
		ds := []*fluxnotify.Dispatcher{d}
		outagetest.Phase(t, ds, true)
		outagetest.Phase(t, ds, false)
		outagetest.Alone(t, ds)
		require.NoError(t, d.Shutdown(ctx))
		o.Check(t, srv)
	})
	t.Run("two dispatchers on one store", func(t *testing.T) {
		srv := slacktest.NewServer()
		defer srv.Close()
		s := state.NewMemory()
		defer s.Close()
		o := &outagetest.Observer{}
		ds := []*fluxnotify.Dispatcher{newD(t, srv, o, s), newD(t, srv, o, s)}
		outagetest.Phase(t, ds, true)
		outagetest.Phase(t, ds, false)
		outagetest.Alone(t, ds)
		for _, d := range ds {
			require.NoError(t, d.Shutdown(ctx))
		}
		o.Check(t, srv)
	})
	t.Run("restart on a file store", func(t *testing.T) {
		srv := slacktest.NewServer()
		defer srv.Close()
		path := filepath.Join(t.TempDir(), "state.db")
		o := &outagetest.Observer{}
		for _, step := range []func(ds []*fluxnotify.Dispatcher){
			func(ds []*fluxnotify.Dispatcher) { outagetest.Phase(t, ds, true) },
			func(ds []*fluxnotify.Dispatcher) { outagetest.Phase(t, ds, false) },
			func(ds []*fluxnotify.Dispatcher) { outagetest.Alone(t, ds) },
		} {
			s, err := state.OpenFile(path, state.WithNoSync())
			require.NoError(t, err)
			d := newD(t, srv, o, s)
			step([]*fluxnotify.Dispatcher{d})
			require.NoError(t, d.Shutdown(ctx))
			require.NoError(t, s.Close())
		}
		o.Check(t, srv)
	})
}
