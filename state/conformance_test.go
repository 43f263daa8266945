package state_test

import (
	"path/filepath"
	"testing"

	"github.com/fluxnotify/fluxnotify/state"
	"github.com/fluxnotify/fluxnotify/state/statetest"
)

func TestMemoryConformance(t *testing.T) {
	statetest.Run(t, func(*testing.T) state.Store { return state.NewMemory() })
}

// TestFileConformance runs the suite on a File store, with reopening. The
// race checks run without fsync to stay quick; TestFileSynced covers the
// synced path.
func TestFileConformance(t *testing.T) {
	paths := map[state.Store]string{}
	statetest.Run(t, func(t *testing.T) state.Store {
		path := filepath.Join(t.TempDir(), "state.db")
		s, err := state.OpenFile(path, state.WithNoSync())
		if err != nil {
			t.Fatal(err)
		}
		paths[s] = path
		return s
	}, statetest.Reopen(func(t *testing.T, closed state.Store) state.Store {
		s, err := state.OpenFile(paths[closed])
		if err != nil {
			t.Fatal(err)
		}
		return s
	}))
}

func TestPrefixedConformance(t *testing.T) {
	base := state.NewMemory()
	t.Cleanup(func() { _ = base.Close() })
	n := 0
	statetest.Run(t, func(*testing.T) state.Store {
		n++
		return state.Prefixed(base, "view"+string(rune('a'+n))+":")
	})
}
