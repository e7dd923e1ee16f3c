package worker

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/tracing"
)

// Handler returns the queue handler for `worker serve`: it decodes a
// CaptureJob and runs it. An undecodable or invalid message is
// queue.Permanent (dead-lettered with the decoder's reason); an interrupted
// job or a failure to publish results is returned as is (the message is
// abandoned and redelivered; stored dumps are not taken again).
func (e *Engine) Handler() queue.Handler {
	return queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
		env, err := messages.Decode(m.Body)
		if err != nil {
			e.m.Jobs.WithLabelValues("invalid").Inc()
			return queue.Permanent(fmt.Errorf("worker: invalid capture job %s: %w", m.ID, err))
		}
		job, ok := env.Payload.(*messages.CaptureJob)
		if !ok {
			e.m.Jobs.WithLabelValues("invalid").Inc()
			return queue.Permanent(fmt.Errorf("worker: message %s is a %s, not a %s", m.ID, env.Type, messages.TypeCaptureJob))
		}
		ctx, span := tracing.Start(tracing.FromTraceParent(ctx, env.TraceParent), "job", trace.WithAttributes(
			attribute.String("dumpflow.job_id", job.JobID), attribute.String("dumpflow.site", job.Site.Segment()),
			attribute.Int("dumpflow.delivery", m.DeliveryCount)))
		defer span.End()
		log := e.cfg.Logger.With("job", job.JobID, "delivery", m.DeliveryCount)
		log.Info("job received")
		res, err := e.Capture(ctx, job)
		tracing.Fail(span, err)
		if err != nil {
			if errors.Is(err, ErrInterrupted) {
				log.Info("job interrupted; it will be redelivered", "err", err)
			} else {
				log.Error("job failed; it will be redelivered", "err", err)
			}
			return err
		}
		failed := 0
		for _, t := range res.Completed.Targets {
			if t.Outcome == messages.OutcomeFailed {
				failed++
			}
		}
		log.Info("job completed", "targets", len(res.Completed.Targets), "dumps", len(res.Dumps), "failed", failed, "error", res.Completed.Error)
		return nil
	})
}

// QueuePublisher publishes result envelopes to a queue (the "analysis"
// queue), using the envelope id as the message id for duplicate detection.
type QueuePublisher struct {
	Queue queue.Queue
}

// Publish encodes env and sends it.
func (p QueuePublisher) Publish(ctx context.Context, env messages.Envelope) error {
	body, err := messages.Encode(env)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", env.Type, err)
	}
	return p.Queue.Send(ctx, queue.Message{ID: env.ID, Body: body,
		Properties: map[string]string{"type": env.Type, "version": fmt.Sprint(env.Version)}})
}
