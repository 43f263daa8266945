package alert

import (
	"github.com/gobwas/glob"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reasons is spec.reasons: it filters events by their reason (for example
// HealthCheckFailed, ReconciliationSucceeded, ArtifactUpToDate), after the
// event sources matched. Each pattern is an exact reason or a glob
// ("*Failed", "{Progressing,DependencyNotReady}"), case-sensitive. Not a
// Flux field: extended mode only.
//
//	spec:
//	  reasons:
//	    exclude: [DependencyNotReady, "*Progressing*"]
//
// +kubebuilder:object:generate=true
type Reasons struct {
	// Include, when set, takes only the events whose reason matches one of
	// the patterns.
	// +optional
	Include []string `json:"include,omitempty"`

	// Exclude drops the events whose reason matches any of the patterns.
	// Exclusion wins over inclusion.
	// +optional
	Exclude []string `json:"exclude,omitempty"`
}

// validateReasons checks that every pattern of spec.reasons compiles.
func validateReasons(p *field.Path, r *Reasons) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	for _, l := range [...]struct {
		name string
		list []string
	}{{"include", r.Include}, {"exclude", r.Exclude}} {
		name := l.name
		for i, pat := range l.list {
			if pat == "" {
				errs = append(errs, field.Required(p.Child(name).Index(i), "an empty pattern matches no reason"))
				continue
			}
			if _, err := glob.Compile(pat); err != nil {
				errs = append(errs, field.Invalid(p.Child(name).Index(i), pat, err.Error()))
			}
		}
	}
	return errs
}
