package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// IncidentStatus is the answer of GET /v1/incidents/{id}.
type IncidentStatus struct {
	IncidentID   string                   `json:"incident_id"`
	Manifest     *messages.Manifest       `json:"manifest"`
	JobsExpected int                      `json:"jobs_expected"`
	JobsDone     int                      `json:"jobs_done"`
	Complete     bool                     `json:"complete"`
	Jobs         []*messages.JobCompleted `json:"jobs"`
	// Dumps are links to the captured dumps (blob keys, prefixed with
	// Config.LinkBase when set).
	Dumps []DumpLink `json:"dumps"`
	// Report maps a format ("html", "md", "json") to the report's link,
	// for the formats rendered so far.
	Report map[string]string `json:"report,omitempty"`
	// Errors lists stored jobs that could not be read.
	Errors []string `json:"errors,omitempty"`
}

// DumpLink is one captured dump.
type DumpLink struct {
	Site     string `json:"site"`
	Instance string `json:"instance"`
	PID      int    `json:"pid"`
	Process  string `json:"process,omitempty"`
	Bytes    int64  `json:"bytes,omitempty"`
	Link     string `json:"link"`
}

// Incident reads an incident's manifest, the jobs finished so far and the
// links to its dumps and report. ErrIncidentNotFound when it has no
// manifest.
func (s *Service) Incident(ctx context.Context, id string) (*IncidentStatus, error) {
	m, err := s.readManifest(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &IncidentStatus{IncidentID: id, Manifest: m, JobsExpected: len(m.Jobs), Jobs: []*messages.JobCompleted{}, Dumps: []DumpLink{}}
	list, err := s.cfg.Bucket.List(ctx, layout.JobPrefix(id))
	if err != nil {
		return nil, fmt.Errorf("ingest: list jobs of %s: %w", id, err)
	}
	for _, a := range list {
		job, err := s.readJob(ctx, a.Key)
		if err != nil {
			st.Errors = append(st.Errors, fmt.Sprintf("%s: %v", a.Key, err))
			continue
		}
		st.Jobs = append(st.Jobs, job)
		for _, t := range job.Targets {
			if t.Outcome == messages.OutcomeCaptured && t.DumpKey != "" {
				st.Dumps = append(st.Dumps, DumpLink{Site: job.Site.Segment(), Instance: t.Instance, PID: t.PID,
					Process: t.Process, Bytes: t.Bytes, Link: s.cfg.LinkBase + t.DumpKey})
			}
		}
	}
	st.JobsDone = len(st.Jobs)
	st.Complete = st.JobsDone >= st.JobsExpected
	for _, f := range []string{"html", "md", "json"} {
		key := layout.ReportKey(id, f)
		if _, err := s.cfg.Bucket.Attributes(ctx, key); err == nil {
			if st.Report == nil {
				st.Report = map[string]string{}
			}
			st.Report[f] = s.cfg.LinkBase + key
		} else if !errors.Is(err, blob.ErrNotFound) {
			return nil, fmt.Errorf("ingest: report of %s: %w", id, err)
		}
	}
	return st, nil
}

func (s *Service) readJob(ctx context.Context, key string) (*messages.JobCompleted, error) {
	data, err := blob.ReadAll(ctx, s.cfg.Bucket, key, messages.MaxEnvelopeSize+1)
	if err != nil {
		return nil, err
	}
	return messages.DecodeJobCompleted(data)
}

func (s *Service) handleIncident(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !incidentIDPattern.MatchString(id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("invalid incident id %q", id))
		return
	}
	st, err := s.Incident(r.Context(), id)
	switch {
	case errors.Is(err, ErrIncidentNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("incident %s not found", id))
	case errors.Is(err, blob.ErrCorrupt):
		// Retrying cannot help: say which stored file is damaged.
		s.log.Error("ingest: incident status", "incident_id", id, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	case err != nil:
		s.log.Error("ingest: incident status", "incident_id", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "reading the incident failed; retry")
	default:
		writeJSON(w, http.StatusOK, st)
	}
}
