// Package e2e holds the process-level end-to-end tests of dumpflow: ingest,
// worker and analyzer are built and run as real processes (os/exec) on the
// embedded queue, with the Kudu simulator (test/kudusim/sim) in the test
// process and the blob store on the local directory backend or on Azurite.
// The tests are in *_test.go files; the shared tooling is test/harness.
package e2e
