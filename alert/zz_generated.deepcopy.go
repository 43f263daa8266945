// Code written by hand in the shape controller-gen's object generator
// produces. Keep it in step with the types: the tests in register_test.go
// fail when a field is added and not copied.

package alert

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *Alert) DeepCopyInto(out *Alert) {
	*out = *in
	out.TypeMeta = in.TypeMeta
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	in.Spec.DeepCopyInto(&out.Spec)
}

// DeepCopy returns a deep copy of the Alert, or nil for nil.
func (in *Alert) DeepCopy() *Alert {
	if in == nil {
		return nil
	}
	out := new(Alert)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *Alert) DeepCopyObject() runtime.Object {
	if c := in.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *AlertList) DeepCopyInto(out *AlertList) {
	*out = *in
	out.TypeMeta = in.TypeMeta
	in.ListMeta.DeepCopyInto(&out.ListMeta)
	if in.Items != nil {
		out.Items = make([]Alert, len(in.Items))
		for i := range in.Items {
			in.Items[i].DeepCopyInto(&out.Items[i])
		}
	}
}

// DeepCopy returns a deep copy of the AlertList, or nil for nil.
func (in *AlertList) DeepCopy() *AlertList {
	if in == nil {
		return nil
	}
	out := new(AlertList)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *AlertList) DeepCopyObject() runtime.Object {
	if c := in.DeepCopy(); c != nil {
		return c
	}
	return nil
}

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *Spec) DeepCopyInto(out *Spec) {
	*out = *in
	out.ProviderRef = in.ProviderRef
	in.EventSeverity.DeepCopyInto(&out.EventSeverity)
	if in.EventSources != nil {
		out.EventSources = make([]CrossNamespaceObjectReference, len(in.EventSources))
		for i := range in.EventSources {
			in.EventSources[i].DeepCopyInto(&out.EventSources[i])
		}
	}
	out.InclusionList = copyStrings(in.InclusionList)
	out.ExclusionList = copyStrings(in.ExclusionList)
	out.EventMetadata = copyStringMap(in.EventMetadata)
	out.Template = in.Template.DeepCopy()
	out.Delivery = in.Delivery.DeepCopy()
	out.Reasons = in.Reasons.DeepCopy()
}

// DeepCopy returns a deep copy of the Spec, or nil for nil.
func (in *Spec) DeepCopy() *Spec {
	if in == nil {
		return nil
	}
	out := new(Spec)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *CrossNamespaceObjectReference) DeepCopyInto(out *CrossNamespaceObjectReference) {
	*out = *in
	out.MatchLabels = copyStringMap(in.MatchLabels)
}

// DeepCopy returns a deep copy of the reference, or nil for nil.
func (in *CrossNamespaceObjectReference) DeepCopy() *CrossNamespaceObjectReference {
	if in == nil {
		return nil
	}
	out := new(CrossNamespaceObjectReference)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyInto copies the receiver into out. in must be non-nil.
func (in *EventSeverity) DeepCopyInto(out *EventSeverity) {
	*out = *in
	out.Values = copyStrings(in.Values)
}

// DeepCopy returns a deep copy of the EventSeverity, or nil for nil.
func (in *EventSeverity) DeepCopy() *EventSeverity {
	if in == nil {
		return nil
	}
	out := new(EventSeverity)
	in.DeepCopyInto(out)
	return out
}

func copyStrings(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	copy(out, in)
	return out
}

func copyStringMap(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}
