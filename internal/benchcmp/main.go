// Command benchcmp runs the comparison benchmarks of issue 13 in one run,
// prints each comparison as a ratio next to its target, and can rewrite the
// generated section of BENCHMARKS.md with the result, the machine, its load
// and the command. `make bench` runs it:
//
//	go run ./internal/benchcmp -count 5 -update BENCHMARKS.md
//
// Every figure is the median of -count rounds of `go test -bench -count 1`
// over every suite; the ratios compare benchmarks of the same rounds, so
// that a busy machine shifts both sides alike. With -input, it reads saved `go test -bench` output instead
// of running the benchmarks.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// suite is one `go test -bench` invocation.
type suite struct {
	dir   string // module directory, relative to the repository root
	pkgs  []string
	bench string
}

// suites are the benchmarks the comparisons read. A pattern that matches
// nothing costs nothing.
var suites = []suite{
	{dir: ".", pkgs: []string{"./match"}, bench: "^BenchmarkMatchShapes$"},
	{dir: ".", pkgs: []string{"./slack"}, bench: "^BenchmarkRender$"},
	{dir: ".", pkgs: []string{"."}, bench: "^(BenchmarkDispatch|BenchmarkServe|BenchmarkPending)$"},
	{dir: "examples/operator", pkgs: []string{"./..."}, bench: "^BenchmarkRecorder$"},
}

