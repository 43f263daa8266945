package gitops

import (
	"io"

	"github.com/fluxnotify/fluxnotify"
)

// Options tunes Load.
type Options struct {
	// Substitute holds Flux postBuild variables (${VAR}) to substitute.
	Substitute map[string]string
	// Stdin is read for the path "-".
	Stdin io.Reader
}

// Load reads the manifests in paths (files, folders, kustomizations, "-"
// for Options.Stdin) into a Config.
func Load(paths []string, opts Options) (*fluxnotify.Config, error) {
	return fluxnotify.LoadFiles(paths...)
}
