package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/match"
)

var routeCommand = command{
	name:     "route",
	synopsis: "-f PATH [-f PATH ...] --event FILE [--labels k=v,...] [--mode extended|flux] [--expect ns/alert,...] [-o json|text]",
	about: `Route shows which alerts the event matches, with each alert's provider, type and
channel, and for every other alert the reason it does not match. It is a dry
run: no Secret is read and nothing is sent. Routes are sorted by alert.

With --expect, the command exits 1 when the alerts the event matches differ
from the list (--expect "" when it must match none), so a GitOps repository
can test its alerts in CI.`,
	examples: `  fluxnotify route -f clusters/prod/notifications --event testdata/health-check-failed.json
  fluxnotify route -f alerts.yaml -f providers.yaml --event ev.json --expect flux-system/flux-alerts
  fluxnotify route -f alerts/ --event ev.json --labels team=payments,tier=backend -o text
  fluxnotify route -f alerts/ --event ev.json --mode flux
`,
}

var renderCommand = command{
	name:     "render",
	synopsis: "-f PATH [-f PATH ...] --event FILE [--labels k=v,...] [--mode extended|flux]",
	about: `Render prints, for every alert the event matches, the exact JSON body that
would be posted to Slack (the "payload"). It is a dry run: no Secret is read
and nothing is sent. Use it to check custom templates.`,
	examples: `  fluxnotify render -f notifications/ --event testdata/health-check-failed.json
  fluxnotify render -f notifications/ --event ev.json --cluster prod-eu --repository-url https://github.com/org/fleet
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
	// Error says why nothing would be sent (a suspended provider, a missing
	// one), when that is the case.
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
	Payload  json.RawMessage `json:"payload,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// dryRunFlags are the flags of route and render.
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

func (c *cli) route(ctx context.Context, args []string) int {
	fs := c.newFlagSet(routeCommand)
	var f dryRunFlags
	f.register(fs)
	var expect listFlag
	fs.Var(&expect, "expect", "the alerts the event must match, as `ns/alert,...` (\"\" for none); exit 1 otherwise")
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
	routing, err := c.dryRun(ctx, &f)
	if err != nil {
		return c.fail("route", err)
	}

	out := routeOutput{Routes: []routeJSON{}, Unmatched: []fluxnotify.Unmatched{}}
	for _, r := range routing.Routes {
		rj := routeJSON{Alert: r.Alert, Provider: r.Provider, Type: r.Type, Channel: r.Channel}
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

	if expectSet {
		got := make([]string, len(out.Routes))
		for i, r := range out.Routes {
			got[i] = r.Alert
		}
		if missing, unexpected := diff(expect, got); len(missing)+len(unexpected) > 0 {
			fmt.Fprintf(c.stderr, "fluxnotify route: the event does not match the expected alerts\n")
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
			return exitFailed
		}
	}
	return exitOK
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
	if code, done := c.parse(renderCommand, fs, args); done {
		return code
	}
	routing, err := c.dryRun(ctx, &f)
	if err != nil {
		return c.fail("render", err)
	}
	out := renderOutput{Messages: []messageJSON{}}
	for _, r := range routing.Routes {
		m := messageJSON{Alert: r.Alert, Provider: r.Provider, Channel: r.Channel, Payload: r.Payload}
		if r.Err != nil {
			m.Error = r.Err.Error()
		}
		out.Messages = append(out.Messages, m)
	}
	slices.SortStableFunc(out.Messages, func(a, b messageJSON) int { return cmp.Compare(a.Alert, b.Alert) })
	if err := writeJSON(c.stdout, out); err != nil {
		return c.fail("render", err)
	}
	return exitOK
}

// dryRun loads the manifests and the event, and routes the event.
func (c *cli) dryRun(ctx context.Context, f *dryRunFlags) (*fluxnotify.Routing, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	if len(f.labels) > 0 {
		opts = append(opts, fluxnotify.WithLabeler(staticLabels(f.labels)))
	}
	e, err := c.readEvent(f.event, f.mode)
	if err != nil {
		return nil, err
	}
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	d, err := newDispatcher(cfg, opts...)
	if err != nil {
		return nil, err
	}
	defer d.Close(context.Background())
	return d.Route(ctx, e)
}

// staticLabels is a Labeler that gives every object the same labels.
func staticLabels(labels map[string]string) match.Labeler {
	return match.LabelerFunc(func(context.Context, *corev1.ObjectReference) (map[string]string, error) {
		return labels, nil
	})
}
