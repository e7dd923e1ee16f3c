package queue_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/memqueue"
)

// A consumer completes what its handler finished and dead-letters what the
// handler marks as permanently failed.
func ExampleConsumer() {
	q, _ := memqueue.New(memqueue.Options{})
	defer q.Close()
	ctx, stop := context.WithCancel(context.Background())
	_ = q.Send(ctx, queue.Message{ID: "job-1", Body: []byte(`{"site":"shop"}`)})
	_ = q.Send(ctx, queue.Message{ID: "job-2", Body: []byte(`not json`)})

	settled := 0
	c, err := queue.NewConsumer(queue.Config{
		Queue:  q,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handler: queue.HandlerFunc(func(ctx context.Context, m *queue.Received) error {
			if m.Body[0] != '{' {
				return queue.Permanent(errors.New("body is not a JSON object"))
			}
			fmt.Printf("handled %s (delivery %d)\n", m.ID, m.DeliveryCount)
			return nil
		}),
		OnSettle: func(s queue.Settlement) {
			fmt.Printf("%s: %s\n", s.MessageID, s.Outcome)
			if settled++; settled == 2 {
				stop()
			}
		},
	})
	if err != nil {
		panic(err)
	}
	if err := c.Run(ctx); err != nil {
		panic(err)
	}
	dls, _ := q.DeadLetters(context.Background(), 10)
	fmt.Printf("dead letter %s: %s: %s\n", dls[0].ID, dls[0].Reason, dls[0].Description)
	// Output:
	// handled job-1 (delivery 1)
	// job-1: completed
	// job-2: dead-lettered
	// dead letter job-2: HandlerPermanentError: body is not a JSON object
}
