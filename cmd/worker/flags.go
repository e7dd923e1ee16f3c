package main

import (
	"flag"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

// newFlags returns a flag set that reports errors instead of exiting.
// Every worker subcommand parses it with service.ParseNoArgs: every flag
// may also come from DUMPFLOW_<NAME>.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	return service.NewFlagSet("worker "+name, stderr)
}

// listFlag is a repeatable string flag.
type listFlag = service.ListFlag
