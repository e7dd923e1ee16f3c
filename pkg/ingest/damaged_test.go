package ingest

import (
	"os"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/layout"
)

// TestDamagedManifestIsReported flips a byte of a stored manifest on disk:
// the incident's status names the damaged key and file instead of serving
// it or saying "not found", and the alert delivered again fails naming the
// file instead of making a new incident.
func TestDamagedManifestIsReported(t *testing.T) {
	fb, err := fileblob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	h := newHarness(t, func(c *Config) { c.Bucket = fb })
	body := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/dmg", "High memory w3wp", appID, "Fired")
	auth := map[string]string{TokenHeader: testToken}
	status, first := h.do(t, "POST", "/v1/alerts", "application/json", body, auth)
	if status != 202 {
		t.Fatalf("post: %d %v", status, first)
	}
	id, _ := first["incident_id"].(string)
	fn := fb.Path(layout.ManifestKey(id))
	raw, err := os.ReadFile(fn)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x04
	if err := os.WriteFile(fn, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	status, st := h.do(t, "GET", "/v1/incidents/"+id+"?token="+testToken, "", "", nil)
	msg, _ := st["error"].(string)
	if status != 500 || !strings.Contains(msg, layout.ManifestKey(id)) || !strings.Contains(msg, fn) || !strings.Contains(msg, "damaged") {
		t.Errorf("status of an incident with a damaged manifest: %d %q; want 500 naming %s and %s", status, msg, layout.ManifestKey(id), fn)
	}
	// Ingest reads the existing manifest to answer a redelivery: it fails,
	// naming the file, and makes no new incident (Azure retries later).
	status, again := h.do(t, "POST", "/v1/alerts", "application/json", body, auth)
	if msg, _ := again["error"].(string); status < 500 || !strings.Contains(msg, fn) {
		t.Errorf("the same alert again: %d %v; want a failure naming %s", status, again, fn)
	}
	if n := len(h.queue.Messages()); n != 1 {
		t.Errorf("%d jobs queued, want only the first incident's", n)
	}
}
