package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// deadLetterView is one dead-lettered message as `worker dlq list` prints
// it: one JSON object per line.
type deadLetterView struct {
	ID            string            `json:"id"`
	Reason        string            `json:"reason"`
	Description   string            `json:"description,omitempty"`
	DeliveryCount int               `json:"delivery_count"`
	EnqueuedAt    time.Time         `json:"enqueued_at"`
	DeadLetterAt  time.Time         `json:"dead_lettered_at"`
	Properties    map[string]string `json:"properties,omitempty"`
	Body          json.RawMessage   `json:"body,omitempty"`
	BodyText      string            `json:"body_text,omitempty"`
}

// runDLQ: worker dlq list|resubmit [--queue URL] [--name captures|analysis] …
func runDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "resubmit") {
		fmt.Fprintln(stderr, "usage: worker dlq list [--queue URL] [--name captures|analysis] [--max N]\n       worker dlq resubmit [--queue URL] [--name captures|analysis] ID…")
		return fmt.Errorf("%w: dlq needs list or resubmit", errUsage)
	}
	verb := args[0]
	fs := newFlags("dlq "+verb, stderr)
	queueURL := fs.String("queue", backend.DefaultQueueURL(), "queue backend URL (file://… or sb://…)")
	name := fs.String("name", backend.CapturesQueue, "queue name: captures or analysis")
	max := fs.Int("max", 100, "list: at most this many messages, oldest first")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	ids := fs.Args()
	if verb == "list" && len(ids) > 0 {
		return fmt.Errorf("%w: list takes no arguments", errUsage)
	}
	if verb == "resubmit" && len(ids) == 0 {
		return fmt.Errorf("%w: resubmit needs the ids of the messages (see dlq list)", errUsage)
	}
	if err := service.FillFromEnv(fs, os.Getenv); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	q, err := backend.OpenQueue(ctx, *queueURL, *name)
	if err != nil {
		return err
	}
	defer q.Close()
	dlq, ok := q.(queue.DeadLetterQueue)
	if !ok {
		return fmt.Errorf("the %s backend cannot list or resubmit dead letters", *queueURL)
	}
	if verb == "list" {
		msgs, err := dlq.DeadLetters(ctx, *max)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, m := range msgs {
			v := deadLetterView{ID: m.ID, Reason: m.Reason, Description: m.Description, DeliveryCount: m.DeliveryCount,
				EnqueuedAt: m.EnqueuedAt, DeadLetterAt: m.DeadLetterAt, Properties: m.Properties}
			if json.Valid(m.Body) {
				v.Body = m.Body
			} else {
				v.BodyText = string(m.Body)
			}
			if err := enc.Encode(v); err != nil {
				return err
			}
		}
		fmt.Fprintf(stderr, "%d dead-lettered message(s) in %s\n", len(msgs), *name)
		return nil
	}
	for _, id := range ids {
		if err := dlq.Resubmit(ctx, id); err != nil {
			return fmt.Errorf("resubmit %s: %w", id, err)
		}
		fmt.Fprintf(stdout, "resubmitted %s to %s\n", id, *name)
	}
	return nil
}
