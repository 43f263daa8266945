package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxStreamSize bounds one file or stream. Kubernetes objects are far
// smaller (etcd stores at most 1.5 MiB per object); the bound keeps a stray
// large file from exhausting memory.
const MaxStreamSize = 32 << 20

// LoadFiles loads every manifest in paths (files and folders) with a
// Loader; see Loader.AddPath and Loader.Config. It is an error to give no
// path.
func LoadFiles(paths ...string) (*Config, error) {
	if len(paths) == 0 {
		return nil, errors.New("manifest: no path given")
	}
	var l Loader
	for _, p := range paths {
		l.AddPath(p)
	}
	return l.Config()
}

// Load loads the manifests of one YAML or JSON stream with a Loader; name
// stands for the stream in errors (a file name, or "stdin"). The Config is
// nil only when r cannot be read.
func Load(r io.Reader, name string) (*Config, error) {
	var l Loader
	l.AddReader(r, name)
	return l.Config()
}

// A Loader reads manifests from several sources (paths, streams, bytes
// such as the output of a kustomize build) into one Config, so that
// references and duplicates are checked across all of them. Add sources,
// then call Config once. The zero value is ready to use; a Loader is not
// safe for concurrent use.
type Loader struct {
	// Transform, when set, rewrites every stream before it is parsed; name
	// is the file name or the name given to AddReader or AddBytes. Flux's
	// postBuild substitution goes here. An error is reported for the
	// stream, which is then not read.
	Transform func(name string, data []byte) ([]byte, error)

	cfg      Config
	problems []problem
	seq      int
	read     bool
	seen     map[objectKey]origin // every object identified, even if it did not decode
	alertsAt []origin             // parallel to cfg.Alerts
}

// problem is an Error and the order of its source.
type problem struct {
	seq int
	err *Error
}

type objectKey struct {
	kind, namespace, name string
}

// origin is where an object was read.
type origin struct {
	file      string
	doc       int
	line, col int
	seq       int
	prefix    string // "items[2]." inside a List
	node      *yaml.Node
}

// AddPath reads the manifests that path names. A file named explicitly
// is read whatever its extension and type (a named pipe such as
// /dev/stdin or a shell's <(kustomize build) works). A folder is read
// recursively, in lexical order, for regular files named *.yaml, *.yml
// and *.json, skipping folders and files whose name starts with ".",
// kustomize's kustomization.yaml, and the templates folder of a Helm chart
// (a folder with a Chart.yaml); files that are not regular files (named
// pipes, sockets, devices) are listed in Config.Skipped, never opened.
// Symbolic links to files are followed, and so is path itself when it is a
// link to a folder (a mounted ConfigMap is a tree of links).
func (l *Loader) AddPath(path string) {
	seq := l.nextSeq()
	info, err := os.Stat(path)
	if err != nil {
		l.fail(seq, &Error{File: path, Err: unwrapPathError(err)})
		return
	}
	if !info.IsDir() {
		data, err := readFile(path)
		if err != nil {
			l.fail(seq, &Error{File: path, Err: err})
			return
		}
		l.addStream(seq, path, data)
		return
	}
	l.read = true // an empty folder is not a failure
	// WalkDir does not follow a symbolic link, even as its root: a trailing
	// separator makes it.
	root := path
	if li, err := os.Lstat(path); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		root = path + string(filepath.Separator)
	}
	walkErr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			l.fail(seq, &Error{File: p, Err: unwrapPathError(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && strings.HasPrefix(name, ".") {
				return fs.SkipDir
			}
			if name == "templates" && isFile(filepath.Join(filepath.Dir(p), "Chart.yaml")) {
				l.skip(Skipped{File: p, Reason: "templates of a Helm chart (Chart.yaml): Helm renders them, they are not manifests"})
				return fs.SkipDir
			}
			return nil
		}
		if !isManifestName(name) {
			return nil
		}
		info, err := os.Stat(p) // follows a link
		if err != nil {
			l.fail(seq, &Error{File: p, Err: unwrapPathError(err)})
			return nil
		}
		if !info.Mode().IsRegular() {
			if !info.IsDir() {
				l.skip(Skipped{File: p, Reason: "not a regular file (" + fileType(info.Mode()) + ")"})
			}
			return nil
		}
		data, err := readFile(p)
		if err != nil {
			l.fail(seq, &Error{File: p, Err: err})
			return nil
		}
		l.addStream(seq, p, data)
		return nil
	})
	if walkErr != nil {
		l.fail(seq, &Error{File: path, Err: unwrapPathError(walkErr)})
	}
}

