package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// ErrSecretNotFound is wrapped by SecretGetter implementations when the
// Secret does not exist.
var ErrSecretNotFound = errors.New("secret not found")

// SecretGetter reads Secrets. A controller reads them from the cluster;
// tests and offline tools use Secrets loaded from files (StaticSecrets).
type SecretGetter interface {
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// SecretGetterFunc adapts a function to SecretGetter.
type SecretGetterFunc func(ctx context.Context, namespace, name string) (*corev1.Secret, error)

// GetSecret calls f(ctx, namespace, name).
func (f SecretGetterFunc) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return f(ctx, namespace, name)
}

// StaticSecrets returns a SecretGetter over a fixed set of Secrets, for tests
// and offline tools. Its answer for an unknown Secret wraps
// ErrSecretNotFound.
func StaticSecrets(secrets ...corev1.Secret) SecretGetter {
	m := make(map[string]*corev1.Secret, len(secrets))
	for i := range secrets {
		s := &secrets[i]
		m[s.Namespace+"/"+s.Name] = s
	}
	return SecretGetterFunc(func(_ context.Context, namespace, name string) (*corev1.Secret, error) {
		if s, ok := m[namespace+"/"+name]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("secret %s/%s: %w", namespace, name, ErrSecretNotFound)
	})
}

// Credentials are what a notifier needs from a Provider and its Secrets.
// Every way of showing a Credentials redacts it: String, GoString, Format
// (every fmt verb), LogValue (log/slog), MarshalJSON and MarshalText, each
// showing which parts are set, the address and proxy through RedactURL and
// the other values as a Secret. fmt cannot call those methods on a
// Credentials held in an unexported struct field: a notifier keeps the
// values it needs as Secret fields instead, which redact themselves
// wherever they are.
type Credentials struct {
	// Address is the destination URL (a Slack webhook URL, an API URL).
	Address string
	// Token is a bearer or bot token.
	Token string
	// Username and Password are for basic authentication.
	Username string
	Password string
	// Proxy is the proxy URL.
	Proxy string
	// Headers are extra HTTP headers.
	Headers map[string]string
	// CAData holds PEM certificate authorities to trust.
	CAData []byte
}

// Secrets returns every secret value in c, for redaction: the address and,
// alone, its path and query (a webhook URL's path is its secret, and a
// server may echo just the path), the token, the password, the proxy URL
// and its password, the header values, and the base64 of
// "username:password" (basic authentication). Redact derives the other
// forms (path segments, query values, escapes, ...) from these.
func (c Credentials) Secrets() []string {
	out := make([]string, 0, 6+len(c.Headers))
	for _, s := range []string{c.Address, c.Token, c.Password, c.Proxy} {
		if s != "" {
			out = append(out, s)
		}
	}
	if u, err := url.Parse(c.Address); err == nil && u.Host != "" {
		if rest := u.RequestURI(); len(rest) > 1 {
			out = append(out, rest)
		}
	}
	if u, err := url.Parse(c.Proxy); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			out = append(out, pw)
		}
	}
	for _, v := range c.Headers {
		if v != "" {
			out = append(out, v)
		}
	}
	if c.Password != "" {
		// Basic authentication sends base64("user:password").
		out = append(out, base64Forms(c.Username+":"+c.Password)...)
	}
	return out
}

// IsZero reports whether c holds nothing, as in a dry run.
func (c Credentials) IsZero() bool {
	return c.Address == "" && c.Token == "" && c.Username == "" && c.Password == "" &&
		c.Proxy == "" && len(c.Headers) == 0 && len(c.CAData) == 0
}

// String describes c without any secret value: which parts are set, and the
// address with its path and query redacted.
func (c Credentials) String() string {
	var parts []string
	if c.Address != "" {
		parts = append(parts, "address="+RedactURL(c.Address))
	}
	if c.Token != "" {
		parts = append(parts, "token=<redacted>")
	}
	if c.Username != "" {
		parts = append(parts, "username=<redacted>")
	}
	if c.Password != "" {
		parts = append(parts, "password=<redacted>")
	}
	if c.Proxy != "" {
		parts = append(parts, "proxy="+RedactURL(c.Proxy))
	}
	if len(c.Headers) > 0 {
		parts = append(parts, fmt.Sprintf("headers=<%d redacted>", len(c.Headers)))
	}
	if len(c.CAData) > 0 {
		parts = append(parts, "ca=<set>")
	}
	return "Credentials{" + strings.Join(parts, " ") + "}"
}

