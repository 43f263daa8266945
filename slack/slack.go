package slack

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/fluxnotify/fluxnotify/provider"
)

// The provider types (spec.type) the Notifier delivers: Slack, and the two
// Flux types to which Flux posts a Slack-compatible payload.
const (
	// Type is the type of Slack providers.
	Type = provider.TypeSlack
	// TypeDiscord is the type of Discord providers: as Flux does, the
	// message goes to the webhook's Slack-compatible endpoint (the address
	// with "/slack" appended, unless it ends with it) and has no channel.
	TypeDiscord = provider.TypeDiscord
	// TypeRocket is the type of Rocket.Chat providers: as Flux does, the
	// flux format is colored "#FF0000" for errors and "#0076D7" otherwise,
	// and the username is spec.username alone.
	TypeRocket = provider.TypeRocket
)

// Types returns the provider types Register adds: slack, discord and
// rocket.
func Types() []string { return []string{Type, TypeDiscord, TypeRocket} }

// maxResponse is how much of an answer is read to classify it.
const maxResponse = 64 << 10

// mode is how a Notifier reaches Slack.
type mode uint8

const (
	modeNone    mode = iota // no credentials: render only (dry runs)
	modeWebhook             // an incoming webhook URL
	modeAPI                 // chat.postMessage with a bot token
)

func (m mode) String() string {
	switch m {
	case modeWebhook:
		return "webhook"
	case modeAPI:
		return "chat.postMessage"
	}
	return "unconfigured"
}

// Notifier delivers notifications to Slack, through an incoming webhook or
// through the Web API's chat.postMessage with a bot token. It implements
// provider.Notifier (one attempt per Notify; provider.Deliver retries) and
// provider.Renderer (the exact body, for dry runs). It is safe for
// concurrent use.
//
// A Notifier never shows its webhook URL or token: not in errors, not in
// String, not in logs. It holds them as provider.Secret values, so that
// no way of printing or encoding a Notifier shows them either.
type Notifier struct {
	provider       string // namespace/name
	flavor         string // Type, TypeDiscord or TypeRocket
	mode           mode
	endpoint       provider.Secret // where to POST; the secret itself for a webhook
	token          provider.Secret
	headers        map[string]provider.Secret
	secrets        []provider.Secret // everything to redact
	username       string
	providerFormat string
	defaultFormat  string
	userAgent      string
	header         http.Header // Content-Type, Accept and User-Agent
	url            *url.URL    // the endpoint, parsed (a secret: never printed)
	where          string      // the destination, without secrets
	client         *http.Client
	ownClient      bool
	timeout        time.Duration // bounds an attempt whose ctx has no deadline
}

// New returns the notifier of provider p with credentials c (see
// provider.Resolve):
//
//   - with c.Token, messages go to chat.postMessage (at c.Address when set,
//     else at the Web API URL, see WithAPIURL) with "Authorization: Bearer";
//   - else with c.Address, to that incoming webhook;
//   - with neither (a dry run), New succeeds and Render works, but Notify
//     fails with an error saying what is missing.
//
// When p's spec.type is TypeDiscord or TypeRocket, the notifier posts to
// c.Address as Flux does for those types (the token is not used); any other
// type is delivered as Slack.
//
// c.Proxy and c.CAData configure the notifier's HTTP client, c.Headers are
// added to every request. Errors name the provider and the field at fault,
// never a secret.
func New(p *provider.Provider, c provider.Credentials, opts ...Option) (*Notifier, error) {
	n, err := newNotifier(p, c, opts...)
	if err != nil {
		if p == nil {
			return nil, fmt.Errorf("slack: %w", err)
		}
		return nil, fmt.Errorf("provider %s: %w", p.NamespacedName(), err)
	}
	return n, nil
}

// Factory returns a provider.Factory that builds notifiers with opts, for
// Slack, Discord or Rocket.Chat according to the provider's spec.type (see
// New).
func Factory(opts ...Option) provider.Factory {
	return func(p *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
		// provider.Registry names the provider in the error.
		n, err := newNotifier(p, c, opts...)
		if err != nil {
			return nil, err
		}
		return n, nil
	}
}

