package validate

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/dumpflow/dumpflow/pkg/blob/azureblob"
)

// Sizing the manifests must honour (docs/operations.md, "Sizing").
// workerBaseline is the worker's memory without upload buffers (Go
// runtime, SDK clients, HTTP and hashing buffers): ASSUMED 64 MiB until the
// worker benchmark confirms it. Each dump in flight adds one blob writer's
// buffers, (Concurrency+1) × BlockSize of pkg/blob/azureblob.
const (
	workerBaseline     = 64 << 20
	uploadBuffers      = (azureblob.DefaultConcurrency + 1) * azureblob.DefaultBlockSize
	defaultConcurrency = 4 // cmd/worker serve --concurrency default
	firstByteLimitSecs = 230
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

// externalSecrets may be referenced without being in the build: they are
// created out of band (docs/operations.md) so no secret is ever in Git.
var externalSecrets = map[string]bool{"dumpflow-webhook": true}

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

func checkDeployment(t *testing.T, ix index, d *appsv1.Deployment) {
	t.Helper()
	name := strings.TrimPrefix(d.Name, "dumpflow-")
	svc, ok := services[name]
	if !ok {
		t.Errorf("Deployment %s: not one of the dumpflow services", d.Name)
		return
	}
	pod := d.Spec.Template.Spec
	where := "Deployment/" + d.Name

	// Selector must select the pod template.
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: selector %v does not match the pod template labels %v (%v)", where, d.Spec.Selector, d.Spec.Template.Labels, err)
	}

	// Identity: its own workload-identity ServiceAccount, no API token.
	if pod.ServiceAccountName != d.Name {
		t.Errorf("%s: serviceAccountName %q, want %q", where, pod.ServiceAccountName, d.Name)
	}
	if o, ok := ix.get("ServiceAccount", pod.ServiceAccountName); !ok {
		t.Errorf("%s: ServiceAccount %q not in the build", where, pod.ServiceAccountName)
	} else if sa := o.Value.(*corev1.ServiceAccount); sa.Annotations["azure.workload.identity/client-id"] == "" {
		t.Errorf("%s: ServiceAccount %s lacks azure.workload.identity/client-id", where, sa.Name)
	}
	if d.Spec.Template.Labels["azure.workload.identity/use"] != "true" {
		t.Errorf("%s: pod template lacks label azure.workload.identity/use=true", where)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken must be false", where)
	}

	// Pod security.
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("%s: pod securityContext.runAsNonRoot must be true", where)
	}
	if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod securityContext.runAsUser must be a non-zero numeric user", where)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccompProfile must be RuntimeDefault", where)
	}
	if pod.HostNetwork || pod.HostPID || pod.HostIPC {
		t.Errorf("%s: host namespaces must not be shared", where)
	}
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
		t.Fatalf("%s: want exactly one container, got %d (+%d init)", where, len(pod.Containers), len(pod.InitContainers))
	}
	c := pod.Containers[0]
	checkContainerSecurity(t, where, c)
	checkProbes(t, where, c)
	checkArgs(t, where, c, svc.flag)
	checkResources(t, where, name, c)
	checkConfigRefs(t, ix, where, pod)

	// KEDA owns the replica count of the queue consumers.
	if svc.queue != "" {
		if d.Spec.Replicas != nil {
			t.Errorf("%s: spec.replicas set; KEDA owns it", where)
		}
	} else if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("%s: ingest needs at least 2 replicas", where)
	}
	if name == "worker" && (pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < firstByteLimitSecs) {
		t.Errorf("%s: terminationGracePeriodSeconds must cover one direct dump (>= %d s)", where, firstByteLimitSecs)
	}
}

func checkContainerSecurity(t *testing.T, where string, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("%s: container %s has no securityContext", where, c.Name)
		return
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem must be true", where)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation must be false", where)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Errorf("%s: privileged", where)
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		t.Errorf("%s: container runs as root", where)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities must drop ALL and add none", where)
	}
	if c.Image == "" || strings.HasSuffix(c.Image, ":latest") {
		t.Errorf("%s: image %q must be set and not :latest", where, c.Image)
	}
}

// portOK reports whether a probe or Service port names a container port.
func portOK(c corev1.Container, name string, num int32) bool {
	for _, p := range c.Ports {
		if (name != "" && p.Name == name) || (name == "" && p.ContainerPort == num) {
			return true
		}
	}
	return false
}

func checkProbes(t *testing.T, where string, c corev1.Container) {
	t.Helper()
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		path  string
	}{
		{"startupProbe", c.StartupProbe, "/healthz"},
		{"livenessProbe", c.LivenessProbe, "/healthz"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: %s must be an httpGet probe", where, p.kind)
			continue
		}
		g := p.probe.HTTPGet
		if g.Path != p.path {
			t.Errorf("%s: %s path %q, want %q", where, p.kind, g.Path, p.path)
		}
		if !portOK(c, g.Port.StrVal, g.Port.IntVal) {
			t.Errorf("%s: %s port %s is not a container port", where, p.kind, g.Port.String())
		}
	}
}

