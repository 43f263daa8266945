# The one test command of README.md; .ci/run runs exactly this.
.PHONY: test quickstart bench fuzz

test:
	go test -race ./...
	cd examples/fluxnotify && go test -race ./...
	cd examples/operator && go test -race ./...

quickstart:
	go run ./examples/quickstart

# Benchmarks recorded in BENCHMARKS.md.
bench:
	go test -run '^$$' -bench . -benchmem ./...
