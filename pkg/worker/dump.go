package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// stored describes a committed dump.
type stored struct {
	bytes    int64
	sha256   string
	attempts int
	existed  bool
	// capturedAt is when an earlier delivery stored the dump (existed),
	// from its metadata; zero when unknown.
	capturedAt time.Time
}

// dumpTarget dumps one target (unless its key is already committed) — or,
// when the job asks for a series, takes the series (dumpSeries) — then
// collect-kills it when the job asks. It returns the target's results (one
// per dump asked for), the DumpCaptured of every dump stored, and an error
// only for ErrInterrupted or a failure to publish a DumpCaptured.
func (e *Engine) dumpTarget(ctx context.Context, job *messages.CaptureJob, strategy string, t target) ([]messages.TargetResult, []messages.DumpCaptured, error) {
	res := messages.TargetResult{Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Process: t.Name}
	if t.PID <= 0 || t.IsSCM {
		res.Outcome, res.Reason = messages.OutcomeSkipped, "the SCM (Kudu) process is never dumped"
		e.m.Dumps.WithLabelValues("skipped").Inc()
		return []messages.TargetResult{res}, nil, nil
	}
	if job.Action.Kill {
		if skip, why, err := e.killedEarlier(ctx, job, t); err != nil || skip {
			res.Outcome, res.Reason = messages.OutcomeSkipped, why
			if err != nil {
				res.Outcome, res.Reason = messages.OutcomeFailed, "not dumped: "+err.Error()
			}
			return []messages.TargetResult{res}, nil, nil
		}
	}
	if job.Action.Series.Enabled() {
		return e.dumpSeries(ctx, job, strategy, t)
	}
	o, err := e.dumpOne(ctx, job, strategy, t, nil)
	var dumps []messages.DumpCaptured
	if o.dump != nil {
		dumps = append(dumps, *o.dump)
	}
	if err == nil && o.dump != nil && job.Action.Kill {
		k := e.collectKill(ctx, job, t)
		o.result.Kill = &k
	}
	return []messages.TargetResult{o.result}, dumps, err
}

// dumpOutcome is the outcome of one dump of a target.
type dumpOutcome struct {
	result messages.TargetResult
	// dump is set when the dump is stored (now or by an earlier
	// delivery: existed).
	dump    *messages.DumpCaptured
	existed bool
	// gone is set when the dump failed because the process is not
	// running (Kudu's 404).
	gone bool
}

// dumpOne takes one dump of t — dump ref.Index of its series when ref is
// set — unless its key is already committed, and publishes its
// DumpCaptured. The error is ErrInterrupted or a failure to publish; a
// failed dump is an outcome, not an error.
func (e *Engine) dumpOne(ctx context.Context, job *messages.CaptureJob, strategy string, t target, ref *messages.SeriesRef) (dumpOutcome, error) {
	res := messages.TargetResult{Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Process: t.Name, Series: ref}
	log := e.cfg.Logger.With("job", job.JobID, "instance", shortID(t.Instance), "pid", t.PID, "process", t.Name)
	index := 0
	if ref != nil {
		index = ref.Index
		log = log.With("series", ref.ID, "index", ref.Index)
	}
	key := layout.SeriesDumpKey(job.IncidentTime, job.IncidentID, job.Site.Segment(), t.Instance, t.Name, t.PID, index)
	res.DumpKey = key
	start := time.Now()

	st, err := e.existing(ctx, key)
	if err == nil && st == nil {
		st, err = e.dumpLocked(ctx, job, strategy, t, key, log)
	}
	if err != nil {
		if errors.Is(err, ErrInterrupted) {
			e.m.Dumps.WithLabelValues("interrupted").Inc()
			return dumpOutcome{result: res}, err
		}
		res.Outcome, res.Reason, res.DumpKey = messages.OutcomeFailed, err.Error(), ""
		var ae *attemptsError
		if errors.As(err, &ae) {
			res.Attempts = ae.attempts
			res.Reason = ae.Error()
		}
		e.m.Dumps.WithLabelValues("failed").Inc()
		e.m.Duration.WithLabelValues("failed").Observe(time.Since(start).Seconds())
		log.Warn("dump failed", "reason", res.Reason)
		e.progress(job, t, Progress{Done: true, Outcome: res.Outcome, Reason: res.Reason})
		return dumpOutcome{result: res, gone: kindOf(err) == ErrorKindNotFound}, nil
	}
	outcome := "captured"
	if st.existed {
		outcome = "existing"
	}
	e.m.Dumps.WithLabelValues(outcome).Inc()
	e.m.Duration.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	res.Outcome, res.Attempts, res.Bytes, res.SHA256 = messages.OutcomeCaptured, st.attempts, st.bytes, st.sha256
	if st.existed {
		res.Reason = "already captured by an earlier delivery of this job; not dumped again"
	}
	dc := &messages.DumpCaptured{
		IncidentID: job.IncidentID, JobID: job.JobID, Site: job.Site,
		Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Process: t.Name,
		DumpType: job.Action.DumpType, DumpKey: key, Bytes: st.bytes, SHA256: st.sha256,
		Attempts: max(st.attempts, 1), DurationMS: time.Since(start).Milliseconds(),
		CapturedAt: e.cfg.Now().UTC(), Analyze: job.Action.Analyze, Series: ref,
	}
	if st.existed && !st.capturedAt.IsZero() {
		// The first capture's time, so that a series taken over two
		// deliveries still shows when each dump was taken.
		dc.CapturedAt = st.capturedAt.UTC()
	}
	log.Info("dump stored", "key", key, "bytes", st.bytes, "attempts", st.attempts, "existed", st.existed)
	o := dumpOutcome{result: res, dump: dc, existed: st.existed}
	if err := e.publish(ctx, job.IncidentID, dc); err != nil {
		return o, fmt.Errorf("publishing dump_captured for %s: %w", key, err)
	}
	e.progress(job, t, Progress{Bytes: st.bytes, Total: st.bytes, Done: true, Outcome: res.Outcome, Reason: res.Reason})
	return o, nil
}

