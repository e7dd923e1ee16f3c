package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// ErrStorage is wrapped when the manifest could not be stored or the jobs
// could not be sent: the trigger should be retried (HTTP 503).
var ErrStorage = errors.New("ingest: storage or queue unavailable")

// incidentSpec is everything needed to create one incident.
type incidentSpec struct {
	manifest messages.Manifest
	sites    []messages.Site
	// traceParent is the W3C trace context for the jobs.
	traceParent string
}

// Accepted describes an incident that exists (new or found again).
type Accepted struct {
	IncidentID string `json:"incident_id"`
	StatusURL  string `json:"status_url"`
	Jobs       int    `json:"jobs"`
	// Duplicate is true when the incident existed already (a retried
	// webhook, a second replica's schedule slot, a repeated request id).
	Duplicate bool   `json:"duplicate,omitempty"`
	Policy    string `json:"policy,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// StatusURL is the status path of an incident.
func StatusURL(id string) string { return "/v1/incidents/" + id }

// commit writes the manifest create-if-absent, then sends one CaptureJob
// per site. When the manifest exists already the incident is a duplicate:
// its stored jobs are re-sent (dropped by the queue's duplicate detection
// if they went out before) while it is younger than ResendWindow.
func (s *Service) commit(ctx context.Context, spec *incidentSpec) (Accepted, error) {
	m := &spec.manifest
	// The incident's span parents every span of its jobs, dumps, analyses
	// and report: its traceparent goes into each message.
	ctx, span := tracing.Start(ctx, "incident", trace.WithAttributes(attribute.String("dumpflow.incident_id", m.IncidentID),
		attribute.String("dumpflow.trigger", m.Trigger.Kind)))
	defer span.End()
	if tp := tracing.TraceParent(ctx); tp != "" {
		spec.traceParent = tp
	}
	m.Version = messages.Version
	m.Jobs = m.Jobs[:0]
	for _, site := range spec.sites {
		m.Jobs = append(m.Jobs, messages.ManifestJob{JobID: messages.JobID(m.IncidentID, site), Site: site})
	}
	acc := Accepted{IncidentID: m.IncidentID, StatusURL: StatusURL(m.IncidentID), Jobs: len(m.Jobs), Policy: m.Policy, Reason: m.Trigger.Reason}
	data, err := messages.EncodeManifest(m)
	if err != nil {
		return acc, fmt.Errorf("ingest: manifest of %s: %w", m.IncidentID, err)
	}
	key := layout.ManifestKey(m.IncidentID)
	err = s.writeBlob(ctx, key, data)
	switch {
	case errors.Is(err, blob.ErrExists):
		acc.Duplicate = true
		stored, rerr := s.readManifest(ctx, m.IncidentID)
		if rerr != nil {
			return acc, fmt.Errorf("%w: read existing manifest %s: %v", ErrStorage, key, rerr)
		}
		acc.Jobs, acc.Policy = len(stored.Jobs), stored.Policy
		if s.cfg.Now().Sub(stored.CreatedAt) > s.cfg.ResendWindow {
			return acc, nil
		}
		m = stored
	case err != nil:
		return acc, fmt.Errorf("%w: write manifest %s: %v", ErrStorage, key, err)
	}
	if err := s.sendJobs(ctx, m, spec.traceParent); err != nil {
		return acc, err
	}
	return acc, nil
}

func (s *Service) writeBlob(ctx context.Context, key string, data []byte) error {
	return blob.WriteAll(ctx, s.cfg.Bucket, key, data, &blob.WriterOptions{ContentType: "application/json"})
}

// sendJobs sends the manifest's jobs, a few at a time. A single job (the
// usual incident: one alert on one app) is sent on the caller's goroutine.
func (s *Service) sendJobs(ctx context.Context, m *messages.Manifest, traceParent string) error {
	now := s.cfg.Now()
	if len(m.Jobs) == 1 {
		return s.sendJob(ctx, m, &m.Jobs[0], traceParent, now)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range m.Jobs {
		g.Go(func() error { return s.sendJob(gctx, m, &m.Jobs[i], traceParent, now) })
	}
	return g.Wait()
}

// sendJob sends the CaptureJob of one of m's jobs.
func (s *Service) sendJob(ctx context.Context, m *messages.Manifest, j *messages.ManifestJob, traceParent string, now time.Time) error {
	job := &messages.CaptureJob{
		JobID: j.JobID, IncidentID: m.IncidentID, Site: j.Site, IncidentTime: m.CreatedAt,
		Trigger: m.Trigger, Action: m.Action, Selector: m.Selector,
	}
	env := messages.New(m.IncidentID, job, now)
	env.TraceParent = traceParent
	body, err := messages.Encode(env)
	if err != nil {
		return fmt.Errorf("ingest: encode job %s: %w", job.JobID, err)
	}
	msg := queue.Message{ID: env.ID, Body: body, Properties: map[string]string{
		"type": env.Type, "version": strconv.Itoa(env.Version), "traceparent": env.TraceParent,
	}}
	if err := s.cfg.Queue.Send(ctx, msg); err != nil {
		return fmt.Errorf("%w: send job %s: %v", ErrStorage, job.JobID, err)
	}
	s.cfg.Metrics.Jobs.Inc()
	return nil
}

// ErrIncidentNotFound is wrapped when an incident has no manifest.
var ErrIncidentNotFound = errors.New("ingest: incident not found")

func (s *Service) readManifest(ctx context.Context, id string) (*messages.Manifest, error) {
	data, err := blob.ReadAll(ctx, s.cfg.Bucket, layout.ManifestKey(id), messages.MaxEnvelopeSize+1)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrIncidentNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return messages.DecodeManifest(data)
}

var (
	incidentIDPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,95}$`)
	traceParentPattern = regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`)
)

// traceParent returns the caller's W3C traceparent when valid, else a new
// one (the incident starts a trace).
func traceParent(incoming string) string {
	if traceParentPattern.MatchString(incoming) && incoming[3:35] != "00000000000000000000000000000000" {
		return incoming
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}
