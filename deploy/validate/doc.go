// Package validate holds offline checks of dumpflow's deployment artifacts;
// it has no non-test code. Its tests run in the normal `go test ./...`
// without network access:
//
//   - Kubernetes: every kustomization under deploy/kubernetes (the base and
//     each overlay) is built with the kustomize Go module (krusty), and
//     every resulting object is decoded strictly (unknown or duplicate
//     fields fail, field names are case-sensitive) into the upstream
//     k8s.io/api types. KEDA's ScaledObject and TriggerAuthentication are
//     decoded into local mirror structs of the keda.sh/v1alpha1 fields
//     (see keda_types_test.go) because github.com/kedacore/keda/v2 pulls in
//     controller-runtime and every scaler's SDK. Security and consistency
//     properties are then asserted: non-root, read-only root filesystem,
//     no capabilities, seccomp RuntimeDefault, probes on /healthz and
//     /readyz, resources sized, references that resolve.
//   - Azure: the Bicep files are checked textually for what can be checked
//     without the Bicep compiler: every param has a @description, @secure
//     params have no default and never reach an output, no literal keys or
//     connection strings, module paths resolve, role ids are the built-in
//     ones, queue and storage settings match what the code expects, and the
//     resource type / api-version table in deploy/azure/README.md matches
//     the files (regenerate it with `go test ./deploy/validate -run
//     TestAPIVersionsTable -update`).
//   - Images: deploy/docker/Dockerfile builds static, non-root images with
//     OCI labels, one target per service, named as the manifests expect.
package validate
