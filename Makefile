# The one test command of README.md; .ci/run runs exactly this.
.PHONY: test quickstart bench fuzz

test:
	go test -race ./...
	cd examples/fluxnotify && go test -race ./...
	cd examples/operator && go test -race ./...

quickstart:
	go run ./examples/quickstart

# Every comparison of BENCHMARKS.md in one run (medians of 5, ratios
# within the run), printed and written to BENCHMARKS.md's generated section.
bench:
	go run ./internal/benchcmp -count 5 -update BENCHMARKS.md
