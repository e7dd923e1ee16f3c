package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// ErrInterrupted means the engine stopped (Stop or a cancelled context)
// before every target of a job was done. The job must not be reported as
// complete; redelivery finishes it (targets already stored are not dumped
// again).
var ErrInterrupted = errors.New("worker: job interrupted by shutdown")

// Publisher sends result messages (DumpCaptured, JobCompleted) to the
// analysis queue. Publish must be idempotent per envelope id (queues drop
// duplicates by message id).
type Publisher interface {
	Publish(ctx context.Context, env messages.Envelope) error
}

// Progress reports one target's streaming progress to an observer.
type Progress struct {
	Site     string
	Instance string
	PID      int
	Process  string
	// Bytes streamed so far in the current attempt; Total is -1 when
	// unknown.
	Bytes, Total int64
	Attempt      int
	// Done is set on the last report of a target, with Outcome and Reason.
	Done    bool
	Outcome string
	Reason  string
}

// Engine captures the targets of CaptureJobs. It is safe for concurrent use:
// jobs run in parallel share the global dump limit and the site locks.
type Engine struct {
	kudu   Kudu
	bucket blob.Bucket
	pub    Publisher
	cfg    Config
	m      *Metrics
	// OnProgress, when set before the first Capture, receives progress
	// reports from the goroutines that stream dumps (it must be safe for
	// concurrent use and fast).
	OnProgress func(Progress)

	global *semaphore.Weighted
	locks  *siteLocks
	budget *killBudget

	stopCtx  context.Context
	stopNow  context.CancelFunc
	stopOnce sync.Once
}

