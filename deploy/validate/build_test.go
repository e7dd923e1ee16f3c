package validate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kubeDir is deploy/kubernetes relative to this package.
const kubeDir = "../kubernetes"

// object is one resource of a kustomize build, decoded strictly.
type object struct {
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
	JSON       []byte // the object as JSON, for text checks
	Value      any    // pointer to the typed object (see newTyped)
}

// newTyped returns a pointer to the Go type an apiVersion/kind decodes
// into, or false when the kind is not one dumpflow's manifests may use.
func newTyped(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/Namespace":
		return &corev1.Namespace{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "keda.sh/v1alpha1/ScaledObject":
		return &kedaScaledObject{}, true
	case "keda.sh/v1alpha1/TriggerAuthentication":
		return &kedaTriggerAuthentication{}, true
	}
	return nil, false
}

// errUnknownKind reports a kind with no registered Go type.
var errUnknownKind = errors.New("kind not allowed in dumpflow manifests")

// decodeStrict turns one YAML document into its typed object. Duplicate
// keys, unknown fields and case-mismatched field names are errors.
func decodeStrict(doc []byte) (object, error) {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return object{}, fmt.Errorf("yaml: %w", err)
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(js, &meta); err != nil {
		return object{}, fmt.Errorf("type meta: %w", err)
	}
	v, ok := newTyped(meta.APIVersion, meta.Kind)
	if !ok {
		return object{}, fmt.Errorf("%s %s/%s: %w", meta.APIVersion, meta.Kind, meta.Metadata.Name, errUnknownKind)
	}
	strict, err := sigsjson.UnmarshalStrict(js, v, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return object{}, fmt.Errorf("%s/%s: %w", meta.Kind, meta.Metadata.Name, err)
	}
	if len(strict) > 0 {
		return object{}, fmt.Errorf("%s/%s: strict decoding: %w", meta.Kind, meta.Metadata.Name, errors.Join(strict...))
	}
	return object{
		APIVersion: meta.APIVersion,
		Kind:       meta.Kind,
		Name:       meta.Metadata.Name,
		Namespace:  meta.Metadata.Namespace,
		JSON:       js,
		Value:      v,
	}, nil
}

// build runs kustomize over dir (on disk) and decodes every object.
func build(dir string) ([]object, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var objs []object
	for _, r := range rm.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		o, err := decodeStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

// kustomizations lists the base and every overlay, relative to this
// package: base first, then overlays in name order.
func kustomizations(t *testing.T) (base string, overlays []string) {
	t.Helper()
	base = filepath.Join(kubeDir, "base")
	if _, err := os.Stat(filepath.Join(base, "kustomization.yaml")); err != nil {
		t.Fatalf("kustomize base missing: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(kubeDir, "overlays"))
	if err != nil {
		t.Fatalf("overlays: %v", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			overlays = append(overlays, filepath.Join(kubeDir, "overlays", e.Name()))
		}
	}
	sort.Strings(overlays)
	if len(overlays) == 0 {
		t.Fatal("no overlay under deploy/kubernetes/overlays")
	}
	return base, overlays
}

// index finds objects by kind and name.
type index map[string]object

func newIndex(objs []object) index {
	ix := index{}
	for _, o := range objs {
		ix[o.Kind+"/"+o.Name] = o
	}
	return ix
}

func (ix index) get(kind, name string) (object, bool) {
	o, ok := ix[kind+"/"+name]
	return o, ok
}

func (ix index) ofKind(kind string) []object {
	var out []object
	for _, o := range ix {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
