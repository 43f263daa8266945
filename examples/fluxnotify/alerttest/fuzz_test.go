package alerttest_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluxnotify/fluxnotify/examples/fluxnotify/alerttest"
)

// FuzzParse checks that no suite file makes Parse panic, and that every
// error it returns is a list of *Error naming the file.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{suites + "/*.yaml", suites + "/*/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("manifests: [m]\ntests:\n  - {name: a, event: {severity: *x}, routes: [&x a]}\n"))
	f.Add([]byte("[[[[[[[["))
	emptyDir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// Events are named relative to a folder that holds no files, so
		// the fuzzer cannot make Parse read this machine's files.
		s, err := alerttest.Parse(filepath.Join(emptyDir, "s.yaml"), data)
		if err != nil {
			if s != nil {
				t.Fatal("a Suite together with an error")
			}
			for _, p := range alerttest.Errors(err) {
				if p.File == "" {
					t.Fatalf("a problem without its file: %v", p)
				}
			}
			if len(alerttest.Errors(err)) == 0 && !errors.Is(err, alerttest.ErrInvalid) {
				t.Fatalf("an error that is not a *Error: %v", err)
			}
			return
		}
		if len(s.Tests) == 0 || len(s.Manifests) == 0 {
			t.Fatal("a valid suite without tests or manifests")
		}
	})
}
