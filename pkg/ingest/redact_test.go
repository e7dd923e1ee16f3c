package ingest

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// The attack of issue 22 point 7: the webhook token sent as ?%74oken=…
// authenticated (net/url decodes the key) but reached the access log in
// clear (redaction compared the raw key).
func TestEncodedTokenKeyIsRedacted(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, func(c *Config) {
		c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	body := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/enc-1", "High memory", appID, "Fired")
	if code, out := h.do(t, "POST", "/v1/alerts?%74oken="+testToken, "application/json", body, nil); code != http.StatusAccepted {
		t.Fatalf("HTTP %d: %v (the encoded key authenticates)", code, out)
	}
	for _, q := range []string{"%54OKEN=" + testToken, "t%6Fken=" + testToken + "&x=1"} {
		h.do(t, "POST", "/v1/alerts?"+q, "application/json", body, nil) // logged whatever the answer
	}
	if strings.Contains(logs.String(), testToken) {
		t.Fatalf("token in the logs:\n%s", logs.String())
	}
	for in, want := range map[string]string{
		"%74oken=abc&x=1": "%74oken=REDACTED&x=1",
		"x=1&%zz=abc":     "x=1&%zz=REDACTED",
		"x=1&y=2":         "x=1&y=2",
	} {
		if got := redactToken(in); got != want {
			t.Errorf("redactToken(%q) = %q, want %q", in, got, want)
		}
	}
}
