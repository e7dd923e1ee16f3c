package ingest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// alertmanagerPayload is one Alertmanager webhook with n firing alerts,
// each with its own fingerprint.
func alertmanagerPayload(n int) string {
	var b strings.Builder
	b.WriteString(`{"version":"4","groupKey":"{}:{alertname=\"Hang\"}","status":"firing","commonLabels":{"alertname":"Hang"},"alerts":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"status":"firing","labels":{"alertname":"Hang","n":"%d","azure_resource_id":"%s"},"startsAt":"2024-05-01T09:59:00Z","fingerprint":"f%d"}`, i, appID, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// The attack of issue 22 point 7: one Alertmanager payload with 3,000
// alerts made 3,000 incidents and 3,000 jobs. A payload over the cap is now
// refused whole with 413 and a reason; nothing is stored or sent.
func TestTooManyEventsAreRefusedWhole(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxBodyBytes = 4 << 20 })
	status, out := h.do(t, "POST", "/v1/alerts?token="+testToken, "application/json", alertmanagerPayload(3000), nil)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(fmt.Sprint(out["error"]), "3000 alerts, more than the 100") {
		t.Fatalf("HTTP %d (error %v, %d incidents), want 413 naming the cap", status, out["error"], len(h.queue.Messages()))
	}
	if n := len(h.queue.Messages()); n != 0 {
		t.Fatalf("%d jobs sent for a refused payload", n)
	}
	h2 := newHarness(t, func(c *Config) { c.MaxEventsPerRequest = 3000; c.MaxBodyBytes = 4 << 20 })
	if status, out := h2.do(t, "POST", "/v1/alerts?token="+testToken, "application/json", alertmanagerPayload(3000), nil); status != http.StatusAccepted {
		t.Fatalf("with the cap raised: HTTP %d %v", status, out["error"])
	}
}
