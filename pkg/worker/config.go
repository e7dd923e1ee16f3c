package worker

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Config tunes an Engine. The zero value of every field means its default.
type Config struct {
	// Concurrency is the global limit of dumps in flight in this worker,
	// across all jobs. Default DefaultConcurrency.
	Concurrency int
	// ListConcurrency bounds parallel process listing (and detail calls)
	// per job. Default DefaultListConcurrency.
	ListConcurrency int
	// StagedPerSite is the limit of staged dumps of one site in flight in
	// this worker. Default DefaultStagedPerSite. (Direct dumps are always one per site,
	// across every worker.)
	StagedPerSite int
	// MaxTargetsPerInstance caps the processes dumped on one instance by
	// one job, as DaaS does (it dumps at most 5); the rest are reported as
	// skipped, and their details are not even fetched. Default
	// DefaultMaxTargetsPerInstance; negative means no cap.
	MaxTargetsPerInstance int
	// DefaultStrategy applies when a job leaves Action.Strategy empty.
	// Default messages.StrategyDirect.
	DefaultStrategy string

	// MinBodyRate is the floor on a dump body's throughput (default
	// DefaultMinBodyBytes per DefaultMinBodyWindow).
	MinBodyRate MinRate

	// Retry bounds the retries of one dump.
	Retry RetryPolicy

	// LockTTL is the site lease's TTL (blob.MinLeaseTTL..MaxLeaseTTL); it is
	// renewed every LockTTL/3 while held. Default DefaultLockTTL.
	LockTTL time.Duration
	// LockPollMin and LockPollMax are the first and the largest backoff
	// interval (each randomized by ±50 %) between attempts to take a lease
	// held by another worker. Defaults DefaultLockPollMin and
	// DefaultLockPollMax.
	LockPollMin, LockPollMax time.Duration

	// KillBudget limits collect-kills per site.
	KillBudget KillBudget
	// KillConfirmTimeout bounds the wait for a killed pid to disappear.
	// Default DefaultKillConfirmTimeout. KillConfirmPoll is the listing
	// interval, default DefaultKillConfirmPoll.
	KillConfirmTimeout, KillConfirmPoll time.Duration

	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// RetryPolicy bounds the retries of one dump: exponential backoff with
// jitter, at most MaxAttempts attempts and MaxElapsed in all. A server's
// Retry-After longer than the computed interval is honoured (capped by
// MaxElapsed).
type RetryPolicy struct {
	MaxAttempts     int           // default DefaultMaxAttempts
	InitialInterval time.Duration // default DefaultInitialInterval
	MaxInterval     time.Duration // default DefaultMaxInterval
	MaxElapsed      time.Duration // default DefaultMaxElapsed
	// Jitter is the randomization factor, in (0,1]: each interval is
	// drawn from ±Jitter of the computed one. Zero means DefaultJitter;
	// NoJitter turns randomization off. Other values are invalid.
	Jitter float64
}

// withDefaults fills zero fields from the Default… constants and turns
// NoJitter into a zero factor (a negative Jitter other than NoJitter stays,
// for validate to refuse).
func (p RetryPolicy) withDefaults() RetryPolicy {
	p.MaxAttempts = cmp.Or(p.MaxAttempts, DefaultMaxAttempts)
	p.InitialInterval = cmp.Or(p.InitialInterval, DefaultInitialInterval)
	p.MaxInterval = cmp.Or(p.MaxInterval, DefaultMaxInterval)
	p.MaxElapsed = cmp.Or(p.MaxElapsed, DefaultMaxElapsed)
	switch p.Jitter {
	case 0:
		p.Jitter = DefaultJitter
	case NoJitter:
		p.Jitter = 0
	}
	return p
}

// KillBudget is a sliding-window limit on kills per site: at most Max kills
// in any Window. A kill asked for beyond that disables kills for the site
// for CoolOff (as App Service proactive auto-heal does).
type KillBudget struct {
	Max     int           // default DefaultKillMax
	Window  time.Duration // default DefaultKillWindow
	CoolOff time.Duration // default DefaultKillCoolOff
}

func (c Config) withDefaults() Config {
	c.Concurrency = cmp.Or(c.Concurrency, DefaultConcurrency)
	c.ListConcurrency = cmp.Or(c.ListConcurrency, DefaultListConcurrency)
	c.StagedPerSite = cmp.Or(c.StagedPerSite, DefaultStagedPerSite)
	c.MaxTargetsPerInstance = cmp.Or(c.MaxTargetsPerInstance, DefaultMaxTargetsPerInstance)
	c.MinBodyRate = c.MinBodyRate.withDefaults()
	if c.DefaultStrategy == "" {
		c.DefaultStrategy = messages.StrategyDirect
	}
	c.Retry = c.Retry.withDefaults()
	c.LockTTL = cmp.Or(c.LockTTL, DefaultLockTTL)
	c.LockPollMin = cmp.Or(c.LockPollMin, DefaultLockPollMin)
	c.LockPollMax = cmp.Or(c.LockPollMax, DefaultLockPollMax)
	c.KillBudget.Max = cmp.Or(c.KillBudget.Max, DefaultKillMax)
	c.KillBudget.Window = cmp.Or(c.KillBudget.Window, DefaultKillWindow)
	c.KillBudget.CoolOff = cmp.Or(c.KillBudget.CoolOff, DefaultKillCoolOff)
	c.KillConfirmTimeout = cmp.Or(c.KillConfirmTimeout, DefaultKillConfirmTimeout)
	c.KillConfirmPoll = cmp.Or(c.KillConfirmPoll, DefaultKillConfirmPoll)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate reports the first impossible setting (after defaults).
func (c Config) validate() error {
	var errs []error
	if c.Concurrency < 1 || c.ListConcurrency < 1 || c.StagedPerSite < 1 {
		errs = append(errs, errors.New("concurrency limits must be positive"))
	}
	switch c.DefaultStrategy {
	case messages.StrategyDirect, messages.StrategyStaged:
	default:
		errs = append(errs, fmt.Errorf("unknown default strategy %q (want direct or staged)", c.DefaultStrategy))
	}
	if c.Retry.MaxAttempts < 1 || c.Retry.InitialInterval < 0 || c.Retry.MaxInterval < c.Retry.InitialInterval || c.Retry.Jitter < 0 || c.Retry.Jitter > 1 {
		errs = append(errs, fmt.Errorf("impossible retry policy %+v", c.Retry))
	}
	if c.LockTTL < 15*time.Second || c.LockTTL > 60*time.Second {
		errs = append(errs, fmt.Errorf("lock TTL %v outside 15s..60s", c.LockTTL))
	}
	if c.LockPollMin <= 0 || c.LockPollMax < c.LockPollMin {
		errs = append(errs, fmt.Errorf("impossible lock poll bounds %v..%v", c.LockPollMin, c.LockPollMax))
	}
	if c.KillBudget.Max < 1 || c.KillBudget.Window <= 0 || c.KillBudget.CoolOff < 0 {
		errs = append(errs, fmt.Errorf("impossible kill budget %+v", c.KillBudget))
	}
	if c.KillConfirmTimeout <= 0 || c.KillConfirmPoll <= 0 {
		errs = append(errs, errors.New("kill confirmation timeout and poll must be positive"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("worker: invalid config: %w", errors.Join(errs...))
	}
	return nil
}
