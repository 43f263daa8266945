package alerttest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// Outcome is the outcome of one suite file for a report: its results, or
// the error that kept it from running (a *Error list from Load or Run).
type Outcome struct {
	// Suite is the suite file.
	Suite string
	// Result is the suite's result; nil when Err is set.
	Result *Result
	// Err is why the suite could not run.
	Err error
}

// The JUnit XML shape that CI systems read (GitHub, GitLab, Jenkins).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	TestCases []junitCase `xml:"testcase"`
	SystemErr string      `xml:"system-err,omitempty"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

// WriteJUnit writes the outcomes as JUnit XML: one testsuite per suite
// file, one testcase per test, a failure element with the diff for a
// failed test. A suite that could not run is a testsuite with one testcase
// in error, whose text lists every problem.
func WriteJUnit(w io.Writer, outcomes []Outcome) error {
	all := junitSuites{Name: "fluxnotify test"}
	var total time.Duration
	for _, o := range outcomes {
		js := junitSuite{Name: o.Suite}
		if o.Err != nil || o.Result == nil {
			msg := "the suite cannot run"
			text := ""
			if o.Err != nil {
				text = o.Err.Error()
			}
			js.Tests, js.Errors, js.Time = 1, 1, seconds(0)
			js.TestCases = []junitCase{{
				Name: "(suite)", Classname: o.Suite, File: o.Suite, Time: seconds(0),
				Error: &junitProblem{Message: msg, Type: "SuiteError", Text: text},
			}}
		} else {
			r := o.Result
			total += r.Duration
			js.Time = seconds(r.Duration)
			js.SystemErr = strings.Join(r.Warnings, "\n")
			for _, t := range r.Tests {
				c := junitCase{Name: t.Name, Classname: o.Suite, File: o.Suite, Line: t.Line, Time: seconds(t.Duration)}
				if !t.Passed {
					js.Failures++
					c.Failure = &junitProblem{Message: strings.Join(t.Failures, "; "), Type: "AlertTestFailure", Text: t.Diff}
				}
				js.TestCases = append(js.TestCases, c)
			}
			js.Tests = len(r.Tests)
		}
		all.Tests += js.Tests
		all.Failures += js.Failures
		all.Errors += js.Errors
		all.Suites = append(all.Suites, js)
	}
	all.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	return nil
}

func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}
