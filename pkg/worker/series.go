package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// dumpSeries takes the job's series of t: Count dumps, one after the
// other, each started IntervalSeconds after the start of the one before
// (at once when that one took longer), as ProcDump's -n/-s do. Each dump
// is stored and published like any dump, carrying its SeriesRef; a failed
// dump does not end the series (the others still show which threads did
// not move), but a process that is gone does (the failed dump's 404, or
// Kudu's process detail asked after any failed dump): the dumps left are
// reported skipped. A collect-kill follows the last dump, when any was stored, and
// is reported on the series' last row. Dumps an earlier delivery stored
// are not taken again and are not waited for.
//
// Between dumps nothing is held: not the site's dump slot, not a global
// slot (the queue keeps the job's message locked while its handler runs).
// Stop or a cancelled ctx ends the wait with ErrInterrupted; the
// redelivered job takes the dumps still missing.
func (e *Engine) dumpSeries(ctx context.Context, job *messages.CaptureJob, strategy string, t target) ([]messages.TargetResult, []messages.DumpCaptured, error) {
	s := job.Action.Series
	id := messages.SeriesID(job.JobID, t.Instance, t.PID)
	var (
		results []messages.TargetResult
		dumps   []messages.DumpCaptured
		next    time.Time // when the next dump may start
	)
	for i := 1; i <= s.Count; i++ {
		ref := &messages.SeriesRef{ID: id, Index: i, Count: s.Count, IntervalSeconds: s.IntervalSeconds}
		if err := e.waitUntil(ctx, next); err != nil {
			return results, dumps, err
		}
		started := e.cfg.Now()
		o, err := e.dumpOne(ctx, job, strategy, t, ref)
		results = append(results, o.result)
		if o.dump != nil {
			dumps = append(dumps, *o.dump)
		}
		if err != nil {
			return results, dumps, err
		}
		next = started.Add(s.Interval())
		if o.existed {
			next = time.Time{} // taken by an earlier delivery: nothing to wait for
		}
		if o.result.Outcome == messages.OutcomeFailed && !o.gone && i < s.Count {
			o.gone = e.processGone(ctx, job.Site, t)
		}
		if o.gone {
			for j := i + 1; j <= s.Count; j++ {
				results = append(results, messages.TargetResult{
					Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Process: t.Name,
					Outcome: messages.OutcomeSkipped,
					Reason:  fmt.Sprintf("dump %d of %d not taken: the process was no longer running at dump %d", j, s.Count, i),
					Series:  &messages.SeriesRef{ID: id, Index: j, Count: s.Count, IntervalSeconds: s.IntervalSeconds},
				})
			}
			break
		}
	}
	if job.Action.Kill && len(dumps) > 0 {
		k := e.collectKill(ctx, job, t)
		results[len(results)-1].Kill = &k
	}
	return results, dumps, nil
}

// processGone reports whether Kudu says t's pid no longer runs on its
// instance. A direct dump of an exited process fails with Kudu's 404, but a
// staged one fails with ProcDump's exit code and words, so after a failed
// dump the series asks. Any other answer (an error, the pid still listed)
// keeps the series going.
func (e *Engine) processGone(ctx context.Context, site messages.Site, t target) bool {
	_, err := e.kudu.Process(ctx, site, t.Instance, t.PID)
	return err != nil && kindOf(err) == ErrorKindNotFound
}

// targetLimit is how many targets of one job run at once: the worker's
// concurrency, times the series' count for a series, since a series'
// target spends most of its time waiting between dumps, holding no dump
// slot (the dumps themselves stay bounded by the global limit and the
// site's slot). Without it, the series of one instance would wait for
// another's to end, and dumps meant to be simultaneous across instances
// would be minutes apart.
func targetLimit(concurrency int, s *messages.Series) int {
	if s.Enabled() {
		return concurrency * s.Count
	}
	return concurrency
}

// waitUntil waits (through Config.SleepUntil) until the engine's clock
// reaches at; a zero or past at returns at once. Stop or ctx end the wait
// with ErrInterrupted.
func (e *Engine) waitUntil(ctx context.Context, at time.Time) error {
	d := at.Sub(e.cfg.Now())
	if at.IsZero() || d <= 0 {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(e.stopCtx, cancel)
	defer stop()
	if err := e.cfg.SleepUntil(wctx, at); err != nil || e.stopping() {
		return fmt.Errorf("%w: waiting %v for the next dump of a series", ErrInterrupted, d.Round(time.Millisecond))
	}
	return nil
}

// sleepContext sleeps for d, or until ctx ends (returning its error).
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
