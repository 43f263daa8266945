package provider_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/provider"
)

// hostileCreds are credentials whose every part a hostile server may echo.
var hostileCreds = provider.Credentials{
	Address: "https://a1b2c3d4e5f6g7h8i9j0.hooks.example.com/services/T0000000/B0000000/SECRETSECRETSECRET?token=QUERYSECRET123",
	Proxy:   "http://proxyuser1:PROXYPASSWORD@proxy:3128",
	Headers: map[string]string{"Authorization": "Bearer HEADERSECRET42"},
}

// fingerprints are pieces of the secrets of hostileCreds: none may appear.
var fingerprints = []string{
	"ECRETSECRETSECRET", "T0000000", "B0000000", "QUERYSECRET", "PROXYPASSWORD", "proxyuser1",
	base64.StdEncoding.EncodeToString([]byte("proxyuser1:PROXYPASSWORD"))[:12], "a1b2c3d4e5f6", "HEADERSECRET",
}

func assertNoSecret(t *testing.T, out, form string) {
	t.Helper()
	for _, f := range fingerprints {
		assert.NotContains(t, out, f, "%s: %s", form, out)
	}
}

// TestRedactEchoedForms reproduces issue 11's "a server echoing the webhook
// secret as services/T/B/SECRET (no slash), the last segment alone, JSON
// \/-escaped, lower-case %2f, \u0053ECRET, a query value, base64 user:pass
// of a proxy": each form is redacted from the error a notifier returns (and
// so from Result.Err, logs and send's output, which print that error).
func TestRedactEchoedForms(t *testing.T) {
	hook := hostileCreds.Address
	jsonEscaped, _ := json.Marshal(hook) // escapes nothing: do it as servers do
	forms := map[string]string{
		"whole URL":              "no hook " + hook,
		"path without the slash": "no_team: services/T0000000/B0000000/SECRETSECRETSECRET",
		"last segment alone":     "invalid token SECRETSECRETSECRET",
		"one segment":            "team T0000000 not found",
		"JSON \\/-escaped":       `{"error":"` + strings.ReplaceAll(strings.Trim(string(jsonEscaped), `"`), "/", `\/`) + `"}`,
		"percent, lower case":    "bad url https%3a%2f%2fa1b2c3d4e5f6g7h8i9j0.hooks.example.com%2fservices%2fT0000000%2fB0000000%2fSECRETSECRETSECRET",
		"percent, upper case":    "bad url services%2FT0000000%2FB0000000%2FSECRETSECRETSECRET",
		"\\u escapes":            `{"error":"\u0053ECRETSECRETSECRET \u0054\u0030000000"}`,
		"every byte \\u-escaped": `"` + uEscape("SECRETSECRETSECRET") + `"`,
		"query value":            "token=QUERYSECRET123 rejected",
		"query value alone":      "QUERYSECRET123",
		"query":                  "?token=QUERYSECRET123",
		"proxy basic auth":       "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("proxyuser1:PROXYPASSWORD")),
		"proxy password":         "bad password PROXYPASSWORD",
		"proxy user":             "unknown user proxyuser1",
		"secret host name":       "dial tcp: lookup a1b2c3d4e5f6g7h8i9j0.hooks.example.com: no such host",
		"header token":           "bad token HEADERSECRET42",
		"mixed escapes":          `services\/T0000000%2fB0000000\/\u0053ECRETSECRETSECRET`,
	}
	for form, answer := range forms {
		t.Run(form, func(t *testing.T) {
			resp := &http.Response{StatusCode: http.StatusBadRequest, Header: http.Header{}}
			err := provider.SanitizeError(provider.ClassifyResponse(resp, []byte(answer)), hostileCreds.Secrets()...)
			require.Error(t, err)
			assertNoSecret(t, err.Error(), form)
			assertNoSecret(t, provider.Redact(answer, hostileCreds.Secrets()...), form)
			assert.Contains(t, provider.Redact(answer, hostileCreds.Secrets()...), provider.Redacted)
		})
	}
	// What is not secret stays readable.
	assert.Equal(t, "no_team: <redacted>", provider.Redact("no_team: services/T0000000/B0000000/SECRETSECRETSECRET", hostileCreds.Secrets()...))
	assert.Equal(t, "channel_not_found for services", provider.Redact("channel_not_found for services", hostileCreds.Secrets()...))
	assert.Equal(t, "https://<redacted>.hooks.example.com/<redacted>", provider.RedactURL(hook))
}

func uEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04X`, r)
	}
	return b.String()
}

// TestCredentialsLoggedAndEncoded reproduces issue 11's
// "slog.NewJSONHandler(...).Info("x", "creds", c) or json.Marshal(c) for
// provider.Credentials": address and token were shown in clear.
func TestCredentialsLoggedAndEncoded(t *testing.T) {
	c := hostileCreds
	c.Token, c.Username, c.Password = "xoxb-TOKENSECRET99", "basicuser", "BASICPASSWORD"
	fingerprints := append(fingerprints, "TOKENSECRET", "BASICPASSWORD")

	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("x", "creds", c, "ptr", &c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("x", "creds", c)
	asJSON, err := json.Marshal(c)
	require.NoError(t, err)
	inStruct, err := json.Marshal(struct {
		Creds provider.Credentials `json:"creds"`
	}{c})
	require.NoError(t, err)
	text, err := c.MarshalText()
	require.NoError(t, err)

	for form, out := range map[string]string{
		"slog JSON": jsonLog.String(), "slog text": textLog.String(), "json.Marshal": string(asJSON),
		"json in a struct": string(inStruct), "MarshalText": string(text), "%#v": fmt.Sprintf("%#v", c),
	} {
		for _, f := range fingerprints {
			assert.NotContains(t, out, f, "%s: %s", form, out)
		}
	}
	assert.JSONEq(t, `{"address":"https://<redacted>.hooks.example.com/<redacted>","token":"<redacted>","username":"<redacted>",
		"password":"<redacted>","proxy":"http://proxy:3128/<redacted>","headers":{"Authorization":"<redacted>"}}`, string(asJSON))
	assert.Contains(t, jsonLog.String(), `"creds":{"address":"https://<redacted>.hooks.example.com/<redacted>","token":"<redacted>"`)
}

// TestSecretNeverShows covers every way of showing a Secret, alone and in
// exported or unexported fields.
func TestSecretNeverShows(t *testing.T) {
	s := provider.NewSecret("TOPSECRETVALUE")
	type holder struct {
		Public  provider.Secret
		private provider.Secret
		List    []provider.Secret
		M       map[string]provider.Secret
	}
	h := holder{Public: s, private: s, List: []provider.Secret{s}, M: map[string]provider.Secret{"k": s}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "s", s, "h", h)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "s", s, "h", h, "p", &h)
	asJSON, err := json.Marshal(h)
	require.NoError(t, err)
	text, err := s.MarshalText()
	require.NoError(t, err)
	outs := []string{
		s.String(), s.GoString(), fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x %d", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", h, h, h), fmt.Sprintf("%+v %#v", &h, &h), logged.String(), string(asJSON), string(text),
	}
	for _, out := range outs {
		assert.NotContains(t, out, "TOPSECRET", out)
	}
	assert.Equal(t, "<redacted>", s.String())
	assert.Equal(t, `"<redacted>"`, fmt.Sprintf("%q", s))
	assert.Equal(t, "TOPSECRETVALUE", s.Reveal())
	assert.Equal(t, "", provider.Secret{}.String())
	assert.True(t, provider.Secret{}.IsZero())
	assert.Equal(t, "", provider.Secret{}.Reveal())
	assert.JSONEq(t, `{"Public":"<redacted>","List":["<redacted>"],"M":{"k":"<redacted>"}}`, string(asJSON))
}
