package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/retry"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// RunSchedules fires the configured (enabled) schedules until ctx ends,
// one goroutine per schedule, all owned and waited for here. A slot's
// incident id derives from the schedule name and the slot time, so that
// replicas running the same schedules, or a restart within a slot, create
// it once. Slots missed while no replica ran are not caught up. It returns
// nil when ctx ends.
func (s *Service) RunSchedules(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	for i := range s.cfg.Policies.Schedules {
		sc := &s.cfg.Policies.Schedules[i]
		if sc.Disabled {
			continue
		}
		g.Go(func() error { s.runSchedule(gctx, sc); return nil })
	}
	return g.Wait()
}

func (s *Service) runSchedule(ctx context.Context, sc *policy.Schedule) {
	s.log.Info("ingest: schedule started", "schedule", sc.Name, "cron", sc.Cron, "next", sc.Next(s.cfg.Now()))
	for {
		slot := sc.Next(s.cfg.Now())
		if slot.IsZero() {
			s.log.Warn("ingest: schedule has no future slot", "schedule", sc.Name)
			return
		}
		fireAt := slot.Add(Jitter(sc.Name, slot, sc.Jitter.D()))
		if !sleepUntil(ctx, s.cfg.Now, fireAt) {
			return
		}
		s.fireSlot(ctx, sc, slot)
		if ctx.Err() != nil {
			return
		}
	}
}

// Attempts of one schedule slot: the n-th retry waits n × slotRetryStep.
const (
	slotAttempts  = 3
	slotRetryStep = 5 * time.Second
)

// fireSlot fires one slot through pkg/retry, logging each failed attempt.
func (s *Service) fireSlot(ctx context.Context, sc *policy.Schedule, slot time.Time) {
	failed := func(attempt int, err error) {
		s.log.Error("ingest: schedule slot failed", "schedule", sc.Name, "slot", slot, "attempt", attempt, "err", err)
	}
	var acc Accepted
	n, err := retry.Do(ctx, retry.Options{
		BackOff:     retry.ByAttempt(func(n int) time.Duration { return time.Duration(n) * slotRetryStep }),
		MaxAttempts: slotAttempts,
		Notify:      func(attempt int, err error, _ time.Duration) { failed(attempt, err) },
	}, func(int) (err error) {
		acc, err = s.FireSchedule(ctx, sc, slot)
		return err
	})
	var exhausted *retry.ExhaustedError
	switch {
	case err == nil:
		s.log.Info("ingest: schedule fired", "schedule", sc.Name, "slot", slot, "incident_id", acc.IncidentID,
			"duplicate", acc.Duplicate, "jobs", acc.Jobs)
	case errors.As(err, &exhausted):
		failed(n, exhausted.Err) // the last attempt, which no wait followed
	}
}

// FireSchedule creates the incident of schedule sc for slot (the slot's
// nominal time, before jitter).
func (s *Service) FireSchedule(ctx context.Context, sc *policy.Schedule, slot time.Time) (Accepted, error) {
	ctx, span := tracing.Start(ctx, "schedule", trace.WithAttributes(attribute.String("dumpflow.schedule", sc.Name)))
	defer span.End()
	res, err := s.resolver.resolve(ctx, nil, sc.Targets)
	if err != nil {
		return Accepted{}, fmt.Errorf("ingest: schedule %s: %w", sc.Name, err)
	}
	act, err := sc.ActionSpec.Message()
	if err != nil {
		return Accepted{}, fmt.Errorf("ingest: schedule %s: %w", sc.Name, err)
	}
	reason := fmt.Sprintf("scheduled sweep %q (%s), slot %s", sc.Name, sc.Cron, slot.UTC().Format(time.RFC3339))
	if v := summarizeVia(res.Via); v != "" {
		reason += " (" + v + ")"
	}
	return s.commit(ctx, &incidentSpec{traceParent: traceParent(""), sites: res.Sites, manifest: messages.Manifest{
		IncidentID: messages.IncidentID(slot, "schedule", sc.Name), CreatedAt: slot.UTC(), Action: act, Selector: sc.Selector,
		Trigger: messages.Trigger{Kind: "schedule", Source: sc.Name, FiredAt: slot.UTC(), Reason: reason},
	}})
}

// Jitter is the delay of a schedule's slot: a hash of the name and slot
// scaled below max, the same on every replica.
func Jitter(name string, slot time.Time, max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte(slot.UTC().Format(time.RFC3339)))
	return time.Duration(h.Sum64() % uint64(max))
}

// sleepUntil waits until the clock reaches t or ctx ends (false).
func sleepUntil(ctx context.Context, now func() time.Time, t time.Time) bool {
	d := t.Sub(now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
