// Command demo runs the whole dumpflow pipeline on this machine, with only
// Go installed: it builds ingest, worker and analyzer, starts the Kudu
// simulator (several apps, several instances, real minidumps), runs the
// three services as child processes on the embedded backends (SQLite queue
// files and a directory of plain blob files) under a fresh data directory, posts an
// Azure Monitor metric alert (common alert schema) naming the simulated
// apps, waits for the incident report and prints where it is.
//
//	go run ./test/demo [--dir DIR] [--apps 3] [--instances 2] [--dump-size 8MiB] [--timeout 2m]
//
// It stops every service with SIGTERM before exiting: status 0 when the
// report is complete, 1 (with the reason on stderr) otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

func main() {
	service.Main("demo", func(ctx context.Context, args []string, stdout, _ io.Writer) error { return run(ctx, args, stdout) })
}

// options are the demo's flags.
type options struct {
	dir        string
	apps       int
	instances  int
	dumpSize   string
	timeoutStr string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.dir, "dir", "", "data directory (default: a new directory under the system's temporary directory)")
	fs.IntVar(&o.apps, "apps", 3, "simulated App Service apps")
	fs.IntVar(&o.instances, "instances", 2, "instances per app")
	fs.StringVar(&o.dumpSize, "dump-size", "8MiB", "size of each full memory dump")
	fs.StringVar(&o.timeoutStr, "timeout", "2m", "how long to wait for the report once the services run")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.apps < 1 || o.apps > 50 || o.instances < 1 || o.instances > 20 {
		return nil, fmt.Errorf("--apps must be 1..50 and --instances 1..20")
	}
	return o, nil
}
