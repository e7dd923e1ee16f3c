package service

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// serveLimited runs ServeLimited with a /healthz handler and returns its
// address; the server stops when the test ends.
func serveLimited(t *testing.T, limits HTTPLimits) string {
	t.Helper()
	mux := http.NewServeMux()
	NewHealth().Register(mux)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- ServeLimited(ctx, slog.New(slog.DiscardHandler), "127.0.0.1:0", mux, time.Second, limits, ready)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeLimited: %v", err)
		}
	})
	return (<-ready).String()
}

// idleConn opens a keep-alive connection, makes one request on it and
// returns a channel closed when the server closes the connection.
func idleConn(t *testing.T, addr string) (net.Conn, <-chan struct{}) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /healthz = %d", resp.StatusCode)
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, br) // returns when the server closes
	}()
	return c, closed
}

// The attack of issue 22 point 1: clients that make one request and keep
// the connection open. Before, the server kept every one (15,000 took it to
// 320 MB); now it closes idle ones so that no more than MaxConns stay open
// and new clients are still served.
func TestIdleConnectionsAreShedAtTheCap(t *testing.T) {
	const maxConns, clients = 16, 64
	addr := serveLimited(t, HTTPLimits{MaxConns: maxConns, IdleTimeout: time.Hour})
	// Which connections the server closes depends on when shedding turned
	// keep-alive off and on again, so count closures of any of them.
	closures := make(chan struct{}, clients)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // registered first, so it runs after the connections are closed
	for range clients {
		_, ch := idleConn(t, addr) // would block for good if slots were never freed
		wg.Go(func() {
			<-ch
			closures <- struct{}{}
		})
	}
	// Wait (on the events, bounded only for the failure case) until all
	// but maxConns connections were closed by the server.
	deadline := time.After(30 * time.Second)
	for n := 0; n < clients-maxConns; n++ {
		select {
		case <-closures:
		case <-deadline:
			t.Fatalf("after %d idle keep-alive connections, the server closed only %d; want at least %d (MaxConns %d)",
				clients, n, clients-maxConns, maxConns)
		}
	}
}

func TestIdleTimeoutClosesKeepAliveConnections(t *testing.T) {
	addr := serveLimited(t, HTTPLimits{IdleTimeout: 20 * time.Millisecond})
	_, closed := idleConn(t, addr)
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("an idle keep-alive connection stayed open 30 s with IdleTimeout 20ms")
	}
}

func TestHTTPLimitsDefaults(t *testing.T) {
	l := HTTPLimits{}.withDefaults()
	srv := l.server(http.NotFoundHandler())
	if srv.ReadTimeout == 0 || srv.IdleTimeout == 0 || srv.ReadHeaderTimeout == 0 || srv.MaxHeaderBytes == 0 || l.MaxConns == 0 {
		t.Fatalf("a default limit is unset: %+v, server %+v", l, srv)
	}
}
