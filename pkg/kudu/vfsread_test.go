package kudu

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A server that answers a ranged read with the whole file and no ETag
// (no If-Range to match): the client keeps only n bytes from off, and a
// 206 that starts elsewhere is an error, not data.
func TestReadVFSRangeWholeFileAnswers(t *testing.T) {
	const file = "0123456789abcdefghij"
	var badRange bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if badRange {
			w.Header().Set("Content-Range", "bytes 0-3/20")
			w.WriteHeader(http.StatusPartialContent)
			w.Write([]byte(file[:4]))
			return
		}
		w.Write([]byte(file))
	}))
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	data, size, err := c.ReadVFSRange(t.Context(), "LogFiles/http/RawLogs", "a.log", 5, 4, "")
	if err != nil || string(data) != "5678" || size != 20 {
		t.Fatalf("got %q size %d, %v; want 5678 of 20", data, size, err)
	}
	if _, _, err := c.ReadVFSRange(t.Context(), "LogFiles/http/RawLogs", "a.log", 25, 4, ""); err == nil || !strings.Contains(err.Error(), "range not satisfiable") {
		t.Fatalf("offset past a whole-file answer: %v", err)
	}
	badRange = true
	if _, _, err := c.ReadVFSRange(t.Context(), "LogFiles/http/RawLogs", "a.log", 5, 4, `"x"`); err == nil || !strings.Contains(err.Error(), "Content-Range") {
		t.Fatalf("a 206 from the wrong offset: %v", err)
	}
}

func TestEntityTag(t *testing.T) {
	// 2026-03-02T10:00:00Z is 639080424000000000 ticks since 0001-01-01 (computed with Python's datetime).
	if got := EntityTag(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)); got != `"00106d774278de08"` {
		t.Fatalf("EntityTag = %s", got)
	}
}
