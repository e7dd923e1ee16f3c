package ingest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestAccessLogStage(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMetrics(prometheus.NewRegistry())
	clk := &manualClock{t: time.Unix(1_700_000_000, 0)}
	// The handler behind the log takes 1.5 s of the clock and answers
	// with the status the test asks for, as the caller an inner stage found.
	h := accessLog(log, newRouteMetrics(m, "alerts"), clk.now)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, x := exchangeOf(r)
		x.caller = "webhook-token"
		clk.t = clk.t.Add(1500 * time.Millisecond)
		if r.URL.Query().Get("fail") != "" {
			writeError(w, http.StatusForbidden, "no")
		}
	}))
	r := httptest.NewRequest("POST", "/v1/alerts?token="+testToken+"&x=1", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	serve(h, r)
	serve(h, httptest.NewRequest("POST", "/v1/alerts?fail=1", nil))

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), logs.String())
	}
	for _, want := range []string{"level=DEBUG", `query="token=REDACTED&x=1"`, "status=200", "client=10.1.2.3", "caller=webhook-token", "duration_ms=1500"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line %q lacks %s", lines[0], want)
		}
	}
	if strings.Contains(logs.String(), testToken) {
		t.Error("token in the access log")
	}
	if !strings.Contains(lines[1], "level=WARN") || !strings.Contains(lines[1], "status=403") {
		t.Errorf("refusal logged as %q, want WARN with status=403", lines[1])
	}
	if got := testutil.ToFloat64(m.Requests.WithLabelValues("alerts", "200")); got != 1 {
		t.Errorf("200 requests = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.Requests.WithLabelValues("alerts", "403")); got != 1 {
		t.Errorf("403 requests = %v, want 1", got)
	}
}
