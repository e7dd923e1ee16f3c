package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Config tunes an Engine. The zero value of every field means its default.
type Config struct {
	// Concurrency is the global limit of dumps in flight in this worker,
	// across all jobs. Default 4.
	Concurrency int
	// ListConcurrency bounds parallel process listing (and detail calls)
	// per job. Default 8.
	ListConcurrency int
	// StagedPerSite is the limit of staged dumps of one site in flight in
	// this worker. Default 4. (Direct dumps are always one per site,
	// across every worker.)
	StagedPerSite int
	// MaxTargetsPerInstance caps the processes dumped on one instance by
	// one job, as DaaS does (it dumps at most 5); the rest are reported as
	// skipped, and their details are not even fetched. Default 5; negative
	// means no cap.
	MaxTargetsPerInstance int
	// DefaultStrategy applies when a job leaves Action.Strategy empty.
	// Default messages.StrategyDirect.
	DefaultStrategy string

	// MinBodyRate is the floor on a dump body's throughput (default 1 MiB
	// per minute).
	MinBodyRate MinRate

	// Retry bounds the retries of one dump.
	Retry RetryPolicy

	// LockTTL is the site lease's TTL (blob.MinLeaseTTL..MaxLeaseTTL); it is
	// renewed every LockTTL/3 while held. Default 30 s.
	LockTTL time.Duration
	// LockPollMin and LockPollMax are the first and the largest backoff
	// interval (each randomized by ±50 %) between attempts to take a lease
	// held by another worker. Defaults 100 ms and 2 s.
	LockPollMin, LockPollMax time.Duration

	// KillBudget limits collect-kills per site.
	KillBudget KillBudget
	// KillConfirmTimeout bounds the wait for a killed pid to disappear.
	// Default 30 s. KillConfirmPoll is the listing interval, default 1 s.
	KillConfirmTimeout, KillConfirmPoll time.Duration

	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SleepUntil waits between the dumps of a series (messages.Series):
	// it returns once Now has reached until, or with ctx's error when ctx
	// ends first. Nil means a real timer over Now. Tests pair it with Now
	// to take a series without waiting (move the clock to until and
	// return); until is a time, not a duration, so that concurrent
	// sleepers of a fake clock wake at their own times.
	SleepUntil func(ctx context.Context, until time.Time) error
}

// RetryPolicy bounds the retries of one dump: exponential backoff with
// jitter, at most MaxAttempts attempts and MaxElapsed in all. A server's
// Retry-After longer than the computed interval is honoured (capped by
// MaxElapsed).
type RetryPolicy struct {
	MaxAttempts     int           // default 4
	InitialInterval time.Duration // default 1 s
	MaxInterval     time.Duration // default 30 s
	MaxElapsed      time.Duration // default 15 min
	// Jitter is the randomization factor in [0,1]; default 0.5. A negative
	// value disables jitter.
	Jitter float64
}

// KillBudget is a sliding-window limit on kills per site: at most Max kills
// in any Window. A kill asked for beyond that disables kills for the site
// for CoolOff (as App Service proactive auto-heal does).
type KillBudget struct {
	Max     int           // default 2
	Window  time.Duration // default 1 h
	CoolOff time.Duration // default 3 h
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Concurrency, 4)
	def(&c.ListConcurrency, 8)
	def(&c.StagedPerSite, 4)
	def(&c.MaxTargetsPerInstance, 5)
	c.MinBodyRate = c.MinBodyRate.withDefaults()
	if c.DefaultStrategy == "" {
		c.DefaultStrategy = messages.StrategyDirect
	}
	def(&c.Retry.MaxAttempts, 4)
	defD(&c.Retry.InitialInterval, time.Second)
	defD(&c.Retry.MaxInterval, 30*time.Second)
	defD(&c.Retry.MaxElapsed, 15*time.Minute)
	if c.Retry.Jitter == 0 {
		c.Retry.Jitter = 0.5
	} else if c.Retry.Jitter < 0 {
		c.Retry.Jitter = 0
	}
	defD(&c.LockTTL, 30*time.Second)
	defD(&c.LockPollMin, 100*time.Millisecond)
	defD(&c.LockPollMax, 2*time.Second)
	def(&c.KillBudget.Max, 2)
	defD(&c.KillBudget.Window, time.Hour)
	defD(&c.KillBudget.CoolOff, 3*time.Hour)
	defD(&c.KillConfirmTimeout, 30*time.Second)
	defD(&c.KillConfirmPoll, time.Second)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SleepUntil == nil {
		now := c.Now
		c.SleepUntil = func(ctx context.Context, until time.Time) error { return sleepContext(ctx, until.Sub(now())) }
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
	if c.Retry.MaxAttempts < 1 || c.Retry.InitialInterval < 0 || c.Retry.MaxInterval < c.Retry.InitialInterval || c.Retry.Jitter > 1 {
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