// New returns an engine that reads from k and stores into b. pub may be nil
// (results are then only returned by Capture); m may be nil.
func New(k Kudu, b blob.Bucket, pub Publisher, m *Metrics, cfg Config) (*Engine, error) {
	if k == nil || b == nil {
		return nil, errors.New("worker: New needs a Kudu client and a blob bucket")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	e := &Engine{kudu: k, bucket: b, pub: pub, cfg: cfg, m: m,
		global: semaphore.NewWeighted(int64(cfg.Concurrency))}
	e.locks = newSiteLocks(b, cfg, func() { m.LeaseLost.Inc() })
	e.budget = &killBudget{bucket: b, cfg: cfg.KillBudget, ttl: 15 * time.Second, poll: 50 * time.Millisecond}
	e.stopCtx, e.stopNow = context.WithCancel(context.Background())
	return e, nil
}

// Stop makes the engine stop taking work: targets not yet streaming are not
// started (their jobs end with ErrInterrupted), while dumps in flight go on
// until they finish or their context is cancelled. Safe to call more than
// once.
func (e *Engine) Stop() { e.stopOnce.Do(e.stopNow) }

func (e *Engine) stopping() bool { return e.stopCtx.Err() != nil }

// JobResult is the outcome of one job.
type JobResult struct {
	// Completed is the JobCompleted report (also published).
	Completed messages.JobCompleted
	// Dumps are the dumps stored or found stored, in target order.
	Dumps []messages.DumpCaptured
}

// Capture runs one job: discover, select, dump (and collect-kill), then
// publish one DumpCaptured per stored dump (as each is stored) and one
// JobCompleted. It returns ErrInterrupted (wrapped) when shutdown or ctx
// stopped it before every target was done, or an error when results could
// not be published; the job should then be retried, and the JobResult (which
// may be nil) holds only the targets that were done, unpublished. It never
// returns a permanent error (see queue.Permanent): the job's own faults are
// reported in JobCompleted.
func (e *Engine) Capture(ctx context.Context, job *messages.CaptureJob) (*JobResult, error) {
	started := e.cfg.Now().UTC()
	res := &JobResult{Completed: messages.JobCompleted{
		IncidentID: job.IncidentID, JobID: job.JobID, Site: job.Site,
		StartedAt: started, Instances: []string{}, Targets: []messages.TargetResult{},
	}}
	ctx = withDelivery(ctx)
	log := e.cfg.Logger.With("job", job.JobID)
	log.Debug("job started", "strategy", job.Action.Strategy, "dump_type", job.Action.DumpType, "kill", job.Action.Kill)
	sel, err := compileSelector(job.Selector)
	if err != nil {
		res.Completed.Error = "invalid selector: " + err.Error()
		return res, e.finish(ctx, res)
	}
	sel.perInstance = e.cfg.MaxTargetsPerInstance
	strategy := job.Action.Strategy
	if strategy == "" {
		strategy = e.cfg.DefaultStrategy
	}
	var (
		mu                     sync.Mutex
		outs                   []targetOutcome
		interrupted, pubFailed error
	)
	// Targets run concurrently up to the global limit: the site's dump slot
	// (one direct dump per site across workers, StagedPerSite staged ones)
	// and the global semaphore bound the dumps, while kills and their
	// confirmation proceed beside the next dump.
	g := new(errgroup.Group)
	g.SetLimit(e.cfg.Concurrency)
	launch := func(t target) {
		g.Go(func() error {
			r, dc, err := e.runTarget(ctx, job, strategy, t)
			mu.Lock()
			defer mu.Unlock()
			outs = append(outs, targetOutcome{t, r, dc})
			switch {
			case errors.Is(err, ErrInterrupted):
				interrupted = err
			case err != nil:
				pubFailed = err
			}
			return nil
		})
	}
	var disc discovery
	var capped []messages.TargetResult
	if sel.maxCount > 0 {
		// The cap needs every candidate first.
		if disc, err = e.discover(ctx, job.Site, sel, nil); err == nil {
			var ts []target
			ts, capped = sel.capTargets(disc.targets)
			for _, t := range ts {
				launch(t)
			}
		}
	} else {
		// Dump each target as soon as its instance is listed.
		pending := make(chan target, 4096)
		var dispatcher sync.WaitGroup
		dispatcher.Add(1)
		go func() {
			defer dispatcher.Done()
			for t := range pending {
				launch(t)
			}
		}()
		disc, err = e.discover(ctx, job.Site, sel, func(t target) { pending <- t })
		close(pending)
		dispatcher.Wait()
	}
	_ = g.Wait()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
		}
		res.Completed.Error = err.Error()
		log.Warn("job failed before dumping", "err", err)
		return res, e.finish(ctx, res)
	}
	res.Completed.Instances = disc.instances
	slices.SortFunc(outs, func(a, b targetOutcome) int {
		if c := strings.Compare(a.t.Instance, b.t.Instance); c != 0 {
			return c
		}
		return a.t.PID - b.t.PID
	})
	for _, o := range outs {
		if o.result.Outcome == "" {
			continue // interrupted before it was done
		}
		res.Completed.Targets = append(res.Completed.Targets, o.result)
		if o.dump != nil {
			res.Dumps = append(res.Dumps, *o.dump)
		}
	}
	if interrupted != nil {
		// The partial result is for a person (worker capture); it is
		// never published.
		e.m.Jobs.WithLabelValues("interrupted").Inc()
		return res, interrupted
	}
	if pubFailed != nil {
		e.m.Jobs.WithLabelValues("error").Inc()
		return res, pubFailed
	}
	res.Completed.Targets = append(res.Completed.Targets, capped...)
	res.Completed.Targets = append(res.Completed.Targets, disc.results...)
	return res, e.finish(ctx, res)
}

// targetOutcome is one dumped (or failed) target.
type targetOutcome struct {
	t      target
	result messages.TargetResult
	dump   *messages.DumpCaptured
}

// finish stamps and publishes the JobCompleted.
func (e *Engine) finish(ctx context.Context, res *JobResult) error {
	c := &res.Completed
	c.FinishedAt = e.cfg.Now().UTC()
	if c.FinishedAt.Before(c.StartedAt) {
		c.FinishedAt = c.StartedAt
	}
	if err := e.publish(ctx, c.IncidentID, c); err != nil {
		e.m.Jobs.WithLabelValues("error").Inc()
		return fmt.Errorf("publishing job_completed for %s: %w", c.JobID, err)
	}
	e.m.Jobs.WithLabelValues("completed").Inc()
	return nil
}

// publish sends p with a few quick retries; nil Publisher is a no-op.
func (e *Engine) publish(ctx context.Context, incident string, p messages.Payload) error {
	if e.pub == nil {
		return nil
	}
	env := messages.New(incident, p, e.cfg.Now())
	env.TraceParent = tracing.TraceParent(ctx)
	_, err := retry(ctx, RetryPolicy{MaxAttempts: 3, InitialInterval: 200 * time.Millisecond, MaxInterval: 2 * time.Second, MaxElapsed: 30 * time.Second, Jitter: DefaultJitter},
		func(int) error { return e.pub.Publish(ctx, env) }, nil)
	return err
}
