package sim

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newSim(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.DumpSize == 0 {
		cfg.DumpSize = 2 << 20
	}
	if cfg.DumpWriteTime == 0 {
		cfg.DumpWriteTime = -1
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

// call performs one request; hdr holds header pairs ("Cookie", "a=b", …).
func call(t *testing.T, method, url string, body io.Reader, hdr ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	c := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp{res.StatusCode, res.Header, b}
}

func get(t *testing.T, url string, hdr ...string) resp {
	return call(t, http.MethodGet, url, nil, hdr...)
}

func decode[T any](t *testing.T, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %T from %d %q: %v", v, r.status, r.body, err)
	}
	return v
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %q", r.status, status, r.body)
	}
}

func wantBody(t *testing.T, r resp, status int, body string) {
	t.Helper()
	if r.status != status || strings.TrimSpace(string(r.body)) != body {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, body)
	}
}

func affinity(id string) []string { return []string{"Cookie", "ARRAffinity=" + id} }

// procs lists the processes of one instance of app.
func procs(t *testing.T, s *Server, appName, inst string) []map[string]any {
	t.Helper()
	r := get(t, s.URL+"/"+appName+"/api/processes", affinity(inst)...)
	wantStatus(t, r, http.StatusOK)
	return decode[[]map[string]any](t, r)
}

func pidOf(t *testing.T, s *Server, appName, inst, alias string) int {
	t.Helper()
	r := get(t, s.URL+"/"+appName+"/api/processes/"+alias, affinity(inst)...)
	wantStatus(t, r, http.StatusOK)
	return int(decode[map[string]any](t, r)["id"].(float64))
}

// dumpPID checks the MDMP signature and returns MiscInfo's ProcessId and
// the stream count.
func dumpPID(b []byte) (pid uint32, streams int, err error) {
	le := binary.LittleEndian
	if len(b) < 32 || string(b[:4]) != "MDMP" {
		return 0, 0, fmt.Errorf("no MDMP header")
	}
	n, dir := int(le.Uint32(b[8:])), int(le.Uint32(b[12:]))
	for i := 0; i < n; i++ {
		d := b[dir+12*i:]
		if le.Uint32(d) == 15 {
			return le.Uint32(b[le.Uint32(d[8:])+8:]), n, nil
		}
	}
	return 0, n, fmt.Errorf("no MiscInfo stream")
}

func itoaT(n int) string { return strconv.Itoa(n) }

// events settles the server and returns its events.
func events(t *testing.T, s *Server) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Settle(ctx); err != nil {
		t.Fatalf("Settle: %v", err)
	}
	return s.Events()
}
