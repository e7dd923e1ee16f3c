package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/service"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// errHelp is returned after --help was printed; the exit status is 0.
var errHelp = flag.ErrHelp

// usageError marks bad command-line input (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Is makes a usage error exit with status 2 under service.Main.
func (e usageError) Is(target error) bool { return target == service.ErrUsage }

// sizeFlag is a flag.Value accepting KiB/MiB/GiB sizes.
type sizeFlag struct{ v *int64 }

func (f sizeFlag) String() string {
	if f.v == nil {
		return "0"
	}
	return fmt.Sprint(*f.v)
}
func (f sizeFlag) Set(s string) error {
	n, err := sim.ParseSize(s)
	if err != nil {
		return err
	}
	*f.v = n
	return nil
}

func serveFlags(cfg *sim.Config, tokens *string, verbose *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("kudusim", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "listen address")
	fs.IntVar(&cfg.Apps, "apps", 1, "number of simulated apps")
	fs.IntVar(&cfg.Instances, "instances", 1, "instances per app")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed for ids, pids, figures and dump bytes")
	cfg.DumpSize = 64 << 20
	fs.Var(sizeFlag{&cfg.DumpSize}, "dump-size", "size of full dumps (dumpType 2), e.g. 64MiB")
	fs.Var(sizeFlag{&cfg.MiniDumpSize}, "mini-dump-size", "size of other dumps; 0 = natural size")
	fs.DurationVar(&cfg.DumpWriteTime, "dump-write-time", 50*time.Millisecond, "time Kudu takes to write a dump before its first byte")
	fs.DurationVar(&cfg.FirstByteLimit, "first-byte-limit", 0, "front-end cut-off for the first response byte (App Service: 230s); 0 = none")
	fs.IntVar(&cfg.FirstByteStatus, "first-byte-status", 504, "status the front end answers at the first-byte limit")
	fs.IntVar(&cfg.ARMPageSize, "arm-page-size", 50, "items per ARM list page (nextLink beyond)")
	fs.StringVar(&cfg.SKU, "sku", "Standard", "WEBSITE_SKU (Free refuses dumpType=2)")
	fs.StringVar(&cfg.Child, "child", "auto", "child of the app w3wp: auto, dotnet, node or none")
	fs.BoolVar(&cfg.WebJobs, "webjobs", false, "add a continuous WebJob to every instance")
	fs.BoolVar(&cfg.NoRespawn, "no-respawn", false, "keep a killed app w3wp down (then id -1 answers 500)")
	fs.IntVar(&cfg.SCMKillStatus, "scm-kill-status", 0, "answer to killing Kudu's own w3wp: 0 = drop the connection (Kudu's own tests), or a front-end status such as 502")
	fs.BoolVar(&cfg.SeparateSCMIdentity, "separate-scm-identity", false, "run Kudu under its own ~1 identity: the process list then hides the app's processes unless ?allUsers=true")
	fs.DurationVar(&cfg.CommandIdleTimeout, "command-idle-timeout", 60*time.Second, "SCM_COMMAND_IDLE_TIMEOUT")
	fs.BoolVar(&cfg.DumpToolSilent, "dump-tool-silent", false, "the simulated ProcDump prints nothing while writing (idle rule applies)")
	fs.StringVar(&cfg.Auth.Password, "basic-password", "", "require auth; accept Basic $app:PASSWORD")
	fs.BoolVar(&cfg.Auth.BasicDisabled, "basic-disabled", false, "refuse Basic auth (basicPublishingCredentialsPolicies/scm allow=false)")
	fs.Func("slots", "comma-separated deployment slots added to every app (served as {app}-{slot})", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				cfg.Slots = append(cfg.Slots, s)
			}
		}
		return nil
	})
	fs.Func("web-logs", "comma-separated apps that write web server logs (W3C, LogFiles/http/RawLogs), or *", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				cfg.WebLogs.Apps = append(cfg.WebLogs.Apps, s)
			}
		}
		return nil
	})
	fs.Int64Var(&cfg.WebLogs.MaxFileBytes, "web-log-max-bytes", 0, "start a new web server log file at this size (0: hourly only)")
	fs.StringVar(tokens, "bearer-tokens", "", "require auth; accept these comma-separated bearer tokens")
	f := &cfg.Faults
	fs.Uint64Var(&f.Seed, "fault-seed", 1, "seed of the fault generator")
	fs.Float64Var(&f.LatencyRate, "fault-latency", 0, "rate of requests delayed by --fault-latency-delay")
	fs.DurationVar(&f.Latency, "fault-latency-delay", 200*time.Millisecond, "injected latency")
	fs.Float64Var(&f.ErrorRate, "fault-5xx", 0, "rate of requests answered 500/502/503")
	fs.Float64Var(&f.ThrottleRate, "fault-429", 0, "rate of requests answered 429")
	fs.DurationVar(&f.RetryAfter, "fault-retry-after", time.Second, "Retry-After of injected 429s")
	fs.Float64Var(&f.ResetRate, "fault-reset", 0, "rate of dump/VFS bodies cut by a connection reset")
	fs.Var(sizeFlag{&f.Throughput}, "fault-throughput", "cap on dump/VFS body bytes per second, e.g. 10MiB; 0 = none")
	fs.Float64Var(&f.ScaleInRate, "fault-scale-in", 0, "per-request rate of an instance vanishing")
	fs.Float64Var(&f.ScaleOutRate, "fault-scale-out", 0, "per-request rate of an instance appearing")
	fs.Float64Var(&f.TokenRejectRate, "fault-token-reject", 0, "rate of valid bearer tokens refused with 401")
	fs.BoolVar(verbose, "verbose", false, "log every request and fault to stderr")
	return fs
}

// serve runs the simulator until ctx ends.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg sim.Config
	var tokens string
	var verbose bool
	fs := serveFlags(&cfg, &tokens, &verbose)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: kudusim [flags]\n       kudusim write-dump --size SIZE --type mini|full OUT.dmp\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	for _, t := range strings.Split(tokens, ",") {
		if t = strings.TrimSpace(t); t != "" {
			cfg.Auth.Tokens = append(cfg.Auth.Tokens, t)
		}
	}
	if verbose {
		lg := log.New(stderr, "kudusim: ", log.LstdFlags|log.Lmicroseconds)
		cfg.Logf = lg.Printf
	}
	srv, err := sim.New(cfg)
	if err != nil {
		if errors.Is(err, sim.ErrConfig) {
			return usageError{err}
		}
		return err
	}
	if _, err := fmt.Fprintf(stdout, "kudusim listening on %s\n", srv.URL); err != nil {
		srv.Close()
		return err
	}
	<-ctx.Done()
	shCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
