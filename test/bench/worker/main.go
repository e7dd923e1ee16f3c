// Command worker measures the worker against the Kudu simulator and prints
// the figures of issue 4:
//
//	go run ./test/bench/worker stream [--size 4GiB] [--dir DIR]
//	go run ./test/bench/worker fanout [--write-time 2s] [--serial=true]
//	go run ./test/bench/worker azure [--apps 16] [--size BYTES] [--concurrency 16,4]
//
// stream: one full dump, simulator → `worker capture` (a child process) →
// local blob directory, against a plain HTTP copy of the same URL to a file
// on the same disk (curl -o, then fsync, since the blob commit fsyncs), in
// the same run; prints the throughput ratio and the worker's peak RSS
// (getrusage ru_maxrss of the child).
//
// fanout: 16 apps × 4 instances, each dump taking --write-time to write in
// the simulator, global limit 16, direct strategy: wall time against the
// ideal (4 × write time) and against one dump at a time; then the staged
// strategy on 1 app × 16 instances (ideal: one write time plus polling).
//
// azure: `worker capture` of 16 apps × 1 instance, one 256 MiB full dump
// each, into Azurite (.ci/azurite.sh install), at --concurrency 16 and 4 in
// turn: throughput, peak RSS, and every stored blob read back and its
// SHA-256 checked against the worker's and the simulator's.
//
// The worker side is the real binary (built from ./cmd/worker into a
// temporary directory) so that its memory is measured alone.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/dumpflow/dumpflow/pkg/service"
)

func main() { service.Main("bench/worker", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: worker stream|fanout|azure [flags]")
	}
	switch args[0] {
	case "stream":
		return runStream(ctx, args[1:], stdout, stderr)
	case "fanout":
		return runFanout(ctx, args[1:], stdout, stderr)
	case "azure":
		return runAzure(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown subcommand %q (want stream, fanout or azure)", args[0])
}
