package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fluxnotify/fluxnotify/provider"
)

// Type is the provider type (spec.type) of this notifier.
const Type = "file"

// Stdout is the address that means standard output.
const Stdout = "-"

// Notifier appends one line per notification to a file or to standard
// output. It implements provider.Notifier and provider.Renderer and is safe
// for concurrent use: each line is written whole, with a single write.
//
// It holds no secret: its address is a path (or "-"), which its errors
// name so that a missing folder or a permission can be fixed; the
// credentials' token and headers are not used.
type Notifier struct {
	provider string
	path     string
	stdout   io.Writer

	mu sync.Mutex // serializes writes to stdout
}

// Option configures a Notifier.
type Option func(*Notifier)

// WithStdout sets the writer used for the address "-"; os.Stdout by
// default. Tests and examples capture output with it.
func WithStdout(w io.Writer) Option { return func(n *Notifier) { n.stdout = w } }

// New returns the notifier of provider p, writing to c.Address: a file
// URL ("file:///var/log/flux.log", or "file://localhost/var/log/flux.log",
// the form spec.address accepts), a path, or "-" for standard output. An
// empty address (a dry run) is accepted; Notify then fails.
func New(p *provider.Provider, c provider.Credentials, opts ...Option) (*Notifier, error) {
	if p == nil {
		return nil, errors.New("file: nil provider")
	}
	n := &Notifier{provider: p.NamespacedName(), path: c.Address, stdout: os.Stdout}
	if strings.HasPrefix(c.Address, "file:") {
		u, err := url.Parse(c.Address)
		if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
			return nil, fmt.Errorf("provider %s: address: want a local file URL such as file:///var/log/flux.log, a path or %q", n.provider, Stdout)
		}
		n.path = u.Path
	}
	for _, opt := range opts {
		if opt != nil {
			opt(n)
		}
	}
	if n.stdout == nil {
		return nil, fmt.Errorf("provider %s: WithStdout(nil)", n.provider)
	}
	return n, nil
}

// Factory returns a provider.Factory that builds notifiers with opts.
func Factory(opts ...Option) provider.Factory {
	return func(p *provider.Provider, c provider.Credentials) (provider.Notifier, error) {
		return New(p, c, opts...)
	}
}

// Register adds Type to r.
func Register(r *provider.Registry, opts ...Option) error {
	return r.Register(Type, Factory(opts...))
}

// Render returns the line Notify would write, without its line break.
func (nt *Notifier) Render(n *provider.Notification) ([]byte, error) {
	return nt.render(context.Background(), n)
}

// render is Render under ctx: the template's work stops when ctx ends
// (see provider.Notification.Message), so a delivery's deadline bounds it
// as it bounds the write.
func (nt *Notifier) render(ctx context.Context, n *provider.Notification) ([]byte, error) {
	if n == nil || n.Data == nil {
		return nil, errors.New("file: notification without data")
	}
	m, err := n.Message(ctx)
	if err != nil {
		return nil, err
	}
	return []byte(line(n.Data.Timestamp, n.Data.Severity, m)), nil
}

// line lays m out on one line:
//
//	<timestamp> <severity> <title>: <text> [<field>=<value> ...] [<url> ...]
func line(ts time.Time, severity string, m *provider.Message) string {
	var b strings.Builder
	if ts.IsZero() {
		ts = time.Now()
	}
	b.WriteString(ts.UTC().Format(time.RFC3339))
	b.WriteString(" " + oneLine(severity))
	b.WriteString(" " + oneLine(m.Title) + ": " + oneLine(m.Text))
	for _, f := range m.Fields {
		b.WriteString(" " + oneLine(f.Title) + "=" + oneLine(f.Value))
	}
	for _, l := range m.Links {
		b.WriteString(" " + oneLine(l.URL))
	}
	return b.String()
}

var lineBreaks = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func oneLine(s string) string { return lineBreaks.Replace(s) }

// Notify writes the line of n. A canceled context writes nothing. Errors
// are permanent *provider.Error values naming the provider.
func (nt *Notifier) Notify(ctx context.Context, n *provider.Notification) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if nt.path == "" {
		return nt.fail(errors.New(`no address: set spec.address to a file path or "-"`))
	}
	line, err := nt.render(ctx, n)
	if err != nil {
		return nt.fail(err)
	}
	line = append(line, '\n')
	if nt.path == Stdout {
		nt.mu.Lock()
		defer nt.mu.Unlock()
		if _, err := nt.stdout.Write(line); err != nil {
			return nt.fail(fmt.Errorf("writing to standard output: %w", err))
		}
		return nil
	}
	f, err := os.OpenFile(nt.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nt.fail(err)
	}
	_, werr := f.Write(line)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		return nt.fail(err)
	}
	return nil
}

func (nt *Notifier) fail(err error) error {
	return fmt.Errorf("file %s: %w", nt.provider, &provider.Error{Err: err})
}