// GoString is String, so %#v does not print secrets either.
func (c Credentials) GoString() string { return c.String() }

// Format implements fmt.Formatter so that every verb (%v, %+v, %s, %q)
// prints the redacted form.
func (c Credentials) Format(f fmt.State, verb rune) {
	_, _ = f.Write([]byte(c.String()))
}

// credentialsView is Credentials as logged and encoded: the URLs through
// RedactURL, every other value a Secret.
type credentialsView struct {
	Address  string            `json:"address,omitempty"`
	Token    Secret            `json:"token,omitzero"`
	Username Secret            `json:"username,omitzero"`
	Password Secret            `json:"password,omitzero"`
	Proxy    string            `json:"proxy,omitempty"`
	Headers  map[string]Secret `json:"headers,omitempty"`
	CA       bool              `json:"ca,omitempty"`
}

func (c Credentials) view() credentialsView {
	v := credentialsView{
		Token: NewSecret(c.Token), Username: NewSecret(c.Username), Password: NewSecret(c.Password),
		CA: len(c.CAData) > 0,
	}
	if c.Address != "" {
		v.Address = RedactURL(c.Address)
	}
	if c.Proxy != "" {
		v.Proxy = RedactURL(c.Proxy)
	}
	if len(c.Headers) > 0 {
		v.Headers = make(map[string]Secret, len(c.Headers))
		for k, h := range c.Headers {
			v.Headers[k] = NewSecret(h)
		}
	}
	return v
}

// LogValue makes log/slog log c as a group of its redacted parts.
func (c Credentials) LogValue() slog.Value {
	v := c.view()
	var attrs []slog.Attr
	if v.Address != "" {
		attrs = append(attrs, slog.String("address", v.Address))
	}
	for _, s := range []struct {
		key string
		v   Secret
	}{{"token", v.Token}, {"username", v.Username}, {"password", v.Password}} {
		if !s.v.IsZero() {
			attrs = append(attrs, slog.Any(s.key, s.v))
		}
	}
	if v.Proxy != "" {
		attrs = append(attrs, slog.String("proxy", v.Proxy))
	}
	if len(v.Headers) > 0 {
		attrs = append(attrs, slog.Int("headers", len(v.Headers)))
	}
	if v.CA {
		attrs = append(attrs, slog.Bool("ca", true))
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes c redacted: the address and proxy through RedactURL,
// the other values as "<redacted>".
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.view()) }

// MarshalText encodes String.
func (c Credentials) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// secretValue returns the value of key from data or stringData.
func secretValue(s *corev1.Secret, key string) (string, bool) {
	if v, ok := s.StringData[key]; ok {
		return v, true
	}
	if v, ok := s.Data[key]; ok {
		return string(v), true
	}
	return "", false
}

