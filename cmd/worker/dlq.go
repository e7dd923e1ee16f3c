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

// dlqCLI is "worker dlq": its own subcommands, with the binary's --help
// and usage-error rules.
var dlqCLI = &service.CLI{Name: "worker dlq", Commands: map[string]service.Command{
	"list": {Summary: "print the dead-lettered messages of a queue, one JSON object per line: worker dlq list [--queue URL] [--name captures|analysis] [--max N]",
		Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runDLQ(ctx, "list", args, stdout, stderr)
		}},
	"resubmit": {Summary: "send dead-lettered messages back to their queue: worker dlq resubmit [--queue URL] [--name captures|analysis] ID…",
		Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			return runDLQ(ctx, "resubmit", args, stdout, stderr)
		}},
}}

// runDLQ: worker dlq list|resubmit [--queue URL] [--name captures|analysis] …
// It only reads and moves what exists: a local queue that does not exist
// is an error, never created.
func runDLQ(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dlq "+verb, stderr)
	queueURL := fs.String("queue", backend.DefaultQueueURL(), "queue backend URL (file://… or sb://…)")
	name := fs.String("name", backend.CapturesQueue, "queue name: captures or analysis")
	max := fs.Int("max", 100, "list: at most this many messages, oldest first")
	ids, err := service.Parse(fs, args, os.Getenv)
	if err != nil {
		return err
	}
	if verb == "list" && len(ids) > 0 {
		return fmt.Errorf("%w: list takes no arguments", errUsage)
	}
	if verb == "resubmit" && len(ids) == 0 {
		return fmt.Errorf("%w: resubmit needs the ids of the messages (see dlq list)", errUsage)
	}
	q, err := backend.OpenExistingQueue(ctx, *queueURL, *name)
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
