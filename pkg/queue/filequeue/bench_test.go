package filequeue_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/filequeue"
)

// body is the size of a typical dumpflow envelope.
var body = make([]byte, 1024)

func benchQueue(b *testing.B) *filequeue.Queue {
	q, err := filequeue.Open(b.TempDir(), "bench", filequeue.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close() })
	return q
}

func fill(b *testing.B, q *filequeue.Queue, n int) {
	ctx := context.Background()
	for i := range n {
		if err := q.Send(ctx, queue.Message{ID: "m-" + strconv.Itoa(i), Body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

func report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSend: one durable (fsync'd) send per operation.
func BenchmarkSend(b *testing.B) {
	q := benchQueue(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := q.Send(ctx, queue.Message{ID: "m-" + strconv.Itoa(i), Body: body}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	report(b)
}

// BenchmarkSendParallel: 8 goroutines sending through one Queue.
func BenchmarkSendParallel(b *testing.B) {
	q := benchQueue(b)
	ctx := context.Background()
	var mu sync.Mutex
	n := 0
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			id := "m-" + strconv.Itoa(n)
			mu.Unlock()
			if err := q.Send(ctx, queue.Message{ID: id, Body: body}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	report(b)
}

// BenchmarkReceiveComplete: receive one message and complete it (two
// durable transactions) per operation.
func BenchmarkReceiveComplete(b *testing.B) {
	benchReceiveComplete(b, 1)
}

// BenchmarkReceiveBatch10Complete: receive up to 10 per call (one
// transaction) and complete each.
func BenchmarkReceiveBatch10Complete(b *testing.B) {
	benchReceiveComplete(b, 10)
}

func benchReceiveComplete(b *testing.B, batch int) {
	q := benchQueue(b)
	fill(b, q, b.N)
	ctx := context.Background()
	b.ResetTimer()
	b.ReportAllocs()
	for done := 0; done < b.N; {
		ms, err := q.Receive(ctx, min(batch, b.N-done))
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range ms {
			if err := q.Complete(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
		done += len(ms)
	}
	report(b)
}
