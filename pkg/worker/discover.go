package worker

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// target is one process chosen for a dump.
type target struct {
	Instance string
	Process
}

// discovery is what discover found for one site.
type discovery struct {
	instances []string
	targets   []target
	// results are per-instance failures and skips found while listing.
	results []messages.TargetResult
}

// discover lists the site's instances, then the processes on each wanted
// instance in parallel (bounded by ListConcurrency), and selects targets.
// With emit, each instance's targets are handed to emit as soon as they are
// known (from several goroutines); without, they are collected in
// discovery.targets. It fails only when the instances cannot be listed; an
// instance that cannot be listed becomes a failed result with PID 0.
func (e *Engine) discover(ctx context.Context, site messages.Site, sel *selector, emit func(target)) (discovery, error) {
	var d discovery
	var insts []Instance
	_, err := retry(ctx, e.cfg.Retry, func(int) error {
		var err error
		insts, err = e.kudu.Instances(ctx, site)
		return classify(err)
	}, nil)
	if err != nil {
		return d, fmt.Errorf("listing the instances of %s: %s", site.ResourceID, reason(err))
	}
	e.cfg.Logger.Debug("instances listed", "site", site.Segment(), "count", len(insts))
	var wanted []string
	for _, in := range insts {
		d.instances = append(d.instances, in.ID)
		if sel.wantInstance(in.ID) {
			wanted = append(wanted, in.ID)
		}
	}
	slices.Sort(d.instances)
	for id := range sel.instances {
		if !slices.ContainsFunc(d.instances, func(s string) bool { return equalFold(s, id) }) {
			d.results = append(d.results, messages.TargetResult{Instance: id, Outcome: messages.OutcomeFailed,
				Reason: "instance named by the job is not one of the site's instances (scaled in?)"})
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.cfg.ListConcurrency)
	for _, inst := range wanted {
		g.Go(func() error {
			ts, rs := e.discoverInstance(gctx, site, sel, inst)
			if emit != nil {
				for _, t := range ts {
					emit(t)
				}
				ts = nil
			}
			mu.Lock()
			defer mu.Unlock()
			d.targets = append(d.targets, ts...)
			d.results = append(d.results, rs...)
			return nil
		})
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return d, ctx.Err()
	}
	return d, nil
}

// discoverInstance lists and selects on one instance, with retries for
// transient failures.
func (e *Engine) discoverInstance(ctx context.Context, site messages.Site, sel *selector, inst string) ([]target, []messages.TargetResult) {
	fail := func(what string, err error) []messages.TargetResult {
		return []messages.TargetResult{{Instance: inst, Outcome: messages.OutcomeFailed,
			Reason: fmt.Sprintf("%s on instance %s: %s", what, shortID(inst), reason(err))}}
	}
	start := time.Now()
	defer func() {
		e.cfg.Logger.Debug("instance discovered", "site", site.Segment(), "instance", shortID(inst), "took", time.Since(start))
	}()
	var procs []Process
	attempts, err := retry(ctx, e.cfg.Retry, func(int) error {
		var err error
		procs, err = e.kudu.Processes(ctx, site, inst)
		return classify(err)
	}, nil)
	if err != nil {
		rs := fail("listing processes", err)
		rs[0].Attempts = attempts
		return nil, rs
	}
	if !sel.wantMachine(procs) {
		return nil, nil
	}
	detail := func(ctx context.Context, pid int) (Process, error) {
		var p Process
		_, err := retry(ctx, e.cfg.Retry, func(int) error {
			var err error
			p, err = e.kudu.Process(ctx, site, inst, pid)
			return classify(err)
		}, nil)
		return p, err
	}
	s, err := sel.selectOnInstance(ctx, inst, procs, detail, e.cfg.Now())
	if err != nil {
		return nil, fail("selecting processes", err)
	}
	if len(s.targets) == 0 && len(s.skipped) == 0 {
		machine := ""
		if len(procs) > 0 {
			machine = procs[0].MachineName
		}
		s.skipped = append(s.skipped, messages.TargetResult{Instance: inst, MachineName: machine,
			Outcome: messages.OutcomeSkipped, Reason: noMatchReason(sel, procs)})
	}
	ts := make([]target, 0, len(s.targets))
	for _, p := range s.targets {
		ts = append(ts, target{Instance: inst, Process: p})
	}
	return ts, s.skipped
}
