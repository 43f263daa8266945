package gitops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// ErrOutsideRoot marks a kustomization that reads a file outside the
// repository, which kustomize-controller refuses too: it builds on a file
// system confined to the root of the source artifact.
var ErrOutsideRoot = errors.New("outside the repository root")

// errReadOnly is the answer of every writing method: a build only reads.
var errReadOnly = errors.New("fluxnotify builds kustomizations read-only")

// rootedFS is the on-disk file system confined to root, as
// kustomize-controller confines its builds to the source artifact. Paths
// that resolve (through symbolic links too) outside root do not exist, and
// nothing can be written.
type rootedFS struct {
	disk filesys.FileSystem
	root string // absolute, symbolic links resolved
}

func newRootedFS(root string) (*rootedFS, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return nil, err
	}
	return &rootedFS{disk: filesys.MakeFsOnDisk(), root: abs}, nil
}

// confine returns path, absolute, when it resolves inside root.
func (fs *rootedFS) confine(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	resolved := abs
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		resolved = r
	} else if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		// A path that does not exist yet is judged by its folder.
		resolved = filepath.Join(dir, filepath.Base(abs))
	}
	if resolved != fs.root && !strings.HasPrefix(resolved, fs.root+string(filepath.Separator)) && fs.root != string(filepath.Separator) {
		return "", fmt.Errorf("%s: %w %s", path, ErrOutsideRoot, fs.root)
	}
	return abs, nil
}

func (fs *rootedFS) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (fs *rootedFS) Mkdir(string) error                  { return errReadOnly }
func (fs *rootedFS) MkdirAll(string) error               { return errReadOnly }
func (fs *rootedFS) RemoveAll(string) error              { return errReadOnly }
func (fs *rootedFS) WriteFile(string, []byte) error      { return errReadOnly }

func (fs *rootedFS) Open(path string) (filesys.File, error) {
	p, err := fs.confine(path)
	if err != nil {
		return nil, err
	}
	return fs.disk.Open(p)
}

func (fs *rootedFS) IsDir(path string) bool {
	p, err := fs.confine(path)
	return err == nil && fs.disk.IsDir(p)
}

func (fs *rootedFS) ReadDir(path string) ([]string, error) {
	p, err := fs.confine(path)
	if err != nil {
		return nil, err
	}
	return fs.disk.ReadDir(p)
}

func (fs *rootedFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	if _, err := fs.confine(path); err != nil {
		return "", "", err
	}
	d, f, err := fs.disk.CleanedAbs(path)
	if err != nil {
		return "", "", err
	}
	if _, err := fs.confine(d.String()); err != nil {
		return "", "", err
	}
	return d, f, nil
}

func (fs *rootedFS) Exists(path string) bool {
	p, err := fs.confine(path)
	return err == nil && fs.disk.Exists(p)
}

func (fs *rootedFS) Glob(pattern string) ([]string, error) {
	matches, err := fs.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	out := matches[:0]
	for _, m := range matches {
		if _, err := fs.confine(m); err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

func (fs *rootedFS) ReadFile(path string) ([]byte, error) {
	p, err := fs.confine(path)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return fs.disk.ReadFile(p)
}

func (fs *rootedFS) Walk(path string, walkFn filepath.WalkFunc) error {
	p, err := fs.confine(path)
	if err != nil {
		return err
	}
	return fs.disk.Walk(p, walkFn)
}
