package fielderr

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// List is a field.ErrorList as an error: the problems joined by "; ", each
// one reachable with errors.As (a *field.Error) through Unwrap.
type List field.ErrorList

// Error joins the problems with "; ".
func (e List) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns each *field.Error.
func (e List) Unwrap() []error {
	out := make([]error, len(e))
	for i, fe := range e {
		out[i] = fe
	}
	return out
}
