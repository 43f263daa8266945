package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/event"
	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/gitops"
	"github.com/fluxnotify/fluxnotify/internal/suggest"
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
  test     run alert test suites (files of events and the alerts they must reach), for CI

Run "fluxnotify <command> --help" for the flags and examples of a command,
"fluxnotify --version" for the version.
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
	case "test":
		return c.test(ctx, rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	case "version", "-version", "--version":
		fmt.Fprintln(c.stdout, version())
		return exitOK
	default:
		fmt.Fprintf(c.stderr, "fluxnotify: unknown command %q%s\n\n%s", cmd, didYouMean(cmd, commandNames(), ""), usage)
		return exitBadArgs
	}
}

// commandNames lists the commands of usage (its "Commands:" section), for
// did-you-mean.
func commandNames() []string {
	var names []string
	_, commands, _ := strings.Cut(usage, "Commands:\n")
	for _, line := range strings.Split(commands, "\n") {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return append(names, "help", "version")
}

// version returns the version of the program and of Go it was built with,
// from the build information (a module version with go install
// module@version, "(devel)" from a checkout, plus the commit when known).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "fluxnotify (unknown version)"
	}
	v := "fluxnotify " + info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " commit " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += " (modified)"
			}
		}
	}
	return v + " " + info.GoVersion
}

// didYouMean returns " (did you mean PREFIXname?)" for the name of names
// closest to got, or "" when none is close.
func didYouMean(got string, names []string, prefix string) string {
	best, bestDist := "", 3
	for _, n := range names {
		d := suggest.Distance(strings.ToLower(got), strings.ToLower(n))
		if strings.HasPrefix(n, got) && len(got) >= 3 {
			d = min(d, 1)
		}
		if d < bestDist || (d == bestDist && best != "" && n < best) {
			best, bestDist = n, d
		}
	}
	if best == "" || bestDist > max(1, len(got)/3) {
		return ""
	}
	return " (did you mean " + prefix + best + "?)"
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
		hint := ""
		if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			hint = didYouMean(strings.TrimLeft(name, "-"), names, "--")
		}
		fmt.Fprintf(c.stderr, "fluxnotify %s: %v%s\nRun \"fluxnotify %s --help\" for usage.\n", cmd.name, err, hint, cmd.name)
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

// common are the flags every command has: the manifests and how to read
// them, and the matching semantics.
type common struct {
	files          listFlag
	substitute     kvFlag
	substituteFrom stringsFlag
	verbose        bool
	mode           string
	noCrossNS      bool
}

func (o *common) register(fs *flag.FlagSet) {
	fs.Var(&o.files, "f", "manifest `path`: a file, a folder (read recursively), a kustomization folder (built as Flux builds it), or - for standard input (repeatable)")
	o.substitute = kvFlag{}
	fs.Var(o.substitute, "substitute", "Flux postBuild variable `KEY=VALUE`, replacing ${KEY} in the manifests (repeatable)")
	fs.Var(&o.substituteFrom, "substitute-from", "`file` of postBuild variables: a ConfigMap or Secret manifest, or KEY=VALUE lines (repeatable; --substitute wins)")
	fs.BoolVar(&o.verbose, "v", false, "list the documents that were skipped and the warnings, on standard error")
	fs.StringVar(&o.mode, "mode", "extended", "matching semantics: extended, or flux to reproduce Flux's notification-controller exactly")
	fs.BoolVar(&o.noCrossNS, "no-cross-namespace-refs", false, "restrict every alert to events from its own namespace, like Flux's flag of the same name")
}

// options checks the common flags and returns the Dispatcher options they
// select: their routerOptions.
func (o *common) options() ([]fluxnotify.Option, error) {
	ro, err := o.routerOptions()
	return asOptions(ro), err
}

// routerOptions checks the common flags and returns the Router options they
// select.
func (o *common) routerOptions() ([]fluxnotify.RouterOption, error) {
	if len(o.files) == 0 {
		return nil, badInput("no manifests: give at least one -f PATH")
	}
	mode, err := match.ParseMode(o.mode)
	if err != nil {
		return nil, badInput("--mode: %w", err)
	}
	opts := []fluxnotify.RouterOption{fluxnotify.WithMode(mode)}
	if o.noCrossNS {
		opts = append(opts, fluxnotify.WithNoCrossNamespaceRefs())
	}
	return opts, nil
}

// messageFlags are the flags that change the messages: render, send and
// serve have them.
type messageFlags struct {
	cluster string
	repoURL string
	dashURL string
}

func (o *messageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.cluster, "cluster", "", "cluster `name` shown by templates as .Cluster")
	fs.StringVar(&o.repoURL, "repository-url", "", "Git repository web `URL`, for commit links in messages")
	fs.StringVar(&o.dashURL, "dashboard-url", "", "dashboard `URL` pattern with {kind}, {namespace} and {name}, for links in messages")
}

func (o *messageFlags) options() []fluxnotify.Option { return asOptions(o.routerOptions()) }

