package ingest

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/alert"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// syncBuffer is a bytes.Buffer safe for the handler's concurrent logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAccessLog checks the access log's levels (Debug for answers below
// 400, Warn from 400) and that the token query parameter never reaches it.
func TestAccessLog(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, func(c *Config) {
		c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	body := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/log-1", "High memory", appID, "Fired")
	if code, out := h.do(t, "POST", "/v1/alerts?token="+testToken+"&x=1", "application/json", body, nil); code != http.StatusAccepted {
		t.Fatalf("HTTP %d: %v", code, out)
	}
	if code, _ := h.do(t, "POST", "/v1/alerts?token=wrong-token-0123456789", "application/json", body, nil); code != http.StatusUnauthorized {
		t.Fatalf("HTTP %d, want 401", code)
	}
	var accepted, refused, incident bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, testToken) || strings.Contains(line, "wrong-token") {
			t.Errorf("token in log line %q", line)
		}
		switch {
		case strings.Contains(line, `msg="ingest: request"`) && strings.Contains(line, "status=202"):
			accepted = strings.HasPrefix(strings.SplitN(line, " ", 3)[1], "level=DEBUG") && strings.Contains(line, `query="token=REDACTED&x=1"`)
		case strings.Contains(line, `msg="ingest: request"`) && strings.Contains(line, "status=401"):
			refused = strings.Contains(line, "level=WARN")
		case strings.Contains(line, `msg="ingest: incident"`):
			incident = strings.Contains(line, "level=INFO") && strings.Contains(line, "jobs=1")
		}
	}
	if !accepted || !refused || !incident {
		t.Errorf("accepted line ok %v, refused line ok %v, incident line ok %v in:\n%s", accepted, refused, incident, logs.String())
	}
}

// TestConcurrentBodies posts distinct alerts concurrently: each answer must
// be about its own body (request bodies share recycled buffers).
func TestConcurrentBodies(t *testing.T) {
	h := newHarness(t, nil)
	handler := h.svc.Handler()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				id := fmt.Sprintf("/subscriptions/%s/providers/Microsoft.AlertsManagement/alerts/c-%d-%d", sub, i, j)
				body := commonAlert(id, "High memory", appID, "Fired")
				if j%2 == 1 {
					body += strings.Repeat(" ", 3000) // a bigger buffer into the pool
				}
				r := httptest.NewRequest(http.MethodPost, "/v1/alerts?dry_run=true&token="+testToken, strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
				want, err := incidentOf(body)
				if err != nil {
					t.Error(err)
					return
				}
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"incident_id":"`+want+`"`) {
					t.Errorf("alert %s: HTTP %d %s, want incident %s", id, w.Code, w.Body, want)
				}
			}
		}()
	}
	wg.Wait()
}

// incidentOf is the incident id of a one-event alert payload.
func incidentOf(body string) (string, error) {
	a, err := alert.Parse([]byte(body))
	if err != nil {
		return "", err
	}
	ev := a.Events()[0]
	return messages.IncidentID(ev.FiredTime, ev.Key()...), nil
}
