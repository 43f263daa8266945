//go:build !race

package fluxnotify

// distinctEvents is how many distinct events TestDedup_boundedMemory
// admits.
const distinctEvents = 1_000_000
