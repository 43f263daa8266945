package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify"
	"github.com/fluxnotify/fluxnotify/provider"
)

var sendCommand = command{
	name:     "send",
	synopsis: "-f PATH [-f PATH ...] --event FILE [--secret ns/name=URL ...] [--labels k=v,...] [--substitute KEY=VALUE ...] [--mode extended|flux] [--retries N] [-o json|text]",
	about: `Send delivers the event for real to the provider of every alert it matches,
reading webhook URLs and tokens from the Secrets in the manifests, and prints
one result per alert: delivered, or failed with the reason. Secrets never
appear in the output. It exits 1 when a delivery failed.

A Secret that is SOPS-encrypted in the repository cannot be read: decrypt it
(sops -d secret.yaml > plain.yaml, then -f plain.yaml), or give the webhook
URL with --secret namespace/name=URL, which stands for that Secret.
-f and --substitute read manifests as route does.`,
	examples: `  fluxnotify send -f testdata/manifests --secret flux-system/slack-url=https://hooks.slack.com/services/T000/B000/XXXX --event testdata/events/health-check-failed.json --retries 0 -o text
  fluxnotify send -f testdata/repos/home-ops/kubernetes/apps/flux-system/notifications --substitute DEPLOYMENTS_WEBHOOK=https://hooks.slack.com/services/T000/B000/XXXX --secret flux-system/slack-webhook=https://hooks.slack.com/services/T000/B000/YYYY --event testdata/events/health-check-failed.json
`,
}

// sendOutput is what send prints as JSON.
type sendOutput struct {
	Results []resultJSON `json:"results"`
}

type resultJSON struct {
	Alert     string `json:"alert"`
	Provider  string `json:"provider"`
	Type      string `json:"type"`
	Channel   string `json:"channel"`
	Delivered bool   `json:"delivered"`
	Attempts  int    `json:"attempts"`
	Duration  string `json:"duration"`
	Error     string `json:"error,omitempty"`
}

func (c *cli) send(ctx context.Context, args []string) int {
	fs := c.newFlagSet(sendCommand)
	var f dryRunFlags
	f.register(fs)
	var m messageFlags
	m.register(fs)
	secrets := secretsFlag{}
	fs.Var(secrets, "secret", "a Secret holding a webhook URL, as `namespace/name=URL`, replacing that Secret of the manifests (repeatable)")
	retries := fs.Int("retries", provider.DefaultRetryPolicy().Retries, "retries of a failed delivery (429, 5xx, network errors), with Flux's backoff")
	output := fs.String("o", "json", "output `format`: json or text")
	if code, done := c.parse(sendCommand, fs, args); done {
		return code
	}
	if *output != "json" && *output != "text" {
		return c.fail("send", badInput("-o %q: want json or text", *output))
	}
	if *retries < 0 {
		return c.fail("send", badInput("--retries %d: must not be negative", *retries))
	}
	opts, err := f.options()
	if err != nil {
		return c.fail("send", err)
	}
	if err := f.checkStdin(); err != nil {
		return c.fail("send", err)
	}
	opts = append(opts, m.options()...)
	policy := provider.DefaultRetryPolicy()
	policy.Retries = *retries
	opts = append(opts,
		fluxnotify.WithRetryPolicy(policy),
		fluxnotify.WithDedupWindow(0),
		fluxnotify.WithLogger(slog.New(slog.DiscardHandler)), // results are printed instead
	)
	if len(f.labels) > 0 {
		opts = append(opts, fluxnotify.WithLabeler(staticLabels(f.labels)))
	}
	e, err := c.readEvent(f.event, f.mode)
	if err != nil {
		return c.fail("send", err)
	}
	cfg, err := f.load(c)
	if err != nil {
		return c.fail("send", err)
	}
	opts = append(opts, fluxnotify.WithSecrets(secretGetter(cfg, secrets)))
	d, err := newDispatcher(cfg, opts...)
	if err != nil {
		return c.fail("send", err)
	}
	defer d.Shutdown(context.Background())

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := d.Dispatch(ctx, e)
	if err != nil && len(results) == 0 {
		return c.fail("send", err)
	}
	out := sendOutput{Results: []resultJSON{}}
	for _, r := range results {
		rj := resultJSON{
			Alert: r.Alert, Provider: r.Provider, Type: r.Type, Channel: r.Channel,
			Delivered: r.Delivered(), Attempts: r.Attempts, Duration: r.Duration.Round(time.Millisecond).String(),
		}
		if r.Err != nil {
			rj.Error = r.Err.Error()
		}
		out.Results = append(out.Results, rj)
	}
	if *output == "text" {
		writeResultTable(c.stdout, out)
	} else if err := writeJSON(c.stdout, out); err != nil {
		return c.fail("send", err)
	}
	if len(results) == 0 {
		fmt.Fprintln(c.stderr, "fluxnotify send: the event matches no alert; nothing was sent (see \"fluxnotify route\" for why)")
	}
	if err != nil {
		return exitFailed
	}
	return exitOK
}

