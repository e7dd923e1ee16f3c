package validate

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/dumpflow/dumpflow/pkg/blob/azureblob"
)

// Checks of one Deployment's pod: identity, security, probes, arguments,
// resources and the references it makes to other objects.

// Sizing the manifests must honour (docs/operations.md, "Sizing").
// workerBaseline is the worker's memory without dumps in flight (Go
// runtime, SDK clients): 64 MiB, a margin over the 16–26 MiB peak RSS the
// stream benchmark measured (docs/benchmarks.md). The Azure block buffers
// are one pool that every dump in flight shares (--upload-memory-mib,
// pkg/blob/azureblob.DefaultUploadMemory by default), whatever the
// concurrency; one dump takes at most Concurrency+1 blocks of it. Each
// dump in flight adds perDump more (its copy buffers, connections and
// requests): 4 MiB, a margin over the ≈ 2 MiB the Azurite benchmark
// measured per dump; the copy buffers of up to 16 dumps share a 12 MiB
// budget (pkg/worker copyBudget), at most 3 MiB for one dump.
const (
	workerBaseline     = 64 << 20
	perDump            = 4 << 20
	oneUpload          = (azureblob.DefaultConcurrency + 1) * azureblob.DefaultBlockSize
	defaultConcurrency = 4 // cmd/worker serve --concurrency default
	firstByteLimitSecs = 230
)

// externalSecrets may be referenced without being in the build: they are
// created out of band (docs/operations.md) so no secret is ever in Git.
var externalSecrets = map[string]bool{"dumpflow-webhook": true}

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
		mib, err := intFlag(c.Args, "--upload-memory-mib", azureblob.DefaultUploadMemory>>20)
		if err != nil || mib < azureblob.DefaultBlockSize>>20 {
			t.Errorf("%s: bad --upload-memory-mib (%v)", where, err)
			return
		}
		upload := int64(mib) << 20
		req := r.Requests[corev1.ResourceMemory]
		peak := workerBaseline + upload + int64(n)*perDump
		if lim.Value() < peak {
			t.Errorf("%s: memory limit %s below the worker's peak %d MiB (%d MiB baseline + %d MiB upload buffers + %d dumps × %d MiB)",
				where, lim.String(), peak>>20, workerBaseline>>20, mib, n, perDump>>20)
		}
		if one := int64(workerBaseline + min(upload, oneUpload) + perDump); req.Value() < one {
			t.Errorf("%s: memory request %s below one dump in flight (%d MiB)", where, req.String(), one>>20)
		}
		if n > 1 && upload < int64(2*n)*azureblob.DefaultBlockSize {
			t.Errorf("%s: --upload-memory-mib %d is less than two %d MiB blocks for each of --concurrency %d dumps: uploads would wait for buffers",
				where, mib, azureblob.DefaultBlockSize>>20, n)
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
