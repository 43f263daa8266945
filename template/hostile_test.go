package template_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fluxnotify/fluxnotify/template"
)

// The tests below reproduce the attacks of issue 11 on rendering (one per
// row of its table) and show the bound. Work is counted with a function
// that counts its calls, not with a clock.

// counter returns a template function "tick" that returns its argument
// and counts its calls.
func counter() (*int, template.Option) {
	n := new(int)
	return n, template.WithFuncs(map[string]any{"tick": func(s string) string { *n++; return s }})
}

// tinySample is Sample with an empty message, so that Parse's render on it
// costs little even for the attacks below, which then show the bound of
// Render on a large event. (On Sample itself, Parse's smaller budget,
// SampleWork, refuses most of them: see TestBudgetParseNeverHangs.)
func tinySample() *template.Data {
	d := template.Sample()
	d.Message = ""
	e := *d.Event
	e.Message = ""
	d.Event = &e
	return d
}

// loop9999 returns body in loops that run it 9,900 times (9,999 range
// iterations in all, the most MaxIterations allows).
func loop9999(body string) string {
	return "{{ range until 99 }}{{ range until 100 }}" + body + "{{ end }}{{ end }}"
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestBudgetLoopOfCostlyFunctions: "a template that loops 9,999 times
// calling sha256sum (or a regexp function) on .Message" took 39 s and 28 GB
// for a 3 MiB message. Each call is charged, before it runs, the 3 MiB it
// reads times its cost per byte: with a work budget of 32 Mi units the loop
// stops after at most 11 calls (tick counts the calls that ran), with an
// error naming the field, having allocated less than the budget in bytes.
func TestBudgetLoopOfCostlyFunctions(t *testing.T) {
	const budget = 32 << 20
	d := template.Sample()
	d.Message = strings.Repeat("x", 3<<20)
	for _, call := range []string{
		`sha256sum $.Message`, `upper $.Message`, `b64enc $.Message`, `regexFind "y+" $.Message`,
		`regexReplaceAll "y" $.Message "z"`, `regexMatch "(?i)(error|failed).*timeout" $.Message | toString`,
		`trimAll "y" $.Message`, `toJson $.Message`, `html $.Message`, `contains "y" $.Message | toString`,
		`title $.Message`, `$.Message | lower`, `join "," (splitList "y" $.Message)`,
	} {
		t.Run(call, func(t *testing.T) {
			calls, tick := counter()
			tmpl, err := template.Parse(&template.Spec{
				Title: "ok",
				Text:  loop9999("{{ $x := " + call + " | tick }}"),
			}, tick, template.WithLimits(template.Limits{Work: budget}), template.WithSample(tinySample()))
			require.NoError(t, err)
			*calls = 0
			var rerr error
			alloc := allocated(func() { _, rerr = tmpl.Render(d, template.EscapeSlack) })
			var fe *template.FieldError
			require.ErrorAs(t, rerr, &fe)
			assert.Equal(t, "text", fe.Field)
			if !errors.Is(rerr, template.ErrTooLarge) { // a list of 3 MiB is refused at once
				assert.ErrorIs(t, rerr, template.ErrWorkBudget)
			}
			assert.LessOrEqual(t, *calls, budget/(3<<20)+1, "calls made before the budget stopped the loop")
			assert.Less(t, alloc, uint64(budget), "bytes allocated")
		})
	}
}

// TestBudgetDefaultStopsTheLoop runs the same attack under the default
// budget, on a 64 KiB message so that it stays quick under -race.
func TestBudgetDefaultStopsTheLoop(t *testing.T) {
	d := template.Sample()
	d.Message = strings.Repeat("x", 64<<10)
	calls, tick := counter()
	tmpl, err := template.Parse(&template.Spec{Text: loop9999("{{ $x := sha256sum $.Message | tick }}")}, tick)
	require.NoError(t, err)
	*calls = 0
	_, err = tmpl.Render(d, nil)
	assert.ErrorIs(t, err, template.ErrWorkBudget)
	// sha256sum is charged 2 units a byte it reads, 512 a call; tick (a
	// function of WithFuncs) 4 units a byte of the 64-byte hash, 512 a
	// call; the loops 64 an iteration.
	perCall := 2*(64<<10) + 512 + 4*64 + 512 + 64
	assert.LessOrEqual(t, *calls, template.DefaultWork/perCall+1)
	assert.GreaterOrEqual(t, *calls, template.DefaultWork/perCall-1, "the budget stops only what is past it")
}

// TestBudgetHonoursTheContext: "the same with spec.timeout: 1s and a 2 s
// context on Dispatch" returned after 92 s. Every function call checks the
// render's context: once it is done, the next call stops the render.
func TestBudgetHonoursTheContext(t *testing.T) {
	d := template.Sample()
	d.Message = strings.Repeat("x", 1<<20)
	cancel := func() {}
	calls := 0
	tmpl, err := template.Parse(&template.Spec{Text: loop9999("{{ $x := sha256sum (cancelAt3 $.Message) }}")},
		template.WithFuncs(map[string]any{"cancelAt3": func(s string) string {
			if calls++; calls == 3 {
				cancel()
			}
			return s
		}}))
	require.NoError(t, err)
	calls = 0
	ctx, cancelCtx := context.WithCancel(context.Background())
	defer cancelCtx()
	cancel = cancelCtx
	_, err = tmpl.RenderContext(ctx, d, nil)
	assert.ErrorIs(t, err, context.Canceled)
	var fe *template.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "text", fe.Field)
	assert.Equal(t, 3, calls)

	// A context done before rendering starts.
	_, err = tmpl.RenderContext(ctx, d, nil)
	assert.ErrorIs(t, err, context.Canceled)

	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	_, err = tmpl.RenderContext(dctx, d, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// TestBudgetCraftedRegexp: "a crafted regexp in a template ((?:a?){1000}
// repeated) on a 64 KiB message" ran for over 60 s, and "the same regexp
// where the template is parsed" hung LoadFiles, New, Update and reload.
// Such an expression compiles to more than MaxRegexpProgram instructions: it
// is refused, at Parse when it is written in the template, before any
// search. One just under the bound is charged 4 units a byte and an
// instruction, so the budget stops the second search.
func TestBudgetCraftedRegexp(t *testing.T) {
	crafted := strings.Repeat(`(?:a?){1000}`, 3) + strings.Repeat("a", 1000)
	n, err := template.RegexpProgramSize(crafted)
	require.NoError(t, err)
	require.Greater(t, n, template.MaxRegexpProgram)

	for _, text := range []string{
		`{{ regexMatch "` + crafted + `" .Message }}`,
		`{{ .Message | regexMatch "` + crafted + `" }}`,
		`{{ regexFindAll "` + crafted + `" .Message -1 }}`,
		`{{ regexReplaceAll "` + crafted + `" .Message "x" }}`,
		`{{ $re := "` + crafted + `" }}{{ regexSplit $re .Message -1 }}`,
	} {
		_, err := template.Parse(&template.Spec{Text: text})
		var fe *template.FieldError
		require.ErrorAs(t, err, &fe, text)
		assert.Equal(t, "text", fe.Field)
		assert.ErrorIs(t, err, template.ErrRegexpTooLarge)
	}

	// From the event: the expression comes with the message.
	tmpl, err := template.Parse(&template.Spec{Text: `{{ regexMatch .Reason .Message }}`})
	require.NoError(t, err)
	d := template.Sample()
	d.Reason, d.Message = crafted, strings.Repeat("a", 64<<10)
	_, err = tmpl.Render(d, nil)
	assert.ErrorIs(t, err, template.ErrRegexpTooLarge)

	// Just under the bound: 8 KiB searched by 1,500 instructions is
	// charged 48 Mi units; with a budget of 64 Mi, the second search is
	// refused before it runs.
	near := strings.Repeat(`(?:a?)`, 500) + strings.Repeat("a", 500)
	n, err = template.RegexpProgramSize(near)
	require.NoError(t, err)
	require.LessOrEqual(t, n, template.MaxRegexpProgram)
	calls, tick := counter()
	tmpl, err = template.Parse(&template.Spec{Text: `{{ range until 100 }}{{ regexMatch "` + near + `" (tick $.Message) }}{{ end }}`},
		tick, template.WithSample(tinySample()), template.WithLimits(template.Limits{Work: 64 << 20}))
	require.NoError(t, err)
	d.Message = strings.Repeat("b", 8<<10)
	*calls = 0
	_, err = tmpl.Render(d, nil)
	assert.ErrorIs(t, err, template.ErrWorkBudget)
	assert.Equal(t, 2, *calls)
}

// TestBudgetParseNeverHangs: the sample render of Parse runs under the same
// budget, so a template that would loop on costly functions is a load error
// naming the field, not a hang.
func TestBudgetParseNeverHangs(t *testing.T) {
	_, err := template.Parse(&template.Spec{
		Fields: []template.Field{{Title: "x", Value: `{{ range until 5000 }}{{ range until 5000 }}{{ end }}{{ end }}`}},
	})
	var fe *template.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "fields[0].value", fe.Field)
	assert.ErrorIs(t, err, template.ErrTooManyIterations)

	_, err = template.Parse(&template.Spec{
		Text: `{{ $x := repeat 60000 "a" }}` + loop9999(`{{ $x = sha256sum $x | repeat 900 }}`),
	}, template.WithLimits(template.Limits{Work: 8 << 20}))
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "text", fe.Field)
	assert.ErrorIs(t, err, template.ErrWorkBudget)
	assert.Contains(t, err.Error(), "executing on a sample event")

	// Under the default budget, the sample render has SampleWork: loading
	// a template that loops on costly functions takes milliseconds.
	calls, tick := counter()
	_, err = template.Parse(&template.Spec{Text: `{{ $x := repeat 60000 "a" }}` + loop9999(`{{ $y := sha256sum (tick $x) }}`)}, tick)
	assert.ErrorIs(t, err, template.ErrWorkBudget)
	assert.LessOrEqual(t, *calls, template.SampleWork/(5*60000)+1)
}

