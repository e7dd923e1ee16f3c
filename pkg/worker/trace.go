package worker

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// runTarget dumps one target (dumpTarget) inside a "dump" span of the
// job's trace, which records the outcome, bytes and attempts; the
// DumpCaptured it publishes carries this span's traceparent.
func (e *Engine) runTarget(ctx context.Context, job *messages.CaptureJob, strategy string, t target) ([]messages.TargetResult, []messages.DumpCaptured, error) {
	ctx, span := tracing.Start(ctx, "dump", trace.WithAttributes(attribute.String("dumpflow.instance", t.Instance),
		attribute.String("dumpflow.machine", t.MachineName), attribute.Int("dumpflow.pid", t.PID), attribute.String("dumpflow.process", t.Name)))
	defer span.End()
	results, dumps, err := e.dumpTarget(ctx, job, strategy, t)
	// A series' span describes its last dump, with the number stored.
	if len(results) > 0 {
		res := results[len(results)-1]
		span.SetAttributes(attribute.String("dumpflow.outcome", res.Outcome), attribute.Int64("dumpflow.bytes", res.Bytes),
			attribute.Int("dumpflow.attempts", res.Attempts), attribute.String("dumpflow.dump_key", res.DumpKey))
		if res.Outcome == messages.OutcomeFailed {
			span.SetStatus(codes.Error, res.Reason)
		}
	}
	if len(results) > 1 {
		span.SetAttributes(attribute.Int("dumpflow.series_dumps", len(dumps)))
	}
	tracing.Fail(span, err)
	return results, dumps, err
}
