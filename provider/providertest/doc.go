// Package providertest checks that a notifier behaves as fluxnotify expects
// of every provider type, in the spirit of testing/slogtest.
//
// A notifier author writes one test:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, providertest.Harness{New: mynotifier.Factory})
//	}
//
// Run starts a loopback HTTP server per case (never the internet), hands the
// notifier credentials that point at it (a secret URL path, a token and a
// secret header value) and checks, each case as a subtest, that the
// notifier:
//
//   - delivers: one Notify is exactly one request, carrying the event's
//     message, and leaves the Notification unchanged; if it implements
//     provider.Renderer, Render returns exactly the body it sends;
//   - is safe for concurrent use;
//   - honours context cancellation, before and during a request: it returns
//     an error satisfying errors.Is(err, context.Canceled), or a permanent
//     *provider.Error;
//   - classifies failures with *provider.Error: 500 and 429 (with its
//     Retry-After) are retryable, 400 and 404 are permanent, an unreachable
//     server is retryable;
//   - builds from zero Credentials, as in a dry run, and then fails in
//     Notify with a permanent error;
//   - never shows a secret (the address, its path, the token, a header
//     value) in the text of any error it returns, even when the server's
//     answer repeats it.
//
// Notifiers that do not speak HTTP (a file, a queue) describe their
// destination with Local; the cases about HTTP statuses do not apply to
// them and are not run.
//
// Check runs the same cases without a *testing.T and returns what failed,
// for harnesses of other kinds.
package providertest
