package gitops

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/manifest"
)

// Options tunes Load.
type Options struct {
	// Substitute holds Flux postBuild variables (${VAR}) to substitute.
	// Empty means no substitution, as in a Flux Kustomization without
	// postBuild.substitute.
	Substitute map[string]string
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Root confines kustomize builds, as kustomize-controller confines them
	// to the source artifact: a kustomization may read files anywhere under
	// Root and nowhere else. Empty means the top of the Git working tree
	// that holds the kustomization, or the file system's root outside Git.
	Root string
}

// Load reads the manifests in paths (files, folders, kustomizations, "-"
// for Options.Stdin) into a Config, the way Flux reads a repository:
//
//   - A folder that holds a kustomization.yaml, kustomization.yml or
//     Kustomization (or the path of such a file) is built with kustomize in
//     process, as kustomize-controller builds it: overlays, components,
//     patches and transformers apply, with builtin plugins only and no load
//     restrictions inside Options.Root. A remote base or file is an error
//     wrapping ErrRemoteBase; nothing is fetched.
//   - Any other folder or file is read as manifest.Loader.AddPath reads it
//     (folders recursively).
//   - "-" reads a manifest stream from Options.Stdin.
//
// Every document is then substituted as kustomize-controller's postBuild
// substitutes it (see substitute), except that a variable left unset and
// without a default stays as written instead of becoming empty; a document
// that substitution would break is kept as written, with a warning. An
// object labelled or annotated kustomize.toolkit.fluxcd.io/substitute:
// disabled is left alone. A problem in a field whose value still holds such
// a variable says which variable.
//
// All paths load into one Config, so references and duplicates are checked
// across them. Errors and skipped documents name the files the user wrote:
// an object built by kustomize is named by the file it came from, followed
// by "(kustomize build of DIR)", without a line (kustomize rewrites the
// object), except that an object found in its file starts at its line
// there. The Config and error follow the rules of manifest.Loader.Config;
// a path that cannot be read or built adds its own error.
func Load(paths []string, opts Options) (*fluxnotify.Config, error) {
	if len(paths) == 0 {
		return fluxnotify.LoadFiles()
	}
	vars := make(map[string]string, len(opts.Substitute))
	for k, v := range opts.Substitute {
		vars[k] = strings.ReplaceAll(v, "\n", "") // as kustomize-controller does
	}
	if err := CheckVariables(vars); err != nil {
		return nil, err
	}

	l := &loading{vars: vars, fed: map[fedKey][]fedDocument{}, built: map[fedKey]int{}, builtNames: map[string]bool{}}
	ld := &manifest.Loader{Transform: l.transform}
	var errs []error
	stdinRead := false
	for _, p := range paths {
		switch {
		case p == "-":
			switch {
			case stdinRead:
				errs = append(errs, &fluxnotify.LoadError{File: p, Err: errors.New(`standard input ("-") given twice`)})
			case opts.Stdin == nil:
				errs = append(errs, &fluxnotify.LoadError{File: p, Err: errors.New("no standard input")})
			default:
				ld.AddReader(opts.Stdin, "stdin")
			}
			stdinRead = true
		case kustomizationRoot(p) != "":
			if err := l.kustomize(ld, kustomizationRoot(p), opts.Root); err != nil {
				errs = append(errs, &fluxnotify.LoadError{File: p, Err: err})
			}
		default:
			ld.AddPath(p)
		}
	}
	cfg, err := ld.Config()
	for _, le := range fluxnotify.LoadErrors(err) {
		if names := l.unsetIn(le); len(names) > 0 {
			le.Err = &unsetError{err: le.Err, names: names}
		}
		l.locateBuilt(le)
	}
	if cfg != nil {
		for _, w := range cfg.Warnings {
			l.locateBuilt(w)
		}
		for i := range cfg.Skipped {
			s := &cfg.Skipped[i]
			if l.builtNames[s.File] {
				s.Document, s.Line = 0, l.built[fedKey{s.File, s.Object}]
			}
		}
		cfg.Warnings = append(cfg.Warnings, l.warnings...)
	}
	if len(errs) > 0 {
		err = errors.Join(append(errs, err)...)
	}
	return cfg, err
}

// unsetError adds to a problem the variables its field uses and that no
// value was given for.
type unsetError struct {
	err   error
	names []string
}

func (e *unsetError) Error() string {
	refs := make([]string, len(e.names))
	for i, n := range e.names {
		refs[i] = "${" + n + "}"
	}
	return fmt.Sprintf("%v (the object uses %s, which no substitution variable sets)", e.err, strings.Join(refs, ", "))
}

func (e *unsetError) Unwrap() error { return e.err }

