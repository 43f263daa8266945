//go:build race

package template_test

// raceEnabled reports whether the race detector is on; it adds allocations
// of its own (sync.Pool drops items), so allocation counts are not checked
// then.
const raceEnabled = true
