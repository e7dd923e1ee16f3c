package analyzer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/report"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

var _ queue.Handler = (*Handler)(nil)

// Config tunes a Handler. The zero value is usable.
type Config struct {
	// Logger receives one line per handled message; nil discards.
	Logger *slog.Logger
	// Now is the clock for DumpReport.AnalyzedAt; nil means time.Now.
	Now func() time.Time
	// Analysis tunes the per-dump analysis; zero means its defaults.
	Analysis dumpfacts.Options
	// RenderTimeout bounds one coalesced report render, waiting for the
	// render lease included; zero means DefaultRenderTimeout.
	RenderTimeout time.Duration
}

// Handler handles the analysis queue. It is safe for concurrent use.
// Concurrent messages of one incident share report renders (see the
// package documentation); Close waits for renders still running.
type Handler struct {
	bucket  blob.Bucket
	cfg     Config
	renders *coalescer
}

// New returns a Handler reading and writing bucket.
func New(bucket blob.Bucket, cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{bucket: bucket, cfg: cfg}
	h.renders = newCoalescer(h.Render, cfg.RenderTimeout, cfg.Logger)
	return h
}

// Close waits for report renders started by Handle that are still running
// (a caller that stopped waiting leaves its render running for the others).
// Each render is bounded by Config.RenderTimeout. Call it after the last
// Handle has returned; the bucket is not closed.
func (h *Handler) Close() error {
	h.renders.wait()
	return nil
}

// Handle processes one message; its signature is the queue port's handler.
// A nil return completes the message; queue.Permanent errors dead-letter
// it; other errors abandon it for redelivery.
func (h *Handler) Handle(ctx context.Context, m *queue.Received) error {
	env, err := messages.Decode(m.Body)
	if err != nil {
		return queue.Permanent(fmt.Errorf("analyzer: undecodable message %s: %w", m.ID, err))
	}
	log := h.cfg.Logger.With("message_id", env.ID, "incident", env.IncidentID, "type", env.Type, "delivery", m.DeliveryCount)
	ctx = tracing.FromTraceParent(ctx, env.TraceParent)
	switch p := env.Payload.(type) {
	case *messages.DumpCaptured:
		actx, span := tracing.Start(ctx, "analysis", trace.WithAttributes(attribute.String("dumpflow.dump_key", p.DumpKey),
			attribute.Int64("dumpflow.bytes", p.Bytes)))
		err := h.AnalyzeDump(actx, p)
		tracing.Fail(span, err)
		span.End()
		if err != nil {
			log.Warn("dump analysis failed", "dump_key", p.DumpKey, "err", err)
			return err
		}
	case *messages.JobCompleted:
		if err := h.StoreJob(ctx, p); err != nil {
			log.Warn("storing job failed", "job_id", p.JobID, "err", err)
			return err
		}
	default:
		return queue.Permanent(fmt.Errorf("analyzer: message %s has type %q, which does not belong on the analysis queue", env.ID, env.Type))
	}
	// Completing the message needs a render that started after its data was
	// stored; concurrent messages of the incident share it.
	rctx, span := tracing.Start(ctx, "report", trace.WithAttributes(attribute.String("dumpflow.incident_id", env.IncidentID)))
	err = h.renders.do(rctx, env.IncidentID)
	tracing.Fail(span, err)
	span.End()
	if err != nil {
		log.Warn("report rendering failed", "err", err)
		return err
	}
	log.Info("handled")
	return nil
}

// AnalyzeDump analyzes the dump c names, reading it through ranged reads,
// and stores the result at layout.DumpReportKey (overwriting an earlier
// one). An unreadable dump is stored with its error, not retried; a dump
// not (yet) in storage and storage failures are returned for a retry.
func (h *Handler) AnalyzeDump(ctx context.Context, c *messages.DumpCaptured) error {
	doc := &report.DumpReport{Capture: c}
	if c.Analyze {
		a, err := AnalyzeBlob(ctx, h.bucket, c.DumpKey, h.cfg.Analysis)
		switch {
		case errors.Is(err, minidump.ErrFormat):
			doc.AnalysisError = err.Error()
		case err != nil:
			return err
		default:
			doc.Analysis = a
		}
	}
	doc.AnalyzedAt = h.cfg.Now().UTC()
	key := layout.DumpReportKey(c.IncidentID, c.Site.Segment(), c.Instance, c.Process, c.PID)
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("analyzer: encode analysis of %s: %w", c.DumpKey, err)
	}
	return h.put(ctx, key, "application/json", b)
}

// StoreJob stores c's payload at layout.JobKey.
func (h *Handler) StoreJob(ctx context.Context, c *messages.JobCompleted) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("analyzer: encode job %s: %w", c.JobID, err)
	}
	return h.put(ctx, layout.JobKey(c.IncidentID, c.Site.Segment()), "application/json", b)
}

// put writes b under key, replacing what is there.
func (h *Handler) put(ctx context.Context, key, contentType string, b []byte) error {
	w, err := h.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType, Overwrite: true, Size: int64(len(b))})
	if err != nil {
		return fmt.Errorf("analyzer: write %s: %w", key, err)
	}
	if _, err := w.Write(b); err != nil {
		w.Abort()
		return fmt.Errorf("analyzer: write %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("analyzer: commit %s: %w", key, err)
	}
	return nil
}
