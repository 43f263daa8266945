package alert

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/event"
)

// FluxKinds are the kinds that Flux's API server accepts in
// spec.eventSources[].kind: the enum of the Alert CRD of
// notification-controller v1.9.3 (CrossNamespaceObjectReference.Kind).
var FluxKinds = []string{
	"Bucket", "GitRepository", "Kustomization", "HelmRelease", "HelmChart", "HelmRepository",
	"ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "OCIRepository",
	"ArtifactGenerator", "ExternalArtifact",
}

// Limits that Flux's Alert CRD sets on string fields, counted in characters.
const (
	// MaxSummaryLength bounds spec.summary.
	MaxSummaryLength = 255
	// MaxSourceFieldLength bounds spec.eventSources[].name and .namespace.
	MaxSourceFieldLength = 253
)

// Lint checks what depends on the matching mode, beyond Validate (it does
// not repeat Validate's problems). It returns errors, which make the alert
// unusable in that mode, and warnings, which do not stop it from loading
// but probably change what it does.
//
// With flux set (flux mode), the errors are what Flux's API server refuses
// for an Alert (the markers of its CRD): spec.eventSeverity other than
// exactly "info" or "error" (a list, "warn", "trace", "Info": they need
// extended mode), spec.summary over 255 characters, an eventSources kind
// that is not one of FluxKinds (with "did you mean Kustomization?" when
// only the case differs), and a source name or namespace over 253
// characters.
//
// Without flux (extended mode, where a kind may be any operator's), a kind
// that differs from a Flux kind only in case ("kustomization") is a
// warning: kinds are case-sensitive, so that source never matches Flux's
// events.
//
// Each problem names its field (spec.eventSources[1].kind); wrap the list
// with the alert's name to report it, as Validate does.
func (a *Alert) Lint(flux bool) (errs, warnings field.ErrorList) {
	spec := field.NewPath("spec")
	if flux {
		errs = append(errs, lintFluxSeverity(spec.Child("eventSeverity"), a.Spec.EventSeverity)...)
		if utf8.RuneCountInString(a.Spec.Summary) > MaxSummaryLength {
			errs = append(errs, field.TooLongCharacters(spec.Child("summary"), a.Spec.Summary, MaxSummaryLength))
		}
	}
	srcs := spec.Child("eventSources")
	for i, src := range a.Spec.EventSources {
		p := srcs.Index(i)
		if src.Kind != "" && !slices.Contains(FluxKinds, src.Kind) {
			fold := foldFluxKind(src.Kind)
			switch {
			case flux && fold != "":
				errs = append(errs, field.Invalid(p.Child("kind"), src.Kind,
					fmt.Sprintf("did you mean %s? Flux's kinds are case-sensitive", fold)))
			case flux:
				errs = append(errs, field.NotSupported(p.Child("kind"), src.Kind, FluxKinds))
			case fold != "":
				warnings = append(warnings, field.Invalid(p.Child("kind"), src.Kind,
					fmt.Sprintf("did you mean %s? kinds are case-sensitive, so this source never matches %s events", fold, fold)))
			}
		}
		if !flux {
			continue
		}
		if utf8.RuneCountInString(src.Name) > MaxSourceFieldLength {
			errs = append(errs, field.TooLongCharacters(p.Child("name"), src.Name, MaxSourceFieldLength))
		}
		if utf8.RuneCountInString(src.Namespace) > MaxSourceFieldLength {
			errs = append(errs, field.TooLongCharacters(p.Child("namespace"), src.Namespace, MaxSourceFieldLength))
		}
	}
	return errs, warnings
}

// foldFluxKind returns the Flux kind that kind spells in another case, or "".
func foldFluxKind(kind string) string {
	for _, k := range FluxKinds {
		if strings.EqualFold(k, kind) {
			return k
		}
	}
	return ""
}

// lintFluxSeverity checks spec.eventSeverity against the CRD's enum (info,
// error; unset is Flux's default, info). Values that are not severities at
// all are Validate's to report.
func lintFluxSeverity(p *field.Path, s EventSeverity) field.ErrorList {
	const hint = "Flux's Alert takes only info or error; use extended mode for other severities"
	switch {
	case s.IsZero():
		return nil
	case s.List:
		return field.ErrorList{field.Invalid(p, s.String(),
			"a list of severities is not a Flux feature (Flux's Alert takes info or error); use extended mode for lists")}
	case len(s.Values) != 1:
		return nil // Validate and the matcher report a single level with several values
	}
	v := s.Values[0]
	if v == "info" || v == "error" {
		return nil
	}
	sev, err := event.ParseSeverity(v)
	if err != nil {
		return nil // Validate reports it
	}
	if sev == event.SeverityInfo || sev == event.SeverityError {
		return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("did you mean %s? %s, and compares severities exactly", sev, hint))}
	}
	return field.ErrorList{field.Invalid(p, v, hint)}
}