// checkArgs asserts `serve` with the service's HTTP flag bound to the
// container port.
func checkArgs(t *testing.T, where string, c corev1.Container, flag string) {
	t.Helper()
	if len(c.Command) != 0 {
		t.Errorf("%s: command overrides the image entrypoint", where)
	}
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Errorf("%s: args %v must start with serve", where, c.Args)
		return
	}
	i := slices.Index(c.Args, flag)
	if i < 0 || i+1 >= len(c.Args) {
		t.Errorf("%s: args %v lack %s ADDR", where, c.Args, flag)
		return
	}
	var port int32
	if _, err := fmt.Sscanf(c.Args[i+1], ":%d", &port); err != nil || !portOK(c, "", port) {
		t.Errorf("%s: %s %s does not bind a declared container port", where, flag, c.Args[i+1])
	}
	for _, f := range []string{"--queue=", "--blob="} {
		j := slices.IndexFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, f) })
		if j < 0 {
			t.Errorf("%s: args %v lack %sURL", where, c.Args, f)
			continue
		}
		v := strings.TrimPrefix(c.Args[j], f)
		if ref, ok := strings.CutPrefix(v, "$("); ok {
			name := strings.TrimSuffix(ref, ")")
			if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name }) {
				t.Errorf("%s: %s refers to $(%s), which is not in the container env", where, c.Args[j], name)
			}
		}
	}
}

// intFlag returns the value of --name N or --name=N in args, or def.
func intFlag(args []string, name string, def int) (int, error) {
	for i, a := range args {
		v, ok := strings.CutPrefix(a, name+"=")
		if !ok && a == name && i+1 < len(args) {
			v, ok = args[i+1], true
		}
		if ok {
			var n int
			if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
				return 0, fmt.Errorf("%s %q: %w", name, v, err)
			}
			return n, nil
		}
	}
	return def, nil
}

func checkResources(t *testing.T, where, name string, c corev1.Container) {
	t.Helper()
	r := c.Resources
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := r.Requests[res]
		lim, okLim := r.Limits[res]
		if !okReq || !okLim {
			t.Errorf("%s: %s request and limit must both be set", where, res)
			continue
		}
		if req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s exceeds limit %s", where, res, req.String(), lim.String())
		}
	}
	lim := r.Limits[corev1.ResourceMemory]
	if gml := envValue(c, "GOMEMLIMIT"); gml == "" {
		t.Errorf("%s: GOMEMLIMIT unset (the GC needs the soft limit below the container limit)", where)
	} else if q, err := parseGoMemLimit(gml); err != nil {
		t.Errorf("%s: %v", where, err)
	} else if q.Cmp(lim) >= 0 {
		t.Errorf("%s: GOMEMLIMIT %s must be below the memory limit %s", where, gml, lim.String())
	}
	if name == "worker" {
		n, err := intFlag(c.Args, "--concurrency", defaultConcurrency)
		if err != nil || n < 1 {
			t.Errorf("%s: bad --concurrency (%v)", where, err)
			return
		}
		req := r.Requests[corev1.ResourceMemory]
		peak := int64(workerBaseline + n*uploadBuffers)
		if lim.Value() < peak {
			t.Errorf("%s: memory limit %s below the worker's peak %d MiB (%d MiB baseline + %d dumps × %d MiB upload buffers)",
				where, lim.String(), peak>>20, workerBaseline>>20, n, uploadBuffers>>20)
		}
		if one := int64(workerBaseline + uploadBuffers); req.Value() < one {
			t.Errorf("%s: memory request %s below one dump in flight (%d MiB)", where, req.String(), one>>20)
		}
	}
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// parseGoMemLimit parses GOMEMLIMIT's syntax (B, KiB, MiB, GiB suffixes).
func parseGoMemLimit(s string) (resource.Quantity, error) {
	for _, suf := range []string{"KiB", "MiB", "GiB"} {
		if n, ok := strings.CutSuffix(s, suf); ok {
			return resource.ParseQuantity(n + strings.TrimSuffix(suf, "B"))
		}
	}
	q, err := resource.ParseQuantity(strings.TrimSuffix(s, "B"))
	if err != nil {
		return q, fmt.Errorf("GOMEMLIMIT %q: %w", s, err)
	}
	return q, nil
}

// checkConfigRefs asserts every ConfigMap the pod uses is in the build and
// every Secret is either in the build or a documented external secret.
func checkConfigRefs(t *testing.T, ix index, where string, pod corev1.PodSpec) {
	t.Helper()
	c := pod.Containers[0]
	needCM := func(name string, keys ...string) {
		o, ok := ix.get("ConfigMap", name)
		if !ok {
			t.Errorf("%s: ConfigMap %q not in the build", where, name)
			return
		}
		cm := o.Value.(*corev1.ConfigMap)
		for _, k := range keys {
			if _, ok := cm.Data[k]; !ok {
				t.Errorf("%s: ConfigMap %s lacks key %s", where, name, k)
			}
		}
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			needCM(ef.ConfigMapRef.Name)
		}
		if ef.SecretRef != nil && !externalSecrets[ef.SecretRef.Name] {
			t.Errorf("%s: Secret %q is not a documented external secret", where, ef.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
			needCM(e.ValueFrom.ConfigMapKeyRef.Name, e.ValueFrom.ConfigMapKeyRef.Key)
		}
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !externalSecrets[e.ValueFrom.SecretKeyRef.Name] {
			t.Errorf("%s: Secret %q is not a documented external secret", where, e.ValueFrom.SecretKeyRef.Name)
		}
		if strings.Contains(strings.ToUpper(e.Name), "TOKEN") && e.Value != "" {
			t.Errorf("%s: env %s carries a literal value; use a secretKeyRef", where, e.Name)
		}
	}
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounted[m.Name] = true
	}
	for _, v := range pod.Volumes {
		if !mounted[v.Name] {
			t.Errorf("%s: volume %s is not mounted", where, v.Name)
		}
		if v.ConfigMap != nil {
			needCM(v.ConfigMap.Name)
		}
		if v.HostPath != nil {
			t.Errorf("%s: hostPath volume %s", where, v.Name)
		}
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
