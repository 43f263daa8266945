package providertest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/provider/providertest"
	"github.com/fluxnotify/fluxnotify/slack"
)

// The Slack notifier passes the kit through an incoming webhook (whose URL
// path is the secret), through chat.postMessage with a bot token, and for
// Flux's Slack-compatible types, Discord and Rocket.Chat.
func TestSlackConformance(t *testing.T) {
	checkJSON := func(r providertest.Request, _ *provider.Notification) error {
		var msg map[string]any
		if err := json.Unmarshal(r.Body, &msg); err != nil {
			return fmt.Errorf("body is not JSON: %w", err)
		}
		if r.Header.Get(providertest.HeaderName) == "" {
			return fmt.Errorf("the Secret's header %s was not sent", providertest.HeaderName)
		}
		return nil
	}
	t.Run("Webhook", func(t *testing.T) {
		providertest.Run(t, providertest.Harness{
			New: slack.Factory(),
			Credentials: func(baseURL string, s providertest.Secrets) provider.Credentials {
				return provider.Credentials{
					Address: baseURL + "/services/" + s.Path,
					Headers: map[string]string{providertest.HeaderName: s.Header},
				}
			},
			Inspect: checkJSON,
		})
	})
	t.Run("PostMessage", func(t *testing.T) {
		providertest.Run(t, providertest.Harness{
			New:      slack.Factory(),
			Provider: &provider.Provider{Spec: provider.Spec{Type: slack.Type, Channel: "#conformance"}},
			Credentials: func(baseURL string, s providertest.Secrets) provider.Credentials {
				return provider.Credentials{
					Address: baseURL + "/api/chat.postMessage",
					Token:   s.Token,
					Headers: map[string]string{providertest.HeaderName: s.Header},
				}
			},
			Respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"ok":true,"channel":"C0","ts":"1.2"}`)
			},
			Inspect: func(r providertest.Request, n *provider.Notification) error {
				if got := r.Header.Get("Authorization"); got == "" {
					return fmt.Errorf("no Authorization header")
				}
				return checkJSON(r, n)
			},
		})
	})
	for _, typ := range []string{slack.TypeDiscord, slack.TypeRocket} {
		t.Run(typ, func(t *testing.T) {
			providertest.Run(t, providertest.Harness{
				New:      slack.Factory(),
				Provider: &provider.Provider{Spec: provider.Spec{Type: typ, Channel: "#conformance"}},
				Credentials: func(baseURL string, s providertest.Secrets) provider.Credentials {
					return provider.Credentials{
						Address: baseURL + "/api/webhooks/" + s.Path,
						Token:   s.Token, // not sent, as in Flux
						Headers: map[string]string{providertest.HeaderName: s.Header},
					}
				},
				Inspect: func(r providertest.Request, n *provider.Notification) error {
					if typ == slack.TypeDiscord && !strings.HasSuffix(r.Path, "/slack") {
						return fmt.Errorf("posted to %s, not to the Slack-compatible endpoint", r.Path)
					}
					if got := r.Header.Get("Authorization"); got != "" {
						return fmt.Errorf("a token was sent")
					}
					return checkJSON(r, n)
				},
			})
		})
	}
}