func writeResultTable(w io.Writer, out sendOutput) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERT\tPROVIDER\tCHANNEL\tRESULT\tATTEMPTS\tDURATION")
	for _, r := range out.Results {
		result := "delivered"
		if !r.Delivered {
			result = r.Error
		}
		channel := r.Channel
		if channel == "" {
			channel = "(webhook default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Alert, r.Provider, channel, result, r.Attempts, r.Duration)
	}
	_ = tw.Flush()
}

// secretsFlag parses --secret namespace/name=URL.
type secretsFlag map[string]string

func (f secretsFlag) String() string {
	return strings.Join(slices.Sorted(maps.Keys(f)), ",") // the URLs are secret
}

func (f secretsFlag) Set(v string) error {
	ref, url, ok := strings.Cut(v, "=")
	ns, name, okRef := strings.Cut(ref, "/")
	if !ok || !okRef || ns == "" || name == "" || url == "" {
		return errors.New("want namespace/name=URL")
	}
	f[ns+"/"+name] = url
	return nil
}

// secretGetter reads the Secrets of cfg and of --secret (which win), and
// says so when a missing Secret is one that loading skipped as
// SOPS-encrypted.
func secretGetter(cfg *fluxnotify.Config, overrides secretsFlag) provider.SecretGetter {
	var secrets []corev1.Secret
	for _, s := range cfg.Secrets {
		if _, ok := overrides[s.Namespace+"/"+s.Name]; !ok {
			secrets = append(secrets, s)
		}
	}
	for _, ref := range slices.Sorted(maps.Keys(overrides)) {
		ns, name, _ := strings.Cut(ref, "/")
		secrets = append(secrets, corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Data:       map[string][]byte{"address": []byte(overrides[ref])},
		})
	}
	encrypted := map[string]bool{}
	for _, s := range cfg.Skipped {
		if ref, ok := strings.CutPrefix(s.Object, "Secret "); ok && strings.Contains(strings.ToLower(s.Reason), "sops") {
			encrypted[ref] = true
		}
	}
	static := provider.StaticSecrets(secrets...)
	return provider.SecretGetterFunc(func(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
		s, err := static.GetSecret(ctx, namespace, name)
		if errors.Is(err, provider.ErrSecretNotFound) && encrypted[namespace+"/"+name] {
			return nil, &sopsError{ref: namespace + "/" + name}
		}
		return s, err
	})
}

// sopsError is the answer for a Secret that is in the manifests but
// SOPS-encrypted.
type sopsError struct{ ref string }

func (e *sopsError) Error() string {
	return fmt.Sprintf("Secret %s is SOPS-encrypted: decrypt it or pass --secret %s=URL", e.ref, e.ref)
}

// Unwrap makes the error a provider.ErrSecretNotFound: the Secret could
// not be read.
func (e *sopsError) Unwrap() error { return provider.ErrSecretNotFound }
