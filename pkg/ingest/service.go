package ingest

import (
	"cmp"
	"errors"
	"log/slog"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Config configures a Service. Zero values of optional fields mean the
// documented defaults.
type Config struct {
	// Policies is the validated configuration file (required).
	Policies *policy.Config
	// Queue receives the CaptureJobs ("captures"); Bucket holds manifests,
	// finished jobs, dumps and reports (both required).
	Queue  queue.Queue
	Bucket blob.Bucket
	// Directory expands plans, resource groups and tags; nil refuses such
	// targets with ErrNoDirectory.
	Directory SiteDirectory
	// State keeps the policies' limit state; nil means a policy.BlobStore
	// on Bucket (shared by replicas, survives restarts).
	State policy.Store
	// Auth authenticates every API request (required; see TokenAuth,
	// JWTAuth and AnyAuth).
	Auth Authenticator
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// RatePerSecond and RateBurst bound requests per client address
	// (defaults DefaultRatePerSecond and DefaultRateBurst); NoRateLimit
	// as RatePerSecond disables the limit.
	RatePerSecond float64
	RateBurst     int
	// MaxSites bounds the apps of one incident (default DefaultMaxSites).
	MaxSites int
	// MaxEventsPerRequest bounds the alert events of one payload; a
	// payload with more is refused whole with 413 (default
	// DefaultMaxEventsPerRequest).
	MaxEventsPerRequest int
	// ResendWindow is how long after an incident's creation a duplicate
	// trigger re-sends its jobs (the queue drops those already sent; this
	// completes an incident whose sending was interrupted). Default
	// DefaultResendWindow.
	ResendWindow time.Duration
	// LinkBase, when set, prefixes blob keys to make links in incident
	// status (e.g. a storage account's container URL).
	LinkBase string
	// Metrics, when set, receives ingest's Prometheus metrics.
	Metrics *Metrics
	// Log receives structured logs (default slog.Default()). Secrets are
	// never logged.
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is the ingest core. It is safe for concurrent use.
type Service struct {
	cfg      Config
	log      *slog.Logger
	limiter  *policy.Limiter
	resolver *resolver
	rate     *rateLimiter
}

// New validates cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Policies == nil:
		return nil, errors.New("ingest: Config.Policies is required")
	case cfg.Queue == nil:
		return nil, errors.New("ingest: Config.Queue is required")
	case cfg.Bucket == nil:
		return nil, errors.New("ingest: Config.Bucket is required")
	case cfg.Auth == nil:
		return nil, errors.New("ingest: Config.Auth is required (every endpoint is authenticated)")
	}
	if err := cfg.Policies.Validate(); err != nil {
		return nil, err
	}
	cfg.MaxBodyBytes = cmp.Or(max(cfg.MaxBodyBytes, 0), DefaultMaxBodyBytes)
	cfg.RatePerSecond = cmp.Or(cfg.RatePerSecond, DefaultRatePerSecond)
	cfg.RateBurst = cmp.Or(max(cfg.RateBurst, 0), DefaultRateBurst)
	cfg.MaxSites = cmp.Or(max(cfg.MaxSites, 0), DefaultMaxSites)
	cfg.MaxEventsPerRequest = cmp.Or(max(cfg.MaxEventsPerRequest, 0), DefaultMaxEventsPerRequest)
	cfg.ResendWindow = cmp.Or(max(cfg.ResendWindow, 0), DefaultResendWindow)
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.State == nil {
		cfg.State = policy.NewBlobStore(cfg.Bucket)
	}
	s := &Service{
		cfg:      cfg,
		log:      cfg.Log,
		limiter:  policy.NewLimiter(cfg.State),
		resolver: &resolver{dir: cfg.Directory, allow: cfg.Policies.Allow, maxSites: cfg.MaxSites},
	}
	if cfg.RatePerSecond > 0 {
		s.rate = newRateLimiter(cfg.RatePerSecond, cfg.RateBurst, cfg.Now)
	}
	if cfg.Policies.Allow.Empty() {
		s.log.Warn("ingest: no allowlist configured; every subscription and resource group may be captured")
	}
	return s, nil
}
