package state_test

import (
	"path/filepath"
	"testing"

	"github.com/fluxnotify/fluxnotify/state"
	"github.com/fluxnotify/fluxnotify/state/statetest"
)

func BenchmarkMemory(b *testing.B) {
	statetest.Benchmark(b, func(*testing.B) state.Store { return state.NewMemory() })
}

func BenchmarkFile(b *testing.B) {
	for _, tt := range []struct {
		name string
		opts []state.FileOption
	}{
		{"sync", nil},
		{"nosync", []state.FileOption{state.WithNoSync()}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			statetest.Benchmark(b, func(b *testing.B) state.Store {
				s, err := state.OpenFile(filepath.Join(b.TempDir(), "state.db"), tt.opts...)
				if err != nil {
					b.Fatal(err)
				}
				return s
			})
		})
	}
}
