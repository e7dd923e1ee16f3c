package kudu

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// fakeDump is a deterministic payload starting with the minidump signature.
func fakeDump(n int) []byte {
	b := make([]byte, n)
	copy(b, "MDMP")
	for i := 4; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

func TestDirectDumpRaw(t *testing.T) {
	payload := fakeDump(256 << 10)
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/{pid}/dump": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", "attachment; filename=w3wp-8d3f0a-04-15-13-22-05.dmp")
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			_, _ = w.Write(payload)
		},
	})
	c := newTestClient(t, srv, nil)
	for _, tc := range []struct {
		pid  int
		typ  DumpType
		want string
	}{{4120, DumpFull, "dumpType=2&format=raw"}, {PIDApp, DumpMini, "dumpType=0&format=raw"}} {
		d, err := c.Dump(context.Background(), tc.pid, DumpOptions{Type: tc.typ})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(d.Body)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Body.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, payload) || d.Size != int64(len(payload)) || d.FileName != "w3wp-8d3f0a-04-15-13-22-05.dmp" {
			t.Fatalf("dump: %d bytes, size %d, name %q", len(got), d.Size, d.FileName)
		}
		r := rec.all()[len(rec.all())-1]
		if r.URL.RawQuery != tc.want || r.URL.Path != "/api/processes/"+strconv.Itoa(tc.pid)+"/dump" {
			t.Fatalf("request %s?%s", r.URL.Path, r.URL.RawQuery)
		}
	}
}

func TestDirectDumpRefusals(t *testing.T) {
	srv, rec := fakeServer(t, nil)
	c := newTestClient(t, srv, nil)
	for _, tc := range []struct {
		pid  int
		opts DumpOptions
	}{{0, DumpOptions{}}, {-2, DumpOptions{}}, {5, DumpOptions{Type: -1}}, {5, DumpOptions{Type: 0x40000}}} {
		if _, err := c.Dump(context.Background(), tc.pid, tc.opts); err == nil {
			t.Fatalf("pid %d %v accepted", tc.pid, tc.opts)
		}
	}
	if len(rec.all()) != 0 {
		t.Fatal("refused dumps must not reach the server")
	}
}

// hijackCut writes a response head declaring size bytes, then part of the
// body, then ends the connection (reset=true sends a TCP RST).
func hijackCut(t *testing.T, w http.ResponseWriter, size int, part []byte, reset bool) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n")
	_, _ = buf.Write(part)
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

func TestDumpFaults(t *testing.T) {
	payload := fakeDump(64 << 10)
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/1/dump": func(w http.ResponseWriter, r *http.Request) { // truncated (clean close)
			hijackCut(t, w, len(payload), payload[:1000], false)
		},
		"GET /api/processes/2/dump": func(w http.ResponseWriter, r *http.Request) { // reset mid-stream
			hijackCut(t, w, len(payload), payload[:5000], true)
		},
		"GET /api/processes/3/dump": func(w http.ResponseWriter, r *http.Request) { // slow first byte
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		},
		"GET /api/processes/4/dump": func(w http.ResponseWriter, r *http.Request) { // idle body
			w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
			_, _ = w.Write(payload[:100])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		},
		"GET /api/processes/5/dump": func(w http.ResponseWriter, r *http.Request) { // 429
			w.Header().Set("Retry-After", "7")
			jsonReply(429, `{"Message":"Too many requests"}`)(w, r)
		},
		"GET /api/processes/6/dump":  jsonReply(500, `{"Message":"Site sku (Free) does not support full minidump."}`),
		"GET /api/processes/7/dump":  jsonReply(500, `{"Message":"The process cannot access the file 'D:\\home\\LogFiles\\minidump\\minidump.dmp' because it is being used by another process."}`),
		"GET /api/processes/8/dump":  jsonReply(502, `<html><head><title>502 - Web server received an invalid response while acting as a gateway or proxy server.</title></head></html>`),
		"GET /api/processes/9/dump":  jsonReply(503, ``),
		"GET /api/processes/11/dump": jsonReply(400, `{"Message":"Dump format (7) is not supported."}`),
	})
	// Only the stalling routes get short timeouts, so a loaded machine
	// cannot turn a quick answer into a timeout.
	shortHeader := newTestClient(t, srv, func(cfg *Config) { cfg.ResponseHeaderTimeout = 150 * time.Millisecond })
	shortIdle := newTestClient(t, srv, func(cfg *Config) { cfg.IdleReadTimeout = 150 * time.Millisecond })
	patient := newTestClient(t, srv, nil)
	read := func(pid int) error {
		c := patient
		switch pid {
		case 3:
			c = shortHeader
		case 4:
			c = shortIdle
		}
		d, err := c.Dump(context.Background(), pid, DumpOptions{Type: DumpFull})
		if err != nil {
			return err
		}
		defer d.Body.Close()
		_, err = io.Copy(io.Discard, d.Body)
		return err
	}
	for _, tc := range []struct {
		pid       int
		is        error // nil: only classification is checked
		transient bool
	}{
		{1, ErrTruncated, true},
		{2, ErrTruncated, true},
		{3, ErrFirstByteTimeout, true},
		{4, ErrIdleTimeout, true},
		{5, nil, true},
		{6, nil, false},
		{7, nil, true},
		{8, nil, true},
		{9, nil, true},
		{11, nil, false},
	} {
		err := read(tc.pid)
		if err == nil {
			t.Fatalf("pid %d: no error", tc.pid)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("pid %d: %v is not %v", tc.pid, err, tc.is)
		}
		if IsTransient(err) != tc.transient {
			t.Errorf("pid %d: IsTransient(%v) = %v", tc.pid, err, !tc.transient)
		}
	}
	d, ok := RetryAfter(read(5))
	if !ok || d != 7*time.Second {
		t.Fatalf("RetryAfter = %v %v", d, ok)
	}
	var ae *APIError
	if err := read(8); !errors.As(err, &ae) || ae.Message != "502 - Web server received an invalid response while acting as a gateway or proxy server." {
		t.Fatalf("HTML message: %v", err)
	}
}

