package autoheal

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Observer receives observations; *Evaluator is one. Instances are keyed by
// the worker's machine name, the one name that Kudu (machineName), Azure
// Monitor metrics (the Instance dimension) and alerts all carry.
type Observer interface {
	ObserveProcess(site, instance string, p ProcessSample)
	ObserveRequests(site, instance string, rs ...Request)
	Forget(site, instance string)
}

// Source is the port for observation sources: Run feeds obs until ctx
// ends, and returns nil then (or the error that stopped it).
type Source interface {
	Run(ctx context.Context, obs Observer) error
}

// Act carries out an admitted firing (in ingest: create an incident and
// send a capture job). An error is logged; the firing still counts against
// the rule's limits, so a failing action cannot loop.
type Act func(ctx context.Context, f Firing) error

// Runner evaluates the rules every Interval over what its sources observe
// and acts on admitted firings.
type Runner struct {
	Evaluator *Evaluator
	Sources   []Source
	// CPU are the CPU rules' watches, run beside the sources; each acts
	// through its own Act, or the runner's when nil.
	CPU []*CPUWatch
	// Interval between evaluations; 0 means DefaultEvaluateInterval.
	Interval time.Duration
	Act      Act
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Run runs the sources and the evaluation loop until ctx ends. A source
// that fails stops the runner with its error.
func (r *Runner) Run(ctx context.Context) error {
	if r.Evaluator == nil || r.Act == nil {
		return errors.New("autoheal: runner needs an Evaluator and an Act")
	}
	log := cmp.Or(r.Log, discardLog)
	now := clock(r.Now)
	every := cmp.Or(max(r.Interval, 0), DefaultEvaluateInterval)
	g, ctx := errgroup.WithContext(ctx)
	for _, s := range r.Sources {
		g.Go(func() error {
			if err := s.Run(ctx, r.Evaluator); err != nil && ctx.Err() == nil {
				return fmt.Errorf("autoheal: source %T: %w", s, err)
			}
			return nil
		})
	}
	for _, w := range r.CPU {
		if w.Act == nil {
			w.Act = r.Act
		}
		g.Go(func() error { return w.Run(ctx) })
	}
	g.Go(func() error {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			for _, f := range r.Evaluator.EvaluateContext(ctx, now()) {
				if strings.HasPrefix(f.Suppressed, suppressedNoState) {
					log.Error("auto-heal rule met but its limit state is unavailable; not acting", "rule", f.Rule, "site", f.Site, "instance", f.Instance, "why", f.Suppressed)
					continue
				}
				if f.Suppressed != "" {
					log.Debug("auto-heal rule met but held back", "rule", f.Rule, "site", f.Site, "instance", f.Instance, "why", f.Suppressed)
					continue
				}
				log.Info("auto-heal rule fired", "rule", f.Rule, "site", f.Site, "instance", f.Instance, "pid", f.PID, "trigger", f.Trigger, "reason", f.Reason, "action", f.Action.Kind)
				if err := r.Act(ctx, f); err != nil {
					log.Error("auto-heal action failed", "rule", f.Rule, "site", f.Site, "instance", f.Instance, "err", err)
				}
			}
		}
	})
	return g.Wait()
}

// jittered returns d ± up to 10 %, so that many watchers do not poll in
// step.
func jittered(d time.Duration) time.Duration {
	j := int64(d) / 10
	if j <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*j)-j)
}

// sleep waits d or until ctx ends (false then).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
