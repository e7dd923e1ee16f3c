// Command worker captures memory dumps of App Service apps through Kudu and
// streams them to blob storage.
//
//	worker serve   [--queue URL] [--blob URL] [--listen ADDR] …   consume CaptureJobs
//	worker capture --app RESOURCE_ID [--app …] --blob URL …       one-shot capture
//
// Every flag may also come from the environment as DUMPFLOW_<FLAG> (upper
// case, '-' as '_'; repeated flags comma-separated), e.g. DUMPFLOW_BLOB.
// main only wires; the core is pkg/worker.
package main

import (
	"errors"

	"github.com/dumpflow/dumpflow/pkg/service"
)

var commands = map[string]service.Command{
	"serve":   {Summary: "consume CaptureJobs from the queue and capture them", Run: runServe},
	"capture": {Summary: "capture dumps of apps now, without a queue (for on-call hands)", Run: runCapture},
	"dlq":     {Summary: "list or resubmit dead-lettered messages of a queue", Run: dlqCLI.Run},
}

// errUsage marks a usage error (exit status 2).
var errUsage = service.ErrUsage

// errTargetsFailed is returned by capture when any target failed (exit 1,
// no extra message: the summary says what failed).
var errTargetsFailed = errors.New("some targets failed")

// version is the release, set by the build (-ldflags "-X main.version=…").
var version = "dev"

// cli is the binary's subcommand table.
var cli = &service.CLI{Name: "worker", Version: version, Commands: commands, Quiet: []error{errTargetsFailed},
	Footer: "Flags may also be set as DUMPFLOW_<FLAG> environment variables (e.g. DUMPFLOW_BLOB)."}

func main() { cli.Main() }

// run runs one subcommand (tests call it in-process).
var run = cli.Run
