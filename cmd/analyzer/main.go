// Command analyzer analyzes Windows minidumps and writes incident reports.
//
//	analyzer analyze FILE|BUCKET-URL#KEY [--format json|md|html]   one dump, to stdout
//	analyzer analyze --blob BUCKET-URL KEY [--format …]            the same, key apart
//	analyzer serve [--queue URL] [--blob URL] [--listen ADDR] …    consume the "analysis" queue
//	analyzer render-sample --out DIR                                the sample incident report
//
// A dump in blob storage is read with ranged reads only, never downloaded.
// BUCKET-URL is a backend URL as pkg/backend opens it (file:///dir or
// https://ACCOUNT.blob.core.windows.net/CONTAINER); an argument without
// "://" is a local file. serve's flags may also come from the environment
// as DUMPFLOW_<FLAG> (upper case, '-' as '_'), e.g. DUMPFLOW_BLOB; analyze
// reads no environment, so that a variable cannot turn a file argument into
// a blob key. main only wires; the core is pkg/analyzer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/dumpflow/dumpflow/pkg/service"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"analyze":       {"analyze one dump (a file or a blob) and print the analysis", runAnalyze},
	"serve":         {"consume DumpCaptured and JobCompleted and write reports", runServe},
	"render-sample": {"write the sample incident report to --out DIR (previews, screenshots)", runRenderSample},
}

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := service.SignalContext(context.Background())
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "analyzer:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return fmt.Errorf("%w: a subcommand is required", errUsage)
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("%w: unknown subcommand %q", errUsage, args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: analyzer <subcommand> [flags]")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "serve's flags may also be set as DUMPFLOW_<FLAG> environment variables (e.g. DUMPFLOW_BLOB).")
}
