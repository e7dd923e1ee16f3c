package worker

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Blob metadata keys stored with every dump.
const (
	MetaApp         = "app"
	MetaResourceID  = "resource_id"
	MetaInstance    = "instance"
	MetaMachine     = "machine_name"
	MetaPID         = "pid"
	MetaProcess     = "process"
	MetaDumpType    = "dump_type"
	MetaStrategy    = "strategy"
	MetaIncident    = "incident"
	MetaJob         = "job"
	MetaTrigger     = "trigger"
	MetaTriggerRule = "trigger_rule"
	MetaSHA256      = "sha256"
	MetaBytes       = "bytes"
	MetaAttempts    = "attempts"
	MetaCapturedAt  = "captured_at"
)

// DumpContentType is the content type of stored dumps.
const DumpContentType = "application/x-dmp"

// MetadataSetter is implemented by blob Writers that accept metadata known
// only at the end of the stream; SetMetadata replaces the metadata that
// Close commits. With a Writer that lacks it, the checksum is not stored
// with the blob and a redelivery re-hashes the stored dump instead.
type MetadataSetter interface {
	SetMetadata(map[string]string) error
}

// dumpMetadata is the metadata known before the dump streams.
func dumpMetadata(job *messages.CaptureJob, t target, strategy string) map[string]string {
	m := map[string]string{
		MetaApp:        job.Site.Segment(),
		MetaResourceID: ascii(job.Site.ResourceID),
		MetaInstance:   ascii(t.Instance),
		MetaPID:        strconv.Itoa(t.PID),
		MetaProcess:    ascii(t.Name),
		MetaDumpType:   job.Action.DumpType,
		MetaStrategy:   strategy,
		MetaIncident:   job.IncidentID,
		MetaJob:        job.JobID,
		MetaTrigger:    ascii(job.Trigger.Kind + ":" + job.Trigger.Source),
	}
	if t.MachineName != "" {
		m[MetaMachine] = ascii(t.MachineName)
	}
	if r := ascii(job.Trigger.Rule); r != "" {
		m[MetaTriggerRule] = r
	}
	return m
}

// ascii keeps printable ASCII (blob metadata values must be ASCII) and
// bounds the length, without leading or trailing spaces (Azure carries
// metadata as HTTP headers, which cannot keep them).
func ascii(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r < 0x7f {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 512 {
			break
		}
	}
	return strings.TrimSpace(b.String())
}

// dumpAttempt is what one attempt of a dump needs.
type dumpAttempt struct {
	req    DumpRequest
	key    string
	meta   map[string]string // the blob's metadata known before the dump
	number int               // 1-based
	job    *messages.CaptureJob
	target target
	// bodyRead is called once Kudu's body has been read and closed (the
	// site's staging file is gone then).
	bodyRead func()
}

