package provider_test

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fluxnotify/fluxnotify/provider"
)

// Resolve a Provider's webhook URL from Secrets loaded from files. Printing
// Credentials never shows a secret.
func ExampleResolve() {
	p := &provider.Provider{
		ObjectMeta: metav1.ObjectMeta{Name: "slack", Namespace: "flux-system"},
		Spec: provider.Spec{
			Type:      "slack",
			SecretRef: &corev1.LocalObjectReference{Name: "slack-url"},
		},
	}
	secrets := provider.StaticSecrets(corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "slack-url", Namespace: "flux-system"},
		StringData: map[string]string{"url": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXX"},
	})

	creds, err := provider.Resolve(context.Background(), p, secrets)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(creds)

	// A Secret that is missing is an error naming the provider and field.
	_, err = provider.Resolve(context.Background(), p, provider.StaticSecrets())
	fmt.Println(err)
	// Output:
	// Credentials{address=https://hooks.slack.com/<redacted>}
	// provider flux-system/slack: spec.secretRef: secret flux-system/slack-url: secret not found
}

// Classify an HTTP answer: 429 and 5xx are retried, honouring Retry-After.
func ExampleClassifyResponse() {
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": []string{"30"}}}
	err := provider.ClassifyResponse(resp, []byte("rate_limited"))
	fmt.Println(err, provider.IsRetryable(err))
	// Output:
	// status 429: rate_limited (retry after 30s) true
}
