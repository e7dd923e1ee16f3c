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

// runServe: ingest serve --listen ADDR --config FILE --queue URL --blob URL
func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on")
	config := fs.String("config", "", "policy configuration file (JSON, required)")
	queueURL := fs.String("queue", backend.DefaultQueueURL(), "queue backend URL (file://… or sb://…)")
	blobURL := fs.String("blob", backend.DefaultBlobURL(), "blob backend URL (file://… or https://ACCOUNT.blob.core.windows.net/CONTAINER)")
	token := fs.String("webhook-token", "", "DEPRECATED (a secret in a flag is visible to every user of the machine): set $DUMPFLOW_WEBHOOK_TOKEN or --webhook-token-file")
	tokenFile := fs.String("webhook-token-file", "", "file holding the shared webhook secret (at least 16 characters); or set $DUMPFLOW_WEBHOOK_TOKEN")
	armURL := fs.String("arm-url", "https://management.azure.com", "Azure Resource Manager endpoint, to expand plans, resource groups and tags")
	var auth service.AuthFlag
	auth.Register(fs)
	entraTenant := fs.String("entra-tenant", "", "accept Entra ID bearer tokens issued by this tenant id")
	entraAudience := fs.String("entra-audience", "", "required audience of Entra ID tokens")
	entraRole := fs.String("entra-role", "", "app role Entra ID tokens must carry in their roles claim (empty: any identity of the tenant with a token for the audience)")
	entraJWKS := fs.String("entra-jwks-url", "", "JWKS URL for Entra ID signing keys (default: the tenant's discovery keys)")
	maxBody := fs.Int64("max-body", 1<<20, "largest request body in bytes")
	maxEvents := fs.Int("max-events", ingest.DefaultMaxEventsPerRequest, "alerts accepted in one payload; a payload with more is refused whole (413)")
	rate := fs.Float64("rate", 20, "requests per second per client address (negative: no limit)")
	burst := fs.Int("burst", 40, "burst of the per-client rate limit")
	linkBase := fs.String("link-base", "", "prefix that turns blob keys into links in incident status")
	schedules := fs.Bool("schedules", true, "run the configured scheduled sweeps")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	grace := fs.Duration("grace", 20*time.Second, "shutdown grace period for open requests")
	maxConns := fs.Int("max-conns", 1024, "connections open at once; keep-alive is shed from 3/4 of it (see docs/operations.md)")
	var rf ruleFlags
	fs.StringVar(&rf.file, "rules", "", "auto-heal rules file (see docs/autoheal.md); empty runs none")
	fs.StringVar(&rf.scmTemplate, "scm-url-template", "", "SCM base URL with {app}, overriding the host read from ARM (simulators)")
	fs.DurationVar(&rf.memoryPoll, "rules-memory-poll", 30*time.Second, "how often the auto-heal memory watch reads each instance's worker process")
	fs.DurationVar(&rf.evaluate, "rules-evaluate", 10*time.Second, "how often auto-heal rules are evaluated")
	fs.BoolVar(&rf.metrics, "rules-metrics", true, "read request counts, status codes and latency from Azure Monitor for request-based rules")
	fs.BoolVar(&rf.webLogs, "rules-web-logs", true, "feed request-based rules every request from the site's web server logs (LogFiles/http/RawLogs) when it writes them")
	fs.DurationVar(&rf.webLogPoll, "rules-web-log-poll", 10*time.Second, "how often the auto-heal web log reader reads what the logs gained")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	tokenOnCommandLine := false
	fs.Visit(func(f *flag.Flag) { tokenOnCommandLine = tokenOnCommandLine || f.Name == "webhook-token" })
	if err := service.FillFromEnv(fs, os.Getenv); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	log, err := service.NewLogger(stderr, *logLevel)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *config == "" {
		return fmt.Errorf("%w: serve needs --config FILE", errUsage)
	}
	if tokenOnCommandLine {
		log.Warn("--webhook-token is deprecated and will be removed: a secret on the command line is visible to every user of the machine; set DUMPFLOW_WEBHOOK_TOKEN or --webhook-token-file instead")
	}
	if *tokenFile != "" {
		if tokenOnCommandLine {
			return fmt.Errorf("%w: --webhook-token and --webhook-token-file are both set; keep --webhook-token-file", errUsage)
		}
		if *token, err = service.ReadSecretFile(*tokenFile); err != nil {
			return fmt.Errorf("%w: --webhook-token-file: %v", errUsage, err)
		}
	}
	var auths ingest.AnyAuth
	if *token != "" {
		ta, err := ingest.NewTokenAuth(*token)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		auths = append(auths, ta)
	}
	if *entraTenant != "" {
		ja, err := ingest.NewJWTAuth(ingest.JWTConfig{Tenant: *entraTenant, Audience: *entraAudience, Role: *entraRole, JWKSURL: *entraJWKS})
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		defer ja.Close()
		auths = append(auths, ja)
	}
	if len(auths) == 0 {
		return fmt.Errorf("%w: every endpoint is authenticated: set DUMPFLOW_WEBHOOK_TOKEN (or --webhook-token-file) or --entra-tenant", errUsage)
	}
	pc, err := policy.Load(*config)
	if err != nil {
		return err
	}
	q, err := backend.OpenQueue(ctx, *queueURL, backend.CapturesQueue)
	if err != nil {
		return err
	}
	defer q.Close()
	b, err := backend.OpenBucket(ctx, *blobURL)
	if err != nil {
		return err
	}
	defer b.Close()
	dir, err := newARMDirectory(*armURL, auth.Azure(*armURL))
	if err != nil {
		return err
	}
	obs, err := service.Observe(ctx, "ingest", version)
	if err != nil {
		return err
	}
	defer obs.Close()
	svc, err := ingest.New(ingest.Config{
		Policies: pc, Queue: q, Bucket: b, Directory: dir, Auth: auths, Metrics: ingest.NewMetrics(obs.Registry),
		MaxBodyBytes: *maxBody, MaxEventsPerRequest: *maxEvents, RatePerSecond: *rate, RateBurst: *burst, LinkBase: *linkBase, Log: log,
	})
	if err != nil {
		return err
	}
	health, mux := obs.Health, obs.Mux
	health.Add("blob", func(ctx context.Context) error {
		_, err := b.List(ctx, "incidents/readyz-probe/")
		return err
	})
	mux.Handle("/v1/", svc.Handler())

	var runner *autoheal.Runner
	if rf.file != "" {
		if runner, err = rf.newRunner(svc, policy.NewBlobStore(b), *armURL, auth.Azure(*armURL), log); err != nil {
			return err
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		<-gctx.Done()
		health.Drain()
		return nil
	})
	g.Go(func() error {
		return service.ServeLimited(gctx, log, *listen, mux, *grace, service.HTTPLimits{MaxConns: *maxConns}, nil)
	})
	if *schedules {
		g.Go(func() error { return svc.RunSchedules(gctx) })
	}
	if runner != nil {
		g.Go(func() error { return runner.Run(gctx) })
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
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
