// Package worker is the core of the dumpflow worker service: it turns one
// messages.CaptureJob into memory dumps in blob storage.
//
// For a job it discovers the site's instances, lists the processes on every
// instance in parallel (bounded), selects the targets (by default the app's
// w3wp that is neither the SCM site nor a webjob), and dumps each target with
// bounded fan-out, starting an instance's dumps as soon as it is listed. Every dump streams straight from Kudu into a blob Writer
// under the deterministic key from pkg/layout; its byte count, SHA-256 and
// minidump signature are checked while streaming, and a short or corrupt
// dump is aborted, never stored. Transient Kudu failures are retried with
// exponential backoff and jitter, honouring Retry-After.
//
// Direct dumps of one site run one at a time across every worker process,
// serialized by a blob lease on layout.SiteLockKey (docs/kudu.md: Kudu
// stages every dump of a site in one shared file), held from the request
// until Kudu's body has been read. Staged dumps have a configurable per-site
// limit. A global semaphore bounds the dumps in flight in one worker.
// Listing and kills are never serialized.
//
// Collect-kill kills a process only after its dump is verified and stored,
// never the SCM process, and within a per-site kill budget whose state is kept
// in blob storage under "state/" so that every worker shares it.
//
// The Engine is used by two front ends: Handler (the queue consumer's
// handler for `worker serve`) and Engine.Capture directly (`worker capture`).
//
// The engine talks to Kudu through the small Kudu interface defined here; the
// adapter over pkg/kudu lives in kuduadapter.go.
package worker
