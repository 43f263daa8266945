package provider

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
)

// MaxAnswer is how much of a destination's answer PostJSON reads, to
// classify it; the rest is drained up to the same size, so the connection
// can be reused, and then dropped.
const MaxAnswer = 4 << 10

// PostJSON makes one attempt to POST body, JSON, to address with client:
// the part of an HTTP notifier that is the same for every destination. It
// sets Content-Type to application/json, then every header of header (a
// provider's "headers" Secret key, a signature, a token), reads at most
// MaxAnswer bytes of the answer and classifies it with ClassifyResponse.
//
// It returns nil for a 2xx answer, else a *Error that holds no secret,
// retryable for a network error, 429 and 5xx, permanent for other statuses
// and for a certificate that cannot be trusted (retrying will not make it
// trusted):
// every error passes through SanitizeError with secrets (the address and
// the values of credentials; see Credentials.Secrets). The answer is
// returned too (the start of it), for a notifier whose destination reports
// failures in a 2xx body, as Slack's Web API does with "ok": false.
func PostJSON(ctx context.Context, client *http.Client, address string, body []byte, header http.Header, secrets ...string) (answer []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, address, bytes.NewReader(body))
	if err != nil {
		return nil, SanitizeError(&Error{Err: err}, append(secrets, address)...)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, transportError(err, append(secrets, address))
	}
	defer resp.Body.Close()
	// An answer that breaks off is classified by its status all the same.
	answer, _ = io.ReadAll(io.LimitReader(resp.Body, MaxAnswer))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxAnswer)) // reuse the connection
	if err := ClassifyResponse(resp, answer); err != nil {
		return answer, SanitizeError(err, append(secrets, address)...)
	}
	return answer, nil
}

// transportError classifies a request that got no answer: retryable,
// except a cancelled context and a certificate that cannot be trusted;
// without any secret.
func transportError(err error, secrets []string) error {
	err = SanitizeError(err, secrets...)
	var (
		pe *Error
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
