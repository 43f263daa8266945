package providertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/provider/providertest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hook is a small, correct webhook notifier; its faults switch on the
// mistakes the kit must catch.
type hook struct {
	c      provider.Credentials
	faults faults
}

type faults struct {
	leakURL, ignoreContext, allPermanent, unclassified, twice, mutate, dryRunFails, renderDiffers bool
	// parallel sends that many requests at once for one Notify.
	parallel int
}

func (f faults) factory() provider.Factory {
	return func(p *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
		if f.dryRunFails && c.Address == "" {
			return nil, errors.New("no address")
		}
		return &hook{c: c, faults: f}, nil
	}
}

func (h *hook) Render(n *provider.Notification) ([]byte, error) {
	text := n.Data.Message
	if h.faults.renderDiffers {
		text += "!"
	}
	return json.Marshal(map[string]string{"text": text})
}

func (h *hook) Notify(ctx context.Context, n *provider.Notification) error {
	if h.c.Address == "" {
		return &provider.Error{Err: errors.New("no address")}
	}
	if h.faults.mutate {
		n.Data.Event.Metadata["touched"] = "yes"
	}
	body, _ := json.Marshal(map[string]string{"text": n.Data.Message})
	send := func() error {
		if h.faults.ignoreContext {
			ctx = context.Background()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.c.Address, bytes.NewReader(body))
		if err != nil {
			return provider.SanitizeError(err, h.c.Secrets()...)
		}
		for k, v := range h.c.Headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			if h.faults.leakURL {
				return err
			}
			return provider.SanitizeError(err, h.c.Secrets()...)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		err = provider.SanitizeError(provider.ClassifyResponse(resp, data), h.c.Secrets()...)
		var pe *provider.Error
		if errors.As(err, &pe) {
			pe.Code = provider.Redact(pe.Code, append(h.c.Secrets(), req.URL.Path)...)
			switch {
			case h.faults.leakURL:
				return fmt.Errorf("POST %s: %w", h.c.Address, err)
			case h.faults.allPermanent:
				pe.Retryable = false
			case h.faults.unclassified:
				return errors.New(pe.Error())
			}
		}
		return err
	}
	if h.faults.parallel > 0 {
		errs := make([]error, h.faults.parallel)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = send() })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	if err := send(); err != nil {
		return err
	}
	if h.faults.twice {
		return send()
	}
	return nil
}

func TestRunConforming(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		New: faults{}.factory(),
		Inspect: func(r providertest.Request, n *provider.Notification) error {
			if r.Method != http.MethodPost {
				return fmt.Errorf("method %s", r.Method)
			}
			if !strings.HasPrefix(r.Path, "/hooks/T0KIT/") {
				return fmt.Errorf("path %s", r.Path)
			}
			if r.Header.Get(providertest.HeaderName) == "" {
				return errors.New("no secret header")
			}
			return nil
		},
	})
}

// TestCheckDoesNotHang: a notifier that sends several requests at once
// must make the kit report it, not hang it in CanceledDuringRequest.
func TestCheckDoesNotHang(t *testing.T) {
	tests := []struct {
		name     string
		parallel int
		want     string
	}{
		{"two requests", 2, "Delivers: one Notify delivered 2 times"},
		{"three requests", 3, "Delivers: one Notify delivered 3 times"},
		{"eight requests", 8, "Delivers: one Notify delivered 8 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				done <- providertest.Check(providertest.Harness{New: faults{parallel: tt.parallel}.factory(), Guard: 2 * time.Second})
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
			case <-time.After(30 * time.Second):
				t.Fatal("Check hangs")
			}
		})
	}
}

func TestCheckCatchesFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults faults
		want   []string // cases that must fail
	}{
		{"leaks the URL", faults{leakURL: true}, []string{"ServerErrorIsRetryable: the error shows a secret", "UnreachableIsRetryable: the error shows a secret"}},
		{"ignores cancellation", faults{ignoreContext: true}, []string{"CanceledBeforeRequest:", "CanceledDuringRequest:"}},
		{"everything permanent", faults{allPermanent: true}, []string{"ServerErrorIsRetryable: HTTP 500 gave Retryable=false", "RateLimitIsRetryable:"}},
		{"unclassified", faults{unclassified: true}, []string{"BadRequestIsPermanent: HTTP 400 gave", "want a *provider.Error"}},
		{"delivers twice", faults{twice: true}, []string{"Delivers: one Notify delivered 2 times"}},
		{"mutates", faults{mutate: true}, []string{"Delivers: Notify modified the Notification"}},
		{"dry run fails", faults{dryRunFails: true}, []string{"DryRunCredentials: with zero Credentials"}},
		{"render differs", faults{renderDiffers: true}, []string{"Delivers: Render and Notify disagree"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := providertest.Harness{New: tt.faults.factory()}
			if tt.faults.ignoreContext {
				// The notifier that ignores cancellation would hold the
				// case for DefaultGuard.
				h.Guard = 500 * time.Millisecond
			}
			err := providertest.Check(h)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), "T0KIT/B0KIT/", "the kit's own report shows no secret")
		})
	}
	require.NoError(t, providertest.Check(providertest.Harness{New: faults{}.factory()}))
	require.EqualError(t, providertest.Check(providertest.Harness{}), "providertest: Harness.New is nil")
	require.EqualError(t, providertest.Check(providertest.Harness{New: faults{}.factory(), Local: &providertest.Local{}}),
		"providertest: Harness.Local needs Address and Received")
}

// lines is a Local notifier: it appends the message to a file.
type lines struct{ path string }

func (l lines) Notify(ctx context.Context, n *provider.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l.path == "" {
		return &provider.Error{Err: errors.New("no file")}
	}
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, n.Data.Message)
	return errors.Join(err, f.Close())
}

func TestRunLocal(t *testing.T) {
	dir := t.TempDir()
	var i int
	providertest.Run(t, providertest.Harness{
		New: func(_ *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
			return lines{path: c.Address}, nil
		},
		Local: &providertest.Local{
			Address: func() string { i++; return filepath.Join(dir, fmt.Sprint(i)) },
			Received: func(addr string) ([]string, error) {
				b, err := os.ReadFile(addr)
				if errors.Is(err, os.ErrNotExist) {
					return nil, nil
				}
				return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"), err
			},
		},
	})
}
