package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/match"
)

var routeCommand = command{
	name:     "route",
	synopsis: "-f PATH [-f PATH ...] --event FILE [--labels k=v,...] [--substitute KEY=VALUE ...] [--mode extended|flux] [--expect [ns/]alert,...] [-o json|text] [-v]",
	about: `Route shows which alerts the event matches, with each alert's provider, type and
channel, and for every other alert the reason it does not match. It is a dry
run: no Secret is read and nothing is sent. Routes are sorted by alert.
A route that would send nothing says why ("error"): a suspended provider,
one of Flux's delivery rules that skips the event, or a provider type this
tool has no notifier for ("notifier": false; send reports it as failed).

-f reads files, folders (recursively), folders holding a kustomization.yaml
(built with kustomize as Flux builds them: overlays, components, patches;
remote bases are refused, never fetched) and - for standard input. Flux's
postBuild variables (${VAR}, ${VAR:=default}) are substituted with the values
of --substitute and --substitute-from; a variable without a value stays as
written.

With --expect, the command exits 1 when the alerts the event matches differ
from the list (--expect "" when it must match none), or when an expected
alert matches but would not deliver (a suspended provider, a delivery rule),
so a GitOps repository can test its alerts in CI. An alert may be named
without its namespace when the name is unique. A run that finds no Alert at
all exits 2.`,
	examples: `  fluxnotify route -f testdata/manifests --event testdata/events/health-check-failed.json
  fluxnotify route -f testdata/manifests --event testdata/events/health-check-failed.json --expect flux-system/flux-alerts,gitops-updates
  fluxnotify route -f testdata/manifests --event testdata/events/helmrelease-upgrade-failed.json --labels team=payments,tier=backend -o text
  fluxnotify route -f testdata/repos/home-ops/kubernetes/apps/flux-system/notifications --substitute CLUSTER_NAME=prod --event testdata/events/health-check-failed.json -o text
  cat testdata/manifests/slack-example.yaml | fluxnotify route -f - --event testdata/events/health-check-failed.json --mode flux
`,
}

var renderCommand = command{
	name:     "render",
	synopsis: "-f PATH [-f PATH ...] --event FILE [--labels k=v,...] [--substitute KEY=VALUE ...] [--mode extended|flux] [--cluster NAME] [-o json|text]",
	about: `Render prints, for every alert the event matches, the exact JSON body that
would be posted to Slack (the "payload"); -o text prints each message's text
instead, one field a line. It is a dry run: no Secret is read and nothing is
sent. Use it to check custom templates. -f and --substitute read manifests as
route does.`,
	examples: `  fluxnotify render -f testdata/manifests --event testdata/events/health-check-failed.json
  fluxnotify render -f testdata/manifests --event testdata/events/health-check-failed.json -o text --cluster prod-eu --repository-url https://github.com/org/fleet
`,
}

// routeOutput is what route prints as JSON.
type routeOutput struct {
	Routes    []routeJSON            `json:"routes"`
	Unmatched []fluxnotify.Unmatched `json:"unmatched"`
}

type routeJSON struct {
	Alert    string `json:"alert"`
	Provider string `json:"provider"`
	Type     string `json:"type"`
	Channel  string `json:"channel"`
	// Notifier is false when no notifier delivers the provider's type (one
	// of Flux's types this tool does not send to): the route is listed, and
	// send reports it as failed.
	Notifier bool `json:"notifier"`
	// Error says why nothing would be sent (a suspended provider, a missing
	// one, a Flux delivery rule that skips the event, no notifier), when
	// that is the case.
	Error string `json:"error,omitempty"`
}

// renderOutput is what render prints.
type renderOutput struct {
	Messages []messageJSON `json:"messages"`
}

