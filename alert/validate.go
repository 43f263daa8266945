package alert

import (
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/internal/fielderr"

	"github.com/fluxnotify/fluxnotify/event"
)

// Levels parses the values of s. It returns an error naming the first
// unknown level.
func (s EventSeverity) Levels() ([]event.Severity, error) {
	out := make([]event.Severity, 0, len(s.Values))
	for _, v := range s.Values {
		lvl, err := event.ParseSeverity(v)
		if err != nil {
			return nil, err
		}
		out = append(out, lvl)
	}
	return out, nil
}

// Validate checks the alert's structure independently of the matching mode:
// name, providerRef, severities, event sources (kind and name set) and that
// every inclusion and exclusion expression compiles. Glob syntax is checked
// by the matcher, which knows the mode; Lint checks what depends on the mode
// (in flux mode, what Flux's API server refuses). Every problem is returned,
// each with its field path (for example spec.eventSources[1].name); the error names the
// alert. Validate returns nil for a valid alert.
func (a *Alert) Validate() error {
	errs := a.validate()
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("alert %s: %w", a.NamespacedName(), fielderr.List(errs))
}

// FieldErrors returns the same problems as Validate, as a field.ErrorList.
func (a *Alert) FieldErrors() field.ErrorList { return a.validate() }

func (a *Alert) validate() field.ErrorList {
	var errs field.ErrorList
	if a.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), ""))
	}
	spec := field.NewPath("spec")
	if a.Spec.ProviderRef.Name == "" {
		errs = append(errs, field.Required(spec.Child("providerRef", "name"), "the alert needs a provider"))
	}
	sev := spec.Child("eventSeverity")
	if a.Spec.EventSeverity.List && len(a.Spec.EventSeverity.Values) == 0 {
		errs = append(errs, field.Invalid(sev, "[]", "an empty list takes no event: remove the field or list severities"))
	}
	for i, v := range a.Spec.EventSeverity.Values {
		p := sev
		if a.Spec.EventSeverity.List {
			p = sev.Index(i)
		}
		if _, err := event.ParseSeverity(v); err != nil {
			errs = append(errs, field.NotSupported(p, v, []string{"trace", "info", "warn", "error"}))
		}
	}
	srcs := spec.Child("eventSources")
	if len(a.Spec.EventSources) == 0 {
		errs = append(errs, field.Required(srcs, "the alert needs at least one event source"))
	}
	for i, src := range a.Spec.EventSources {
		p := srcs.Index(i)
		if src.Kind == "" {
			errs = append(errs, field.Required(p.Child("kind"), ""))
		}
		if src.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), `use "*" for every name`))
		}
	}
	errs = append(errs, validateRegexps(spec.Child("inclusionList"), a.Spec.InclusionList)...)
	errs = append(errs, validateRegexps(spec.Child("exclusionList"), a.Spec.ExclusionList)...)
	errs = append(errs, validateDelivery(spec.Child("delivery"), a.Spec.Delivery)...)
	errs = append(errs, validateReasons(spec.Child("reasons"), a.Spec.Reasons)...)
	return errs
}

func validateRegexps(p *field.Path, exprs []string) field.ErrorList {
	var errs field.ErrorList
	for i, expr := range exprs {
		if _, err := regexp.Compile(expr); err != nil {
			errs = append(errs, field.Invalid(p.Index(i), expr, err.Error()))
		}
	}
	return errs
}
