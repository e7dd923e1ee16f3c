// Command ingest is dumpflow's front door: it turns alert webhooks, manual
// capture requests and scheduled sweeps into incidents and CaptureJobs.
//
//	ingest parse FILE|-                      print the normalized alert as JSON
//	ingest plan --config FILE ALERT.json     print what the policies would do
//	ingest serve --listen ADDR --config FILE --queue URL --blob URL [--rules FILE]
//	ingest rules check FILE                   validate and print auto-heal rules
//	ingest rules import --file F | --site ID  import a site's autoHealRules
//
// main only wires; the core is pkg/ingest.
package main

import (
	"flag"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

// commands is the subcommand table.
var commands = map[string]service.Command{
	"parse": {Summary: "print the normalized alert of a webhook payload as JSON", Run: runParse},
	"plan":  {Summary: "print what the capture policies would do with an alert", Run: runPlan},
	"serve": {Summary: "run the ingest HTTP service, the scheduled sweeps and the auto-heal rules", Run: runServe},
	"rules": {Summary: "check a rules file, or import a site's auto-heal rules", Run: runRules},
}

// errUsage marks a usage error (exit status 2).
var errUsage = service.ErrUsage

// version is the release, set by the build (-ldflags "-X main.version=…").
var version = "dev"

// cli is the binary's subcommand table.
var cli = &service.CLI{Name: "ingest", Version: version, Commands: commands,
	Footer: "serve's flags may also be set as DUMPFLOW_<FLAG> environment variables (e.g. DUMPFLOW_CONFIG)."}

func main() { cli.Main() }

// run runs one subcommand (tests call it in-process).
var run = cli.Run

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	return service.NewFlagSet("ingest "+name, stderr)
}

// parseFlags parses args allowing flags after positional arguments; the
// one-shot subcommands read no environment.
var parseFlags = service.ParseArgs
