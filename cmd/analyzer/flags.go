package main

import (
	"flag"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

// newFlags returns a flag set that reports errors instead of exiting. serve
// parses it with service.ParseNoArgs (every flag may also come from
// DUMPFLOW_<NAME>); the one-shot commands with service.Parse and no
// environment.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	return service.NewFlagSet("analyzer "+name, stderr)
}

// noEnv is the environment of the one-shot commands: their flags come
// from the command line only.
func noEnv(string) string { return "" }
