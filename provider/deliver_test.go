package provider_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
)

// tiny keeps waits short: the tests count attempts and never measure time.
var tiny = provider.RetryPolicy{Retries: 3, MinWait: time.Microsecond, MaxWait: 10 * time.Microsecond}

// script returns a notifier that answers with errs in turn, then nil.
func script(errs ...error) (provider.Notifier, *atomic.Int32) {
	var calls atomic.Int32
	return provider.NotifierFunc(func(ctx context.Context, n *provider.Notification) error {
		i := int(calls.Add(1)) - 1
		if i < len(errs) {
			return errs[i]
		}
		return nil
	}), &calls
}

var (
	errRetryable = &provider.Error{StatusCode: 503, Retryable: true}
	errPermanent = &provider.Error{StatusCode: 400, Code: "invalid_payload"}
)

func TestDeliver(t *testing.T) {
	tests := []struct {
		name     string
		errs     []error
		policy   provider.RetryPolicy
		attempts int
		wantErr  string
		is       error
	}{
		{name: "first try", policy: tiny, attempts: 1},
		{name: "retries a retryable failure", errs: []error{errRetryable, errRetryable}, policy: tiny, attempts: 3},
		{name: "an unclassified error is retried like a network error", errs: []error{errors.New("connection reset")}, policy: tiny, attempts: 2},
		{name: "stops on a permanent failure", errs: []error{errRetryable, errPermanent, errRetryable}, policy: tiny, attempts: 2, wantErr: "after 2 attempt(s): status 400: invalid_payload", is: errPermanent},
		{name: "gives up after the retries", errs: []error{errRetryable, errRetryable, errRetryable, errRetryable, errRetryable}, policy: tiny, attempts: 4, wantErr: "after 4 attempt(s): status 503", is: errRetryable},
		{name: "negative retries: one attempt", errs: []error{errRetryable}, policy: provider.RetryPolicy{Retries: -1}, attempts: 1, wantErr: "after 1 attempt(s)"},
		{name: "a cancellation from the notifier is not retried", errs: []error{context.Canceled}, policy: tiny, attempts: 1, is: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notifier, calls := script(tt.errs...)
			res, err := provider.Deliver(t.Context(), notifier, &provider.Notification{}, tt.policy, 0)
			assert.Equal(t, tt.attempts, res.Attempts)
			assert.Equal(t, int32(tt.attempts), calls.Load())
			assert.GreaterOrEqual(t, res.Duration, time.Duration(0))
			if tt.wantErr == "" && tt.is == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			if tt.wantErr != "" {
				assert.Contains(t, err.Error(), tt.wantErr)
			}
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

// TestDeliverRetryAfter checks that a Retry-After is honoured but capped at
// MaxWait: with a one-hour Retry-After and a tiny MaxWait the delivery
// still completes at once.
func TestDeliverRetryAfter(t *testing.T) {
	notifier, calls := script(&provider.Error{StatusCode: 429, Retryable: true, RetryAfter: time.Hour})
	res, err := provider.Deliver(t.Context(), notifier, &provider.Notification{}, tiny, 0)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
	assert.Equal(t, int32(2), calls.Load())

	p := provider.RetryPolicy{Retries: 3, MinWait: time.Second, MaxWait: 30 * time.Second}
	assert.Equal(t, 7*time.Second, p.Backoff(1, 7*time.Second), "Retry-After replaces the backoff")
	assert.Equal(t, 30*time.Second, p.Backoff(1, time.Hour), "and is capped at MaxWait")
}

func TestBackoff(t *testing.T) {
	p := provider.RetryPolicy{Retries: 10, MinWait: 2 * time.Second, MaxWait: 30 * time.Second}
	for retry, base := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 3: 8 * time.Second, 4: 16 * time.Second, 5: 30 * time.Second, 60: 30 * time.Second} {
		for range 20 {
			d := p.Backoff(retry, 0)
			assert.GreaterOrEqual(t, d, base/2, "retry %d", retry)
			assert.LessOrEqual(t, d, base, "retry %d", retry)
		}
	}
	// The zero policy is Flux's.
	assert.Equal(t, provider.DefaultRetryPolicy(), provider.RetryPolicy{Retries: 4, MinWait: 2 * time.Second, MaxWait: 30 * time.Second})
	d := provider.RetryPolicy{}.Backoff(1, 0)
	assert.GreaterOrEqual(t, d, time.Second)
	assert.LessOrEqual(t, d, 2*time.Second)
	// Doubling never overflows, whatever MaxWait.
	huge := provider.RetryPolicy{Retries: 100, MinWait: time.Second, MaxWait: time.Duration(1<<63 - 1)}
	for _, retry := range []int{1, 30, 62, 63, 64, 100} {
		assert.Positive(t, huge.Backoff(retry, 0), "retry %d", retry)
	}
}

func TestDeliverContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int32
	notifier := provider.NotifierFunc(func(context.Context, *provider.Notification) error {
		calls.Add(1)
		cancel() // the caller gives up during the first attempt
		return errRetryable
	})
	res, err := provider.Deliver(ctx, notifier, &provider.Notification{}, provider.RetryPolicy{Retries: 5, MinWait: time.Hour, MaxWait: time.Hour}, 0)
	assert.Equal(t, 1, res.Attempts)
	assert.Equal(t, int32(1), calls.Load())
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errRetryable)
	assert.Contains(t, err.Error(), "gave up")
}

// TestDeliverCanceledWhileWaiting cancels during a backoff wait of an hour:
// Deliver returns at once.
func TestDeliverCanceledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	attempted := make(chan struct{})
	notifier := provider.NotifierFunc(func(context.Context, *provider.Notification) error {
		close(attempted)
		return errRetryable
	})
	go func() {
		<-attempted
		cancel()
	}()
	res, err := provider.Deliver(ctx, notifier, &provider.Notification{}, provider.RetryPolicy{Retries: 5, MinWait: time.Hour, MaxWait: time.Hour}, 0)
	assert.Equal(t, 1, res.Attempts)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errRetryable)
}

// TestDeliverAttemptTimeout: each attempt gets its own deadline, and an
// attempt that runs out of time is retried.
func TestDeliverAttemptTimeout(t *testing.T) {
	var calls atomic.Int32
	notifier := provider.NotifierFunc(func(ctx context.Context, _ *provider.Notification) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no per-attempt deadline")
		}
		if calls.Add(1) == 1 {
			<-ctx.Done() // the first attempt hangs until its timeout
			return ctx.Err()
		}
		return nil
	})
	res, err := provider.Deliver(t.Context(), notifier, &provider.Notification{}, tiny, time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Attempts)
}
