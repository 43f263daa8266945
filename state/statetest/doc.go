// Package statetest checks that a state.Store behaves as package state
// documents, in the style of testing/slogtest: an implementation's tests
// call Run with a function that returns a fresh, empty store.
//
//	func TestConformance(t *testing.T) {
//		statetest.Run(t, func(t *testing.T) state.Store {
//			return state.NewMemory()
//		})
//	}
//
// The suite checks values, TTL expiry, set-if-absent and atomic updates
// under concurrency (between goroutines, and between two clients of one
// backend when Replica is given), windows, cancelled contexts, errors and
// Close; with Reopen, that data and TTLs survive closing and reopening the
// store. TTLs are short (tens of milliseconds) and expiry is awaited by
// polling, so the suite takes well under a second per store.
package statetest
