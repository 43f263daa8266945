package match

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/internal/fielderr"
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
	return "alert " + e.Namespace + "/" + e.Name + ": " + fielderr.List(e.Fields).Error()
}

// Unwrap returns the field errors, so errors.As finds a *field.Error.
func (e *AlertError) Unwrap() []error { return fielderr.List(e.Fields).Unwrap() }
