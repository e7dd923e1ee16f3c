package main

import (
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

// exitCode is the status service.Main exits with for err.
func exitCode(err error) int { return (&service.CLI{Name: "kudusim"}).ExitCode(err, io.Discard) }
