package match

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// AlertError reports an alert that Compile or NewReference left out, with
// every problem found in it. The error returned by Compile joins one
// AlertError per invalid alert; find them with errors.As, or walk the joined
// error's Unwrap() []error.
type AlertError struct {
	// Namespace and Name identify the alert.
	Namespace, Name string
	// Index is the alert's position in the slice given to Compile.
	Index int
	// Fields are the problems, each with its field path (for example
	// spec.eventSources[1].name).
	Fields field.ErrorList
}

// Error returns "alert <namespace>/<name>: <field>: <problem>; ...".
func (e *AlertError) Error() string {
	var b strings.Builder
	b.WriteString("alert ")
	b.WriteString(e.Namespace)
	b.WriteByte('/')
	b.WriteString(e.Name)
	b.WriteString(": ")
	for i, fe := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Unwrap returns the field errors, so errors.As finds a *field.Error.
func (e *AlertError) Unwrap() []error {
	out := make([]error, len(e.Fields))
	for i, fe := range e.Fields {
		out[i] = fe
	}
	return out
}
