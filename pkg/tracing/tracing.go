// Package tracing is dumpflow's OpenTelemetry wiring. One trigger is one
// trace: ingest starts it (or continues the caller's traceparent), every
// queue message carries the W3C traceparent of the span that sent it, and
// the worker and the analyzer continue the trace from there — alert →
// incident → job → each dump → analysis → report.
//
// Spans are exported over OTLP/HTTP when the standard OpenTelemetry
// variables ask for it (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SDK_DISABLED as the SDK reads them).
// Without an exporter, spans are still created, so trace ids still flow
// through the messages and logs.
package tracing

import (
	"context"
	"errors"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names dumpflow's tracer.
const instrumentation = "github.com/dumpflow/dumpflow"

// Exporting reports whether the environment asks for spans to be exported.
func Exporting() bool {
	if os.Getenv("OTEL_SDK_DISABLED") == "true" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the global tracer provider of a service (its name and
// version go into the resource) and the W3C trace-context propagator. The
// returned shutdown flushes spans still buffered; call it on exit.
func Setup(ctx context.Context, service, version string) (shutdown func(context.Context) error, err error) {
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(service), semconv.ServiceVersion(version)))
	if err != nil && !errors.Is(err, resource.ErrSchemaURLConflict) {
		return nil, err
	}
	if env, eerr := resource.New(ctx, resource.WithFromEnv()); eerr == nil {
		if merged, merr := resource.Merge(res, env); merr == nil {
			res = merged
		}
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if Exporting() {
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	Install(tp)
	return tp.Shutdown, nil
}

// Install makes tp the global tracer provider, with the W3C trace-context
// propagator (tests install one with an in-memory exporter).
func Install(tp trace.TracerProvider) {
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
}

// Start starts a span named name as a child of ctx's span.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return otel.Tracer(instrumentation).Start(ctx, name, opts...)
}

// FromTraceParent returns ctx with the remote span context of a W3C
// traceparent header value as its parent; ctx unchanged when tp is empty
// or invalid.
func FromTraceParent(ctx context.Context, tp string) context.Context {
	if tp == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": tp})
}

// TraceParent is the W3C traceparent of ctx's span, "" when it has none.
func TraceParent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c["traceparent"]
}

// Fail records err on span and marks it failed; nil err does nothing.
func Fail(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}
