package queue_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// BenchmarkConsumerFilequeue: a Consumer with 8 concurrent no-op handlers
// drains b.N messages from a sqlitequeue (receive, renew-free, complete;
// each completion is its own transaction).
func BenchmarkConsumerFilequeue(b *testing.B) {
	q, err := sqlitequeue.Open(b.TempDir(), "bench", sqlitequeue.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	body := make([]byte, 1024)
	for i := range b.N {
		if err := q.Send(ctx, queue.Message{ID: strconv.Itoa(i), Body: body}); err != nil {
			b.Fatal(err)
		}
	}
	var settled atomic.Int64
	c, err := queue.NewConsumer(queue.Config{
		Queue: q, Concurrency: 8, Logger: quiet,
		Handler: queue.HandlerFunc(func(context.Context, *queue.Received) error { return nil }),
		OnSettle: func(s queue.Settlement) {
			if settled.Add(1) == int64(b.N) {
				stop()
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := c.Run(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
