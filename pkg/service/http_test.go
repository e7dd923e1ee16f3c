package service

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHealthAndReadiness(t *testing.T) {
	h := NewHealth()
	var fail error
	h.Add("queue", func(context.Context) error { return fail })
	mux := http.NewServeMux()
	h.Register(mux)

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, slog.New(slog.DiscardHandler), "127.0.0.1:0", mux, 5*time.Second, ready) }()
	base := "http://" + (<-ready).String()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, _ := get("/readyz"); code != 200 {
		t.Fatalf("/readyz = %d, want 200", code)
	}
	fail = errors.New("queue file locked")
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "queue file locked") {
		t.Fatalf("/readyz with failing check = %d %s", code, body)
	}
	fail = nil
	h.Drain()
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "draining") {
		t.Fatalf("/readyz while draining = %d %s", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v", err)
	}
}

func TestNewLoggerRejectsUnknownLevel(t *testing.T) {
	if _, err := NewLogger(io.Discard, "loud"); err == nil {
		t.Fatal("want error for unknown level")
	}
	if _, err := NewLogger(io.Discard, "debug"); err != nil {
		t.Fatal(err)
	}
}
