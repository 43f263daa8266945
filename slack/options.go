package slack

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DefaultAPIURL is the base URL of Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// Option configures a Notifier.
type Option func(*options) error

type options struct {
	client    *http.Client
	apiURL    string
	format    string
	userAgent string
}

func defaultOptions() options {
	return options{apiURL: DefaultAPIURL, format: FormatFlux, userAgent: "fluxnotify"}
}

// WithHTTPClient makes the notifier send with c, used as it is: the
// provider's proxy and certificate authorities are then c's business (a
// request whose context has no deadline is still bounded by the provider's
// timeout). By
// default each notifier owns one client, reused for every message, with
// keep-alive, the provider's timeout, proxy and certificate authorities.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("WithHTTPClient: nil client")
		}
		o.client = c
		return nil
	}
}

// WithAPIURL sets the base URL of the Web API (DefaultAPIURL), to which
// "chat.postMessage" is appended when a bot token is used without an
// address; tests point it to a slacktest.Server.
func WithAPIURL(base string) Option {
	return func(o *options) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("WithAPIURL: want an http(s) URL, got %q", base)
		}
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
		o.apiURL = base
		return nil
	}
}

// WithFormat sets the format used when neither the provider's nor the
// alert's template names one: FormatFlux (the default) or FormatBlocks.
func WithFormat(format string) Option {
	return func(o *options) error {
		if !validFormat(format) {
			return fmt.Errorf("WithFormat: unknown format %q (want %q or %q)", format, FormatFlux, FormatBlocks)
		}
		o.format = format
		return nil
	}
}

// WithUserAgent sets the User-Agent header of every request
// ("fluxnotify" by default).
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		o.userAgent = ua
		return nil
	}
}