func (o *messageFlags) routerOptions() []fluxnotify.RouterOption {
	return []fluxnotify.RouterOption{fluxnotify.WithCluster(o.cluster), fluxnotify.WithLinks(o.repoURL, o.dashURL)}
}

// asOptions returns RouterOptions as Options, for fluxnotify.New, which
// takes both.
func asOptions(ro []fluxnotify.RouterOption) []fluxnotify.Option {
	out := make([]fluxnotify.Option, len(ro))
	for i, o := range ro {
		out[i] = o
	}
	return out
}

// variables returns the postBuild variables of --substitute-from and
// --substitute, the latter winning as spec.postBuild.substitute wins over
// substituteFrom in Flux.
func (o *common) variables() (map[string]string, error) {
	vars := map[string]string{}
	for _, path := range o.substituteFrom {
		fileVars, err := readVariables(path)
		if err != nil {
			return nil, badInput("--substitute-from %s: %w", path, err)
		}
		maps.Copy(vars, fileVars)
	}
	maps.Copy(vars, o.substitute)
	if err := gitops.CheckVariables(vars); err != nil {
		return nil, badInput("--substitute: %w", err)
	}
	return vars, nil
}

// load loads the manifests strictly: any problem is bad input, listed in
// full, since a dry run over a half-loaded configuration would mislead. A
// run that finds no Alert is bad input too: CI must not pass by pointing
// at the wrong folder.
func (o *common) load(c *cli) (*fluxnotify.Config, error) {
	cfg, err := o.loadLenient(c)
	if err != nil {
		return nil, badInput("the manifests have problems:\n  %s", indentErrors(err))
	}
	if len(cfg.Alerts) == 0 {
		return nil, badInput("no Alert in %s", o.describeFiles())
	}
	return cfg, nil
}

// loadLenient loads the manifests and returns what loaded with the
// problems; the Config is nil only when nothing could be read.
func (o *common) loadLenient(c *cli) (*fluxnotify.Config, error) {
	vars, err := o.variables()
	if err != nil {
		return nil, err
	}
	cfg, err := gitops.Load(o.files, gitops.Options{Substitute: vars, Stdin: c.stdin})
	if cfg != nil {
		c.reportLoad(cfg, o.verbose)
	}
	return cfg, err
}

// describeFiles names the -f paths for messages.
func (o *common) describeFiles() string {
	names := make([]string, len(o.files))
	for i, f := range o.files {
		if f == "-" {
			f = "standard input"
		}
		names[i] = f
	}
	return strings.Join(names, ", ")
}

// reportLoad lists what loading skipped and warned about, with -v; without
// it, only how many warnings there are.
func (c *cli) reportLoad(cfg *fluxnotify.Config, verbose bool) {
	if !verbose {
		if n := len(cfg.Warnings); n > 0 {
			fmt.Fprintf(c.stderr, "fluxnotify: %d warning(s) about the manifests (run with -v to list them)\n", n)
		}
		return
	}
	for _, s := range cfg.Skipped {
		fmt.Fprintf(c.stderr, "skipped %s\n", s)
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(c.stderr, "warning: %v\n", w)
	}
	fmt.Fprintf(c.stderr, "loaded %d alert(s), %d provider(s), %d secret(s); skipped %d document(s); %d warning(s)\n",
		len(cfg.Alerts), len(cfg.Providers), len(cfg.Secrets), len(cfg.Skipped), len(cfg.Warnings))
}

// newDispatcher builds the Dispatcher strictly: a configuration problem
// (an unknown provider type, a template that does not parse) is bad input.
func newDispatcher(cfg *fluxnotify.Config, opts ...fluxnotify.Option) (*fluxnotify.Dispatcher, error) {
	d, err := fluxnotify.New(cfg, opts...)
	if err != nil {
		if d != nil {
			_ = d.Close()
		}
		return nil, configProblems(err)
	}
	return d, nil
}

// newRouter compiles the Router strictly, as newDispatcher builds the
// Dispatcher: the dry runs (route, render) only route.
func newRouter(cfg *fluxnotify.Config, opts ...fluxnotify.RouterOption) (*fluxnotify.Router, error) {
	r, err := fluxnotify.NewRouter(cfg, opts...)
	if err != nil {
		return nil, configProblems(err)
	}
	return r, nil
}

// configProblems is the bad input of a configuration that does not compile:
// every problem listed, one a line.
func configProblems(err error) error {
	return badInput("the configuration has problems:\n  %s", indentErrors(err))
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

// stringsFlag is a flag that may be repeated.
type stringsFlag []string

func (l *stringsFlag) String() string { return strings.Join(*l, " ") }

func (l *stringsFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// kvFlag is a repeatable KEY=VALUE flag; the value may hold commas and
// equal signs.
type kvFlag map[string]string

func (f kvFlag) String() string {
	return strings.Join(slices.Sorted(maps.Keys(f)), ",")
}

func (f kvFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	f[k] = val
	return nil
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
