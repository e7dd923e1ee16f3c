package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/alert"
)

// Handler returns the HTTP API. Every route is rate-limited per client
// address and authenticated; trigger routes take a JSON body of at most
// MaxBodyBytes. Errors are JSON: {"error": "reason"}.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/alerts", s.route("alerts", true, s.handleAlert))
	mux.Handle("POST /v1/alerts/{source}", s.route("alerts", true, s.handleAlert))
	mux.Handle("POST /v1/captures", s.route("captures", true, s.handleCapture))
	mux.Handle("GET /v1/incidents/{id}", s.route("incidents", false, s.handleIncident))
	// Other methods on known paths, and unknown paths, answer in JSON too.
	for path, allow := range map[string]string{"/v1/alerts": "POST", "/v1/alerts/{source}": "POST",
		"/v1/captures": "POST", "/v1/incidents/{id}": "GET"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s (use %s)", r.Method, r.URL.Path, allow))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint %s", r.URL.Path))
	})
	return mux
}

// route puts h behind the request path's stages, in order: the access log
// and metrics (which see every answer), the per-client rate limit (429),
// authentication (401), and for body routes the JSON content type (415)
// and the body read with its size limit (413).
func (s *Service) route(name string, withBody bool, h http.HandlerFunc) http.Handler {
	stages := []stage{
		accessLog(s.log, newRouteMetrics(s.cfg.Metrics, name), s.cfg.Now),
		rateLimit(s.rate),
		authenticate(s.cfg.Auth),
	}
	if withBody {
		stages = append(stages, requireJSON, readBody(s.cfg.MaxBodyBytes))
	}
	return chain(h, stages...)
}

// queryParam is url.Values.Get of the raw query, without parsing it when
// key cannot be in it: a query without '%' spells its keys literally, so
// one that does not contain key has no such parameter.
func queryParam(rawQuery, key string) string {
	if !strings.Contains(rawQuery, key) && !strings.Contains(rawQuery, "%") {
		return ""
	}
	v, _ := url.ParseQuery(rawQuery)
	return v.Get(key)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is the body of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// alertResponse is the answer to an alert webhook.
type alertResponse struct {
	Status     string         `json:"status"`
	IncidentID string         `json:"incident_id,omitempty"`
	StatusURL  string         `json:"status_url,omitempty"`
	Incidents  []Accepted     `json:"incidents,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	Error      string         `json:"error,omitempty"`
	Source     string         `json:"source,omitempty"`
	Events     []EventOutcome `json:"events,omitempty"`
}

func (s *Service) handleAlert(w http.ResponseWriter, r *http.Request) {
	source := r.PathValue("source")
	dry := false
	if v := queryParam(r.URL.RawQuery, "dry_run"); v != "" {
		var perr error
		if dry, perr = strconv.ParseBool(v); perr != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("dry_run=%q is not a boolean", v))
			return
		}
	}
	res, err := s.Alert(r.Context(), bodyOf(r), AlertOptions{Source: source, TraceParent: r.Header.Get("traceparent"), DryRun: dry})
	var shape *alert.UnknownShapeError
	var field *alert.FieldError
	var tooMany *TooManyEventsError
	switch {
	case errors.As(err, &tooMany):
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	case errors.Is(err, alert.ErrUnknownSource):
		writeError(w, http.StatusNotFound, err.Error())
		return
	case errors.Is(err, alert.ErrMalformed):
		writeError(w, http.StatusBadRequest, err.Error())
		return
	case errors.As(err, &shape), errors.As(err, &field):
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	case err != nil:
		s.log.Error("ingest: alert not stored", "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	resp := alertResponse{Source: res.Source, Events: res.Events}
	if dry {
		resp.Status = "dry_run"
		writeJSON(w, http.StatusOK, resp)
		return
	}
	var refused string
	for _, ev := range res.Events {
		switch {
		case ev.Accepted != nil:
			resp.Incidents = append(resp.Incidents, *ev.Accepted)
		case ev.Outcome == OutcomeRefused && refused == "":
			refused = ev.Reason
		case resp.Reason == "":
			resp.Reason = ev.Reason
		}
	}
	switch {
	case len(resp.Incidents) > 0:
		resp.Status, resp.Reason = "accepted", ""
		resp.IncidentID, resp.StatusURL = resp.Incidents[0].IncidentID, resp.Incidents[0].StatusURL
		writeJSON(w, http.StatusAccepted, resp)
	case refused != "":
		resp.Status, resp.Error, resp.Reason = "refused", refused, ""
		writeJSON(w, http.StatusForbidden, resp)
	default:
		resp.Status = "ignored"
		writeJSON(w, http.StatusOK, resp)
	}
}
