// Package fielderr turns a Kubernetes field.ErrorList into an error whose
// text lists every problem and through which errors.As reaches each
// *field.Error. alert, provider and match share it.
package fielderr
