package provider

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// NewHTTPClient returns the HTTP client an HTTP notifier should own (one per
// notifier, reused for every delivery, so connections are kept alive):
//
//   - the proxy c.Proxy, else the environment's (HTTPS_PROXY, ...);
//   - the certificate authorities c.CAData added to the system's;
//   - dial, TLS handshake and response header timeouts set (the last one to
//     timeout), and up to 64 idle connections per host, since deliveries to
//     one destination run concurrently;
//   - redirects not followed: a redirected POST would be lost, so the 3xx
//     answer is returned and classified instead.
//
// The client sets no overall http.Client.Timeout: bound each request with
// its context (Deliver gives every attempt the provider's timeout). Errors
// name the field at fault and never show the proxy's credentials.
func NewHTTPClient(c Credentials, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if timeout > 0 {
		tr.ResponseHeaderTimeout = timeout
	}
	tr.MaxIdleConnsPerHost = 64
	if c.Proxy != "" {
		u, err := url.Parse(c.Proxy)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("proxy (spec.proxy or the secret's \"proxy\" key): want a URL, got %s", RedactURL(c.Proxy))
		}
		tr.Proxy = http.ProxyURL(u)
	}
	if len(c.CAData) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(c.CAData) {
			return nil, errors.New("spec.certSecretRef: no PEM certificate found in \"ca.crt\"")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}
