package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/match"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the whole program: it parses args, writes results to stdout and
// diagnostics to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdin: os.Stdin, stdout: stdout, stderr: stderr}
	return c.run(context.Background(), args)
}

// cli holds the program's streams and, for tests, the hooks of serve.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	serveHooks     serveHooks
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // a delivery failed, or --expect did not hold
	exitBadArgs = 2 // bad flags, manifests or event
)

const usage = `fluxnotify routes Flux events to the Alerts they match, and delivers them to Slack.

Usage:
  fluxnotify <command> [flags]

Commands:
  route    show which alerts an event matches, their provider and channel, and why the others do not
  render   show the exact Slack payload each matched alert would post
  send     deliver an event for real, and report each delivery
  serve    run a Flux-compatible event endpoint (Flux controllers' --events-addr)

Run "fluxnotify <command> --help" for the flags and examples of a command.
`

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return exitBadArgs
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "route":
		return c.route(ctx, rest)
	case "render":
		return c.render(ctx, rest)
	case "send":
		return c.send(ctx, rest)
	case "serve":
		return c.serve(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(c.stderr, "fluxnotify: unknown command %q\n\n%s", cmd, usage)
		return exitBadArgs
	}
}

// usageError is bad input: the message is printed and the exit status is 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// fail prints err for command cmd and returns the exit status it means.
func (c *cli) fail(cmd string, err error) int {
	fmt.Fprintf(c.stderr, "fluxnotify %s: %v\n", cmd, err)
	if errors.As(err, new(usageError)) {
		return exitBadArgs
	}
	return exitFailed
}

// command describes one subcommand for its --help.
type command struct {
	name     string
	synopsis string
	about    string
	examples string
}

// newFlagSet returns the flag set of cmd. Its errors are printed by parse,
// and its help (--help) shows the command's description, examples and
// flags.
func (c *cli) newFlagSet(cmd command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // parse prints the help itself
	return fs
}

// help prints the help of cmd, whose flags are fs.
func (c *cli) help(cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(c.stdout, "Usage:\n  fluxnotify %s %s\n\n%s\n\nExamples:\n%s\nFlags:\n", cmd.name, cmd.synopsis, cmd.about, cmd.examples)
	fs.SetOutput(c.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse parses args into fs, the flags of cmd. It returns done when the
// command must stop with status code: after --help (0), or on a bad flag
// (2).
func (c *cli) parse(cmd command, fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.help(cmd, fs)
		return exitOK, true
	case err != nil:
		fmt.Fprintf(c.stderr, "fluxnotify %s: %v\nRun \"fluxnotify %s --help\" for usage.\n", cmd.name, err, cmd.name)
		return exitBadArgs, true
	case fs.NArg() > 0:
		fmt.Fprintf(c.stderr, "fluxnotify %s: unexpected argument %q (manifests go after -f)\nRun \"fluxnotify %s --help\" for usage.\n", cmd.name, fs.Arg(0), cmd.name)
		return exitBadArgs, true
	}
	return exitOK, false
}

// listFlag is a flag that may be repeated, each value possibly a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// common are the flags every command has.
type common struct {
	files     listFlag
	mode      string
	noCrossNS bool
	cluster   string
	repoURL   string
	dashURL   string
}

func (o *common) register(fs *flag.FlagSet) {
	fs.Var(&o.files, "f", "manifest `file or folder` of Alerts, Providers and Secrets (repeatable; folders are read recursively)")
	fs.StringVar(&o.mode, "mode", "extended", "matching semantics: extended, or flux to reproduce Flux's notification-controller exactly")
	fs.BoolVar(&o.noCrossNS, "no-cross-namespace-refs", false, "restrict every alert to events from its own namespace, like Flux's flag of the same name")
	fs.StringVar(&o.cluster, "cluster", "", "cluster `name` shown by templates as .Cluster")
	fs.StringVar(&o.repoURL, "repository-url", "", "Git repository web `URL`, for commit links in messages")
	fs.StringVar(&o.dashURL, "dashboard-url", "", "dashboard `URL` pattern with {kind}, {namespace} and {name}, for links in messages")
}

// options checks the common flags and returns the Dispatcher options they
// select.
func (o *common) options() ([]fluxnotify.Option, error) {
	if len(o.files) == 0 {
		return nil, badInput("no manifests: give at least one -f PATH")
	}
	mode, err := match.ParseMode(o.mode)
	if err != nil {
		return nil, badInput("--mode: %w", err)
	}
	opts := []fluxnotify.Option{fluxnotify.WithMode(mode), fluxnotify.WithCluster(o.cluster), fluxnotify.WithLinks(o.repoURL, o.dashURL)}
	if o.noCrossNS {
		opts = append(opts, fluxnotify.WithNoCrossNamespaceRefs())
	}
	return opts, nil
}

// load loads the manifests strictly: any problem is bad input, listed in
// full, since a dry run over a half-loaded configuration would mislead.
func (o *common) load() (*fluxnotify.Config, error) {
	cfg, err := fluxnotify.LoadFiles(o.files...)
	if err != nil {
		return nil, badInput("the manifests have problems:\n  %s", indentErrors(err))
	}
	return cfg, nil
}

// newDispatcher builds the Dispatcher strictly: a configuration problem
// (an unknown provider type, a template that does not parse) is bad input.
func newDispatcher(cfg *fluxnotify.Config, opts ...fluxnotify.Option) (*fluxnotify.Dispatcher, error) {
	d, err := fluxnotify.New(cfg, opts...)
	if err != nil {
		if d != nil {
			_ = d.Close(context.Background())
		}
		return nil, badInput("the configuration has problems:\n  %s", indentErrors(err))
	}
	return d, nil
}

// indentErrors prints a joined error one problem a line (errors.Join puts
// each on its own line).
func indentErrors(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "\n  ")
}

// readEvent reads and validates the event of --event ("-" is standard
// input); in flux mode any severity is accepted, as Flux accepts it.
func (c *cli) readEvent(path, mode string) (*event.Event, error) {
	if path == "" {
		return nil, badInput("no event: give --event FILE (Flux's event JSON)")
	}
	var r io.Reader = c.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, badInput("--event: %w", err)
		}
		defer f.Close()
		r = f
	}
	decode := event.Decode
	if mode == "flux" {
		decode = event.DecodeFlux
	}
	e, err := decode(r)
	if err != nil {
		return nil, badInput("--event %s: %w", path, err)
	}
	return e, nil
}

// labelsFlag parses --labels k=v,k2=v2.
type labelsFlag map[string]string

func (l labelsFlag) String() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		keys[i] = k + "=" + l[k]
	}
	return strings.Join(keys, ",")
}

func (l labelsFlag) Set(v string) error {
	for _, kv := range strings.Split(v, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q: want key=value", kv)
		}
		l[k] = val
	}
	return nil
}

// writeJSON writes v indented, without escaping <, > and & (Slack
// payloads are easier to read as they are).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
