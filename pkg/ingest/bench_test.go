package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

// newBenchService is ingest as test/bench/ingest configures it: one
// analyze policy for the whole subscription, in-memory ports, logs
// formatted as text into io.Discard (so their formatting cost counts), no
// rate limit (one client posts every alert).
func newBenchService(b *testing.B) *Service {
	b.Helper()
	pc, err := policy.Parse([]byte(`{"production": true, "allow": {"subscriptions": ["` + sub + `"]},
		"policies": [{"name": "all", "action": "analyze"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	auth, err := NewTokenAuth(testToken)
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Config{Policies: pc, Queue: ingesttest.NewQueue(), Bucket: ingesttest.NewBucket(), Auth: auth,
		RatePerSecond: -1, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchBodies returns n distinct common-schema alerts (distinct alert ids,
// so every one is a new incident) on 50 apps.
func benchBodies(n int) [][]byte {
	bodies := make([][]byte, n)
	for i := range bodies {
		target := fmt.Sprintf("/subscriptions/%s/resourceGroups/prod-rg/providers/Microsoft.Web/sites/app%d", sub, i%50)
		bodies[i] = []byte(commonAlert(fmt.Sprintf("/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts/%d", sub, i), "High memory", target, "Fired"))
	}
	return bodies
}

// BenchmarkAlert measures the core path of one new alert (parse, policy,
// targets, manifest, job) on in-memory ports; test/bench/ingest measures
// the whole service over HTTP.
func BenchmarkAlert(b *testing.B) {
	s := newBenchService(b)
	bodies := benchBodies(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res, err := s.Alert(context.Background(), bodies[i], AlertOptions{})
		if err != nil || res.Events[0].Accepted == nil {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkHandler measures one authenticated webhook POST through the
// HTTP handler in process (the request stages — access log, rate limit,
// auth, content type, body read — then parse, policy, manifest, job and
// JSON answer), without a network connection.
func BenchmarkHandler(b *testing.B) {
	s := newBenchService(b)
	h := s.Handler()
	bodies := benchBodies(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := httptest.NewRequest(http.MethodPost, "/v1/alerts?token="+testToken, bytes.NewReader(bodies[i]))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			b.Fatalf("HTTP %d: %s", w.Code, w.Body)
		}
	}
}
