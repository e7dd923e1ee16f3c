package validate

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// services are the three binaries: name → HTTP flag and queue it consumes
// ("" for ingest, which consumes none).
var services = map[string]struct {
	flag  string
	queue string
}{
	"ingest":   {flag: "--listen"},
	"worker":   {flag: "--listen", queue: "captures"},
	"analyzer": {flag: "--listen", queue: "analysis"},
}

func TestKustomizeBuildsDecodeStrictly(t *testing.T) {
	base, overlays := kustomizations(t)
	for _, dir := range append([]string{base}, overlays...) {
		t.Run(dir, func(t *testing.T) {
			objs, err := build(dir)
			if err != nil {
				t.Fatal(err)
			}
			ix := newIndex(objs)
			checkInventory(t, ix)
			for _, o := range ix.ofKind("Deployment") {
				checkDeployment(t, ix, o.Value.(*appsv1.Deployment))
			}
			checkService(t, ix)
			checkPDBs(t, ix)
			checkKEDA(t, ix)
			if dir != base {
				checkOverlay(t, objs)
			}
		})
	}
}

// checkInventory asserts the build holds every object the services need.
func checkInventory(t *testing.T, ix index) {
	t.Helper()
	want := []string{
		"Deployment/dumpflow-ingest", "Deployment/dumpflow-worker", "Deployment/dumpflow-analyzer",
		"Service/dumpflow-ingest",
		"ServiceAccount/dumpflow-ingest", "ServiceAccount/dumpflow-worker", "ServiceAccount/dumpflow-analyzer",
		"PodDisruptionBudget/dumpflow-ingest", "PodDisruptionBudget/dumpflow-worker", "PodDisruptionBudget/dumpflow-analyzer",
		"ScaledObject/dumpflow-worker", "ScaledObject/dumpflow-analyzer",
		"TriggerAuthentication/dumpflow-servicebus",
	}
	for _, k := range want {
		if _, ok := ix[k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
	if n := len(ix.ofKind("ConfigMap")); n != 2 {
		t.Errorf("got %d ConfigMaps, want 2 (policies, backends)", n)
	}
}

func checkService(t *testing.T, ix index) {
	t.Helper()
	o, ok := ix.get("Service", "dumpflow-ingest")
	if !ok {
		return
	}
	s := o.Value.(*corev1.Service)
	d, ok := ix.get("Deployment", "dumpflow-ingest")
	if !ok {
		return
	}
	dep := d.Value.(*appsv1.Deployment)
	if !labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(dep.Spec.Template.Labels)) || len(s.Spec.Selector) == 0 {
		t.Errorf("Service/dumpflow-ingest: selector %v does not select the ingest pods", s.Spec.Selector)
	}
	for _, p := range s.Spec.Ports {
		if !portOK(dep.Spec.Template.Spec.Containers[0], p.TargetPort.StrVal, p.TargetPort.IntVal) {
			t.Errorf("Service/dumpflow-ingest: targetPort %s is not an ingest container port", p.TargetPort.String())
		}
	}
}

func checkPDBs(t *testing.T, ix index) {
	t.Helper()
	for _, o := range ix.ofKind("PodDisruptionBudget") {
		p := o.Value.(*policyv1.PodDisruptionBudget)
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err != nil || sel.Empty() {
			t.Errorf("PodDisruptionBudget/%s: bad or empty selector (%v)", p.Name, err)
			continue
		}
		n := 0
		for _, d := range ix.ofKind("Deployment") {
			if sel.Matches(labels.Set(d.Value.(*appsv1.Deployment).Spec.Template.Labels)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("PodDisruptionBudget/%s selects %d Deployments, want 1", p.Name, n)
		}
		if (p.Spec.MinAvailable == nil) == (p.Spec.MaxUnavailable == nil) {
			t.Errorf("PodDisruptionBudget/%s: set exactly one of minAvailable, maxUnavailable", p.Name)
		}
	}
}

func checkKEDA(t *testing.T, ix index) {
	t.Helper()
	for _, o := range ix.ofKind("ScaledObject") {
		so := o.Value.(*kedaScaledObject)
		where := "ScaledObject/" + so.Name
		ref := so.Spec.ScaleTargetRef
		if ref == nil || (ref.Kind != "" && ref.Kind != "Deployment") {
			t.Errorf("%s: scaleTargetRef must name a Deployment", where)
			continue
		}
		if _, ok := ix.get("Deployment", ref.Name); !ok {
			t.Errorf("%s: target Deployment %q not in the build", where, ref.Name)
		}
		svc, ok := services[strings.TrimPrefix(ref.Name, "dumpflow-")]
		if !ok || svc.queue == "" {
			t.Errorf("%s: %s is not a queue consumer", where, ref.Name)
			continue
		}
		if so.Spec.MinReplicaCount == nil || *so.Spec.MinReplicaCount != 0 {
			t.Errorf("%s: minReplicaCount must be 0 (scale to zero)", where)
		}
		if so.Spec.MaxReplicaCount == nil || *so.Spec.MaxReplicaCount < 1 {
			t.Errorf("%s: maxReplicaCount must be >= 1", where)
		}
		if len(so.Spec.Triggers) != 1 {
			t.Errorf("%s: want one trigger, got %d", where, len(so.Spec.Triggers))
			continue
		}
		tr := so.Spec.Triggers[0]
		if tr.Type != "azure-servicebus" {
			t.Errorf("%s: trigger type %q, want azure-servicebus", where, tr.Type)
		}
		if tr.Metadata["queueName"] != svc.queue {
			t.Errorf("%s: queueName %q, want %q", where, tr.Metadata["queueName"], svc.queue)
		}
		if tr.Metadata["namespace"] == "" || strings.Contains(tr.Metadata["namespace"], ".") {
			t.Errorf("%s: metadata.namespace %q must be the bare Service Bus namespace name", where, tr.Metadata["namespace"])
		}
		if _, ok := tr.Metadata["connectionFromEnv"]; ok {
			t.Errorf("%s: connection strings are not used; authenticate with workload identity", where)
		}
		if tr.AuthenticationRef == nil {
			t.Errorf("%s: no authenticationRef", where)
			continue
		}
		ta, ok := ix.get("TriggerAuthentication", tr.AuthenticationRef.Name)
		if !ok {
			t.Errorf("%s: TriggerAuthentication %q not in the build", where, tr.AuthenticationRef.Name)
			continue
		}
		pi := ta.Value.(*kedaTriggerAuthentication).Spec.PodIdentity
		if pi == nil || pi.Provider != "azure-workload" || pi.IdentityID == nil || *pi.IdentityID == "" {
			t.Errorf("%s: TriggerAuthentication %s must use podIdentity azure-workload with an identityId", where, ta.Name)
		}
	}
}

// checkOverlay asserts an installable build: every placeholder replaced,
// every image from a registry with a version tag, one namespace.
func checkOverlay(t *testing.T, objs []object) {
	t.Helper()
	ns := ""
	for _, o := range objs {
		if bytes.Contains(o.JSON, []byte("replace-me")) {
			t.Errorf("%s/%s: still contains a replace-me placeholder", o.Kind, o.Name)
		}
		if o.Kind == "Namespace" {
			continue
		}
		if ns == "" {
			ns = o.Namespace
		}
		if o.Namespace == "" || o.Namespace != ns {
			t.Errorf("%s/%s: namespace %q, want every object in one namespace (%q)", o.Kind, o.Name, o.Namespace, ns)
		}
		if d, ok := o.Value.(*appsv1.Deployment); ok {
			img := d.Spec.Template.Spec.Containers[0].Image
			if !strings.Contains(img, "/") || !strings.Contains(img[strings.LastIndex(img, "/"):], ":") {
				t.Errorf("%s: image %q must be REGISTRY/NAME:TAG", d.Name, img)
			}
		}
	}
}

func TestDecodeStrictRejects(t *testing.T) {
	const good = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n"
	if _, err := decodeStrict([]byte(good)); err != nil {
		t.Fatalf("valid object rejected: %v", err)
	}
	for name, doc := range map[string]string{
		"unknown field":   good + "automountServiceAcountToken: false\n",
		"duplicate field": good + "automountServiceAccountToken: false\nautomountServiceAccountToken: true\n",
		"wrong case":      good + "AutomountServiceAccountToken: false\n",
		"unknown kind":    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n",
		"keda status":     "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: a\nspec:\n  scaleTargetRef: {name: a}\n  triggers: []\nstatus: {}\n",
		"keda typo":       "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata:\n  name: a\nspec:\n  podIdentity: {provider: azure-workload, identityID: x}\n",
		"bad quantity":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {a: 1}\nbinaryData: {b: \"!!\"}\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeStrict([]byte(doc)); err == nil {
				t.Errorf("accepted:\n%s", doc)
			} else if name == "unknown kind" && !errors.Is(err, errUnknownKind) {
				t.Errorf("got %v, want errUnknownKind", err)
			}
		})
	}
}
