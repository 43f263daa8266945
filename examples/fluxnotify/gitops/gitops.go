package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/fluxnotify/fluxnotify"
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

// maxStdin bounds the manifest stream read from standard input.
const maxStdin = 32 << 20

// Load reads the manifests in paths (files, folders, kustomizations, "-"
// for Options.Stdin) into a Config, the way Flux reads a repository:
//
//   - A folder that holds a kustomization.yaml, kustomization.yml or
//     Kustomization (or the path of such a file) is built with kustomize in
//     process, as kustomize-controller builds it: overlays, components,
//     patches and transformers apply, with builtin plugins only and no load
//     restrictions inside Options.Root. A remote base or file is an error
//     wrapping ErrRemoteBase; nothing is fetched.
//   - Any other folder or file is read by fluxnotify.LoadFiles (folders
//     recursively).
//   - "-" reads a manifest stream from Options.Stdin.
//
// Then, when Options.Substitute is not empty, each object's variables are
// substituted as kustomize-controller's postBuild does (see substitute),
// except that a variable left unset and without a default stays as written
// instead of becoming empty. An object labelled or annotated
// kustomize.toolkit.fluxcd.io/substitute: disabled is left alone.
//
// Errors and skipped documents name the files the user wrote: an object
// built by kustomize is named by the file it came from, followed by
// "(kustomize build of DIR)". The Config and error follow the rules of
// fluxnotify.LoadFiles.
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
	tmp, err := os.MkdirTemp("", "fluxnotify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	l := &loading{vars: vars, tmp: tmp, names: map[string]naming{}, unset: map[string][]unsetVars{}}
	var files []string
	stdinRead := false
	for i, p := range paths {
		var f string
		var err error
		switch {
		case p == "-":
			if stdinRead {
				err = errors.New(`standard input ("-") given twice`)
				break
			}
			stdinRead = true
			f, err = l.stdin(i, opts.Stdin)
		case kustomizationRoot(p) != "":
			f, err = l.kustomize(i, kustomizationRoot(p), opts.Root)
		default:
			f, err = l.mirror(i, p)
		}
		if err != nil {
			l.errs = append(l.errs, &fluxnotify.LoadError{File: p, Err: err})
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, errors.Join(l.errs...)
	}
	cfg, err := fluxnotify.LoadFiles(files...)
	for _, le := range fluxnotify.LoadErrors(err) {
		if names := l.unsetAt(le.File, le.Document, le.Line); len(names) > 0 && le.Field != "" {
			le.Err = &unsetError{err: le.Err, names: names}
		}
		l.rename(&le.File, &le.Document, &le.Line)
		le.Err = l.renameIn(le.Err)
	}
	if cfg != nil {
		for i := range cfg.Skipped {
			s := &cfg.Skipped[i]
			l.rename(&s.File, &s.Document, &s.Line)
		}
		for _, w := range cfg.Warnings {
			l.rename(&w.File, &w.Document, &w.Line)
			w.Err = l.renameIn(w.Err)
		}
		cfg.Skipped = append(cfg.Skipped, l.skipped...)
		cfg.Warnings = append(cfg.Warnings, l.warnings...)
	}
	if len(l.errs) > 0 {
		err = errors.Join(append(l.errs, err)...)
	}
	return cfg, err
}

// unsetError adds to a problem the variables its object uses and that no
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

// renamedError is an error whose text names temporary files the way the
// user knows them.
type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

// tmpReference finds "FILE: document N" in a message.
var tmpReference = regexp.MustCompile(`(\S+): document (\d+)(?: \(line (\d+)\))?`)

// renameIn renames the temporary files that the text of err mentions (a
// duplicate names the first definition).
func (l *loading) renameIn(err error) error {
	if err == nil || !strings.Contains(err.Error(), l.tmp) {
		return err
	}
	msg := tmpReference.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := tmpReference.FindStringSubmatch(m)
		if !strings.HasPrefix(sub[1], l.tmp) {
			return m
		}
		file := sub[1]
		doc, _ := strconv.Atoi(sub[2])
		line, _ := strconv.Atoi(sub[3])
		l.rename(&file, &doc, &line)
		switch {
		case doc > 0 && line > 0:
			return fmt.Sprintf("%s: document %d (line %d)", file, doc, line)
		case doc > 0:
			return fmt.Sprintf("%s: document %d", file, doc)
		}
		return file
	})
	return &renamedError{msg: msg, err: err}
}

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

// loading is the state of one Load: the temporary files that stand for
// built or substituted manifests, and how to name them to the user.
type loading struct {
	vars     map[string]string
	tmp      string
	names    map[string]naming // temporary file or folder → what the user knows
	errs     []error
	skipped  []fluxnotify.Skipped
	warnings []*fluxnotify.LoadError
	// unset lists, per temporary file, the documents that use variables
	// that no value was given for.
	unset map[string][]unsetVars
}

// unsetVars are the variables left unset in one document: by number in a
// kustomize build, by lines in other files.
type unsetVars struct {
	doc, first, last int
	names            []string
}

