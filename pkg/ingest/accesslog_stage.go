package ingest

import (
	"log/slog"
	"net/http"
	"time"
)

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// accessLog counts every request in m and logs one line for it, without
// secrets (the token query parameter is redacted): at Warn for answers of
// 400 and above, at Debug otherwise (an accepted alert is logged at Info
// by Alert). It goes first in the chain, so it sees the refusals of every
// stage after it, and the caller that authenticate found.
func accessLog(log *slog.Logger, m *routeMetrics, now func() time.Time) stage {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			start := now()
			r, x := exchangeOf(r)
			w := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
			defer func() {
				elapsed := now().Sub(start)
				m.observe(w.status, elapsed)
				lvl := slog.LevelDebug
				if w.status >= 400 {
					lvl = slog.LevelWarn
				}
				if !log.Enabled(r.Context(), lvl) {
					return
				}
				log.LogAttrs(r.Context(), lvl, "ingest: request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("query", redactToken(r.URL.RawQuery)), slog.Int("status", w.status), slog.String("client", clientKey(r)),
					slog.String("caller", x.caller), slog.Int64("duration_ms", elapsed.Milliseconds()))
			}()
			next.ServeHTTP(w, r)
		})
	}
}
