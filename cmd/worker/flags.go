package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	return service.NewFlagSet("worker "+name, stderr)
}

// parse parses args, then fills every flag not given on the command line
// from DUMPFLOW_<NAME> in env. Positional arguments are refused.
func parse(fs *flag.FlagSet, args []string, env func(string) string) error {
	pos, err := service.ParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	if err := service.FillFromEnv(fs, env); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

// listFlag is a repeatable string flag.
type listFlag = service.ListFlag
