package analyzer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/report"
)

// maxStored bounds a stored job or per-dump analysis read back for the
// report; both are far smaller in practice.
const maxStored = 32 << 20

// ErrNoManifest means the incident's manifest is not in storage (yet):
// ingest writes it before sending jobs, so this is retried, not dropped.
var ErrNoManifest = errors.New("analyzer: incident manifest not found")

// reportFormats are the incident report's formats and content types.
var reportFormats = []struct{ format, contentType string }{
	{report.FormatHTML, "text/html; charset=utf-8"},
	{report.FormatMarkdown, "text/markdown; charset=utf-8"},
	{report.FormatJSON, "application/json"},
}

// Render rebuilds the incident report from stored state and writes it in
// every format. It fails with ErrNoManifest (retryable) when the manifest
// is missing and with a queue.Permanent error when it is invalid. Stored
// jobs and analyses that cannot be decoded are left out of the report.
//
// Renders of one incident are serialized by a lease across processes, so
// that a render that read older state can never overwrite one that read
// newer state: every handler renders after its own write, and the last
// render sees every write before it.
func (h *Handler) Render(ctx context.Context, incident string) error {
	lease, err := h.lockReport(ctx, incident)
	if err != nil {
		return err
	}
	defer lease.Release(context.WithoutCancel(ctx))
	inc, err := h.Load(ctx, incident)
	if err != nil {
		return err
	}
	for _, f := range reportFormats {
		var buf bytes.Buffer
		if err := inc.Write(&buf, f.format); err != nil {
			return fmt.Errorf("analyzer: render %s report of %s: %w", f.format, incident, err)
		}
		if err := h.put(ctx, layout.ReportKey(incident, f.format), f.contentType, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// Lease timing for report renders.
const (
	renderLeaseTTL  = blob.MinLeaseTTL
	renderLeaseWait = 45 * time.Second
	renderLeasePoll = 100 * time.Millisecond
)

// reportLockKey is the lease key serializing renders of one incident.
func reportLockKey(incident string) string { return "locks/reports/" + layout.Segment(incident) }

// lockReport takes the incident's render lease, waiting while another
// renderer holds it (renders take milliseconds). It gives up after
// renderLeaseWait with a retryable error.
func (h *Handler) lockReport(ctx context.Context, incident string) (blob.Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, renderLeaseWait)
	defer cancel()
	for {
		l, err := h.bucket.AcquireLease(ctx, reportLockKey(incident), renderLeaseTTL)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, blob.ErrLeaseHeld) {
			return nil, fmt.Errorf("analyzer: lock report of %s: %w", incident, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("analyzer: report of %s still locked after %v: %w", incident, renderLeaseWait, err)
		case <-time.After(renderLeasePoll):
		}
	}
}

// Load reads the stored state of an incident and builds its report model.
func (h *Handler) Load(ctx context.Context, incident string) (*report.Incident, error) {
	raw, err := h.read(ctx, layout.ManifestKey(incident))
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoManifest, layout.ManifestKey(incident))
	}
	if err != nil {
		return nil, err
	}
	m, err := messages.DecodeManifest(raw)
	if err != nil {
		return nil, queue.Permanent(fmt.Errorf("analyzer: manifest of incident %s is invalid: %w", incident, err))
	}
	var jobs []*messages.JobCompleted
	if err := h.each(ctx, layout.JobPrefix(incident), func(key string, b []byte) {
		if j, err := messages.DecodeJobCompleted(b); err == nil {
			jobs = append(jobs, j)
		} else {
			h.cfg.Logger.Warn("stored job ignored", "key", key, "err", err)
		}
	}); err != nil {
		return nil, err
	}
	var dumps []*report.DumpReport
	if err := h.each(ctx, layout.DumpReportPrefix(incident), func(key string, b []byte) {
		if d, err := report.DecodeDumpReport(b); err == nil {
			dumps = append(dumps, d)
		} else {
			h.cfg.Logger.Warn("stored analysis ignored", "key", key, "err", err)
		}
	}); err != nil {
		return nil, err
	}
	return report.Build(m, jobs, dumps), nil
}

// each reads every blob under prefix. A blob deleted between List and
// read is skipped.
func (h *Handler) each(ctx context.Context, prefix string, fn func(key string, b []byte)) error {
	list, err := h.bucket.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("analyzer: list %s: %w", prefix, err)
	}
	for _, a := range list {
		b, err := h.read(ctx, a.Key)
		if errors.Is(err, blob.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		fn(a.Key, b)
	}
	return nil
}

// read returns a small blob's bytes (at most maxStored).
func (h *Handler) read(ctx context.Context, key string) ([]byte, error) {
	b, err := blob.ReadAll(ctx, h.bucket, key, maxStored+1)
	if err != nil {
		return nil, fmt.Errorf("analyzer: read %s: %w", key, err)
	}
	if len(b) > maxStored {
		return nil, queue.Permanent(fmt.Errorf("analyzer: %s is larger than %d bytes", key, maxStored))
	}
	return b, nil
}
