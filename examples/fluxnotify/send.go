package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/provider"
)

var sendCommand = command{
	name:     "send",
	synopsis: "-f PATH [-f PATH ...] --event FILE [--labels k=v,...] [--mode extended|flux] [--retries N] [-o json|text]",
	about: `Send delivers the event for real to the provider of every alert it matches,
reading webhook URLs and tokens from the Secrets in the manifests, and prints
one result per alert: delivered, or failed with the reason. Secrets never
appear in the output. It exits 1 when a delivery failed.`,
	examples: `  fluxnotify send -f notifications/ -f secrets/slack-url.yaml --event testdata/health-check-failed.json
  fluxnotify send -f notifications/ --event ev.json --retries 0 -o text
`,
}

// sendOutput is what send prints as JSON.
type sendOutput struct {
	Results []resultJSON `json:"results"`
}

type resultJSON struct {
	Alert     string `json:"alert"`
	Provider  string `json:"provider"`
	Type      string `json:"type"`
	Channel   string `json:"channel"`
	Delivered bool   `json:"delivered"`
	Attempts  int    `json:"attempts"`
	Duration  string `json:"duration"`
	Error     string `json:"error,omitempty"`
}

func (c *cli) send(ctx context.Context, args []string) int {
	fs := c.newFlagSet(sendCommand)
	var f dryRunFlags
	f.register(fs)
	retries := fs.Int("retries", provider.DefaultRetryPolicy().Retries, "retries of a failed delivery (429, 5xx, network errors), with Flux's backoff")
	output := fs.String("o", "json", "output `format`: json or text")
	if code, done := c.parse(sendCommand, fs, args); done {
		return code
	}
	if *output != "json" && *output != "text" {
		return c.fail("send", badInput("-o %q: want json or text", *output))
	}
	if *retries < 0 {
		return c.fail("send", badInput("--retries %d: must not be negative", *retries))
	}
	opts, err := f.options()
	if err != nil {
		return c.fail("send", err)
	}
	policy := provider.DefaultRetryPolicy()
	policy.Retries = *retries
	opts = append(opts,
		fluxnotify.WithRetryPolicy(policy),
		fluxnotify.WithDedupWindow(0),
		fluxnotify.WithLogger(slog.New(slog.DiscardHandler)), // results are printed instead
	)
	if len(f.labels) > 0 {
		opts = append(opts, fluxnotify.WithLabeler(staticLabels(f.labels)))
	}
	e, err := c.readEvent(f.event, f.mode)
	if err != nil {
		return c.fail("send", err)
	}
	cfg, err := f.load()
	if err != nil {
		return c.fail("send", err)
	}
	d, err := newDispatcher(cfg, opts...)
	if err != nil {
		return c.fail("send", err)
	}
	defer d.Close(context.Background())

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := d.Dispatch(ctx, e)
	if err != nil && len(results) == 0 {
		return c.fail("send", err)
	}
	out := sendOutput{Results: []resultJSON{}}
	for _, r := range results {
		rj := resultJSON{
			Alert: r.Alert, Provider: r.Provider, Type: r.Type, Channel: r.Channel,
			Delivered: r.Delivered(), Attempts: r.Attempts, Duration: r.Duration.Round(time.Millisecond).String(),
		}
		if r.Err != nil {
			rj.Error = r.Err.Error()
		}
		out.Results = append(out.Results, rj)
	}
	if *output == "text" {
		writeResultTable(c.stdout, out)
	} else if err := writeJSON(c.stdout, out); err != nil {
		return c.fail("send", err)
	}
	if len(results) == 0 {
		fmt.Fprintln(c.stderr, "fluxnotify send: the event matches no alert; nothing was sent (see \"fluxnotify route\" for why)")
	}
	if err != nil {
		return exitFailed
	}
	return exitOK
}

func writeResultTable(w io.Writer, out sendOutput) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERT\tPROVIDER\tCHANNEL\tRESULT\tATTEMPTS\tDURATION")
	for _, r := range out.Results {
		result := "delivered"
		if !r.Delivered {
			result = r.Error
		}
		channel := r.Channel
		if channel == "" {
			channel = "(webhook default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Alert, r.Provider, channel, result, r.Attempts, r.Duration)
	}
	_ = tw.Flush()
}
