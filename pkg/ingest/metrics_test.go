package ingest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	h := newHarness(t, func(c *Config) { c.Metrics = m })
	body := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/m1", "High memory", appID, "Fired")
	for range 2 {
		h.do(t, "POST", "/v1/alerts?token="+testToken, "application/json", body, nil)
	}
	h.do(t, "POST", "/v1/alerts", "application/json", body, nil) // 401
	for _, c := range []struct {
		got  float64
		want float64
		name string
	}{
		{testutil.ToFloat64(m.Events.WithLabelValues("azure-monitor-common", OutcomeAccepted)), 1, "accepted events"},
		{testutil.ToFloat64(m.Events.WithLabelValues("azure-monitor-common", OutcomeDuplicate)), 1, "duplicate events"},
		{testutil.ToFloat64(m.Requests.WithLabelValues("alerts", "202")), 2, "202 requests"},
		{testutil.ToFloat64(m.Requests.WithLabelValues("alerts", "401")), 1, "401 requests"},
		{testutil.ToFloat64(m.Jobs), 2, "jobs sent (one re-send of the duplicate)"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}
