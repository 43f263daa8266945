package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/customnotifier/file"
	"github.com/fluxnotify/fluxnotify/examples/customnotifier/webhook"
	"github.com/fluxnotify/fluxnotify/match"
	"github.com/fluxnotify/fluxnotify/provider"
	"github.com/fluxnotify/fluxnotify/slack"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// registry returns the provider types of this program: slack, generic,
// generic-hmac and file (writing "-" to stdout).
func registry(stdout io.Writer) (*provider.Registry, error) {
	r := provider.NewRegistry()
	return r, errors.Join(
		slack.Register(r),
		webhook.Register(r),
		file.Register(r, file.WithStdout(stdout)),
	)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("customnotifier", flag.ContinueOnError)
	fs.SetOutput(stderr)
	eventPath := fs.String("event", "-", `the event as Flux JSON (v1 or v1beta1); "-" reads standard input`)
	modeName := fs.String("mode", "extended", "matching semantics: extended or flux")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: customnotifier [-mode extended|flux] [-event event.json] manifest-or-folder...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	mode, err := match.ParseMode(*modeName)
	if err != nil {
		fmt.Fprintln(stderr, "customnotifier: -mode:", err)
		return 2
	}

	cfg, err := fluxnotify.LoadFiles(fs.Args()...)
	if cfg == nil {
		fmt.Fprintln(stderr, "customnotifier:", err)
		return 1
	}
	for _, le := range fluxnotify.LoadErrors(err) {
		fmt.Fprintln(stderr, "customnotifier: skipped:", le)
	}
	reg, err := registry(stdout)
	if err != nil {
		fmt.Fprintln(stderr, "customnotifier:", err)
		return 1
	}
	d, err := fluxnotify.New(cfg,
		fluxnotify.WithRegistry(reg),
		fluxnotify.WithMode(mode),
		fluxnotify.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		fluxnotify.WithRetryPolicy(provider.RetryPolicy{Retries: 2, MinWait: 100 * time.Millisecond, MaxWait: time.Second}),
	)
	if d == nil {
		fmt.Fprintln(stderr, "customnotifier:", err)
		return 1
	}
	defer func() { _ = d.Shutdown(context.Background()) }()
	if err != nil {
		fmt.Fprintln(stderr, "customnotifier: configuration:", err)
	}

	in := stdin
	if *eventPath != "-" {
		f, err := os.Open(*eventPath)
		if err != nil {
			fmt.Fprintln(stderr, "customnotifier:", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	e, err := event.Decode(in)
	if err != nil {
		fmt.Fprintln(stderr, "customnotifier:", err)
		return 1
	}

	results, err := d.Dispatch(ctx, e)
	for _, r := range results {
		if r.Delivered() {
			fmt.Fprintf(stdout, "delivered: alert %s, provider %s (%s), %d attempt(s)\n", r.Alert, r.Provider, r.Type, r.Attempts)
		} else {
			fmt.Fprintf(stdout, "failed: alert %s, provider %s (%s): %v\n", r.Alert, r.Provider, r.Type, r.Err)
		}
	}
	if len(results) == 0 && err == nil {
		fmt.Fprintln(stdout, "no alert matches the event")
	}
	if err != nil {
		if len(results) == 0 {
			fmt.Fprintln(stderr, "customnotifier:", err)
		}
		return 1
	}
	return 0
}
