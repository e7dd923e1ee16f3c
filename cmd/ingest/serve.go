package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/azcred"
	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/ingest"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// serveFlags are serve's own flags, beside the shared service.ServeFlags,
// the authentication flags and the rule flags.
type serveFlags struct {
	config, armURL, linkBase string
	maxBody                  int64
	maxEvents, burst         int
	rate                     float64
	schedules                bool
	maxConns                 int
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "policy configuration file (JSON, required)")
	fs.StringVar(&f.armURL, "arm-url", "https://management.azure.com", "Azure Resource Manager endpoint, to expand plans, resource groups and tags")
	fs.Int64Var(&f.maxBody, "max-body", ingest.DefaultMaxBodyBytes, "largest request body in bytes")
	fs.IntVar(&f.maxEvents, "max-events", ingest.DefaultMaxEventsPerRequest, "alerts accepted in one payload; a payload with more is refused whole (413)")
	fs.Float64Var(&f.rate, "rate", ingest.DefaultRatePerSecond, "requests per second per client address (negative: no limit)")
	fs.IntVar(&f.burst, "burst", ingest.DefaultRateBurst, "burst of the per-client rate limit")
	fs.StringVar(&f.linkBase, "link-base", "", "prefix that turns blob keys into links in incident status")
	fs.BoolVar(&f.schedules, "schedules", true, "run the configured scheduled sweeps")
	fs.IntVar(&f.maxConns, "max-conns", service.DefaultMaxConns, "connections open at once; keep-alive is shed from 3/4 of it (see docs/operations.md)")
}

// runServe: ingest serve --listen ADDR --config FILE --queue URL --blob URL
func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var sf service.ServeFlags
	sf.Register(fs, service.ServeDefaults{
		Listen: "127.0.0.1:8080", ListenHelp: "address of the API, /metrics, /healthz and /readyz",
		Queues: `writes "captures"`,
		Grace:  20 * time.Second, GraceHelp: "shutdown grace period for open requests",
	})
	var f serveFlags
	f.register(fs)
	var af authFlags
	af.register(fs)
	var azure service.AuthFlag
	azure.Register(fs)
	var rf ruleFlags
	rf.register(fs)
	if err := service.ParseNoArgs(fs, args, os.Getenv); err != nil {
		return err
	}
	// Visit sees the command line only: the environment fills flags
	// without marking them set.
	tokenOnCommandLine := false
	fs.Visit(func(f *flag.Flag) { tokenOnCommandLine = tokenOnCommandLine || f.Name == "webhook-token" })
	srv, err := sf.Start(ctx, "ingest", version, stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	log := srv.Log
	if f.config == "" {
		return fmt.Errorf("%w: serve needs --config FILE", errUsage)
	}
	auth, stopAuth, err := af.build(tokenOnCommandLine, log)
	if err != nil {
		return err
	}
	defer stopAuth()
	pc, err := policy.Load(f.config)
	if err != nil {
		return err
	}
	q, err := backend.OpenQueue(ctx, sf.Queue, backend.CapturesQueue)
	if err != nil {
		return err
	}
	defer q.Close()
	b, err := backend.OpenBucket(ctx, sf.Blob)
	if err != nil {
		return err
	}
	defer b.Close()
	dir, err := newARMDirectory(f.armURL, azure.Azure(f.armURL))
	if err != nil {
		return err
	}
	svc, err := ingest.New(ingest.Config{
		Policies: pc, Queue: q, Bucket: b, Directory: dir, Auth: auth, Metrics: ingest.NewMetrics(srv.Registry),
		MaxBodyBytes: f.maxBody, MaxEventsPerRequest: f.maxEvents, RatePerSecond: f.rate, RateBurst: f.burst, LinkBase: f.linkBase, Log: log,
	})
	if err != nil {
		return err
	}
	srv.Health.Add("blob", func(ctx context.Context) error {
		_, err := b.List(ctx, "incidents/readyz-probe/")
		return err
	})
	srv.Mux.Handle("/v1/", svc.Handler())
	var runner *autoheal.Runner
	if rf.file != "" {
		if runner, err = rf.newRunner(svc, policy.NewBlobStore(b), f.armURL, azure.Azure(f.armURL), log); err != nil {
			return err
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		<-gctx.Done()
		srv.Health.Drain()
		return nil
	})
	g.Go(func() error {
		return service.ServeLimited(gctx, log, sf.Listen, srv.Mux, sf.Grace, service.HTTPLimits{MaxConns: f.maxConns}, nil)
	})
	if f.schedules {
		g.Go(func() error { return svc.RunSchedules(gctx) })
	}
	if runner != nil {
		g.Go(func() error { return runner.Run(gctx) })
	}
	if err = g.Wait(); errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// newARMDirectory returns the ARM site directory at url, authenticated with
// azidentity's default credential unless auth is false.
func newARMDirectory(url string, auth bool) (*ingest.ARMDirectory, error) {
	dir := &ingest.ARMDirectory{BaseURL: url}
	if auth {
		cred, err := azcred.Default()
		if err != nil {
			return nil, fmt.Errorf("ARM credential: %w", err)
		}
		dir.Credential = cred
	}
	return dir, nil
}
