package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestTraceParentRoundTrip(t *testing.T) {
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	ctx := FromTraceParent(context.Background(), tp)
	if got := TraceParent(ctx); got != tp {
		t.Fatalf("round trip %q, want %q", got, tp)
	}
	if FromTraceParent(context.Background(), "garbage") == nil || TraceParent(FromTraceParent(context.Background(), "garbage")) != "" {
		t.Fatal("an invalid traceparent must leave no parent")
	}
}

// TestSetupExportsOverOTLP: with the standard OTLP variable set, spans
// reach the endpoint over OTLP/HTTP; a child continues its parent's trace.
func TestSetupExportsOverOTLP(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SDK_DISABLED", "")
	shutdown, err := Setup(context.Background(), "test", "dev")
	if err != nil {
		t.Fatal(err)
	}
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	ctx, span := Start(FromTraceParent(context.Background(), parent), "child")
	tp := TraceParent(ctx)
	span.End()
	if !strings.HasPrefix(tp, "00-0af7651916cd43dd8448eb211c80319c-") || tp == parent {
		t.Fatalf("child traceparent %q does not continue %q", tp, parent)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if posts.Load() == 0 {
		t.Fatal("no span exported")
	}
}

// TestSetupWithoutExporter: no variable, no export, but spans still have
// ids, so messages still carry a trace.
func TestSetupWithoutExporter(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if Exporting() {
		t.Fatal("exporting without an endpoint")
	}
	shutdown, err := Setup(context.Background(), "test", "dev")
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	ctx, span := Start(context.Background(), "root")
	defer span.End()
	if TraceParent(ctx) == "" {
		t.Fatal("no trace id without an exporter")
	}
}
