package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dumpflow/dumpflow/pkg/alert"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// EventOutcome is what became (or, in a dry run, would become) of one
// alert event.
type EventOutcome struct {
	Rule        string `json:"rule,omitempty"`
	Status      string `json:"status"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// IncidentID is the event's deterministic incident id.
	IncidentID string          `json:"incident_id"`
	Decision   policy.Decision `json:"decision"`
	// Sites are the apps captured (or that would be), with how each was
	// found and the limits' verdict.
	Sites   []SitePlan `json:"sites,omitempty"`
	Ignored []string   `json:"ignored,omitempty"`
	// Outcome is "accepted", "duplicate", "skipped" or "refused".
	Outcome string `json:"outcome"`
	// Reason explains a skipped or refused event.
	Reason   string    `json:"reason,omitempty"`
	Accepted *Accepted `json:"accepted,omitempty"`

	err error
}

// SitePlan is one app of an event's incident.
type SitePlan struct {
	Site    messages.Site  `json:"site"`
	Via     string         `json:"via"`
	Verdict policy.Verdict `json:"limits"`
}

// Outcomes.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDuplicate = "duplicate"
	OutcomeSkipped   = "skipped"
	OutcomeRefused   = "refused"
)

// engine evaluates events; Service runs it for real, Plan as a dry run.
type engine struct {
	cfg      *policy.Config
	resolver *resolver
	limiter  *policy.Limiter
	log      interface{ Warn(string, ...any) }
}

// Plan answers "what would this alert do?" without sending or recording
// anything: the policy decision, the apps (expanded through dir when not
// nil), and the limits' verdicts against the state in store (nil: empty
// state).
func Plan(ctx context.Context, cfg *policy.Config, dir SiteDirectory, store policy.Store, a *alert.Alert, now time.Time) []EventOutcome {
	if store == nil {
		store = policy.NewMemStore()
	}
	e := &engine{cfg: cfg, resolver: &resolver{dir: dir, allow: cfg.Allow, maxSites: 100}, limiter: policy.NewLimiter(store), log: discard{}}
	var out []EventOutcome
	for _, ev := range a.Events() {
		out = append(out, e.event(ctx, &ev, now, true))
	}
	return out
}

type discard struct{}

func (discard) Warn(string, ...any) {}

// event evaluates one event: decision, targets, allowlist, limits. With
// dry set the limits are only checked; otherwise they are reserved.
func (e *engine) event(ctx context.Context, ev *alert.Event, now time.Time, dry bool) EventOutcome {
	out := EventOutcome{Rule: ev.Rule, Status: ev.Status, Fingerprint: ev.Fingerprint,
		IncidentID: messages.IncidentID(ev.FiredTime, ev.Key()...)}
	out.Decision = e.cfg.Evaluate(ev, now)
	d := &out.Decision
	if !d.Capture {
		out.Outcome, out.Reason = OutcomeSkipped, d.Reason
		return out
	}
	ids := ev.ResourceIDs
	if !d.Targets.Empty() {
		ids = nil
	}
	res, err := e.resolver.resolve(ctx, ids, d.Targets)
	if res != nil {
		out.Ignored = res.Ignored
	}
	var outside *OutsideAllowlistError
	switch {
	case errors.As(err, &outside):
		e.log.Warn("ingest: refused alert target outside the allowlist", "source", ev.Source, "rule", ev.Rule,
			"alert_id", ev.AlertID, "resource_id", outside.ResourceID)
		out.Outcome, out.Reason, out.err = OutcomeRefused, outside.Error(), err
		return out
	case errors.Is(err, ErrNoSites), errors.Is(err, ErrTooManySites), errors.Is(err, ErrNoDirectory):
		out.Outcome, out.Reason = OutcomeSkipped, err.Error()
		return out
	case err != nil:
		out.Outcome, out.Reason, out.err = OutcomeSkipped, err.Error(), fmt.Errorf("%w: %v", ErrStorage, err)
		return out
	}
	var refused []string
	for i, site := range res.Sites {
		var v policy.Verdict
		if dry {
			v, err = e.limiter.Check(ctx, d.Policy, d.Limits, site.ResourceID, out.IncidentID, now)
		} else {
			v, err = e.limiter.Reserve(ctx, d.Policy, d.Limits, site.ResourceID, out.IncidentID, now)
		}
		if err != nil {
			out.Outcome, out.Reason, out.err = OutcomeSkipped, err.Error(), fmt.Errorf("%w: %v", ErrStorage, err)
			return out
		}
		out.Sites = append(out.Sites, SitePlan{Site: site, Via: res.Via[i], Verdict: v})
		if !v.Allowed {
			refused = append(refused, site.Name+": "+v.Reason)
		}
	}
	if len(refused) == len(out.Sites) {
		out.Outcome, out.Reason = OutcomeSkipped, "limits: "+strings.Join(refused, "; ")
		return out
	}
	out.Outcome = OutcomeAccepted
	return out
}

// AlertResult is the outcome of one alert payload.
type AlertResult struct {
	Source string         `json:"source"`
	Events []EventOutcome `json:"events"`
}

// AlertOptions are the optional parts of one alert delivery; the zero
// value detects the payload's source and does everything for real.
type AlertOptions struct {
	// Source names the parser (an alert.Source* constant, as in
	// POST /v1/alerts/{source}); empty detects it from the payload's shape.
	Source string
	// TraceParent is the caller's W3C traceparent header, if any: the
	// incident's trace continues it.
	TraceParent string
	// DryRun evaluates the alert against the current directory and limit
	// state without reserving, storing or sending anything.
	DryRun bool
}

// Alert parses an alert payload (of opts.Source, or detected when that is
// empty), evaluates each of its events, and creates an incident for each
// event that captures. Parse errors wrap alert.ErrMalformed, or are
// *alert.UnknownShapeError / *alert.FieldError; an unknown source wraps
// alert.ErrUnknownSource. An error wrapping ErrStorage means the payload
// should be retried; every other per-event outcome is in the result.
//
// With opts.DryRun nothing is reserved, stored or sent: the result says
// what the alert would do against the current directory and limit state.
func (s *Service) Alert(ctx context.Context, body []byte, opts AlertOptions) (*AlertResult, error) {
	source, traceParentHeader, dryRun := opts.Source, opts.TraceParent, opts.DryRun
	ctx, span := tracing.Start(tracing.FromTraceParent(ctx, traceParentHeader), "alert",
		trace.WithAttributes(attribute.String("dumpflow.source", source), attribute.Bool("dumpflow.dry_run", dryRun)))
	defer span.End()
	var a *alert.Alert
	var err error
	if source == "" {
		a, err = alert.Parse(body)
	} else {
		a, err = alert.ParseAs(source, body)
	}
	if err != nil {
		return nil, err
	}
	if err := checkEvents(a, s.cfg.MaxEventsPerRequest); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	eng := &engine{cfg: s.cfg.Policies, resolver: s.resolver, limiter: s.limiter, log: s.log}
	res := &AlertResult{Source: a.Source}
	if dryRun {
		// The real directory and limit state, checked but not changed.
		for _, ev := range a.Events() {
			res.Events = append(res.Events, eng.event(ctx, &ev, now, true))
		}
		return res, nil
	}
	tp := traceParent(traceParentHeader)
	for _, ev := range a.Events() {
		out := eng.event(ctx, &ev, now, false)
		if out.err != nil && errors.Is(out.err, ErrStorage) {
			return res, out.err
		}
		if out.Outcome == OutcomeAccepted {
			spec := &incidentSpec{traceParent: tp, manifest: messages.Manifest{
				IncidentID: out.IncidentID, CreatedAt: now.UTC(), Policy: out.Decision.Policy,
				Action: out.Decision.Action, Selector: out.Decision.Selector,
				Trigger: messages.Trigger{Kind: "alert", Source: ev.Source, Rule: ev.Rule, AlertID: ev.AlertID,
					Severity: ev.Severity, FiredAt: firedOrNow(ev.FiredTime, now), Reason: out.Decision.Reason,
					Description: ev.Description, Conditions: triggerConditions(ev.Conditions), Links: triggerLinks(ev.Links)},
			}}
			for _, sp := range out.Sites {
				if sp.Verdict.Allowed {
					spec.sites = append(spec.sites, sp.Site)
				}
			}
			acc, err := s.commit(ctx, spec)
			if err != nil {
				return res, err
			}
			if acc.Duplicate {
				out.Outcome = OutcomeDuplicate
			}
			out.Accepted = &acc
			s.log.LogAttrs(ctx, slog.LevelInfo, "ingest: incident", slog.String("incident_id", acc.IncidentID),
				slog.Bool("duplicate", acc.Duplicate), slog.Int("jobs", acc.Jobs), slog.String("policy", acc.Policy),
				slog.String("source", ev.Source), slog.String("rule", ev.Rule))
		}
		s.cfg.Metrics.Events.WithLabelValues(ev.Source, out.Outcome).Inc()
		res.Events = append(res.Events, out)
	}
	return res, nil
}

func firedOrNow(t, now time.Time) time.Time {
	if t.IsZero() || t.Year() < 2000 {
		return now.UTC()
	}
	return t.UTC()
}

// triggerConditions carries an alert's conditions into its incident, at
// most messages.MaxTriggerConditions of them.
func triggerConditions(cs []alert.Condition) []messages.Condition {
	if len(cs) == 0 {
		return nil
	}
	return slices.Clone(cs[:min(len(cs), messages.MaxTriggerConditions)])
}

// triggerLinks carries an alert's links, at most messages.MaxTriggerLinks
// of them (by name order).
func triggerLinks(links map[string]string) map[string]string {
	if len(links) == 0 {
		return nil
	}
	names := make([]string, 0, len(links))
	for n := range links {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make(map[string]string, min(len(names), messages.MaxTriggerLinks))
	for _, n := range names[:min(len(names), messages.MaxTriggerLinks)] {
		out[n] = links[n]
	}
	return out
}