func main() {
	count := flag.Int("count", 5, "rounds of every benchmark; figures are medians")
	benchtime := flag.String("benchtime", "300ms", "go test -benchtime")
	update := flag.String("update", "", "rewrite the generated section of this Markdown file")
	input := flag.String("input", "", "read `go test -bench` output from this file instead of running")
	flag.Parse()

	var raw bytes.Buffer
	loadBefore := loadAvg()
	start := time.Now().UTC()
	var commands []string
	if *input != "" {
		b, err := os.ReadFile(*input)
		if err != nil {
			fatal(err)
		}
		raw.Write(b)
		commands = append(commands, "go run ./internal/benchcmp -input "+*input)
	} else {
		// count rounds of every suite, rather than -count: the two sides
		// of a comparison then run minutes apart at most, whatever the
		// other load of the machine does meanwhile.
		for round := range *count {
			for _, s := range suites {
				args := []string{"test", "-run", "^$", "-bench", s.bench, "-benchmem", "-count", "1", "-benchtime", *benchtime}
				args = append(args, s.pkgs...)
				cmdline := "go " + strings.Join(quoteArgs(args), " ")
				if s.dir != "." {
					cmdline = "(cd " + s.dir + " && " + cmdline + ")"
				}
				if round == 0 {
					commands = append(commands, cmdline)
				}
				fmt.Fprintf(os.Stderr, "benchcmp: round %d/%d: %s\n", round+1, *count, cmdline)
				cmd := exec.Command("go", args...)
				cmd.Dir = s.dir
				cmd.Stdout = io.MultiWriter(&raw, os.Stderr) // progress on stderr
				cmd.Stderr = os.Stderr
				if err := cmd.Run(); err != nil {
					fatal(fmt.Errorf("%s: %w", cmdline, err))
				}
			}
		}
	}
	res := parse(&raw)
	report := render(res, header{
		start: start, loadBefore: loadBefore, loadAfter: loadAvg(), commands: commands,
		count: *count, benchtime: *benchtime,
	})
	fmt.Print(report)
	if *update != "" {
		if err := updateFile(*update, report); err != nil {
			fatal(err)
		}
	}
	if failed(res) {
		fmt.Fprintln(os.Stderr, "benchcmp: some targets are not met (see ✗)")
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchcmp:", err)
	os.Exit(1)
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$|()* ") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

// results maps "pkg BenchmarkName" (without the -GOMAXPROCS suffix) to its
// values by unit ("ns/op", "B/op", "allocs/op", custom metrics), one per run.
type results map[string]map[string][]float64

// parse reads `go test -bench` output.
func parse(r io.Reader) results {
	res := results{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = shortPkg(strings.TrimSpace(p))
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		key := pkg + " " + name
		if res[key] == nil {
			res[key] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res[key][f[i+1]] = append(res[key][f[i+1]], v)
		}
	}
	return res
}

func shortPkg(p string) string {
	const mod = "github.com/fluxnotify/fluxnotify"
	switch {
	case p == mod:
		return "fluxnotify"
	case strings.HasPrefix(p, mod+"/"):
		return strings.TrimPrefix(p, mod+"/")
	}
	return p
}

// get returns the median of unit for the benchmark, and whether it ran.
func (r results) get(key, unit string) (float64, bool) {
	vs := r[key][unit]
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// row is one comparison.
type row struct {
	what   string
	value  string
	target string
	ok     bool
}

var (
	shapes     = []string{"team-mix", "one-ns-exact", "one-ns-distinct-globs", "one-ns-same-glob", "ns-star-exact", "kind-star-exact", "star-names-spread", "inclusion-every-alert", "many-matches-regex"}
	sizes      = []int{1000, 10000, 100000}
	manyShapes = map[string]bool{"one-ns-same-glob": true, "many-matches-regex": true}
)

func shapeKey(shape string, n int, impl string) string {
	return fmt.Sprintf("match BenchmarkMatchShapes/shape=%s/alerts=%d/%s", shape, n, impl)
}

// comparisons computes the rows of every comparison whose benchmarks ran.
func comparisons(r results) []row {
	var rows []row
	// Goal 1: the matcher.
	exact, haveExact := r.get(shapeKey("one-ns-exact", 100000, "compiled"), "ns/op")
	for _, s := range shapes {
		ns, ok := r.get(shapeKey(s, 100000, "compiled"), "ns/op")
		if !ok {
			continue
		}
		matches, _ := r.get(shapeKey(s, 100000, "compiled"), "matches/op")
		if manyShapes[s] {
			per := ns / max(matches, 1)
			rows = append(rows, row{fmt.Sprintf("match: %s at 100k alerts, %.0f matches: ns per match", s, matches), f1(per), "≤ 100", per <= 100})
		} else if haveExact && s != "one-ns-exact" {
			x := ns / exact
			rows = append(rows, row{fmt.Sprintf("match: %s at 100k alerts ÷ one-ns-exact", s), fx(x), "≤ 10×", x <= 10})
		}
	}
	if c, ok := r.get(shapeKey("team-mix", 10000, "compiled"), "ns/op"); ok {
		if ref, ok := r.get(shapeKey("team-mix", 10000, "reference"), "ns/op"); ok {
			x := ref / c
			rows = append(rows, row{"match: team-mix at 10k alerts, reference ÷ compiled", fx(x), "≥ 1000×", x >= 1000})
		}
	}
	worst := -1.0
	for _, s := range shapes {
		for _, n := range sizes {
			if a, ok := r.get(shapeKey(s, n, "compiled"), "allocs/op"); ok {
				worst = max(worst, a)
			}
		}
	}
	if worst >= 0 {
		rows = append(rows, row{"match: allocs/op of the compiled matcher, worst shape", f1(worst), "0", worst == 0})
	}
	// Goal 2: templates.
	if base, ok := r.get("slack BenchmarkRender/text-template-baseline", "ns/op"); ok {
		if c, ok := r.get("slack BenchmarkRender/custom-template", "ns/op"); ok {
			rows = append(rows, row{"slack: custom-template ÷ text-template-baseline", fx(c / base), "≤ 1.5×", c/base <= 1.5})
		}
		if c, ok := r.get("slack BenchmarkRender/flux", "ns/op"); ok {
			rows = append(rows, row{"slack: flux (the default message) ÷ text-template-baseline", fx(c / base), "≤ 1×", c/base <= 1})
		}
	}
	// Goals 3-6: delivery, the endpoint, the recorder, pending events.
	rows = append(rows, speedRow(r, "fluxnotify: Dispatch ÷ net/http (throughput)", "fluxnotify BenchmarkDispatch/fluxnotify", "fluxnotify BenchmarkDispatch/net-http", 0.75)...)
	rows = append(rows, speedRow(r, "fluxnotify: event endpoint ÷ bare handler (throughput)", "fluxnotify BenchmarkServe/fluxnotify", "fluxnotify BenchmarkServe/bare", 0.80)...)
	keys := make([]string, 0, len(r))
	for key := range r {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if strings.Contains(key, "BenchmarkRecorder/duplicate") {
			uniq := strings.Replace(key, "/duplicate", "/unique", 1)
			rows = append(rows, speedRow(r, "operator: Flux recorder, duplicates ÷ unique events (throughput)", key, uniq, 0.80)...)
			if c, ok := r.get(key, "conns/1000"); ok {
				rows = append(rows, row{"operator: TCP connections for 1,000 duplicates", f1(c), "≤ 4", c <= 4})
			}
		}
		if strings.Contains(key, "BenchmarkPending") {
			if b, ok := r.get(key, "B/pending"); ok {
				ev, _ := r.get(key, "event-B")
				rows = append(rows, row{fmt.Sprintf("fluxnotify: memory per pending event besides the event (%s, events of %.0f B)", strings.TrimPrefix(key, "fluxnotify BenchmarkPending/"), ev), f1(b) + " B", "≤ 2048 B", b <= 2048})
			}
		}
	}
	return rows
}

// speedRow compares the throughput of a with b's: b's time ÷ a's.
func speedRow(r results, what, a, b string, target float64) []row {
	ta, ok1 := r.get(a, "ns/op")
	tb, ok2 := r.get(b, "ns/op")
	if !ok1 || !ok2 {
		return nil
	}
	x := tb / ta
	return []row{{what, fmt.Sprintf("%.0f%%", 100*x), fmt.Sprintf("≥ %.0f%%", 100*target), x >= target}}
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func fx(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

func failed(r results) bool {
	for _, row := range comparisons(r) {
		if !row.ok {
			return true
		}
	}
	return false
}

type header struct {
	start                 time.Time
	loadBefore, loadAfter string
	commands              []string
	count                 int
	benchtime             string
}

// render writes the report: machine, load, commands, the comparisons and
// every median.
func render(r results, h header) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", beginMarker)
	fmt.Fprintf(&b, "Generated by `make bench` (internal/benchcmp) on %s. Figures are medians of %d rounds\n", h.start.Format("2006-01-02 15:04 MST"), h.count)
	fmt.Fprintf(&b, "of the commands below (`-benchtime %s`), run one after the other, so that each ratio compares\n", h.benchtime)
	fmt.Fprintf(&b, "benchmarks measured minutes apart at most, in the same rounds.\n\n")
	fmt.Fprintf(&b, "- **Machine**: %s, %d cores, %s, %s/%s, %s\n", cpuModel(), runtime.NumCPU(), memTotal(), runtime.GOOS, runtime.GOARCH, goVersion())
	fmt.Fprintf(&b, "- **Load average** (1, 5, 15 min): %s before, %s after\n", h.loadBefore, h.loadAfter)
	fmt.Fprintf(&b, "- **Commands** (each round):\n\n  ```sh\n")
	for _, c := range h.commands {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	fmt.Fprintf(&b, "  ```\n\n")

	fmt.Fprintf(&b, "| comparison | measured | target | |\n|---|---:|---:|---|\n")
	for _, row := range comparisons(r) {
		mark := "✓"
		if !row.ok {
			mark = "✗"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", row.what, row.value, row.target, mark)
	}

	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(&b, "\n<details><summary>Every benchmark (medians)</summary>\n\n")
	fmt.Fprintf(&b, "| benchmark | ns/op | B/op | allocs/op | other |\n|---|---:|---:|---:|---|\n")
	for _, k := range keys {
		ns, _ := r.get(k, "ns/op")
		bop, _ := r.get(k, "B/op")
		allocs, _ := r.get(k, "allocs/op")
		var other []string
		units := make([]string, 0, len(r[k]))
		for u := range r[k] {
			units = append(units, u)
		}
		slices.Sort(units)
		for _, u := range units {
			switch u {
			case "ns/op", "B/op", "allocs/op":
				continue
			}
			v, _ := r.get(k, u)
			other = append(other, strconv.FormatFloat(v, 'g', 4, 64)+" "+u)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %.0f | %.0f | %s |\n", k, group(ns), bop, allocs, strings.Join(other, ", "))
	}
	fmt.Fprintf(&b, "\n</details>\n\n%s\n", endMarker)
	return b.String()
}

// group formats ns with thousands separators (one decimal under 100).
func group(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatFloat(v, 'f', 0, 64)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

const (
	beginMarker = "<!-- benchcmp:begin (generated by make bench; do not edit) -->"
	endMarker   = "<!-- benchcmp:end -->"
)

// updateFile replaces the generated section of path with report, or adds
// it after the first paragraph when there is none.
func updateFile(path, report string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out := replaceSection(string(b), report)
	return os.WriteFile(path, []byte(out), 0o644)
}

func replaceSection(doc, report string) string {
	i := strings.Index(doc, beginMarker)
	j := strings.Index(doc, endMarker)
	if i >= 0 && j > i {
		return doc[:i] + strings.TrimSuffix(report, "\n") + doc[j+len(endMarker):]
	}
	k := strings.Index(doc, "\n## ")
	if k < 0 {
		return doc + "\n" + report
	}
	return doc[:k+1] + "## Issue 13: every comparison in one run\n\n" + report + "\n" + doc[k+1:]
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown memory"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(v)
			if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
				return fmt.Sprintf("%.0f GiB", kb/(1<<20))
			}
		}
	}
	return "unknown memory"
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}
