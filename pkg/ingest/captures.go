package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// CaptureRequest is the body of POST /v1/captures: a manual or bulk
// capture of apps named directly or through a plan, a resource group or
// tags. Manual captures are explicit human actions: the allowlist applies,
// policy limits do not.
type CaptureRequest struct {
	policy.Targets
	policy.ActionSpec
	// RequestID makes the request idempotent for the UTC day: the same
	// request id gives the same incident. Letters, digits, '.', '_', '-';
	// at most 64. Empty: a fresh random id.
	RequestID string `json:"request_id,omitempty"`
	// Reason is a sentence for the report.
	Reason string `json:"reason,omitempty"`
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ErrBadRequest is wrapped by errors in a capture request (HTTP 400).
var ErrBadRequest = errors.New("bad request")

// DecodeCaptureRequest decodes strictly (unknown fields are errors) and
// validates a capture request.
func DecodeCaptureRequest(data []byte) (*CaptureRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c CaptureRequest
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrBadRequest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrBadRequest)
	}
	switch {
	case c.Targets.Empty():
		return nil, fmt.Errorf("%w: name at least one of apps, plans, resource_groups or tags", ErrBadRequest)
	case c.Action == policy.ActionIgnore:
		return nil, fmt.Errorf("%w: action ignore makes no sense for a capture", ErrBadRequest)
	case c.RequestID != "" && !requestIDPattern.MatchString(c.RequestID):
		return nil, fmt.Errorf("%w: request_id %q: letters, digits, '.', '_' and '-' only, at most 64", ErrBadRequest, c.RequestID)
	case len(c.Reason) > 1000:
		return nil, fmt.Errorf("%w: reason longer than 1000 characters", ErrBadRequest)
	}
	if err := c.Targets.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if err := c.ActionSpec.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return &c, nil
}

// Capture creates the incident of a manual or bulk capture request made by
// caller. Errors: *OutsideAllowlistError, ErrNoSites, ErrNoDirectory,
// ErrTooManySites, or ErrStorage (retry).
func (s *Service) Capture(ctx context.Context, caller string, c *CaptureRequest, traceParentHeader string) (Accepted, error) {
	ctx, span := tracing.Start(tracing.FromTraceParent(ctx, traceParentHeader), "capture-request")
	defer span.End()
	now := s.cfg.Now()
	res, err := s.resolver.resolve(ctx, nil, c.Targets)
	if err != nil {
		return Accepted{}, err
	}
	at, rid := now, c.RequestID
	if rid == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		rid = hex.EncodeToString(b[:])
	} else {
		at = now.UTC().Truncate(24 * time.Hour)
	}
	act, _ := c.ActionSpec.Message() // validated by DecodeCaptureRequest
	reason := c.Reason
	if reason == "" {
		reason = "manual capture requested by " + caller
	}
	if vias := summarizeVia(res.Via); vias != "" {
		reason += " (" + vias + ")"
	}
	spec := &incidentSpec{traceParent: traceParent(traceParentHeader), sites: res.Sites, manifest: messages.Manifest{
		IncidentID: messages.IncidentID(at, "manual", rid), CreatedAt: now.UTC(), Action: act, Selector: c.Selector,
		Trigger: messages.Trigger{Kind: "manual", Source: caller, FiredAt: now.UTC(), Reason: reason},
	}}
	acc, err := s.commit(ctx, spec)
	if err == nil {
		s.log.Info("ingest: manual incident", "incident_id", acc.IncidentID, "duplicate", acc.Duplicate, "jobs", acc.Jobs, "caller", caller)
	}
	return acc, err
}

// summarizeVia names the plans, groups and tag selectors apps came
// through, so the manifest records them explicitly.
func summarizeVia(via []string) string {
	seen := map[string]bool{}
	var out []string
	for _, v := range via {
		if v != "app" && !seen[v] {
			seen[v] = true
			out = append(out, "via "+v)
		}
	}
	return strings.Join(out, "; ")
}

func (s *Service) handleCapture(w http.ResponseWriter, r *http.Request) {
	c, err := DecodeCaptureRequest(bodyOf(r))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	acc, err := s.Capture(r.Context(), callerOf(r), c, r.Header.Get("traceparent"))
	var outside *OutsideAllowlistError
	switch {
	case errors.As(err, &outside):
		s.log.Warn("ingest: refused capture outside the allowlist", "resource_id", outside.ResourceID, "caller", callerOf(r))
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, ErrNoSites), errors.Is(err, ErrNoDirectory), errors.Is(err, ErrTooManySites):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
	case err != nil:
		s.log.Error("ingest: capture not stored", "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		writeJSON(w, http.StatusAccepted, struct {
			Status string `json:"status"`
			Accepted
		}{"accepted", acc})
	}
}
