// Command kudusim runs the Kudu simulator (package sim) as a program, or
// writes one generated minidump:
//
//	kudusim --addr 127.0.0.1:0 --apps N --instances M --dump-size 64MiB [flags]
//	kudusim write-dump --size 1GiB --type full OUT.dmp
//
// The server prints "kudusim listening on http://HOST:PORT" as its first
// stdout line and serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

func main() { service.Main("kudusim", run) }

// run dispatches to the write-dump subcommand or the server.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "write-dump" {
		return writeDump(args[1:], stdout, stderr)
	}
	return serve(ctx, args, stdout, stderr)
}
