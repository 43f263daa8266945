package provider_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/fluxnotify/fluxnotify/provider"
)

// A notifier keeps its token in a Secret: printing, logging or encoding the
// notifier never shows it, and Reveal gives it to the one place that sends
// it.
func ExampleSecret() {
	type notifier struct {
		Channel string
		token   provider.Secret
	}
	n := notifier{Channel: "#alerts", token: provider.NewSecret("xoxb-123-456")}

	fmt.Printf("%v %q\n", n.token, n.token)
	fmt.Println("shown in the struct:", strings.Contains(fmt.Sprintf("%+v %#v", n, n), "xoxb"))
	out, _ := json.Marshal(struct{ Token provider.Secret }{n.token})
	fmt.Println(string(out))
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("posting", "token", n.token)
	fmt.Println("Authorization: Bearer " + n.token.Reveal())
	// Output:
	// <redacted> "<redacted>"
	// shown in the struct: false
	// {"Token":"\u003credacted\u003e"}
	// level=INFO msg=posting token=<redacted>
	// Authorization: Bearer xoxb-123-456
}

// Redact finds a secret in the forms a server may echo it in.
func ExampleRedact() {
	hook := "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXX"
	for _, answer := range []string{
		"no_team: services/T0000000/B0000000/XXXXXXXXXXXXXXXX",
		`{"error":"invalid token \u0058XXXXXXXXXXXXXXX"}`,
		"bad url https%3a%2f%2fhooks.slack.com%2fservices%2fT0000000%2fB0000000%2fXXXXXXXXXXXXXXXX",
	} {
		fmt.Println(provider.Redact(answer, hook))
	}
	// Output:
	// no_team: <redacted>
	// {"error":"invalid token <redacted>"}
	// bad url <redacted>
}
