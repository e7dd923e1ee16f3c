package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/alert"
)

// Handler returns the HTTP API. Every route is rate-limited per client
// address and authenticated; trigger routes take a JSON body of at most
// MaxBodyBytes. Errors are JSON: {"error": "reason"}.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/alerts", s.guard("alerts", true, s.handleAlert))
	mux.Handle("POST /v1/alerts/{source}", s.guard("alerts", true, s.handleAlert))
	mux.Handle("POST /v1/captures", s.guard("captures", true, s.handleCapture))
	mux.Handle("GET /v1/incidents/{id}", s.guard("incidents", false, s.handleIncident))
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

// request is what guard hands a handler.
type request struct {
	r      *http.Request
	caller string
	// body is the request body (body routes only). It is valid until the
	// handler returns: its buffer is then reused for another request, so
	// a handler must copy what it keeps (decoding JSON copies).
	body []byte
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// bodyBuffers recycles request body buffers: a body is read whole (at
// most Config.MaxBodyBytes) and only lives while its handler runs.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer kept for reuse; a rare large body's
// buffer is left to the garbage collector rather than held.
const maxPooledBody = 64 << 10

// guard applies, in order: the per-client rate limit (429), authentication
// (401), and for body routes the JSON content type (415) and the size
// limit (413). It logs one line per request, without secrets: at Warn for
// answers of 400 and above, at Debug otherwise (an accepted alert is
// logged at Info by Alert, and every request is counted in Metrics).
func (s *Service) guard(route string, withBody bool, h func(http.ResponseWriter, *request)) http.Handler {
	metrics := newRouteMetrics(s.cfg.Metrics, route)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		w := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		client := clientKey(r)
		caller := ""
		defer func() {
			elapsed := s.cfg.Now().Sub(start)
			metrics.observe(w.status, elapsed)
			lvl := slog.LevelDebug
			if w.status >= 400 {
				lvl = slog.LevelWarn
			}
			if !s.log.Enabled(r.Context(), lvl) {
				return
			}
			s.log.LogAttrs(r.Context(), lvl, "ingest: request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("query", redactToken(r.URL.RawQuery)), slog.Int("status", w.status), slog.String("client", client),
				slog.String("caller", caller), slog.Int64("duration_ms", elapsed.Milliseconds()))
		}()
		if s.rate != nil {
			if ok, wait := s.rate.allow(client); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
				writeError(w, http.StatusTooManyRequests, "rate limit exceeded for this client; retry later")
				return
			}
		}
		who, err := s.cfg.Auth.Authenticate(r)
		if err != nil {
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		caller = who
		req := &request{r: r, caller: who}
		if withBody {
			if msg, ok := jsonContentType(r.Header.Get("Content-Type")); !ok {
				writeError(w, http.StatusUnsupportedMediaType, msg)
				return
			}
			buf := bodyBuffers.Get().(*bytes.Buffer)
			buf.Reset()
			defer func() {
				if buf.Cap() <= maxPooledBody {
					bodyBuffers.Put(buf)
				}
			}()
			_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", s.cfg.MaxBodyBytes))
				return
			case err != nil:
				writeError(w, http.StatusBadRequest, "reading request body: "+err.Error())
				return
			case len(bytes.TrimSpace(buf.Bytes())) == 0:
				writeError(w, http.StatusBadRequest, "empty request body")
				return
			}
			req.body = buf.Bytes()
		}
		h(w, req)
	})
}

// jsonContentType accepts application/json and application/*+json.
func jsonContentType(ct string) (string, bool) {
	if ct == "" {
		return "missing Content-Type: send application/json", false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Sprintf("invalid Content-Type %q", ct), false
	}
	if mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return "", true
	}
	return fmt.Sprintf("Content-Type %q is not application/json", mt), false
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

// clientKey is the client's address without port. X-Forwarded-For is not
// trusted (it is the caller's to forge); run behind a proxy that sets the
// connection's address or rate-limit at the proxy.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
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

func (s *Service) handleAlert(w http.ResponseWriter, req *request) {
	source := req.r.PathValue("source")
	dry := false
	if v := queryParam(req.r.URL.RawQuery, "dry_run"); v != "" {
		var perr error
		if dry, perr = strconv.ParseBool(v); perr != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("dry_run=%q is not a boolean", v))
			return
		}
	}
	res, err := s.Alert(req.r.Context(), req.body, AlertOptions{Source: source, TraceParent: req.r.Header.Get("traceparent"), DryRun: dry})
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
