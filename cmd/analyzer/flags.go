package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	return service.NewFlagSet("analyzer "+name, stderr)
}

// parse parses args with flags and positional arguments in any order,
// fills every flag not given from DUMPFLOW_<NAME> in env, and returns the
// positional arguments.
func parse(fs *flag.FlagSet, args []string, env func(string) string) ([]string, error) {
	pos, err := service.ParseArgs(fs, args)
	if err != nil {
		return nil, err
	}
	if err := service.FillFromEnv(fs, env); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return pos, nil
}
