package service

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// Observability is what every serve command exposes the same way: a
// Prometheus registry (with the Go and process collectors) served at
// /metrics, /healthz and /readyz on Mux, and OpenTelemetry tracing set up
// from the standard OTEL_* variables (see pkg/tracing).
type Observability struct {
	Registry *prometheus.Registry
	Health   *Health
	Mux      *http.ServeMux
	shutdown func(context.Context) error
}

// Observe sets up the observability of the service name at version.
func Observe(ctx context.Context, name, version string) (*Observability, error) {
	shutdown, err := tracing.Setup(ctx, name, version)
	if err != nil {
		return nil, err
	}
	o := &Observability{Registry: prometheus.NewRegistry(), Health: NewHealth(), Mux: http.NewServeMux(), shutdown: shutdown}
	o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	o.Health.Register(o.Mux)
	o.Mux.Handle("GET /metrics", promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry}))
	return o, nil
}

// Close flushes the spans still buffered, for at most 5 seconds.
func (o *Observability) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = o.shutdown(ctx)
}
