package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("analyzer "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args with flags and positional arguments in any order,
// fills every flag not given from DUMPFLOW_<NAME> in env, and returns the
// positional arguments.
func parse(fs *flag.FlagSet, args []string, env func(string) string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := service.FillFromEnv(fs, env); err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	return pos, nil
}
