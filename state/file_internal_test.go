package state

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// count returns how many records each bucket of f holds.
func count(t *testing.T, f *File) (entries, index int) {
	t.Helper()
	err := f.db.View(func(tx *bolt.Tx) error {
		entries = tx.Bucket(bucketEntries).Stats().KeyN
		index = tx.Bucket(bucketExpiry).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries, index
}

// TestFileReclaimsExpired checks that writes reclaim expired entries a
// batch at a time, and that reopening reclaims the rest, so the file holds
// about the live entries.
func TestFileReclaimsExpired(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	f, err := OpenFile(path, WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	c := &fakeClock{t: time.Now()}
	f.now = c.now
	for i := range 300 {
		must(t, f.Set(ctx, fmt.Sprint("dedup:", i), []byte("x"), time.Minute))
	}
	must(t, f.Set(ctx, "thread", []byte("ts"), 0))
	if e, x := count(t, f); e != 301 || x != 300 {
		t.Fatalf("before expiry: %d entries, %d index records; want 301, 300", e, x)
	}
	c.advance(2 * time.Minute)
	must(t, f.Set(ctx, "status", []byte("ok"), time.Hour))
	if e, x := count(t, f); e != 302-sweepBatch || x != 301-sweepBatch {
		t.Fatalf("after one write: %d entries, %d index records; want %d, %d", e, x, 302-sweepBatch, 301-sweepBatch)
	}
	must(t, f.Close())
	// Reopening reclaims everything that expired while the file was closed
	// (in real time: the fake clock is gone, so make these expire for real).
	f, err = OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if e, _ := count(t, f); e != 302-sweepBatch {
		// Real time has not passed a minute: nothing more expired.
		t.Fatalf("after reopen: %d entries, want %d", e, 302-sweepBatch)
	}
	f.now = func() time.Time { return c.t.Add(time.Hour) }
	if err := f.db.Update(func(tx *bolt.Tx) error {
		t := f.tx(tx)
		for t.sweep(sweepBatch) == sweepBatch {
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if e, x := count(t, f); e != 1 || x != 0 {
		t.Fatalf("after a full sweep: %d entries, %d index records; want only the thread", e, x)
	}
	if got, err := f.Get(ctx, "thread"); err != nil || string(got) != "ts" {
		t.Fatalf("thread = %q, %v", got, err)
	}
}

func TestFileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = OpenFile(path, WithLockTimeout(20*time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "another process holds it") || !strings.Contains(err.Error(), path) {
		t.Fatalf("second OpenFile: %v; want an error naming the file and the lock", err)
	}
}

func TestFileCorruptWindow(t *testing.T) {
	ctx := context.Background()
	f, err := OpenFile(filepath.Join(t.TempDir(), "state.db"), WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.db.Update(func(tx *bolt.Tx) error {
		return f.tx(tx).put("w", kindWindow, 0, []byte{0, 5, 3, 'a'})
	}); err != nil {
		t.Fatal(err)
	}
	_, err = f.TakeWindow(ctx, "w")
	if !errors.Is(err, ErrBackend) || !errors.Is(err, errCorrupt) {
		t.Fatalf("TakeWindow of a corrupt record: %v, want ErrBackend", err)
	}
	_, err = f.AddToWindow(ctx, "w", "m", nil, 1, 0)
	if !errors.Is(err, ErrBackend) {
		t.Fatalf("AddToWindow to a corrupt record: %v, want ErrBackend", err)
	}
}

func TestFileKeyTooLarge(t *testing.T) {
	f, err := OpenFile(filepath.Join(t.TempDir(), "state.db"), WithNoSync())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = f.Set(context.Background(), strings.Repeat("k", maxFileKey+1), nil, 0)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set with a key over bbolt's limit: %v, want ErrTooLarge", err)
	}
	if len(err.Error()) > 200 {
		t.Fatalf("error repeats the whole key: %d bytes", len(err.Error()))
	}
}

// FuzzDecodeWindow checks that no record read from disk makes the decoder
// panic, and that what it accepts encodes back the same.
func FuzzDecodeWindow(f *testing.F) {
	f.Add(encodeWindow(Window{Entries: []WindowEntry{{"a", []byte("1")}, {"b", nil}}, Dropped: 3}))
	f.Add([]byte{0, 5, 3, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := decodeWindow(b)
		if err != nil {
			return
		}
		w2, err := decodeWindow(encodeWindow(w))
		if err != nil || fmt.Sprint(w) != fmt.Sprint(w2) {
			t.Fatalf("round trip: %+v -> %+v, %v", w, w2, err)
		}
	})
}
