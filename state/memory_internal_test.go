package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestMemory(opts ...MemoryOption) (*Memory, *fakeClock) {
	m := NewMemory(opts...)
	c := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	m.now = c.now
	return m, c
}

func TestMemoryBounds(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts []MemoryOption
		// fill writes the entries; want are the keys left, in no order.
		fill func(t *testing.T, m *Memory, c *fakeClock)
		want []string
	}{
		{
			name: "entries: expired entries go first",
			opts: []MemoryOption{WithMaxEntries(3)},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				must(t, m.Set(ctx, "forever", nil, 0))
				must(t, m.Set(ctx, "expired", nil, time.Second))
				must(t, m.Set(ctx, "later", nil, time.Hour))
				c.advance(2 * time.Second)
				must(t, m.Set(ctx, "new", nil, time.Minute))
			},
			want: []string{"forever", "later", "new"},
		},
		{
			name: "entries: closest to expiry goes first, no-TTL last",
			opts: []MemoryOption{WithMaxEntries(3)},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				must(t, m.Set(ctx, "forever", nil, 0))
				must(t, m.Set(ctx, "hour", nil, time.Hour))
				must(t, m.Set(ctx, "minute", nil, time.Minute))
				must(t, m.Set(ctx, "day", nil, 24*time.Hour))
			},
			want: []string{"forever", "hour", "day"},
		},
		{
			name: "entries: the entry written is never the victim",
			opts: []MemoryOption{WithMaxEntries(2)},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				must(t, m.Set(ctx, "a", nil, time.Hour))
				must(t, m.Set(ctx, "b", nil, time.Hour))
				ok, err := m.SetIfAbsent(ctx, "dedup", nil, time.Second)
				if !ok || err != nil {
					t.Fatal(ok, err)
				}
			},
			want: []string{"b", "dedup"},
		},
		{
			name: "entries: without TTLs, the oldest write goes first",
			opts: []MemoryOption{WithMaxEntries(2)},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				must(t, m.Set(ctx, "a", nil, 0))
				must(t, m.Set(ctx, "b", nil, 0))
				must(t, m.Set(ctx, "a", []byte("rewritten"), 0))
				must(t, m.Set(ctx, "c", nil, 0))
			},
			want: []string{"a", "c"},
		},
		{
			name: "entries: windows go after every value",
			opts: []MemoryOption{WithMaxEntries(3)},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				for _, k := range []string{"w1", "w2"} {
					if _, err := m.AddToWindow(ctx, k, "m", nil, 10, time.Second); err != nil {
						t.Fatal(err)
					}
				}
				must(t, m.Set(ctx, "forever", nil, 0))
				must(t, m.Set(ctx, "day", nil, 24*time.Hour))
				must(t, m.Set(ctx, "new", nil, 0))
			},
			want: []string{"w1", "w2", "new"},
		},
		{
			name: "entries: an expired window goes before a live value",
			opts: []MemoryOption{WithMaxEntries(2)},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				if _, err := m.AddToWindow(ctx, "w", "m", nil, 10, time.Second); err != nil {
					t.Fatal(err)
				}
				must(t, m.Set(ctx, "v", nil, time.Hour))
				c.advance(2 * time.Second)
				must(t, m.Set(ctx, "new", nil, time.Hour))
			},
			want: []string{"v", "new"},
		},
		{
			name: "bytes",
			opts: []MemoryOption{WithMaxBytes(3 * (memEntryOverhead + 101))},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				for i := range 10 {
					must(t, m.Set(ctx, fmt.Sprint(i), make([]byte, 100), time.Duration(i+1)*time.Minute))
				}
			},
			want: []string{"7", "8", "9"},
		},
		{
			name: "bytes: a window grows and evicts others",
			opts: []MemoryOption{WithMaxBytes(2*memEntryOverhead + 2 + 3*(memMemberOverhead+101))},
			fill: func(t *testing.T, m *Memory, c *fakeClock) {
				must(t, m.Set(ctx, "v", make([]byte, 100), time.Minute))
				for i := range 3 {
					if _, err := m.AddToWindow(ctx, "w", fmt.Sprint(i), make([]byte, 100), 10, time.Hour); err != nil {
						t.Fatal(err)
					}
				}
			},
			want: []string{"w"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, c := newTestMemory(tt.opts...)
			tt.fill(t, m, c)
			var got []string
			for k := range m.m {
				if _, err := m.Get(ctx, k); err == nil || errors.Is(err, ErrWrongType) {
					got = append(got, k)
				}
			}
			if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(tt.want)) {
				t.Fatalf("kept %v, want %v", sorted(got), sorted(tt.want))
			}
			st := m.Stats()
			if st.Bytes > m.maxBytes || st.Entries > m.maxEntries {
				t.Fatalf("stats %+v over the bounds", st)
			}
		})
	}
}

// TestMemoryStaysBounded writes many distinct keys, as a flood of distinct
// events would, and checks entries and bytes never pass the bounds, and
// that the byte count returns to zero when everything is deleted.
func TestMemoryStaysBounded(t *testing.T) {
	ctx := context.Background()
	m, c := newTestMemory(WithMaxEntries(1000), WithMaxBytes(200_000))
	for i := range 20_000 {
		c.advance(time.Millisecond)
		k := fmt.Sprint("dedup:", i)
		if _, err := m.SetIfAbsent(ctx, k, make([]byte, i%300), 5*time.Minute); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, err := m.AddToWindow(ctx, fmt.Sprint("w:", i%13), k, []byte("v"), 50, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if st := m.Stats(); st.Entries > 1000 || st.Bytes > 200_000 {
			t.Fatalf("after %d writes: %+v over the bounds", i, st)
		}
	}
	if m.Stats().Evicted == 0 {
		t.Fatal("nothing was evicted")
	}
	for k := range m.m {
		must(t, m.Delete(ctx, k))
	}
	if st := m.Stats(); st.Entries != 0 || st.Bytes != 0 {
		t.Fatalf("after deleting everything: %+v, want zero", st)
	}
}

func TestMemoryTooLarge(t *testing.T) {
	ctx := context.Background()
	m, _ := newTestMemory(WithMaxBytes(1000))
	if err := m.Set(ctx, "k", make([]byte, 1000), 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set of a value over the bound: %v, want ErrTooLarge", err)
	}
	var err error
	for i := 0; err == nil && i < 100; i++ {
		_, err = m.AddToWindow(ctx, "w", fmt.Sprint(i), make([]byte, 100), 100, 0)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a window over the bound: %v, want ErrTooLarge", err)
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