// kustomizationRoot returns the folder to build with kustomize when p is a
// folder holding a kustomization file or such a file itself; "" otherwise.
func kustomizationRoot(p string) string {
	info, err := os.Stat(p)
	if err != nil {
		return ""
	}
	if info.IsDir() {
		if kustomizationFile(p) != "" {
			return p
		}
		return ""
	}
	dir := filepath.Dir(p)
	if f := kustomizationFile(dir); f != "" && filepath.Base(f) == filepath.Base(p) {
		return dir
	}
	return ""
}

// loading is the state of one Load: the substituted documents fed to the
// loader, to find the variables a problem's field still holds, and the
// objects that kustomize built.
type loading struct {
	vars map[string]string
	// fed holds, per stream, the documents as substituted.
	fed map[fedKey][]fedDocument
	// built holds the objects of kustomize builds (under both names that
	// problems and skipped documents give them), with the line where the
	// object starts in its file (0 when it was not found there).
	built map[fedKey]int
	// builtNames are the names of the streams of built objects.
	builtNames map[string]bool
	// building names the built object that the loader reads now.
	building *fedKey
	warnings []*fluxnotify.LoadError
}

// fedKey names a stream given to the loader: its name, and for an object
// built by kustomize (streams of one object, several with one name), the
// object as "Kind namespace/name", as problems name it.
type fedKey struct {
	name, object string
}

// fedDocument is a document as it was substituted, with its lines in the
// stream and the variables left unset in it.
type fedDocument struct {
	first int // line of the document's first line in the stream
	lines []string
	unset []string
}

// transform is the loader's Transform: it substitutes the variables of
// every document of a stream, and records the documents.
func (l *loading) transform(name string, data []byte) ([]byte, error) {
	key := fedKey{name: name}
	if l.building != nil {
		key = *l.building
	}
	out, docs := substituteStream(data, l.vars)
	for _, d := range docs {
		if d.err != nil {
			w := &fluxnotify.LoadError{File: name, Document: d.doc, Line: d.line, Err: d.err}
			if l.building != nil {
				w.Document, w.Line = 0, l.built[key]
			}
			l.warnings = append(l.warnings, w)
		}
		if len(d.unset) > 0 {
			l.fed[key] = append(l.fed[key], fedDocument{first: d.line, lines: strings.Split(string(d.text), "\n"), unset: d.unset})
		}
	}
	return out, nil
}

// unsetIn returns the variables left unset that the line of a problem's
// field still holds.
func (l *loading) unsetIn(le *fluxnotify.LoadError) []string {
	if le.Field == "" || le.Line == 0 || errors.Is(le, manifest.ErrUnknownField) || errors.Is(le, manifest.ErrDuplicateKey) {
		return nil // a problem of the key, not of the value
	}
	key := fedKey{name: le.File}
	if l.builtNames[le.File] {
		key.object = le.Object
	}
	for _, d := range l.fed[key] {
		i := le.Line - d.first
		if i < 0 || i >= len(d.lines) {
			continue
		}
		var names []string
		for _, m := range reference.FindAllStringSubmatch(d.lines[i], -1) {
			if slices.Contains(d.unset, m[3]) && !slices.Contains(names, m[3]) {
				names = append(names, m[3])
			}
		}
		return names
	}
	return nil
}

// locateBuilt drops, from a problem of an object built by kustomize, the
// place in kustomize's output, which is not the place in the user's file:
// only a problem of the whole object keeps the line where the object starts
// in its file.
func (l *loading) locateBuilt(le *fluxnotify.LoadError) {
	if !l.builtNames[le.File] {
		return
	}
	start := l.built[fedKey{le.File, le.Object}]
	if le.Field != "" || start == 0 || le.Line != start {
		le.Line, le.Column = 0, 0
	}
	le.Document = 0
}

// kustomize builds dir and gives the loader each object, named by the file
// it came from.
func (l *loading) kustomize(ld *manifest.Loader, dir, root string) error {
	if root == "" {
		root = gitRoot(dir)
	}
	objects, err := build(root, dir)
	if err != nil {
		return fmt.Errorf("kustomize build: %w", err)
	}
	dir = filepath.Clean(dir)
	if len(objects) == 0 {
		ld.AddBytes(nil, dir+" (kustomize build)") // read, and empty
	}
	for _, o := range objects {
		key := fedKey{name: dir + " (kustomize build)", object: o.object}
		if o.origin != "" {
			key.name = filepath.Join(dir, o.origin) + " (kustomize build of " + dir + ")"
		}
		l.built[key] = o.line
		l.built[fedKey{key.name, o.skippedObject}] = o.line
		l.builtNames[key.name] = true
		data := o.yaml
		if o.line > 1 {
			// Blank lines put the object at its line in its file, so that
			// "already defined at" names that line.
			data = append([]byte(strings.Repeat("\n", o.line-1)), data...)
		}
		l.building = &key
		ld.AddBytes(data, key.name)
		l.building = nil
	}
	return nil
}

// gitRoot returns the top of the Git working tree that holds dir, or the
// file system's root.
func gitRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return string(filepath.Separator)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return d
		}
	}
}
