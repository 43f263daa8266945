package fielderr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fluxnotify/fluxnotify/internal/fielderr"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestList(t *testing.T) {
	p := field.NewPath("spec")
	errs := field.ErrorList{
		field.Required(p.Child("providerRef", "name"), ""),
		field.NotSupported(p.Child("eventSeverity"), "fatal", []string{"info", "error"}),
	}
	err := fmt.Errorf("alert ns/a: %w", fielderr.List(errs))

	assert.Equal(t, `alert ns/a: spec.providerRef.name: Required value; spec.eventSeverity: Unsupported value: "fatal": supported values: "info", "error"`, err.Error())
	var fe *field.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "spec.providerRef.name", fe.Field)
	assert.Len(t, fielderr.List(errs).Unwrap(), 2)
	assert.True(t, errors.Is(err, errs[1]))
	assert.Empty(t, fielderr.List(nil).Error())
}
