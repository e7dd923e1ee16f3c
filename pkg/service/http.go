package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Check is a readiness probe: nil when the dependency is usable.
type Check func(ctx context.Context) error

// Health serves /healthz (the process is alive) and /readyz (every
// registered check passes and the service has not begun shutting down).
// Safe for concurrent use.
type Health struct {
	mu       sync.Mutex
	checks   map[string]Check
	draining bool
}

// NewHealth returns a Health with no checks.
func NewHealth() *Health { return &Health{checks: map[string]Check{}} }

// Add registers a named readiness check.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// Drain marks the service as shutting down: /readyz answers 503 from now on,
// so load balancers stop sending work.
func (h *Health) Drain() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.draining = true
}

// Register adds /healthz and /readyz to mux.
func (h *Health) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", h.ready)
}

func (h *Health) ready(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	draining := h.draining
	checks := make(map[string]Check, len(h.checks))
	for k, v := range h.checks {
		checks[k] = v
	}
	h.mu.Unlock()
	if draining {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	failed := map[string]string{}
	for name, c := range checks {
		if err := c(ctx); err != nil {
			failed[name] = err.Error()
		}
	}
	if len(failed) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "failed": failed})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Serve runs an HTTP server for handler on addr until ctx ends, then shuts
// it down, giving open requests up to grace to finish. It returns nil after
// a clean shutdown. If ready is non-nil it receives the bound address once
// listening (useful with port 0). The server has the default HTTPLimits.
func Serve(ctx context.Context, log *slog.Logger, addr string, handler http.Handler, grace time.Duration, ready chan<- net.Addr) error {
	return ServeLimited(ctx, log, addr, handler, grace, HTTPLimits{}, ready)
}

// ServeLimited is Serve with the given limits (zero fields: defaults).
func ServeLimited(ctx context.Context, log *slog.Logger, addr string, handler http.Handler, grace time.Duration, limits HTTPLimits, ready chan<- net.Addr) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("service: listen %s: %w", addr, err)
	}
	limits = limits.withDefaults()
	srv := limits.server(handler)
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	ln = limits.listener(ln, srv)
	log.Info("http listening", "addr", ln.Addr().String())
	if ready != nil {
		ready <- ln.Addr()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("service: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		<-errc
		return fmt.Errorf("service: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("service: serve: %w", err)
	}
	return nil
}

// RunWithHTTP runs work and, when listen is not empty, an HTTP server for
// handler on listen, until work returns or ctx ends. Each stops the other:
// a server that cannot listen stops the work, and the server shuts down
// (5 s grace) when the work is over. It returns the first error.
func RunWithHTTP(ctx context.Context, log *slog.Logger, listen string, handler http.Handler, work func(ctx context.Context) error) error {
	var g errgroup.Group
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	g.Go(func() error {
		defer cancel()
		return work(runCtx)
	})
	if listen != "" {
		g.Go(func() error {
			defer cancel()
			return Serve(runCtx, log, listen, handler, 5*time.Second, nil)
		})
	}
	return g.Wait()
}
