package ingest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequireJSONStage(t *testing.T) {
	h := requireJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, c := range []struct {
		ct     string
		status int
		msg    string
	}{
		{"application/json", http.StatusNoContent, ""},
		{"application/json; charset=utf-8", http.StatusNoContent, ""},
		{"application/vnd.alert+json", http.StatusNoContent, ""},
		{"", http.StatusUnsupportedMediaType, "missing Content-Type"},
		{"text/plain", http.StatusUnsupportedMediaType, `Content-Type \"text/plain\" is not application/json`},
		{"application/json; =", http.StatusUnsupportedMediaType, "invalid Content-Type"},
		{"text/json+xml", http.StatusUnsupportedMediaType, "is not application/json"},
	} {
		r := httptest.NewRequest("POST", "/v1/alerts", strings.NewReader("{}"))
		if c.ct != "" {
			r.Header.Set("Content-Type", c.ct)
		}
		w := serve(h, r)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.msg) {
			t.Errorf("Content-Type %q: HTTP %d %s, want %d with %q", c.ct, w.Code, w.Body, c.status, c.msg)
		}
	}
}
