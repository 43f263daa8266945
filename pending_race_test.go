//go:build race

package fluxnotify

// pendingScale divides the sizes of TestHandler_PendingBytesBounded under
// the race detector, which makes decoding large events slow; the bound
// shows the same.
const pendingScale = 16
