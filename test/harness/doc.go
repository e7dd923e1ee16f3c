// Package harness runs dumpflow's three services as real processes for the
// process-level tests and programs under test/: the demo (test/demo), the
// end-to-end tests (test/e2e) and the chaos run (test/chaos).
//
// It builds the binaries (Build), starts and stops them (Proc, Pipeline),
// generates the inputs a user would send (an Azure Monitor common-schema
// alert, a policy file), talks to ingest's HTTP API (Client), records the
// simulator's dump requests as they start (Recorder), waits for finished
// incident reports (WaitReport) and checks storage against the simulator's
// ground truth (Check).
//
// Everything here is test tooling: it is imported by test/ only, never by
// cmd/ or pkg/.
package harness
