package state_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluxnotify/fluxnotify/state"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, spec string
		want       string // type of the store, or the error text
		wantErr    error
	}{
		{name: "memory", spec: "memory", want: "*state.Memory"},
		{name: "file", spec: "file:" + filepath.Join(dir, "a.db"), want: "*state.File"},
		{name: "file URL", spec: "file://" + filepath.Join(dir, "b.db"), want: "*state.File"},
		{name: "file without path", spec: "file:", want: "no path"},
		{name: "file with a host", spec: "file://host/x.db", want: "want file:PATH"},
		{name: "unknown", spec: "postgres://user:pw-secret@db/x", want: `unknown store scheme "postgres"`, wantErr: state.ErrUnknownScheme},
		{name: "redis not imported", spec: "redis://:pw-secret@localhost:6379/0", want: "import github.com/fluxnotify/fluxnotify/state/redisstate", wantErr: state.ErrUnknownScheme},
		{name: "empty", spec: "", want: "unknown store scheme", wantErr: state.ErrUnknownScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := state.Open(t.Context(), tt.spec)
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Open(%q): %v; want %q", tt.spec, err, tt.want)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open(%q): %v; want it to match %v", tt.spec, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pw-secret") {
					t.Fatalf("error shows the password: %v", err)
				}
				return
			}
			defer s.Close()
			if got := typeName(s); got != tt.want {
				t.Fatalf("Open(%q) = %s, want %s", tt.spec, got, tt.want)
			}
		})
	}
}

func typeName(s state.Store) string {
	switch s.(type) {
	case *state.Memory:
		return "*state.Memory"
	case *state.File:
		return "*state.File"
	}
	return "other"
}

func TestRegister(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("registering memory twice did not panic")
		}
	}()
	state.Register("memory", func(context.Context, string) (state.Store, error) { return nil, nil })
}
