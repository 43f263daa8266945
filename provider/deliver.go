package provider

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryPolicy bounds retries of one delivery. The zero value means
// DefaultRetryPolicy.
type RetryPolicy struct {
	// Retries is the number of retries after the first attempt (Flux: 4).
	// A negative value disables retries.
	Retries int
	// MinWait is the first backoff wait (Flux: 2s); each retry doubles it.
	MinWait time.Duration
	// MaxWait caps every wait, including a destination's Retry-After
	// (Flux: 30s).
	MaxWait time.Duration
}

// DefaultRetryPolicy is Flux's: 4 retries, waits from 2 to 30 seconds.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Retries: 4, MinWait: 2 * time.Second, MaxWait: 30 * time.Second}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p == (RetryPolicy{}) {
		return DefaultRetryPolicy()
	}
	if p.Retries < 0 {
		p.Retries = 0
	}
	if p.MinWait <= 0 {
		p.MinWait = time.Millisecond
	}
	if p.MaxWait < p.MinWait {
		p.MaxWait = p.MinWait
	}
	return p
}

// Backoff returns the wait before retry number retry (1 for the first
// retry): exponential from MinWait, with full jitter in its upper half,
// capped at MaxWait. A positive retryAfter from the destination replaces it
// (still capped at MaxWait).
func (p RetryPolicy) Backoff(retry int, retryAfter time.Duration) time.Duration {
	p = p.withDefaults()
	if retryAfter > 0 {
		return min(retryAfter, p.MaxWait)
	}
	d := p.MinWait
	for i := 1; i < retry && d < p.MaxWait; i++ {
		if d > p.MaxWait/2 { // doubling would pass MaxWait, or overflow
			d = p.MaxWait
			break
		}
		d *= 2
	}
	d = min(d, p.MaxWait)
	half := d / 2
	return half + rand.N(half+1)
}

// Result describes one delivery.
type Result struct {
	// Attempts is how many times Notify was called.
	Attempts int
	// Duration is the time from the first attempt to the end.
	Duration time.Duration
}

// Deliver sends n through notifier, retrying retryable failures (see
// IsRetryable) with policy, each attempt bounded by timeout (no bound when
// timeout <= 0), the whole bounded by ctx. It returns the last error, with
// the attempt count, when every attempt failed or a failure is permanent.
func Deliver(ctx context.Context, notifier Notifier, n *Notification, policy RetryPolicy, timeout time.Duration) (Result, error) {
	policy = policy.withDefaults()
	start := time.Now()
	var res Result
	for {
		res.Attempts++
		err := attempt(ctx, notifier, n, timeout)
		if err == nil {
			res.Duration = time.Since(start)
			return res, nil
		}
		// A deadline that is not ctx's is the attempt's own timeout: retry.
		retryable := IsRetryable(err) || (ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded))
		if !retryable || res.Attempts > policy.Retries || ctx.Err() != nil {
			res.Duration = time.Since(start)
			if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
			}
			return res, fmt.Errorf("after %d attempt(s): %w", res.Attempts, err)
		}
		var retryAfter time.Duration
		var pe *Error
		if errors.As(err, &pe) {
			retryAfter = pe.RetryAfter
		}
		t := time.NewTimer(policy.Backoff(res.Attempts, retryAfter))
		select {
		case <-ctx.Done():
			t.Stop()
			res.Duration = time.Since(start)
			return res, fmt.Errorf("after %d attempt(s): %w (gave up: %w)", res.Attempts, err, ctx.Err())
		case <-t.C:
		}
	}
}

func attempt(ctx context.Context, notifier Notifier, n *Notification, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return notifier.Notify(ctx, n)
}