// TestSlowSteadyBody: a body that takes longer than every timeout in all,
// but never stalls for long, succeeds: there is no whole-body deadline.
func TestSlowSteadyBody(t *testing.T) {
	const n = 12
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/10/dump": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(n))
			for i := 0; i < n; i++ {
				_, _ = w.Write([]byte{'x'})
				w.(http.Flusher).Flush()
				time.Sleep(120 * time.Millisecond)
			}
		},
	})
	c := newTestClient(t, srv, func(cfg *Config) {
		cfg.ResponseHeaderTimeout = time.Second
		cfg.IdleReadTimeout = time.Second
		cfg.RequestTimeout = time.Second
	})
	start := time.Now()
	d, err := c.Dump(context.Background(), 10, DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	got, err := io.ReadAll(d.Body)
	if err != nil || len(got) != n {
		t.Fatalf("slow steady body: %d bytes, %v", len(got), err)
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("body took %v, not longer than the timeouts; the test proves nothing", el)
	}
}

func TestDumpContextCancelNotTransient(t *testing.T) {
	started := make(chan struct{})
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/1/dump": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write(make([]byte, 10))
			w.(http.Flusher).Flush()
			close(started)
			<-r.Context().Done()
		},
	})
	c := newTestClient(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := c.Dump(ctx, 1, DumpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	<-started
	cancel()
	_, err = io.Copy(io.Discard, d.Body)
	if !errors.Is(err, context.Canceled) || IsTransient(err) || errors.Is(err, ErrTruncated) {
		t.Fatalf("cancelled read: %v (transient %v)", err, IsTransient(err))
	}
}

func TestKill(t *testing.T) {
	deleted := 0
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/4120": jsonReply(200, docDetail),
		"DELETE /api/processes/4120": func(w http.ResponseWriter, r *http.Request) {
			deleted++
			w.WriteHeader(http.StatusNoContent)
		},
		"GET /api/processes/999":   jsonReply(404, doc404),
		"GET /api/processes/55":    jsonReply(200, `{"id":55,"name":"node","machineName":"M"}`),
		"DELETE /api/processes/55": jsonReply(404, `{"Message":"Process with an Id of 55 is not running."}`),
		"GET /api/processes/7788":  jsonReply(200, docSCMDetail),
		"GET /api/processes/4121":  jsonReply(200, `{"id":4121,"name":"w3wp","machineName":"M"}`),
		"POST /api/processes/4121/stop": func(w http.ResponseWriter, r *http.Request) {
			deleted++
			w.WriteHeader(http.StatusNoContent)
		},
		"DELETE /api/processes/7788": func(w http.ResponseWriter, r *http.Request) {
			t.Error("DELETE sent for the SCM process")
		},
	})
	c := newTestClient(t, srv, nil)
	ctx := context.Background()
	if err := c.Kill(ctx, 4120); err != nil || deleted != 1 {
		t.Fatalf("kill: %v (deleted %d)", err, deleted)
	}
	if err := c.Stop(ctx, 4121); err != nil || deleted != 2 {
		t.Fatalf("stop: %v (deleted %d)", err, deleted)
	}
	if err := c.Stop(ctx, 0); !errors.Is(err, ErrRefused) {
		t.Fatalf("stop 0: %v", err)
	}
	if err := c.Kill(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kill gone (detail 404): %v", err)
	}
	if err := c.Kill(ctx, 55); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kill gone (delete 404): %v", err)
	}
	for _, pid := range []int{0, -1, -5, 7788} {
		if err := c.Kill(ctx, pid); !errors.Is(err, ErrRefused) {
			t.Fatalf("kill %d: %v", pid, err)
		}
	}
	for _, r := range rec.all() {
		if (r.Method == http.MethodDelete || r.Method == http.MethodPost) && r.URL.Path != "/api/processes/4121/stop" && r.URL.Path != "/api/processes/4120" && r.URL.Path != "/api/processes/55" {
			t.Fatalf("unexpected DELETE %s", r.URL.Path)
		}
	}
}
