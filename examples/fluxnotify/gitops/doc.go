// Package gitops reads the notification manifests of a GitOps repository
// the way Flux reads them, for the fluxnotify command and its test suites.
//
// Load takes the paths of -f: a folder holding a kustomization.yaml is
// built in process with kustomize's API, with the options of
// kustomize-controller (no load restrictions inside the repository, builtin
// plugins only); remote bases are refused (ErrRemoteBase) and never
// fetched. Other folders and files are read by fluxnotify.LoadFiles, and
// "-" reads a manifest stream from Options.Stdin. Flux's postBuild
// variables (${VAR}, ${VAR:=default}, $${VAR}) are then substituted in each
// object with Flux's own library, fluxcd/pkg/envsubst; a variable with no
// value stays as written. Problems name the files the user wrote, not the
// output of the build.
package gitops
