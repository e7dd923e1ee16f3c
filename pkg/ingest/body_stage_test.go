package ingest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadBodyStage(t *testing.T) {
	var got string
	var kept *exchange
	h := readBody(16)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = string(bodyOf(r))
		_, kept = exchangeOf(r)
	}))
	for _, c := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"fits", `{"a":1}`, http.StatusOK, ""},
		{"at the limit", `{"a":"12345678"}`, http.StatusOK, ""},
		{"too big", `{"a":"123456789"}`, http.StatusRequestEntityTooLarge, "request body larger than 16 bytes"},
		{"empty", "", http.StatusBadRequest, "empty request body"},
		{"blank", " \n\t", http.StatusBadRequest, "empty request body"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, kept = "", nil
			w := serve(h, httptest.NewRequest("POST", "/v1/alerts", strings.NewReader(c.body)))
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.msg) {
				t.Fatalf("HTTP %d %s, want %d with %q", w.Code, w.Body, c.status, c.msg)
			}
			if c.status == http.StatusOK && got != c.body {
				t.Errorf("handler read %q, want %q", got, c.body)
			}
			if c.status != http.StatusOK && kept != nil {
				t.Error("handler called for a refused body")
			}
			if kept != nil && kept.body != nil {
				t.Error("the body stays reachable after the handler returned (its buffer is reused)")
			}
		})
	}
}

func TestReadBodyStageUnreadable(t *testing.T) {
	h := readBody(1 << 10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.Error("handler called") }))
	r := httptest.NewRequest("POST", "/v1/alerts", errReader{})
	if w := serve(h, r); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "reading request body: broken pipe") {
		t.Errorf("HTTP %d %s, want 400 naming the read error", w.Code, w.Body)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken pipe") }
