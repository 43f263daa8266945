// Package gitops reads the notification manifests of a GitOps repository
// the way Flux reads them: kustomize overlays and components built in
// process, postBuild variable substitution, manifest streams on standard
// input, and documents that are not Kubernetes objects skipped.
package gitops