// attemptsError is a dump failure after some attempts.
type attemptsError struct {
	attempts int
	err      error
}

func (e *attemptsError) Error() string {
	return fmt.Sprintf("dump failed after %d attempt(s): %s", e.attempts, reason(e.err))
}
func (e *attemptsError) Unwrap() error { return e.err }

// existing returns the stored dump under key, or nil when there is none.
func (e *Engine) existing(ctx context.Context, key string) (*stored, error) {
	a, err := e.bucket.Attributes(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checking for an earlier dump at %s: %w", key, err)
	}
	st := &stored{bytes: a.Size, existed: true, sha256: a.Metadata[MetaSHA256]}
	st.attempts, _ = strconv.Atoi(a.Metadata[MetaAttempts])
	st.capturedAt, _ = time.Parse(time.RFC3339, a.Metadata[MetaCapturedAt])
	if st.sha256 == "" {
		// The backend could not store the checksum with the blob: hash
		// the stored bytes (streaming, rare: redeliveries only).
		if st.sha256, st.bytes, err = e.hashStored(ctx, key); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (e *Engine) hashStored(ctx context.Context, key string) (string, int64, error) {
	r, _, err := e.bucket.NewReader(ctx, key)
	if err != nil {
		return "", 0, fmt.Errorf("reading earlier dump %s: %w", key, err)
	}
	defer r.Close()
	v := newVerifier()
	if _, err := io.CopyBuffer(v, r, make([]byte, copyBufferSize)); err != nil {
		return "", 0, fmt.Errorf("hashing earlier dump %s: %w", key, err)
	}
	return v.sum(), v.n, nil
}

// dumpLocked dumps with retries. Each attempt takes the site's dump slot and
// a global slot, checks the key again (another worker may have stored it
// meanwhile), and gives the site slot back as soon as Kudu's body has been
// read, so the next dump of the site starts while this one commits.
func (e *Engine) dumpLocked(ctx context.Context, job *messages.CaptureJob, strategy string, t target, key string, log interface {
	Info(string, ...any)
}) (*stored, error) {
	req := DumpRequest{Site: job.Site, Instance: t.Instance, PID: t.PID, Process: t.Name, DumpType: job.Action.DumpType, Strategy: strategy}
	meta := dumpMetadata(job, t, strategy)
	if err := checkKeepable(key, meta); err != nil {
		return nil, err
	}
	var st *stored
	attempts, err := retry(ctx, e.cfg.Retry, func(attempt int) error {
		if e.stopping() {
			return backoff.Permanent(ErrInterrupted)
		}
		var err error
		st, err = e.attempt(ctx, req, key, meta, attempt, job, t)
		return err
	}, func(attempt int, err error, wait time.Duration) {
		e.m.Retries.Inc()
		log.Info("dump attempt failed, retrying", "attempt", attempt, "wait", wait.Round(time.Millisecond), "err", err)
	})
	if err != nil {
		if errors.Is(err, ErrInterrupted) || ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %w", ErrInterrupted, err)
		}
		return nil, &attemptsError{attempts: attempts, err: err}
	}
	if !st.existed {
		st.attempts = attempts
	}
	return st, nil
}

// attempt is one dump attempt under the site's and the global limits.
func (e *Engine) attempt(ctx context.Context, req DumpRequest, key string, meta map[string]string, attempt int, job *messages.CaptureJob, t target) (*stored, error) {
	// Waiting ends on Stop as well as on ctx; streaming ends only on ctx.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopWait := context.AfterFunc(e.stopCtx, cancel)
	defer stopWait()

	unlock, waited, err := e.locks.acquire(wctx, job.Site.Segment(), req.Strategy)
	e.m.LockWait.WithLabelValues(req.Strategy).Observe(waited.Seconds())
	if err != nil {
		if e.stopping() || ctx.Err() != nil {
			return nil, backoff.Permanent(fmt.Errorf("%w: waiting for the site's dump slot", ErrInterrupted))
		}
		return nil, err
	}
	defer unlock()
	if err := e.global.Acquire(wctx, 1); err != nil {
		return nil, backoff.Permanent(fmt.Errorf("%w: waiting for a dump slot", ErrInterrupted))
	}
	defer e.global.Release(1)
	if e.stopping() {
		return nil, backoff.Permanent(ErrInterrupted)
	}
	if st, err := e.existing(ctx, key); err != nil || st != nil {
		return st, err
	}
	return e.dumpOnce(ctx, dumpAttempt{req: req, key: key, meta: meta, number: attempt, job: job, target: t, bodyRead: unlock})
}
