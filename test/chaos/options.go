package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// options are the chaos run's flags.
type options struct {
	targets, instances, workers, analyzers int
	perIncident                            int
	dumpSize                               int64
	errorRate, throttleRate, resetRate     float64
	scaleInRate                            float64
	killEvery, lock                        time.Duration
	timeout                                time.Duration
	seed                                   uint64
	dir                                    string
	keep, race                             bool
	stderr                                 io.Writer
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	o := &options{stderr: os.Stderr}
	var size string
	fs.IntVar(&o.targets, "targets", 1000, "dump targets (app instances) to drive through the pipeline, at least")
	fs.IntVar(&o.instances, "instances", 5, "instances per simulated app")
	fs.IntVar(&o.perIncident, "apps-per-incident", 25, "apps per trigger (alternately an alert and a bulk capture)")
	fs.IntVar(&o.workers, "workers", 2, "worker processes")
	fs.IntVar(&o.analyzers, "analyzers", 2, "analyzer processes")
	fs.StringVar(&size, "dump-size", "", "size of each (mini) dump; empty means its natural size (about 400 KiB)")
	fs.Float64Var(&o.errorRate, "error-rate", 0.05, "share of requests answered 500/502/503 by the front end")
	fs.Float64Var(&o.throttleRate, "throttle-rate", 0.05, "share of requests answered 429 with Retry-After")
	fs.Float64Var(&o.resetRate, "reset-rate", 0.05, "share of dump bodies cut by a TCP reset mid-stream")
	fs.Float64Var(&o.scaleInRate, "scale-in-rate", 0.002, "per request, the chance that a random app loses an instance")
	fs.DurationVar(&o.killEvery, "kill-every", 5*time.Second, "mean time between SIGKILLs of a worker or analyzer (0: none)")
	fs.DurationVar(&o.lock, "lock", 10*time.Second, "queue lock duration: how long a message held by a killed process waits to be redelivered")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up waiting for the pipeline after this long")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the simulator, its faults and the kills")
	fs.StringVar(&o.dir, "dir", "", "data directory (default: a temporary one, removed after a clean run)")
	fs.BoolVar(&o.keep, "keep", false, "keep the data directory")
	fs.BoolVar(&o.race, "race", false, "build the services with the race detector")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if size != "" {
		var err error
		if o.dumpSize, err = sim.ParseSize(size); err != nil {
			return nil, err
		}
	}
	switch {
	case o.targets < 1, o.instances < 1, o.instances > 50, o.workers < 1, o.analyzers < 1, o.perIncident < 1, o.perIncident > 100:
		return nil, fmt.Errorf("--targets, --instances (≤ 50), --workers, --analyzers and --apps-per-incident (≤ 100) must be positive")
	case o.lock < 2*time.Second:
		return nil, fmt.Errorf("--lock must be at least 2s")
	case o.dumpSize < 0:
		return nil, fmt.Errorf("--dump-size must not be negative")
	}
	for _, r := range []float64{o.errorRate, o.throttleRate, o.resetRate, o.scaleInRate} {
		if r < 0 || r > 0.5 {
			return nil, fmt.Errorf("fault rates must be within [0, 0.5]")
		}
	}
	return o, nil
}