// TestBudgetQuadraticFunctions: uniq compares every pair of items.
func TestBudgetQuadraticFunctions(t *testing.T) {
	d := template.Sample()
	d.Message = strings.Repeat("a ", 30000)
	tmpl, err := template.Parse(&template.Spec{Text: `{{ splitList " " .Message | uniq }}`})
	require.NoError(t, err)
	_, err = tmpl.Render(d, nil)
	assert.ErrorContains(t, err, "uniq: 30001 items, more than 2000")
}

// TestBudgetNormalTemplatesPass: the templates of the documentation, on the
// largest event, stay well within the default budget.
func TestBudgetNormalTemplatesPass(t *testing.T) {
	d := template.Sample()
	d.Message = strings.Repeat("deployment failed: timeout\n", (3<<20)/27)
	for _, text := range []string{
		`{{ .Message }}`,
		`{{ .Message | upper | trunc 200 }} {{ sha256sum .Message }} {{ b64enc .Message | trunc 10 }}`,
		`{{ if regexMatch "(?i)(error|failed).*timeout" .Message }}failed{{ end }}`,
		`{{ range $k, $v := .Metadata }}{{ $k }}={{ $v }} {{ end }}{{ toJson .Event | trunc 100 }}`,
	} {
		tmpl, err := template.Parse(&template.Spec{Text: text})
		require.NoError(t, err, text)
		m, err := tmpl.Render(d, template.EscapeSlack)
		require.NoError(t, err, text)
		assert.LessOrEqual(t, len(m.Text), template.MaxOutput)
	}
	assert.True(t, errors.Is(template.ErrWorkBudget, template.ErrWorkBudget))
}