type messageJSON struct {
	Alert    string          `json:"alert"`
	Provider string          `json:"provider"`
	Channel  string          `json:"channel"`
	Notifier bool            `json:"notifier"`
	Payload  json.RawMessage `json:"payload,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// dryRunFlags are the flags of route, render and send.
type dryRunFlags struct {
	common
	event  string
	labels labelsFlag
}

func (f *dryRunFlags) register(fs *flag.FlagSet) {
	f.common.register(fs)
	f.labels = labelsFlag{}
	fs.StringVar(&f.event, "event", "", "the event as Flux JSON (v1 or v1beta1), from a `file`; \"-\" reads standard input")
	fs.Var(f.labels, "labels", "labels of the event's involved object, for matchLabels: `k=v,...`")
}

// checkStdin refuses two readers of standard input.
func (f *dryRunFlags) checkStdin() error {
	if f.event == "-" && slices.Contains(f.files, "-") {
		return badInput("-f - and --event - both read standard input: give one of them a file")
	}
	return nil
}

func (c *cli) route(ctx context.Context, args []string) int {
	fs := c.newFlagSet(routeCommand)
	var f dryRunFlags
	f.register(fs)
	var expect listFlag
	fs.Var(&expect, "expect", "the alerts the event must match and deliver to, as `[ns/]alert,...` (\"\" for none); exit 1 otherwise")
	output := fs.String("o", "json", "output `format`: json or text")
	if code, done := c.parse(routeCommand, fs, args); done {
		return code
	}
	// --expect "" expects no alert: whether the flag was given matters, not
	// only its list.
	expectSet := false
	fs.Visit(func(fl *flag.Flag) { expectSet = expectSet || fl.Name == "expect" })
	if *output != "json" && *output != "text" {
		return c.fail("route", badInput("-o %q: want json or text", *output))
	}
	routing, cfg, err := c.dryRun(ctx, &f, nil)
	if err != nil {
		return c.fail("route", err)
	}
	var expected []string
	if expectSet {
		if expected, err = resolveAlerts(expect, cfg); err != nil {
			return c.fail("route", err)
		}
	}

	out := routeOutput{Routes: []routeJSON{}, Unmatched: []fluxnotify.Unmatched{}}
	for _, r := range routing.Routes {
		rj := routeJSON{Alert: r.Alert, Provider: r.Provider, Type: r.Type, Channel: r.Channel, Notifier: r.Notifier}
		if r.Err != nil {
			rj.Error = r.Err.Error()
		}
		out.Routes = append(out.Routes, rj)
	}
	out.Unmatched = append(out.Unmatched, routing.Unmatched...)
	slices.SortStableFunc(out.Routes, func(a, b routeJSON) int { return cmp.Compare(a.Alert, b.Alert) })
	slices.SortStableFunc(out.Unmatched, func(a, b fluxnotify.Unmatched) int { return cmp.Compare(a.Alert, b.Alert) })

	if *output == "text" {
		writeRouteTable(c.stdout, out)
	} else if err := writeJSON(c.stdout, out); err != nil {
		return c.fail("route", err)
	}
	if expectSet && !c.checkExpect(expected, out) {
		return exitFailed
	}
	return exitOK
}

// resolveAlerts turns the names of --expect into namespace/name: a name
// without namespace names the one alert of that name, and is bad input when
// several alerts have it. A name that no alert has is kept, to be reported
// as missing.
func resolveAlerts(names []string, cfg *fluxnotify.Config) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if strings.Contains(n, "/") {
			out = append(out, n)
			continue
		}
		var candidates []string
		for _, a := range cfg.Alerts {
			if a.Name == n {
				candidates = append(candidates, a.Namespace+"/"+a.Name)
			}
		}
		slices.Sort(candidates)
		switch len(candidates) {
		case 0:
			out = append(out, n)
		case 1:
			out = append(out, candidates[0])
		default:
			return nil, badInput("--expect %s: %d alerts have that name, give namespace/name: %s", n, len(candidates), strings.Join(candidates, ", "))
		}
	}
	return out, nil
}

// checkExpect reports on stderr how the routes differ from the expected
// alerts, and whether they are the same and every expected one delivers.
func (c *cli) checkExpect(expected []string, out routeOutput) bool {
	got := make([]string, len(out.Routes))
	undeliverable := map[string]string{}
	for i, r := range out.Routes {
		got[i] = r.Alert
		if r.Error != "" && slices.Contains(expected, r.Alert) {
			undeliverable[r.Alert] = r.Error
		}
	}
	missing, unexpected := diff(expected, got)
	if len(missing)+len(unexpected)+len(undeliverable) == 0 {
		return true
	}
	fmt.Fprintf(c.stderr, "fluxnotify route: the event does not reach the expected alerts\n")
	if len(missing) > 0 {
		fmt.Fprintf(c.stderr, "  expected, not matched: %s\n", strings.Join(missing, ", "))
		reasons := map[string]string{}
		for _, u := range out.Unmatched {
			reasons[u.Alert] = u.Reason
		}
		for _, m := range missing {
			if r, ok := reasons[m]; ok {
				fmt.Fprintf(c.stderr, "    %s: %s\n", m, r)
			} else {
				fmt.Fprintf(c.stderr, "    %s: no such alert in the manifests\n", m)
			}
		}
	}
	if len(unexpected) > 0 {
		fmt.Fprintf(c.stderr, "  matched, not expected: %s\n", strings.Join(unexpected, ", "))
	}
	for _, a := range slices.Sorted(maps.Keys(undeliverable)) {
		fmt.Fprintf(c.stderr, "  matched, but would not deliver: %s: %s\n", a, undeliverable[a])
	}
	return false
}

// diff returns the names in want and not in got, and those in got and not
// in want, each sorted and without duplicates.
func diff(want, got []string) (missing, unexpected []string) {
	for _, w := range want {
		if !slices.Contains(got, w) && !slices.Contains(missing, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) && !slices.Contains(unexpected, g) {
			unexpected = append(unexpected, g)
		}
	}
	slices.Sort(missing)
	slices.Sort(unexpected)
	return missing, unexpected
}

func writeRouteTable(w io.Writer, out routeOutput) {
	notes := slices.ContainsFunc(out.Routes, func(r routeJSON) bool { return r.Error != "" })
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "ALERT\tPROVIDER\tTYPE\tCHANNEL"
	if notes {
		header += "\tNOT SENT BECAUSE"
	}
	fmt.Fprintln(tw, header)
	if len(out.Routes) == 0 {
		fmt.Fprintln(tw, "(no alert matches)")
	}
	for _, r := range out.Routes {
		channel := r.Channel
		if channel == "" {
			channel = "(webhook default)"
		}
		line := r.Alert + "\t" + r.Provider + "\t" + r.Type + "\t" + channel
		if notes {
			line += "\t" + r.Error
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
	if len(out.Unmatched) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NOT MATCHED\tREASON")
	for _, u := range out.Unmatched {
		fmt.Fprintf(tw, "%s\t%s\n", u.Alert, u.Reason)
	}
	_ = tw.Flush()
}

func (c *cli) render(ctx context.Context, args []string) int {
	fs := c.newFlagSet(renderCommand)
	var f dryRunFlags
	f.register(fs)
	var m messageFlags
	m.register(fs)
	output := fs.String("o", "json", "output `format`: json, or text for each message's text")
	if code, done := c.parse(renderCommand, fs, args); done {
		return code
	}
	if *output != "json" && *output != "text" {
		return c.fail("render", badInput("-o %q: want json or text", *output))
	}
	routing, _, err := c.dryRun(ctx, &f, m.routerOptions())
	if err != nil {
		return c.fail("render", err)
	}
	out := renderOutput{Messages: []messageJSON{}}
	for _, r := range routing.Routes {
		m := messageJSON{Alert: r.Alert, Provider: r.Provider, Channel: r.Channel, Notifier: r.Notifier, Payload: r.Payload}
		if r.Err != nil {
			m.Error = r.Err.Error()
		}
		out.Messages = append(out.Messages, m)
	}
	slices.SortStableFunc(out.Messages, func(a, b messageJSON) int { return cmp.Compare(a.Alert, b.Alert) })
	if *output == "text" {
		writeMessagesText(c.stdout, out)
		return exitOK
	}
	if err := writeJSON(c.stdout, out); err != nil {
		return c.fail("render", err)
	}
	return exitOK
}

// writeMessagesText prints each message as a heading (alert, provider,
// channel) and the text of its payload, one string a line with its path
// ("attachments[0].text: ..."); colours and flags are left out.
func writeMessagesText(w io.Writer, out renderOutput) {
	if len(out.Messages) == 0 {
		fmt.Fprintln(w, "(no alert matches)")
	}
	for i, m := range out.Messages {
		if i > 0 {
			fmt.Fprintln(w)
		}
		channel := m.Channel
		if channel == "" {
			channel = "webhook default channel"
		}
		fmt.Fprintf(w, "%s -> %s (%s)\n", m.Alert, m.Provider, channel)
		if m.Error != "" {
			fmt.Fprintf(w, "  not sent: %s\n", m.Error)
		}
		var v any
		if len(m.Payload) > 0 && json.Unmarshal(m.Payload, &v) == nil {
			writeStrings(w, "", v)
		}
	}
}

// skippedKeys are payload keys that are not text a reader sees.
var skippedKeys = map[string]bool{"color": true, "mrkdwn_in": true, "type": true, "short": true, "emoji": true, "verbatim": true, "block_id": true, "icon_url": true, "icon_emoji": true}

// writeStrings prints the strings of v, a decoded JSON value, with their
// paths.
func writeStrings(w io.Writer, path string, v any) {
	switch v := v.(type) {
	case string:
		if v == "" {
			return
		}
		fmt.Fprintf(w, "  %s: %s\n", path, strings.ReplaceAll(v, "\n", "\n    "))
	case []any:
		for i, e := range v {
			writeStrings(w, fmt.Sprintf("%s[%d]", path, i), e)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if skippedKeys[k] {
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			writeStrings(w, p, v[k])
		}
	}
}

// dryRun loads the manifests and the event, and routes the event.
func (c *cli) dryRun(ctx context.Context, f *dryRunFlags, extra []fluxnotify.RouterOption) (*fluxnotify.Routing, *fluxnotify.Config, error) {
	opts, err := f.routerOptions()
	if err != nil {
		return nil, nil, err
	}
	if err := f.checkStdin(); err != nil {
		return nil, nil, err
	}
	opts = append(opts, extra...)
	if len(f.labels) > 0 {
		opts = append(opts, fluxnotify.WithLabeler(staticLabels(f.labels)))
	}
	e, err := c.readEvent(f.event, f.mode)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := f.load(c)
	if err != nil {
		return nil, nil, err
	}
	r, err := newRouter(cfg, opts...)
	if err != nil {
		return nil, nil, err
	}
	routing, err := r.Route(ctx, e)
	return routing, cfg, err
}

// staticLabels is a Labeler that gives every object the same labels.
func staticLabels(labels map[string]string) match.Labeler {
	return match.LabelerFunc(func(context.Context, *corev1.ObjectReference) (map[string]string, error) {
		return labels, nil
	})
}