// unsetAt returns the variables left unset in the document of file at doc
// or line.
func (l *loading) unsetAt(file string, doc, line int) []string {
	for _, u := range l.unset[file] {
		if (u.doc > 0 && u.doc == doc) || (u.doc == 0 && line >= u.first && line <= u.last) {
			return u.names
		}
	}
	return nil
}

// naming says how to name a temporary file in messages.
type naming struct {
	// name replaces the temporary path (a folder's name is a prefix).
	name string
	// origins, for a kustomize build, names the file each document came
	// from; documents are then named by it.
	origins []string
	// dir is the kustomization folder, for a kustomize build.
	dir    string
	folder bool
}

// rename turns a temporary file name into the name the user knows.
func (l *loading) rename(file *string, doc, line *int) {
	for tmp, n := range l.names {
		switch {
		case *file == tmp && n.dir != "":
			*file = n.dir + " (kustomize build)"
			if *doc >= 1 && *doc <= len(n.origins) && n.origins[*doc-1] != "" {
				*file = filepath.Join(n.dir, n.origins[*doc-1]) + " (kustomize build of " + n.dir + ")"
			}
			*doc, *line = 0, 0
			return
		case *file == tmp:
			*file = n.name
			return
		case n.folder && strings.HasPrefix(*file, tmp+string(filepath.Separator)):
			*file = filepath.Join(n.name, strings.TrimPrefix(*file, tmp+string(filepath.Separator)))
			return
		}
	}
}

// stdin writes the substituted stream of r to a temporary file.
func (l *loading) stdin(i int, r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input")
	}
	data, err := io.ReadAll(io.LimitReader(r, maxStdin+1))
	if err != nil {
		return "", fmt.Errorf("reading: %w", err)
	}
	if len(data) > maxStdin {
		return "", fmt.Errorf("larger than %d MiB", maxStdin>>20)
	}
	f := filepath.Join(l.tmp, fmt.Sprintf("%03d-stdin.yaml", i))
	l.names[f] = naming{name: "stdin"}
	return f, os.WriteFile(f, l.substituteFile(f, "stdin", data), 0o600)
}

// substituteFile substitutes the variables of the documents of the file
// name, to be written to the temporary file tmp; it records the problems
// as warnings and the variables left unset.
func (l *loading) substituteFile(tmp, name string, data []byte) []byte {
	out, problems := substituteStream(data, l.vars)
	for _, p := range problems {
		if p.err != nil {
			l.warnings = append(l.warnings, &fluxnotify.LoadError{File: name, Document: p.doc, Line: p.line, Err: p.err})
		}
		if len(p.unset) > 0 {
			l.unset[tmp] = append(l.unset[tmp], unsetVars{first: p.line, last: p.last, names: p.unset})
		}
	}
	return out
}

// kustomize builds dir and writes its objects, substituted, to a temporary
// file.
func (l *loading) kustomize(i int, dir, root string) (string, error) {
	if root == "" {
		root = gitRoot(dir)
	}
	objects, err := build(root, dir)
	if err != nil {
		return "", fmt.Errorf("kustomize build: %w", err)
	}
	var out bytes.Buffer
	f := filepath.Join(l.tmp, fmt.Sprintf("%03d-kustomize.yaml", i))
	origins := make([]string, len(objects))
	for j, o := range objects {
		origins[j] = o.origin
		doc := o.yaml
		if !disabled(o.labels, o.annots) {
			sub, unset, err := substitute(doc, l.vars)
			if err != nil {
				name := dir + " (kustomize build)"
				if o.origin != "" {
					name = filepath.Join(dir, o.origin) + " (kustomize build of " + dir + ")"
				}
				l.warnings = append(l.warnings, &fluxnotify.LoadError{File: name, Err: err})
			}
			if len(unset) > 0 {
				l.unset[f] = append(l.unset[f], unsetVars{doc: j + 1, names: unset})
			}
			doc = sub
		}
		out.WriteString("---\n")
		out.Write(doc)
	}
	l.names[f] = naming{dir: filepath.Clean(dir), origins: origins}
	return f, os.WriteFile(f, out.Bytes(), 0o600)
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

// mirror copies the manifests of path (a file, or a folder's .yaml, .yml
// and .json files), substituted, to a temporary folder that LoadFiles
// then reads as it would read path. Files that are not regular files are
// not read: they are listed as skipped.
func (l *loading) mirror(i int, path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", unwrapPath(err)
	}
	dst := filepath.Join(l.tmp, fmt.Sprintf("%03d", i))
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			return path, nil // LoadFiles says what it is
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return "", unwrapPath(err)
		}
		dst += "-" + filepath.Base(path)
		l.names[dst] = naming{name: path}
		return dst, os.WriteFile(dst, l.substituteFile(dst, path, data), 0o600)
	}
	l.names[dst] = naming{name: path, folder: true}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if p != path && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return os.MkdirAll(target, 0o700)
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		info, err := os.Stat(p) // follows a link
		if err != nil || !info.Mode().IsRegular() {
			l.skipped = append(l.skipped, fluxnotify.Skipped{File: p, Reason: "not a regular file"})
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, l.substituteFile(target, p, data), 0o600)
	})
	return dst, err
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
