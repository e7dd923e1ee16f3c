package ingest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRateLimitStage(t *testing.T) {
	clk := &manualClock{t: time.Unix(1_700_000_000, 0)}
	calls := 0
	h := rateLimit(newRateLimiter(0.25, 1, clk.now))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	req := func(addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/v1/alerts", nil)
		r.RemoteAddr = addr
		return serve(h, r)
	}
	if w := req("10.0.0.1:1111"); w.Code != http.StatusOK {
		t.Fatalf("first request: HTTP %d", w.Code)
	}
	// Another port of the same address is the same client.
	w := req("10.0.0.1:2222")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "5" || calls != 1 {
		t.Fatalf("second request: HTTP %d, Retry-After %q, handler calls %d; want 429, 5 (4 s rounded up) and 1",
			w.Code, w.Header().Get("Retry-After"), calls)
	}
	if w := req("10.0.0.2:1111"); w.Code != http.StatusOK {
		t.Errorf("another client: HTTP %d, want 200", w.Code)
	}
	clk.t = clk.t.Add(4 * time.Second)
	if w := req("10.0.0.1:1111"); w.Code != http.StatusOK {
		t.Errorf("after the wait: HTTP %d, want 200", w.Code)
	}
}

func TestRateLimitStageNilLimitsNothing(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := rateLimit(nil)(next)
	for i := range 100 {
		if w := serve(h, httptest.NewRequest("GET", "/", nil)); w.Code != http.StatusOK {
			t.Fatalf("request %d: HTTP %d", i, w.Code)
		}
	}
}
