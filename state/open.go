package state

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// OpenFunc opens a store from a spec such as "redis://localhost:6379/0".
// The spec may hold a password; an OpenFunc never puts it in an error.
type OpenFunc func(ctx context.Context, spec string) (Store, error)

var (
	schemesMu sync.RWMutex
	schemes   = map[string]OpenFunc{
		"memory": func(context.Context, string) (Store, error) { return NewMemory(), nil },
		"file":   openFileSpec,
	}
)

// Register makes Open understand specs of the given scheme (the part
// before the first colon). Package redisstate registers "redis" and
// "rediss" when it is imported. Register panics if the scheme is
// registered twice or open is nil: both are programming errors.
func Register(scheme string, open OpenFunc) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	if open == nil {
		panic("state: Register of scheme " + scheme + " with a nil OpenFunc")
	}
	if _, dup := schemes[scheme]; dup {
		panic("state: Register called twice for scheme " + scheme)
	}
	schemes[scheme] = open
}

// Schemes returns the schemes Open understands, sorted.
func Schemes() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	var s []string
	for k := range schemes {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// ErrUnknownScheme is returned by Open for a spec whose scheme no package
// registered.
var ErrUnknownScheme = errors.New("unknown store scheme")

// Open returns the store a spec names, as a --state flag gives it:
//
//	memory                       a Memory store with the default bounds
//	file:PATH                    a File store at PATH (file:///abs/path too)
//	redis://[:PASSWORD@]HOST:PORT/DB  a Redis store (rediss:// for TLS),
//	                             once github.com/fluxnotify/fluxnotify/state/redisstate
//	                             is imported
//
// Errors never show a password the spec holds.
func Open(ctx context.Context, spec string) (Store, error) {
	scheme, _, _ := strings.Cut(spec, ":")
	schemesMu.RLock()
	open := schemes[scheme]
	schemesMu.RUnlock()
	if open == nil {
		hint := ""
		if scheme == "redis" || scheme == "rediss" {
			hint = " (import github.com/fluxnotify/fluxnotify/state/redisstate)"
		}
		return nil, fmt.Errorf("state: open %q: %w %q%s; known: %s", Redact(spec), ErrUnknownScheme, scheme, hint, strings.Join(Schemes(), ", "))
	}
	return open(ctx, spec)
}

func openFileSpec(_ context.Context, spec string) (Store, error) {
	path := strings.TrimPrefix(spec, "file:")
	if strings.HasPrefix(path, "//") {
		u, err := url.Parse(spec)
		if err != nil || (u.Host != "" && u.Host != "localhost") {
			return nil, fmt.Errorf("state: open %q: want file:PATH or file:///ABSOLUTE/PATH", spec)
		}
		path = u.Path
	}
	if path == "" {
		return nil, fmt.Errorf("state: open %q: no path after file:", spec)
	}
	return OpenFile(path)
}

// Redact returns spec with any password replaced by "xxxxx", for errors
// and logs.
func Redact(spec string) string {
	u, err := url.Parse(spec)
	if err != nil {
		// An unparsable spec may still hold a password: show only its scheme.
		scheme, _, _ := strings.Cut(spec, ":")
		if strings.Contains(spec, "@") {
			return scheme + ":(unparsable, hidden)"
		}
		return spec
	}
	return u.Redacted()
}
