package slack

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/template"
)

// FuzzRender renders arbitrary event data in every format and through
// custom templates: no panic, a valid JSON payload of bounded size, and
// every '<' in it is markup fluxnotify made on purpose (a date, a link to
// a configured URL), never event text.
func FuzzRender(f *testing.F) {
	f.Add(uint8(0), exampleMessage, "Kustomization", "my-app-kustomization", "flux-system", "HealthCheckFailed", "revision", exampleRevision, "kustomize-controller", "error", int64(1795653300))
	f.Add(uint8(1), hostileMessage(), "<!here>", "a&b", "ns>", "<r>", "<k>", "<https://evil|click>", "ctl<", "info", int64(0))
	f.Add(uint8(2), "&am", "", "", "", "", "", "", "", "", int64(-1))
	f.Add(uint8(3), "\xff\xfe<", "K\x00", "n\u2028", "ns", "\"", "$x", "${y}", "`", "warn", int64(1<<40))
	f.Add(uint8(3), strings.Repeat("é<", 2000), "K", "n", "ns", "r", strings.Repeat("k", 3000), strings.Repeat("v&", 3000), "c", "error", int64(1))

	tmpls := []*template.Template{nil, nil, parse(f, customSpec), parse(f, customBlocksSpec)}
	notifiers := make([]*Notifier, len(tmpls))
	for i, opts := range [][]Option{{WithFormat(FormatFlux)}, {WithFormat(FormatBlocks)}, nil, nil} {
		nt, err := New(exampleProvider(), provider.Credentials{}, opts...)
		if err != nil {
			f.Fatal(err)
		}
		notifiers[i] = nt
	}

	f.Fuzz(func(t *testing.T, which uint8, message, kind, name, namespace, reason, key, value, controller, severity string, unix int64) {
		i := int(which) % len(tmpls)
		n := exampleNotification(tmpls[i])
		d := n.Data
		d.Message, d.Reason, d.Controller, d.Severity = message, reason, controller, severity
		d.Object.Kind, d.Object.Name, d.Object.Namespace = kind, name, namespace
		d.Metadata = map[string]string{key: value, "note": value}
		d.Timestamp = time.Unix(unix%(1<<35), 0)

		body, err := notifiers[i].Render(n)
		if err != nil {
			if tmpls[i] != nil && errors.Is(err, template.ErrTooLarge) {
				return // bounded rendering refused it, as it should
			}
			t.Fatalf("Render: %v", err)
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON: %s", body)
		}
		if len(body) > 6*maxPayload { // 6 bytes: the longest JSON escape of one byte
			t.Fatalf("payload of %d bytes", len(body))
		}
		var p map[string]any
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		delete(p, "username") // not mrkdwn: shown as written
		checkMarkup(t, p)
	})
}

// checkMarkup fails when a string in v holds a '<' that does not open
// markup fluxnotify writes itself.
func checkMarkup(t *testing.T, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			checkMarkup(t, e)
		}
	case []any:
		for _, e := range v {
			checkMarkup(t, e)
		}
	case string:
		for rest := v; ; {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			if !strings.HasPrefix(rest, "!date^") && !strings.HasPrefix(rest, exampleLinks.Commit+"|") && !strings.HasPrefix(rest, exampleLinks.Dashboard+"|") {
				t.Fatalf("event text became markup: %q", v)
			}
		}
	}
}
