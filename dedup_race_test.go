//go:build race

package fluxnotify

// distinctEvents is how many distinct events TestDedup_boundedMemory
// admits under the race detector.
const distinctEvents = 100_000