// Resolve reads the credentials of p: spec.address and spec.proxy, then the
// Secret of spec.secretRef (keys "address" — Flux's — or "url" — as many
// guides write it — for the address, "token", "username", "password", "proxy" and
// "headers", a YAML map), the Secret of spec.proxySecretRef ("address",
// with "username" and "password" put in the proxy URL, as Flux does) and
// the Secret of spec.certSecretRef ("ca.crt" or "caFile"). Secret values
// override spec fields. Both data (base64 in YAML)
// and stringData are read.
//
// A missing Secret or key is an error naming the provider, the Secret and
// the field; an address must come from somewhere unless a token is set (the
// notifier then picks its API endpoint). Call Resolve only to deliver:
// routing never needs it.
func Resolve(ctx context.Context, p *Provider, secrets SecretGetter) (Credentials, error) {
	c := Credentials{Address: p.Spec.Address, Proxy: p.Spec.Proxy}
	name := p.NamespacedName // for errors only: not built on success
	if ref := p.Spec.SecretRef; ref != nil && ref.Name != "" {
		s, err := getSecret(ctx, secrets, p.Namespace, ref.Name)
		if err != nil {
			return Credentials{}, fmt.Errorf("provider %s: spec.secretRef: %w", name(), err)
		}
		if v, ok := secretValue(s, "address"); ok {
			c.Address = strings.TrimSpace(v)
		} else if v, ok := secretValue(s, "url"); ok {
			c.Address = strings.TrimSpace(v)
		}
		if v, ok := secretValue(s, "token"); ok {
			c.Token = strings.TrimSpace(v)
		}
		if v, ok := secretValue(s, "username"); ok {
			c.Username = v
		}
		if v, ok := secretValue(s, "password"); ok {
			c.Password = v
		}
		if v, ok := secretValue(s, "proxy"); ok {
			c.Proxy = strings.TrimSpace(v)
		}
		if v, ok := secretValue(s, "headers"); ok {
			var h map[string]string
			if err := yaml.Unmarshal([]byte(v), &h); err != nil {
				// The YAML error may quote header values: do not wrap it.
				return Credentials{}, fmt.Errorf("provider %s: secret %s/%s: key \"headers\": not a YAML map of strings", name(), p.Namespace, ref.Name)
			}
			c.Headers = h
		}
		if c.Address == "" && c.Token == "" {
			return Credentials{}, fmt.Errorf("provider %s: secret %s/%s has no key \"address\" or \"url\" (nor \"token\"), and spec.address is empty", name(), p.Namespace, ref.Name)
		}
	}
	if ref := p.Spec.ProxySecretRef; ref != nil && ref.Name != "" {
		s, err := getSecret(ctx, secrets, p.Namespace, ref.Name)
		if err != nil {
			return Credentials{}, fmt.Errorf("provider %s: spec.proxySecretRef: %w", name(), err)
		}
		v, ok := secretValue(s, "address")
		if !ok {
			return Credentials{}, fmt.Errorf("provider %s: spec.proxySecretRef: secret %s/%s has no key \"address\"", name(), p.Namespace, ref.Name)
		}
		c.Proxy = strings.TrimSpace(v)
		// As Flux: optional "username" and "password" authenticate to the
		// proxy, as the user information of its URL.
		if user, ok := secretValue(s, "username"); ok {
			u, err := url.Parse(c.Proxy)
			if err != nil || u.Host == "" {
				// The value is not shown: it may hold credentials.
				return Credentials{}, fmt.Errorf("provider %s: spec.proxySecretRef: secret %s/%s: key \"address\": want a URL such as http://proxy:3128", name(), p.Namespace, ref.Name)
			}
			if password, ok := secretValue(s, "password"); ok {
				u.User = url.UserPassword(user, password)
			} else {
				u.User = url.User(user)
			}
			c.Proxy = u.String()
		}
	}
	if ref := p.Spec.CertSecretRef; ref != nil && ref.Name != "" {
		s, err := getSecret(ctx, secrets, p.Namespace, ref.Name)
		if err != nil {
			return Credentials{}, fmt.Errorf("provider %s: spec.certSecretRef: %w", name(), err)
		}
		v, ok := secretValue(s, "ca.crt")
		if !ok {
			v, ok = secretValue(s, "caFile")
		}
		if !ok {
			return Credentials{}, fmt.Errorf("provider %s: spec.certSecretRef: secret %s/%s has no key \"ca.crt\" or \"caFile\"", name(), p.Namespace, ref.Name)
		}
		c.CAData = []byte(v)
	}
	if c.Address == "" && c.Token == "" {
		return Credentials{}, fmt.Errorf("provider %s: no address: set spec.address or spec.secretRef", name())
	}
	return c, nil
}

func getSecret(ctx context.Context, secrets SecretGetter, namespace, name string) (*corev1.Secret, error) {
	if secrets == nil {
		return nil, fmt.Errorf("secret %s/%s: %w (no secret source configured)", namespace, name, ErrSecretNotFound)
	}
	s, err := secrets.GetSecret(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, fmt.Errorf("secret %s/%s: %w", namespace, name, ErrSecretNotFound)
	}
	return s, nil
}
