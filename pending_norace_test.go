//go:build !race

package fluxnotify

// pendingScale divides the sizes of TestHandler_PendingBytesBounded.
const pendingScale = 1
