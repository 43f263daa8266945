package gitops

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/yaml"
)

// ErrRemoteBase marks a kustomization that names a remote base or file (a
// Git repository, an HTTP URL). fluxnotify builds offline and never
// fetches them.
var ErrRemoteBase = errors.New("remote bases are not fetched: fluxnotify builds kustomizations offline")

// kustomizationFile returns the kustomization file in dir ("" when there
// is none), by the names kustomize recognises.
func kustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// buildMu serializes builds: kustomize keeps its OpenAPI schema in global
// state, which kustomize-controller resets around each build for the same
// reason.
var buildMu sync.Mutex

// builtObject is one object of a build, with the file it came from.
type builtObject struct {
	yaml   []byte
	origin string // file the object was read from, relative to the build folder; "" when unknown
	line   int    // where the object starts in origin; 0 when unknown
	// object names the object as load problems name it ("Kind ns/name"),
	// skippedObject as skipped documents name it (no namespace when it has
	// none).
	object, skippedObject string
}

// build runs kustomize on dir as kustomize-controller does (no load
// restrictions, builtin plugins only, a file system confined to root), after
// checking that no remote base would be fetched.
func build(root, dir string) (objects []builtObject, err error) {
	fs, err := newRootedFS(root)
	if err != nil {
		return nil, err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := checkOffline(fs, absDir, map[string]bool{}); err != nil {
		return nil, err
	}

	// Ask kustomize to record where each object comes from, so problems
	// name the file the user wrote.
	kfile := kustomizationFile(absDir)
	data, err := fs.ReadFile(kfile)
	if err != nil {
		return nil, err
	}
	withOrigin, addedOrigin, err := addOriginAnnotations(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kfile, err)
	}
	ofs := &overlayFS{rootedFS: fs, path: kfile, data: withOrigin}

	buildMu.Lock()
	defer buildMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize failed: %v", r)
		}
	}()
	openapi.ResetOpenAPI()
	_ = openapi.Schema()
	defer openapi.ResetOpenAPI()
	k := krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	})
	m, err := k.Run(ofs, absDir)
	if err != nil {
		return nil, err
	}
	return objectsOf(fs, absDir, m, addedOrigin)
}

// objectsOf returns the objects that kustomize built from dir, each with
// its origin and where it starts there. When the origin annotation was
// added for fluxnotify, it is removed again.
func objectsOf(fs *rootedFS, dir string, m resmap.ResMap, addedOrigin bool) ([]builtObject, error) {
	var out []builtObject
	starts := map[string][]objectStart{}
	for _, res := range m.Resources() {
		var o builtObject
		if origin, err := res.GetOrigin(); err == nil && origin != nil {
			o.origin = origin.Path
			if o.origin == "" {
				o.origin = origin.ConfiguredIn
			} else {
				file := filepath.Join(dir, o.origin)
				if _, ok := starts[file]; !ok {
					starts[file] = objectStarts(fs, file)
				}
				org := res.OrgId()
				o.line = findStart(starts[file], org.Kind, org.Namespace, org.Name)
			}
		}
		if addedOrigin {
			annots := res.GetAnnotations()
			delete(annots, originAnnotationKey)
			if err := res.SetAnnotations(annots); err != nil {
				return nil, err
			}
		}
		o.object, o.skippedObject = objectNames(res.GetKind(), res.GetNamespace(), res.GetName())
		y, err := res.AsYAML()
		if err != nil {
			return nil, err
		}
		o.yaml = y
		out = append(out, o)
	}
	return out, nil
}

// addOriginAnnotations adds "originAnnotations" to the buildMetadata of a
// kustomization file. It reports whether it was added (false when the file
// asks for it already).
func addOriginAnnotations(data []byte) ([]byte, bool, error) {
	var k map[string]any
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, false, err
	}
	if k == nil {
		k = map[string]any{}
	}
	var meta []any
	if bm, ok := k["buildMetadata"].([]any); ok {
		meta = bm
	}
	if slices.Contains(meta, any(kustypes.OriginAnnotations)) {
		return data, false, nil
	}
	k["buildMetadata"] = append(meta, kustypes.OriginAnnotations)
	out, err := yaml.Marshal(k)
	return out, true, err
}

// overlayFS is a rootedFS that answers data for the file path.
type overlayFS struct {
	*rootedFS
	path string
	data []byte
}

func (fs *overlayFS) ReadFile(path string) ([]byte, error) {
	if abs, err := filepath.Abs(path); err == nil && abs == fs.path {
		return slices.Clone(fs.data), nil
	}
	return fs.rootedFS.ReadFile(path)
}

