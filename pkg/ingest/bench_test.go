package ingest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

// BenchmarkAlert measures the core path of one new alert (parse, policy,
// targets, manifest, job) on in-memory ports; test/bench/ingest measures
// the whole service over HTTP on the embedded durable backends.
func BenchmarkAlert(b *testing.B) {
	pc, err := policy.Parse([]byte(`{"allow": {"subscriptions": ["` + sub + `"]}, "policies": [{"name": "all"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	auth, _ := NewTokenAuth(testToken)
	s, err := New(Config{Policies: pc, Queue: ingesttest.NewQueue(), Bucket: ingesttest.NewBucket(), Auth: auth,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = []byte(commonAlert(fmt.Sprintf("/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts/%d", sub, i), "High memory", appID, "Fired"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		res, err := s.Alert(context.Background(), "", bodies[i], "", false)
		if err != nil || res.Events[0].Accepted == nil {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
