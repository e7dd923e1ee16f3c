// Command chaos drives at least --targets dump targets (apps × instances,
// small minidumps) through ingest, worker and analyzer running as
// processes, while the Kudu simulator injects front-end errors (5xx),
// throttling (429 with Retry-After), mid-stream connection resets and
// vanishing instances, and the harness SIGKILLs and restarts workers and
// analyzers at random moments. At the end it stops every service, checks
// storage and the queues against the simulator's ground truth (see
// harness.Check for the exact meaning of lost, duplicates and duplicate
// requests) and prints a summary whose last line is JSON:
//
//	go run ./test/chaos --targets 1000
//	… {"targets":1003,"captured":1001,"failed":2,"lost":0,"duplicates":0,"duplicate_requests":0,"dead_lettered":0,"wall_s":61.2,…}
//
// Exit status 1 when anything was lost, duplicated or corrupted (or the
// run could not finish), 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		stop()
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "chaos:", err)
		}
		os.Exit(2)
	}
	sum, err := run(ctx, o, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !sum.OK() {
		os.Exit(1)
	}
}