// checkOffline reads the kustomization in dir, and those of the local
// folders it uses, and fails on the first entry that kustomize would fetch
// from the network: an http(s) URL, or a resource or component that is no
// local file or folder inside the root (kustomize takes it for a Git
// repository and clones it).
func checkOffline(fs *rootedFS, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	kfile := kustomizationFile(dir)
	if kfile == "" {
		return nil
	}
	data, err := fs.ReadFile(kfile)
	if err != nil {
		return err
	}
	var k kustypes.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return fmt.Errorf("%s: %w", kfile, err)
	}
	k.FixKustomization()

	// Entries that may be folders: a missing one is taken for a repository.
	for _, list := range []struct {
		field   string
		entries []string
	}{
		{"resources", k.Resources}, {"components", k.Components},
		{"generators", k.Generators}, {"transformers", k.Transformers}, {"validators", k.Validators},
	} {
		for _, e := range list.entries {
			if strings.Contains(e, "\n") {
				continue // an inline generator or transformer
			}
			if isURL(e) {
				return fmt.Errorf("%s: %s: %q: %w", kfile, list.field, e, ErrRemoteBase)
			}
			p := e
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			if _, err := fs.confine(p); err != nil {
				return fmt.Errorf("%s: %s: %q: %w", kfile, list.field, e, err)
			}
			info, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("%s: %s: %q is not a local file or folder (%w)", kfile, list.field, e, ErrRemoteBase)
			}
			if info.IsDir() {
				if err := checkOffline(fs, p, seen); err != nil {
					return err
				}
			}
		}
	}
	// Entries that are files: only a URL is fetched.
	files := slices.Clone(k.Crds)
	files = append(files, k.Configurations...)
	for _, p := range k.Patches {
		files = append(files, p.Path)
	}
	for _, p := range k.PatchesJson6902 {
		files = append(files, p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		files = append(files, string(p))
	}
	for _, r := range k.Replacements {
		files = append(files, r.Path)
	}
	if p, ok := k.OpenAPI["path"]; ok {
		files = append(files, p)
	}
	for _, g := range k.ConfigMapGenerator {
		files = append(files, g.FileSources...)
		files = append(files, g.EnvSources...)
	}
	for _, g := range k.SecretGenerator {
		files = append(files, g.FileSources...)
		files = append(files, g.EnvSources...)
	}
	for _, f := range files {
		if _, path, ok := strings.Cut(f, "="); ok && !strings.Contains(f, "\n") && !isURL(f) {
			f = path // a generator's key=path
		}
		if isURL(strings.TrimSpace(f)) {
			return fmt.Errorf("%s: %q: %w", kfile, f, ErrRemoteBase)
		}
	}
	return nil
}

// isURL reports whether kustomize would fetch s over the network as it is
// written: a URL with a scheme, or a Git address (git@host:org/repo,
// host/org/repo?ref=...).
func isURL(s string) bool {
	return strings.Contains(s, "://") || strings.HasPrefix(s, "git@") || strings.HasPrefix(s, "git::") ||
		strings.Contains(s, "?ref=") || strings.Contains(s, "?version=")
}

// originAnnotationKey is the annotation in which kustomize records where an
// object comes from (buildMetadata: [originAnnotations]).
const originAnnotationKey = "config.kubernetes.io/origin"

// Build returns what kustomize builds from dir, a folder holding a
// kustomization, as one YAML stream (what "kustomize build dir" prints),
// with the rules of Load: builtin plugins only, files confined to
// Options.Root, remote bases refused. Variables are not substituted.
func Build(dir string, opts Options) ([]byte, error) {
	if kustomizationFile(dir) == "" {
		return nil, fmt.Errorf("%s: no kustomization.yaml, kustomization.yml or Kustomization", dir)
	}
	root := opts.Root
	if root == "" {
		root = gitRoot(dir)
	}
	objects, err := build(root, dir)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, o := range objects {
		out = append(out, "---\n"...)
		out = append(out, o.yaml...)
	}
	return out, nil
}

// objectNames names an object as load problems name it ("Kind ns/name",
// "default" when it has no namespace) and as skipped documents name it
// (without a namespace when it has none), after package manifest.
func objectNames(kind, namespace, name string) (problem, skipped string) {
	if name == "" {
		name = "(no name)"
	}
	switch {
	case kind == "":
		return "", ""
	case namespace == "":
		return kind + " default/" + name, kind + " " + name
	}
	return kind + " " + namespace + "/" + name, kind + " " + namespace + "/" + name
}

// objectStart is where an object of a file starts.
type objectStart struct {
	kind, namespace, name string
	line                  int
}

// objectStarts lists the objects of a YAML file with the line where each
// starts; nil when the file cannot be read.
func objectStarts(fs *rootedFS, file string) []objectStart {
	data, err := fs.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []objectStart
	dec := yamlv3.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err != nil {
			return out // the end, or a document kustomize would not have read either
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yamlv3.MappingNode {
			continue
		}
		n := doc.Content[0]
		meta := value(n, "metadata")
		out = append(out, objectStart{
			kind:      scalar(value(n, "kind")),
			namespace: scalar(value(meta, "namespace")),
			name:      scalar(value(meta, "name")),
			line:      n.Line,
		})
	}
}

// findStart returns the line where the object kind namespace/name (as
// written in its file, before kustomize renamed or moved it) starts; 0 when
// it is not found once.
func findStart(starts []objectStart, kind, namespace, name string) int {
	line := 0
	for _, s := range starts {
		if s.kind != kind || s.name != name || (s.namespace != "" && namespace != "" && s.namespace != namespace) {
			continue
		}
		if line != 0 {
			return 0
		}
		line = s.line
	}
	return line
}

// value returns the value of key in the mapping n, or nil.
func value(n *yamlv3.Node, key string) *yamlv3.Node {
	if n == nil || n.Kind != yamlv3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// scalar returns the text of a scalar node, or "".
func scalar(n *yamlv3.Node) string {
	if n == nil || n.Kind != yamlv3.ScalarNode {
		return ""
	}
	return n.Value
}