// Register adds the notifier to r for each of Types(): slack, discord and
// rocket. It checks opts first, so that a bad option is an error now rather
// than for every provider. To register Slack alone (and deliver discord or
// rocket with a notifier of your own), call
// r.Register(slack.Type, slack.Factory(opts...)).
func Register(r *provider.Registry, opts ...Option) error {
	if _, err := applyOptions(opts); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	f := Factory(opts...)
	for _, typ := range Types() {
		if err := r.Register(typ, f); err != nil {
			return err
		}
	}
	return nil
}

func applyOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

func newNotifier(p *provider.Provider, c provider.Credentials, opts ...Option) (*Notifier, error) {
	if p == nil {
		return nil, errors.New("nil provider")
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	n := &Notifier{
		provider:      p.NamespacedName(),
		flavor:        Type,
		username:      p.Spec.Username,
		defaultFormat: o.format,
		userAgent:     o.userAgent,
		token:         provider.NewSecret(c.Token),
	}
	for _, s := range c.Secrets() {
		n.secrets = append(n.secrets, provider.NewSecret(s))
	}
	if len(c.Headers) > 0 {
		n.headers = make(map[string]provider.Secret, len(c.Headers))
		for k, v := range c.Headers {
			n.headers[k] = provider.NewSecret(v)
		}
	}
	for k, v := range c.Headers {
		// net/http would refuse every request, and each refusal would be
		// retried as a network error: say it once, here.
		if !validHeaderName(k) {
			return nil, fmt.Errorf("headers (the secret's \"headers\" key): %q is not a valid header name", k)
		}
		if !validHeaderValue(v) {
			return nil, fmt.Errorf("headers (the secret's \"headers\" key): the value of %q is not a valid header value (a line break or control character)", k)
		}
	}
	if t := p.Spec.Template; t != nil && t.Format != "" {
		if !validFormat(t.Format) {
			return nil, fmt.Errorf("spec.template.format: unknown format %q (want %q or %q)", t.Format, FormatFlux, FormatBlocks)
		}
		n.providerFormat = t.Format
	}
	if t := p.Spec.Type; t == TypeDiscord || t == TypeRocket {
		// Flux posts to the address alone, without the token.
		n.flavor, n.token = t, provider.Secret{}
		c.Token = ""
	}
	var endpoint string
	switch {
	case c.Token != "":
		n.mode = modeAPI
		endpoint = o.apiURL + "chat.postMessage"
		n.where = n.mode.String() + " " + stripQuery(endpoint)
		if c.Address != "" {
			endpoint = c.Address
			n.where = n.mode.String() + " " + provider.RedactURL(c.Address)
		}
	case c.Address != "":
		n.mode = modeWebhook
		endpoint = c.Address
		if n.flavor == TypeDiscord {
			endpoint = discordEndpoint(c.Address)
		}
		n.where = n.mode.String() + " " + provider.RedactURL(c.Address)
	default:
		n.where = n.mode.String()
	}
	n.endpoint = provider.NewSecret(endpoint)
	n.header = http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Accept": {"application/json"}}
	if n.userAgent != "" {
		n.header.Set("User-Agent", n.userAgent)
	}
	if n.mode != modeNone {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("address (spec.address or the secret's %q/%q key): want an http(s) URL, got %s", "address", "url", provider.RedactURL(endpoint))
		}
		// As http.NewRequest does with the host of the URL it parses.
		if strings.HasSuffix(u.Host, ":") && strings.LastIndexByte(u.Host, ':') > strings.LastIndexByte(u.Host, ']') {
			u.Host = strings.TrimSuffix(u.Host, ":")
		}
		n.url = u
	}
	// The provider's timeout bounds an attempt whose context has no
	// deadline, whichever client sends it.
	n.timeout = p.GetTimeout()
	if o.client != nil {
		n.client = o.client
	} else {
		client, err := provider.NewHTTPClient(c, n.timeout)
		if err != nil {
			return nil, err
		}
		n.client, n.ownClient = client, true
	}
	return n, nil
}

