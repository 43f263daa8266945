package fluxnotify

// Placeholder of the configuration API (issue 2); the loader replaces it.

import (
	"errors"
	"io"

	corev1 "k8s.io/api/core/v1"

	"github.com/fluxnotify/fluxnotify/alert"
	"github.com/fluxnotify/fluxnotify/provider"
)

// Config is a set of Alert, Provider and Secret objects, as loaded from
// manifests or handed in by a controller.
type Config struct {
	Alerts    []alert.Alert
	Providers []provider.Provider
	Secrets   []corev1.Secret
}

// LoadFiles loads every manifest in paths (files, or folders read
// recursively for .yaml, .yml and .json files).
func LoadFiles(paths ...string) (*Config, error) { return nil, errors.New("not implemented") }

// Load loads the manifests of one YAML or JSON stream; name is used in
// errors (a file name, or "stdin").
func Load(r io.Reader, name string) (*Config, error) { return nil, errors.New("not implemented") }
