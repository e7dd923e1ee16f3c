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
	"github.com/dumpflow/dumpflow/pkg/service"
)

var commands = map[string]service.Command{
	"analyze":       {Summary: "analyze one dump (a file or a blob) and print the analysis", Run: runAnalyze},
	"serve":         {Summary: "consume DumpCaptured and JobCompleted and write reports", Run: runServe},
	"render-sample": {Summary: "write the sample incident report to --out DIR (previews, screenshots)", Run: runRenderSample},
}

// errUsage marks a usage error (exit status 2).
var errUsage = service.ErrUsage

// version is the release, set by the build (-ldflags "-X main.version=…").
var version = "dev"

// cli is the binary's subcommand table.
var cli = &service.CLI{Name: "analyzer", Version: version, Commands: commands,
	Footer: "serve's flags may also be set as DUMPFLOW_<FLAG> environment variables (e.g. DUMPFLOW_BLOB)."}

func main() { cli.Main() }

// run runs one subcommand (tests call it in-process).
var run = cli.Run