// discordEndpoint is the Slack-compatible endpoint of a Discord webhook, as
// Flux builds it: "/slack" joined to the path, unless the address ends with
// it. An address that does not parse is returned as it is, for the caller
// to refuse.
func discordEndpoint(address string) string {
	if strings.HasSuffix(address, "/slack") {
		return address
	}
	u, err := url.Parse(address)
	if err != nil {
		return address
	}
	u.Path = path.Join(u.Path, "slack")
	u.RawPath = ""
	return u.String()
}

// Render returns the JSON body Notify would post for n, without any
// network: the dry-run view of a message.
func (nt *Notifier) Render(n *provider.Notification) ([]byte, error) {
	p, err := nt.build(context.Background(), n)
	if err != nil {
		return nil, err
	}
	return encode(p)
}

// encoder is a reusable JSON encoder that does not escape HTML ('<', '>'
// and '&' are Slack's markup and entities, not HTML).
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

func encode(p *payload) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= 1<<20 {
			e.buf.Reset()
			encoders.Put(e)
		}
	}()
	if err := e.enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encoding the Slack message: %w", err)
	}
	return bytes.Clone(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))), nil
}

// Notify posts n to Slack once. Every error is a *provider.Error (wrapped
// with what was attempted): network errors, 429 (with its Retry-After) and
// 5xx are retryable; other statuses, Slack's ok:false, a message that cannot
// be rendered and missing credentials are not.
func (nt *Notifier) Notify(ctx context.Context, n *provider.Notification) error {
	if nt.mode == modeNone {
		if nt.flavor != Type {
			return nt.fail(&provider.Error{Err: errors.New("no webhook address: set spec.secretRef (key \"address\" or \"url\") or spec.address")})
		}
		return nt.fail(&provider.Error{Err: errors.New("no webhook address nor bot token: set spec.secretRef (key \"address\", \"url\" or \"token\") or spec.address")})
	}
	// The provider's timeout bounds the attempt, rendering included.
	if _, ok := ctx.Deadline(); !ok && nt.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, nt.timeout)
		defer cancel()
	}
	p, err := nt.build(ctx, n)
	if err != nil {
		return nt.fail(&provider.Error{Err: err})
	}
	if nt.mode == modeAPI && p.Channel == "" {
		return nt.fail(&provider.Error{Err: fmt.Errorf("%s: no channel: chat.postMessage needs one: set spec.channel on the alert or the provider", alertName(n))})
	}
	body, err := encode(p)
	if err != nil {
		return nt.fail(&provider.Error{Err: err})
	}
	// New parsed the endpoint: the request takes a copy of it rather than
	// parsing it again (an empty URL parses at no cost).
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "", bytes.NewReader(body))
	if err != nil {
		return nt.fail(provider.SanitizeError(err, nt.secretValues()...))
	}
	u := *nt.url
	req.URL, req.Host = &u, u.Host
	switch {
	case len(nt.headers) == 0 && nt.token.IsZero() && nt.ownClient:
		// Built once, by New, and shared: net/http only reads a request's
		// headers (Client copies them before it changes any). A client
		// given with WithHTTPClient gets a copy: its transport might not.
		req.Header = nt.header
	case len(nt.headers) == 0:
		req.Header = nt.header.Clone()
	default:
		for k, v := range nt.headers {
			req.Header.Set(k, v.Reveal())
		}
		for k, v := range nt.header {
			req.Header.Set(k, v[0]) // over a custom header of the same name
		}
	}
	if !nt.token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+nt.token.Reveal())
	}
	resp, err := nt.client.Do(req)
	if err != nil {
		return nt.fail(transportError(err, nt.secretValues()))
	}
	// A body that cannot be read whole is classified on what arrived: the
	// status says whether Slack took the message.
	answer := answers.Get().(*bytes.Buffer)
	answer.Reset()
	_, _ = answer.ReadFrom(io.LimitReader(resp.Body, maxResponse))
	// Drain a little more so the connection can be reused, then close.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4*maxResponse))
	_ = resp.Body.Close()
	err = classify(resp, answer.Bytes(), nt.mode == modeAPI) // keeps nothing of the bytes
	if answer.Cap() <= 4<<10 {
		answers.Put(answer)
	}
	if err != nil {
		return nt.fail(err)
	}
	return nil
}

