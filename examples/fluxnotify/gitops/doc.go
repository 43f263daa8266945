// Package gitops reads the notification manifests of a GitOps repository
// the way Flux reads them, for the fluxnotify command and its test suites.
//
// Load takes the paths of -f: a folder holding a kustomization.yaml is
// built in process with kustomize's API, with the options of
// kustomize-controller (no load restrictions inside the repository, builtin
// plugins only); remote bases are refused (ErrRemoteBase) and never
// fetched. Other folders and files are read as package manifest reads
// them, and "-" reads a manifest stream from Options.Stdin. Flux's postBuild
// variables (${VAR}, ${VAR:=default}, $${VAR}) are substituted in each
// document with Flux's own library, fluxcd/pkg/envsubst; a variable with no
// value stays as written. Everything loads through one manifest.Loader, so
// references and duplicates are checked across all paths, and problems name
// the files the user wrote, not the output of the build.
package gitops
