package autoheal

import (
	"context"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/monitor/azquery"
)

// While web logs feed a site, its metrics are neither queried nor
// observed, and the minutes the logs covered are not observed later.
func TestMetricsSkipSitesFedByWebLogs(t *testing.T) {
	m1, m2 := base.Add(-2*time.Minute), base.Add(-time.Minute)
	fm := &fakeMetrics{resp: azquery.MetricsClientQueryResourceResponse{Response: azquery.Response{Value: []*azquery.Metric{
		series("Requests", "RD01", map[time.Time]float64{m1: 100, m2: 10}, false),
	}}}}
	now := base.Add(-90 * time.Second) // m1 has ended, m2 not yet
	logsOn := true
	m := &Metrics{Client: fm, Sites: []string{site}, Now: func() time.Time { return now }, Skip: func(string) bool { return logsOn }}
	rec := newRecorder()
	seen := map[string]time.Time{}
	m.pollSites(context.Background(), rec, seen, discard())
	if fm.calls != 0 || len(rec.requests) != 0 {
		t.Fatalf("queried %d times, observed %v while web logs feed the site", fm.calls, rec.requests)
	}
	// Logging stops; a minute later metrics take over from there.
	logsOn, now = false, base.Add(10*time.Second)
	m.pollSites(context.Background(), rec, seen, discard())
	n := 0
	for _, r := range rec.requests["RD01"] {
		n += r.n()
	}
	if fm.calls != 1 || n != 10 {
		t.Fatalf("observed %d requests after the switch, want 10 (minute m1 was the logs')", n)
	}
}