// answers are the buffers Notify reads Slack's answers into.
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// validHeaderName reports whether k is an HTTP header name (RFC 9110
// token).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no
// control character but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// transportError classifies a failure to get an answer: retryable, except
// a cancelled context and a certificate that cannot be trusted (retrying
// will not make it trusted), without any secret.
func transportError(err error, secrets []string) error {
	err = provider.SanitizeError(err, secrets...)
	var (
		pe *provider.Error
		ve *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	if errors.As(err, &pe) && (errors.As(err, &ve) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)) {
		pe.Retryable = false
	}
	return err
}

// fail redacts every secret from err, keeps its classification and says
// what was attempted.
func (nt *Notifier) fail(err error) error {
	var pe *provider.Error
	if errors.As(err, &pe) {
		// SanitizeError also redacts the beginning of a secret echoed in a
		// long answer that ClassifyResponse cut.
		err = provider.SanitizeError(pe, nt.secretValues()...)
	}
	return fmt.Errorf("%s %s: %w", nt.flavor, nt.where, err)
}

// stripQuery returns u without user information, query and fragment.
func stripQuery(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return provider.RedactURL(u)
	}
	p.User, p.RawQuery, p.Fragment, p.RawFragment = nil, "", "", ""
	return p.String()
}

func alertName(n *provider.Notification) string {
	if n != nil && n.Alert != nil {
		return "alert " + n.Alert.Namespace + "/" + n.Alert.Name
	}
	return "notification"
}

// CloseIdleConnections closes the idle keep-alive connections of the
// notifier's own HTTP client (not of one given with WithHTTPClient). Call
// it when the notifier is no longer used.
func (nt *Notifier) CloseIdleConnections() {
	if nt.ownClient {
		nt.client.CloseIdleConnections()
	}
}

// String describes the notifier without any secret, for logs:
// "slack webhook https://hooks.slack.com/<redacted> (provider flux-system/slack)";
// it starts with "discord" or "rocket" for those types.
func (nt *Notifier) String() string {
	return nt.flavor + " " + nt.where + " (provider " + nt.provider + ")"
}

// secretValues returns the values to redact from errors.
func (nt *Notifier) secretValues() []string {
	out := make([]string, len(nt.secrets))
	for i, s := range nt.secrets {
		out[i] = s.Reveal()
	}
	return out
}

// maxCode bounds the error string of a JSON answer kept as Code, as
// provider.ClassifyResponse bounds a plain-text one.
const maxCode = 200

// errorCode is the "error" of a JSON answer as a Code: on one line and at
// most maxCode characters, so that a hostile answer cannot put 64 KiB or
// line breaks into every error and log line.
func errorCode(s string) string {
	return cut(strings.Join(strings.Fields(s), " "), maxCode)
}

// classify turns Slack's answer into nil or a *provider.Error. Slack's
// error string, from a webhook's plain-text body or a Web API's
// {"ok":false,"error":"…"}, becomes Code. An ok:false answer is permanent,
// except "ratelimited" and "service_unavailable", which Slack documents as
// transient.
func classify(resp *http.Response, body []byte, api bool) error {
	var answer struct {
		OK    *bool  `json:"ok"`
		Error string `json:"error"`
	}
	// Incoming webhooks answer a plain "ok", which is not JSON: no need to
	// try decoding it.
	isJSON := !bytes.Equal(bytes.TrimSpace(body), []byte("ok")) && json.Unmarshal(body, &answer) == nil && answer.OK != nil
	if err := provider.ClassifyResponse(resp, body); err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) && isJSON && answer.Error != "" {
			pe.Code = errorCode(answer.Error)
		}
		return err
	}
	switch {
	case isJSON && !*answer.OK:
		code := errorCode(answer.Error)
		if code == "" {
			code = "unknown_error"
		}
		e := &provider.Error{StatusCode: resp.StatusCode, Code: code, Err: errors.New("Slack answered ok:false")}
		if code == "ratelimited" || code == "service_unavailable" {
			e.Retryable = true
			if d, ok := provider.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				e.RetryAfter = d
			}
		}
		return e
	case api && !isJSON && strings.TrimSpace(string(body)) != "ok":
		return &provider.Error{StatusCode: resp.StatusCode, Err: errors.New(`unexpected answer: not Slack's {"ok": …}`)}
	}
	return nil
}
