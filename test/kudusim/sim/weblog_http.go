package sim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// webLogRecorder logs a Kudu request the way the instance's IIS does when
// the app logs: Kudu's site is on the same IIS, so its requests go to the
// same file as the app's, with s-sitename "~1{site}" and the request's
// cookies (ARRAffinity included), through the log buffer.
type webLogRecorder struct {
	http.ResponseWriter
	status int
}

func (w *webLogRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *webLogRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (w *webLogRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recordKuduRequest wraps w when the app logs and returns a func that
// appends the request's line once it is served.
func (s *Server) recordKuduRequest(w http.ResponseWriter, r *http.Request, a *app, in *instance) (http.ResponseWriter, func()) {
	if !s.cfg.WebLogs.logs(a.name) {
		return w, func() {}
	}
	rec := &webLogRecorder{ResponseWriter: w}
	start := time.Now()
	return rec, func() {
		at := s.cfg.WebLogs.now()
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, live := range a.instances {
			if live == in {
				if s.webBuf == nil {
					s.webBuf = map[*instance][]LoggedRequest{}
				}
				s.webBuf[in] = append(s.webBuf[in], LoggedRequest{At: at, Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/"+a.name),
					Query: r.URL.RawQuery, Status: status, TimeTaken: time.Since(start), Cookie: r.Header.Get("Cookie"),
					UserAgent: r.UserAgent(), SCM: true})
				if buf := s.webBuf[in]; at.Sub(buf[0].At) >= webLogFlushEvery {
					s.flushWebLogLocked(a, in)
				}
				return
			}
		}
	}
}

// webLogFlushEvery models HTTP.sys's log buffer, written to the file about
// once a minute: Kudu's own requests reach the file late, and so do not
// change it under a reader right after each call.
const webLogFlushEvery = time.Minute

// flushWebLogLocked writes an instance's buffered lines. The caller holds
// s.mu.
func (s *Server) flushWebLogLocked(a *app, in *instance) {
	for _, r := range s.webBuf[in] {
		s.appendWebLogLocked(a, in, r)
	}
	delete(s.webBuf, in)
}

// FlushWebLogs writes the requests IIS holds in its log buffer (Kudu's
// own requests) to every instance's log now, as its periodic flush does
// (see webLogFlushEvery); app requests (LogRequests) flush it too.
func (s *Server) FlushWebLogs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		for _, in := range a.instances {
			s.flushWebLogLocked(a, in)
		}
	}
}

// wireRequest is LoggedRequest on the debug endpoint.
type wireRequest struct {
	At          time.Time `json:"at"`
	Method      string    `json:"method"`
	Path        string    `json:"path"`
	Query       string    `json:"query"`
	Status      int       `json:"status"`
	SubStatus   int       `json:"sub_status"`
	Win32Status int       `json:"win32_status"`
	TimeTakenMS int64     `json:"time_taken_ms"`
	Cookie      string    `json:"cookie"`
}

// serveLogRequests is POST /_sim/apps/{app}/instances/{id}/requests with a
// JSON array of requests ({"at","path","status","sub_status",
// "win32_status","time_taken_ms",…}): the instance's IIS logs them.
func (s *Server) serveLogRequests(w http.ResponseWriter, r *http.Request, appName, id string) {
	var in []wireRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, kuduError{"body must be a JSON array of requests: " + err.Error()})
		return
	}
	reqs := make([]LoggedRequest, 0, len(in))
	for _, q := range in {
		if q.At.IsZero() {
			q.At = s.cfg.WebLogs.now()
		}
		reqs = append(reqs, LoggedRequest{At: q.At, Method: q.Method, Path: q.Path, Query: q.Query, Status: q.Status,
			SubStatus: q.SubStatus, Win32Status: q.Win32Status, TimeTaken: time.Duration(q.TimeTakenMS) * time.Millisecond, Cookie: q.Cookie})
	}
	if err := s.LogRequests(appName, id, reqs...); err != nil {
		status := http.StatusConflict
		if errors.Is(err, ErrNotFound) {
			status = http.StatusNotFound
		}
		writeJSON(w, status, kuduError{err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
