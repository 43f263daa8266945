package notifycontroller_test

import (
	"testing"

	"go.uber.org/goleak"
)

// controller-runtime and client-go start no goroutine in these tests (no
// manager runs: the fake client stands for the API server); the HTTP
// clients' idle connections end when their servers close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