// dumpOnce is one attempt: start the dump, stream it into a create-if-absent
// blob while verifying it, and commit. Errors come back classified for
// retry: permanent ones wrapped with backoff.Permanent.
func (e *Engine) dumpOnce(ctx context.Context, a dumpAttempt) (*stored, error) {
	req, key, meta, attempt, job, t, bodyRead := a.req, a.key, a.meta, a.number, a.job, a.target, a.bodyRead
	body, size, err := e.kudu.Dump(ctx, req)
	if err != nil {
		return nil, classify(err)
	}
	closeBody := sync.OnceValue(body.Close)
	defer closeBody()

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The dump is hashed once, by copyDump; a blob backend that keeps its
	// own checksum takes that one.
	var sum string
	opts := &blob.WriterOptions{ContentType: DumpContentType, Metadata: maps.Clone(meta),
		ContentSHA256: func() string { return sum }}
	if size > 0 {
		opts.Size = size
	}
	w, err := e.bucket.NewWriter(wctx, key, opts)
	if err != nil {
		return nil, blobErr("opening blob writer", key, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = w.Abort()
		}
	}()

	e.m.InFlight.Inc()
	defer e.m.InFlight.Dec()
	var streamed atomic.Int64
	stopProgress := e.sampleProgress(job, t, size, attempt, &streamed)
	n, digest, err := copyDump(w, e.minRate(body), &streamed, copyChunkFor(e.cfg.Concurrency))
	stopProgress()
	if cerr := closeBody(); cerr != nil && err == nil {
		// The staged strategy deletes its server file on Close; a failed
		// delete leaves a file behind but does not spoil the dump.
		e.cfg.Logger.Warn("closing the dump body", "key", key, "err", cerr)
	}
	bodyRead()
	if err != nil {
		e.m.Bytes.WithLabelValues("failed").Add(float64(n))
		var re *readError
		switch {
		case errors.Is(err, ErrCorruptDump):
			return nil, backoff.Permanent(err)
		case errors.As(err, &re):
			return nil, classify(fmt.Errorf("after %d bytes: %w", n, re.err))
		case ctx.Err() != nil:
			return nil, backoff.Permanent(ctx.Err())
		}
		return nil, blobErr("writing", key, err)
	}
	if err := checkLength(n, size); err != nil {
		e.m.Bytes.WithLabelValues("failed").Add(float64(n))
		return nil, err // short: transient, retried
	}
	sum = hex.EncodeToString(digest[:])
	if ms, ok := w.(MetadataSetter); ok {
		full := maps.Clone(meta)
		full[MetaSHA256] = sum
		full[MetaBytes] = strconv.FormatInt(n, 10)
		full[MetaAttempts] = strconv.Itoa(attempt)
		full[MetaCapturedAt] = e.cfg.Now().UTC().Format(time.RFC3339)
		if err := ms.SetMetadata(full); err != nil {
			return nil, blobErr("setting metadata of", key, err)
		}
	}
	err = w.Close()
	committed = true
	if errors.Is(err, blob.ErrExists) {
		// Another delivery stored this key first: report that dump.
		st, xerr := e.existing(ctx, key)
		if xerr != nil || st == nil {
			return nil, backoff.Permanent(fmt.Errorf("dump %s exists but cannot be read: %w", key, xerr))
		}
		return st, nil
	}
	if err != nil {
		return nil, blobErr("committing", key, err)
	}
	e.m.Bytes.WithLabelValues("captured").Add(float64(n))
	return &stored{bytes: n, sha256: sum}, nil
}

// blobErr wraps a blob failure; bad keys and metadata are permanent, the
// rest are worth retrying.
func blobErr(op, key string, err error) error {
	err = fmt.Errorf("blob storage: %s %s: %w", op, key, err)
	if errors.Is(err, blob.ErrInvalidKey) || errors.Is(err, blob.ErrInvalidMetadata) || localStorageFailure(err) {
		return backoff.Permanent(err)
	}
	return err
}

// progressInterval is how often a dump's progress is reported to
// Engine.OnProgress while it streams.
const progressInterval = 250 * time.Millisecond

// sampleProgress reports the bytes in streamed to OnProgress every
// progressInterval from a goroutine of its own, so that the copy loop only
// stores a counter; the returned stop ends that goroutine and waits for it.
// Without OnProgress it does nothing.
func (e *Engine) sampleProgress(job *messages.CaptureJob, t target, total int64, attempt int, streamed *atomic.Int64) (stop func()) {
	if e.OnProgress == nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		var last int64
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				if n := streamed.Load(); n != last {
					last = n
					e.progress(job, t, Progress{Bytes: n, Total: total, Attempt: attempt})
				}
			}
		}
	}()
	return func() { close(quit); <-done }
}

func (e *Engine) progress(job *messages.CaptureJob, t target, p Progress) {
	if e.OnProgress == nil {
		return
	}
	p.Site, p.Instance, p.PID, p.Process = job.Site.Segment(), t.Instance, t.PID, t.Name
	e.OnProgress(p)
}