// AddReader reads the manifests of one YAML or JSON stream; name stands
// for it in errors (a file name, or "stdin").
func (l *Loader) AddReader(r io.Reader, name string) {
	seq := l.nextSeq()
	data, err := readLimited(r)
	if err != nil {
		l.fail(seq, &Error{File: name, Err: err})
		return
	}
	l.addStream(seq, name, data)
}

// AddBytes reads the manifests of one YAML or JSON stream held in data;
// name stands for it in errors. The Loader does not keep data.
func (l *Loader) AddBytes(data []byte, name string) {
	seq := l.nextSeq()
	if len(data) > MaxStreamSize {
		l.fail(seq, &Error{File: name, Err: errTooLarge()})
		return
	}
	l.addStream(seq, name, data)
}

// Config runs the checks that span objects (every Alert's providerRef
// names a Provider of its namespace) and returns what was loaded.
//
// One bad object never hides the others. The error joins one *Error per
// problem, in the order of the sources and lines (see Errors to list
// them). On error the Config still holds every object that decoded,
// including objects that failed validation or had unknown fields, so a
// caller can report the problems and go on with the rest, as a controller
// does; a duplicate is left out (the first object wins), and so is an
// object with a value that does not decode (ErrInvalidValue). The Config
// is nil only when no source could be read.
func (l *Loader) Config() (*Config, error) {
	l.checkProviderRefs()
	slices.SortStableFunc(l.problems, func(a, b problem) int {
		if a.seq != b.seq {
			return a.seq - b.seq
		}
		if a.err.File != b.err.File {
			return 0 // files of one folder keep their lexical order
		}
		if a.err.Document != b.err.Document {
			return a.err.Document - b.err.Document
		}
		if a.err.Line != b.err.Line {
			return a.err.Line - b.err.Line
		}
		return a.err.Column - b.err.Column
	})
	var err error
	if len(l.problems) > 0 {
		errs := make([]error, len(l.problems))
		for i, p := range l.problems {
			errs[i] = p.err
		}
		err = errors.Join(errs...)
	}
	if !l.read {
		return nil, err
	}
	cfg := l.cfg
	return &cfg, err
}

func (l *Loader) nextSeq() int {
	l.seq++
	return l.seq
}

func (l *Loader) fail(seq int, e *Error) {
	l.problems = append(l.problems, problem{seq, e})
}

func (l *Loader) warn(e *Error) {
	l.cfg.Warnings = append(l.cfg.Warnings, e)
}

func (l *Loader) skip(s Skipped) {
	l.cfg.Skipped = append(l.cfg.Skipped, s)
}

func (l *Loader) addStream(seq int, name string, data []byte) {
	l.read = true
	if l.Transform != nil {
		var err error
		if data, err = l.Transform(name, data); err != nil {
			l.fail(seq, &Error{File: name, Err: err})
			return
		}
		if len(data) > MaxStreamSize {
			l.fail(seq, &Error{File: name, Err: errTooLarge()})
			return
		}
	}
	s := &stream{l: l, seq: seq, file: name}
	s.load(data)
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// isManifestName reports whether a file found in a folder is a manifest.
// kustomization.yaml is kustomize's build file, not an object.
func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
	default:
		return false
	}
	switch name {
	case "kustomization.yaml", "kustomization.yml":
		return false
	}
	return !strings.HasPrefix(name, ".")
}

// unwrapPathError drops the path that *fs.PathError repeats, since Error
// names the file already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	return readLimited(f)
}

// readLimited reads r whole, up to MaxStreamSize bytes.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxStreamSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", unwrapPathError(err))
	}
	if len(data) > MaxStreamSize {
		return nil, errTooLarge()
	}
	return data, nil
}

func errTooLarge() error {
	return &kindError{kind: ErrTooLarge, msg: fmt.Sprintf("larger than %d MiB", MaxStreamSize>>20)}
}

// bom is a UTF-8 byte order mark, which some editors write.
var bom = []byte("\xef\xbb\xbf")
