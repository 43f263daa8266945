package template_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fluxnotify/fluxnotify/template"
)

// Rendering is bounded: long content is cut with "…", a template that does
// too much work fails with an error naming the field, and the context
// stops a render.
func ExampleWithLimits() {
	tmpl, err := template.Parse(&template.Spec{
		Text:  "{{ .Message }}",
		Title: `{{ range until 99 }}{{ range until 100 }}{{ $h := sha256sum $.Message }}{{ end }}{{ end }}`,
	}, template.WithLimits(template.Limits{Work: 16 << 20}))
	if err != nil {
		fmt.Println(err)
		return
	}
	d := template.Sample()
	d.Message = strings.Repeat("&", 1<<20)
	_, err = tmpl.Render(d, template.EscapeSlack)
	fmt.Println(err)
	fmt.Println(errors.Is(err, template.ErrWorkBudget))

	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, err = tmpl.RenderContext(ctx, d, template.EscapeSlack)
	fmt.Println(errors.Is(err, context.DeadlineExceeded))

	tmpl, _ = template.Parse(&template.Spec{Text: "{{ .Message }}"})
	m, _ := tmpl.Render(d, template.EscapeSlack)
	fmt.Println(len(m.Text) <= template.MaxOutput, m.Text[len(m.Text)-8:])
	// Output:
	// title: template: title:1:61: template functions did more than 16777216 units of work: over the work budget
	// true
	// true
	// true &amp;…
}
