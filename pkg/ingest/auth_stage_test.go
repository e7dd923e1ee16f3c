package ingest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAuthenticateStage(t *testing.T) {
	auth, err := NewTokenAuth(testToken)
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	called := false
	h := authenticate(auth)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called, seen = true, callerOf(r) }))
	for _, c := range []struct {
		name, header string
		status       int
		msg          string
	}{
		{"none", "", http.StatusUnauthorized, "authentication required"},
		{"wrong", "wrong-token-0123456789", http.StatusUnauthorized, "invalid webhook token"},
		{"right", testToken, http.StatusOK, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			called, seen = false, ""
			r := httptest.NewRequest("GET", "/v1/incidents/x", nil)
			if c.header != "" {
				r.Header.Set(TokenHeader, c.header)
			}
			w := serve(h, r)
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.msg) {
				t.Fatalf("HTTP %d %s, want %d with %q", w.Code, w.Body, c.status, c.msg)
			}
			if called != (c.status == http.StatusOK) {
				t.Errorf("handler called %v for HTTP %d", called, c.status)
			}
			if called && seen != "webhook-token" {
				t.Errorf("handler saw caller %q, want webhook-token", seen)
			}
		})
	}
}