// TestBudgetChargesTheData: a function given the whole data ($) or the
// event is charged the message it holds, and reading the data's size never
// touches the render's own state (its context), however the template is
// run.
func TestBudgetChargesTheData(t *testing.T) {
	d := template.Sample()
	d.Message = strings.Repeat("x", 1<<20)
	e := *d.Event
	e.Message = d.Message
	d.Event = &e
	for _, arg := range []string{"$", "$.Event", "$.Event.InvolvedObject", "(dict \"d\" $)"} {
		tmpl, err := template.Parse(&template.Spec{Text: "{{ range until 300 }}{{ $x := toJson " + arg + " }}{{ end }}"},
			template.WithLimits(template.Limits{Work: 64 << 20}))
		require.NoError(t, err, arg)
		ctx, cancel := context.WithCancel(context.Background())
		stop := context.AfterFunc(ctx, func() {})
		_, err = tmpl.RenderContext(ctx, d, nil)
		stop()
		cancel()
		if arg == "$.Event.InvolvedObject" {
			assert.NoError(t, err, "the object reference is small")
			continue
		}
		assert.ErrorIs(t, err, template.ErrWorkBudget, arg)
	}
}

// TestBudgetChargesMethods: methods of the data take arguments and copy
// values too ($.Timestamp.Format with the message as layout, an event's
// DeepCopy): they are charged their arguments and what they return.
func TestBudgetChargesMethods(t *testing.T) {
	d := template.Sample()
	d.Message = strings.Repeat("x", 256<<10)
	e := *d.Event
	e.Message = d.Message
	e.Metadata = map[string]string{}
	for i := range 5000 {
		e.Metadata["key"+strings.Repeat("k", i%50)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676%26))] = "v"
	}
	d.Event = &e
	for _, body := range []string{
		`{{ $x := $.Timestamp.Format $.Message }}`,
		`{{ $x := $.Message | $.Timestamp.Format }}`,
		`{{ $x := $.Event.DeepCopy }}`,
		`{{ with $.Event }}{{ $x := .DeepCopy }}{{ end }}`,
		`{{ $e := $.Event }}{{ $x := $e.DeepCopy }}`,
		`{{ $x := ($.Event).DeepCopy }}`,
	} {
		tmpl, err := template.Parse(&template.Spec{Text: loop9999(body)}, template.WithLimits(template.Limits{Work: 16 << 20}))
		require.NoError(t, err, body)
		_, err = tmpl.Render(d, nil)
		assert.ErrorIs(t, err, template.ErrWorkBudget, body)
	}

	// Methods still work, and fields of the data cost nothing extra.
	d = template.Sample()
	tmpl, err := template.Parse(&template.Spec{Text: `{{ .Timestamp.Year }} {{ with .Event }}{{ .Reason }}{{ end }} {{ .Event.InvolvedObject.Kind }} {{ .Metadata.revision }}`})
	require.NoError(t, err)
	m, err := tmpl.Render(d, nil)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d %s %s %s", d.Timestamp.Year(), d.Event.Reason, d.Event.InvolvedObject.Kind, d.Metadata["revision"]), m.Text)
}
