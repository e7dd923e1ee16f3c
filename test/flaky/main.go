// Command flaky runs the test suite several times and lists every test that
// failed at least once, with how often: the tool behind `make flaky`.
//
//	go run ./test/flaky [-n 5] [-race=true] [-timeout 60m] [packages…]
//
// It runs `go test -json -count=N` once (so the packages' own parallelism
// applies) and reads the event stream; the full output is kept in a file
// whose path it prints, for reading the failures' logs. It exits 1 when any
// test failed, 2 when go test could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "flaky:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("flaky", flag.ContinueOnError)
	n := fs.Int("n", 5, "how many times to run each test")
	race := fs.Bool("race", true, "run with the race detector")
	timeout := fs.String("timeout", "60m", "go test -timeout")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	pkgs := fs.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	log, err := os.CreateTemp("", "dumpflow-flaky-*.json")
	if err != nil {
		return 2, err
	}
	defer log.Close()

	goArgs := []string{"test", "-json", fmt.Sprintf("-count=%d", *n), "-timeout", *timeout}
	if *race {
		goArgs = append(goArgs, "-race")
	}
	goArgs = append(goArgs, pkgs...)
	cmd := exec.CommandContext(ctx, "go", goArgs...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 2, err
	}
	cmd.Stderr = os.Stderr
	fmt.Fprintf(stdout, "flaky: go %v (events in %s)\n", goArgs, log.Name())
	if err := cmd.Start(); err != nil {
		return 2, err
	}
	sum, readErr := summarize(io.TeeReader(out, log))
	waitErr := cmd.Wait()
	if readErr != nil {
		return 2, readErr
	}
	sum.print(stdout, *n)
	var exit *exec.ExitError
	switch {
	case len(sum.failed) > 0 || len(sum.pkgFailed) > 0:
		return 1, nil
	case waitErr != nil && !errors.As(waitErr, &exit):
		return 2, waitErr
	case waitErr != nil:
		return 1, fmt.Errorf("go test failed without a failing test (build error?): %w", waitErr)
	}
	return 0, nil
}
