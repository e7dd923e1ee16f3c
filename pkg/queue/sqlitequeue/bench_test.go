package sqlitequeue_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// body is the size of a typical dumpflow envelope.
var body = make([]byte, 1024)

func benchQueue(b *testing.B) *sqlitequeue.Queue {
	q, err := sqlitequeue.Open(b.TempDir(), "bench", sqlitequeue.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = q.Close() })
	return q
}

func fill(b *testing.B, q *sqlitequeue.Queue, n int) {
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

// BenchmarkCrossProcess: another process sends b.N messages (one durable
// send each) to the same file while this process receives (batches of up
// to 10) and completes them; both compete for the file lock. It measures
// the end-to-end rate, child start-up included.
func BenchmarkCrossProcess(b *testing.B) {
	dir := b.TempDir()
	q, err := sqlitequeue.Open(dir, "captures", sqlitequeue.Options{PollInterval: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	b.ResetTimer()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), envChild+"=produce", envDir+"="+dir, envCount+"="+strconv.Itoa(b.N))
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for done := 0; done < b.N; {
		ms, err := q.Receive(ctx, 10)
		if err != nil {
			b.Fatalf("after %d of %d: %v", done, b.N, err)
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
