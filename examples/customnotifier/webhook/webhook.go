package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/fluxnotify/fluxnotify/provider"
)

// The provider types (spec.type) this package implements.
const (
	// Type posts the event, unsigned.
	Type = "generic"
	// TypeHMAC posts the event signed with the Secret's token.
	TypeHMAC = "generic-hmac"
)

// The headers the notifier sets.
const (
	// ComponentHeader names the controller that reported the event.
	ComponentHeader = "Gotk-Component"
	// SignatureHeader carries "sha256=<hex HMAC>" of the body (generic-hmac).
	SignatureHeader = "X-Signature"
)

// Notifier posts events to one webhook. It implements provider.Notifier (one
// attempt per Notify) and provider.Renderer. It is safe for concurrent use
// and never shows its address, token or header values: it holds them as
// provider.Secret values, which no way of printing, logging or encoding
// shows, and reveals them only to send.
type Notifier struct {
	provider string // namespace/name, for errors
	where    string // the address, redacted, for String
	address  provider.Secret
	key      provider.Secret // HMAC key; empty for Type
	sign     bool
	headers  map[string]provider.Secret
	secrets  []provider.Secret // everything to redact from errors
	client   *http.Client
}

// Option configures a Notifier.
type Option func(*config)

type config struct {
	sign   bool
	client *http.Client
}

// Signed makes the notifier sign every body with the credentials' token, as
// Flux's generic-hmac provider does. Notify fails, without sending, when
// there is no token.
func Signed() Option { return func(c *config) { c.sign = true } }

// WithHTTPClient sets the HTTP client, for tests or a shared transport; by
// default each notifier has its own, honouring the credentials' proxy and
// certificate authorities and the provider's timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.client = hc } }

// New returns the notifier of provider p with credentials c (see
// provider.Resolve). With no address (a dry run) it succeeds, Render works
// and Notify fails. Errors name the provider and the field, never a secret.
func New(p *provider.Provider, c provider.Credentials, opts ...Option) (*Notifier, error) {
	if p == nil {
		return nil, errors.New("webhook: nil provider")
	}
	var cfg config
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	n := &Notifier{
		provider: p.NamespacedName(),
		where:    "(no address)",
		address:  provider.NewSecret(c.Address),
		sign:     cfg.sign,
		client:   cfg.client,
	}
	for _, s := range c.Secrets() { // the address, its path and query, the token, ...
		n.secrets = append(n.secrets, provider.NewSecret(s))
	}
	if len(c.Headers) > 0 {
		n.headers = make(map[string]provider.Secret, len(c.Headers))
		for k, v := range c.Headers {
			n.headers[k] = provider.NewSecret(v)
		}
	}
	if cfg.sign {
		n.key = provider.NewSecret(c.Token)
	}
	if c.Address != "" {
		u, err := url.Parse(c.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("provider %s: address: want an http(s) URL, got %s", n.provider, provider.RedactURL(c.Address))
		}
		n.where = provider.RedactURL(c.Address)
	}
	if n.client == nil {
		hc, err := provider.NewHTTPClient(c, p.GetTimeout())
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", n.provider, err)
		}
		hc.Timeout = p.GetTimeout() // Notify may be called without a deadline
		n.client = hc
	}
	return n, nil
}

// Factory returns a provider.Factory that builds notifiers with opts.
func Factory(opts ...Option) provider.Factory {
	return func(p *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
		return New(p, c, opts...)
	}
}

// Register adds Type and TypeHMAC to r. opts apply to both; TypeHMAC adds
// Signed.
func Register(r *provider.Registry, opts ...Option) error {
	if err := r.Register(Type, Factory(opts...)); err != nil {
		return err
	}
	return r.Register(TypeHMAC, Factory(append(append([]Option(nil), opts...), Signed())...))
}

// Render returns the body Notify would post: the event as JSON, with the
// merged metadata of n.
func (nt *Notifier) Render(n *provider.Notification) ([]byte, error) {
	if n == nil || n.Data == nil || n.Data.Event == nil {
		return nil, errors.New("webhook: notification without an event")
	}
	e := *n.Data.Event // a shallow copy: the shared event is not modified
	e.Metadata = n.Data.Metadata
	return json.Marshal(&e)
}

// Notify posts n once. Every error is a *provider.Error: network errors,
// 429 and 5xx are retryable; other statuses, a missing address or (for
// generic-hmac) a missing token are not.
func (nt *Notifier) Notify(ctx context.Context, n *provider.Notification) error {
	if nt.address.IsZero() {
		return nt.fail(&provider.Error{Err: errors.New("no address: set spec.address or the Secret's \"address\" key")})
	}
	if nt.sign && nt.key.IsZero() {
		return nt.fail(&provider.Error{Err: errors.New("generic-hmac needs the Secret's \"token\" key to sign with")})
	}
	body, err := nt.Render(n)
	if err != nil {
		return nt.fail(&provider.Error{Err: err})
	}
	header := http.Header{ComponentHeader: {n.Data.Event.ReportingController}}
	for k, v := range nt.headers {
		header.Set(k, v.Reveal())
	}
	if nt.sign {
		header.Set(SignatureHeader, Sign(body, []byte(nt.key.Reveal())))
	}
	secrets := make([]string, len(nt.secrets))
	for i, s := range nt.secrets {
		secrets[i] = s.Reveal()
	}
	if _, err := provider.PostJSON(ctx, nt.client, nt.address.Reveal(), body, header, secrets...); err != nil {
		return nt.fail(err)
	}
	return nil
}

// fail names the provider in err, keeping its classification.
func (nt *Notifier) fail(err error) error {
	return fmt.Errorf("webhook %s: %w", nt.provider, err)
}

// CloseIdleConnections closes the notifier's idle connections; the
// Dispatcher calls it when the provider changes or goes away.
func (nt *Notifier) CloseIdleConnections() { nt.client.CloseIdleConnections() }

// String describes the notifier for logs, without any secret:
// "generic-hmac webhook https://example.com/<redacted> (provider ns/name)".
// It is a description, not a safeguard: the secrets are provider.Secret
// values, so that every other way of printing a Notifier (%#v, %+v, %d,
// log/slog, inside another struct) shows none either.
func (nt *Notifier) String() string {
	typ := Type
	if nt.sign {
		typ = TypeHMAC
	}
	return typ + " webhook " + nt.where + " (provider " + nt.provider + ")"
}

// Sign returns the X-Signature value of body with key: "sha256=" followed by
// the hex HMAC-SHA256 of body.
func Sign(body, key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature (an X-Signature value) is the signature
// of body with key. It runs in constant time, for receivers.
func Verify(body, key []byte, signature string) bool {
	hexSum, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
