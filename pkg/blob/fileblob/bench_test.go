package fileblob_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

// BenchmarkPut1GiB measures a 1 GiB streaming put: go test -bench Put1GiB -benchtime 1x
func BenchmarkPut1GiB(b *testing.B) {
	bucket, err := fileblob.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer bucket.Close()
	blobtest.BenchmarkPut(b, bucket, 1<<30)
}

// BenchmarkPutSmallConcurrent measures durable create-if-absent commits of
// 1.5 KB blobs with Size set, under keys shaped like incident manifests, by
// 64 concurrent writers; each is a file and an attribute file, and the
// group commit shares the syncs among concurrent Closes. It reports the process CPU time per put, which matters more than
// wall time on a busy machine: go test -bench PutSmallConcurrent -benchtime 5000x
func BenchmarkPutSmallConcurrent(b *testing.B) {
	bucket, err := fileblob.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer bucket.Close()
	data := make([]byte, 1500)
	var seq atomic.Int64
	cpu0 := cpuTime()
	b.SetParallelism(32) // × GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			key := fmt.Sprintf("incidents/i%08d/manifest.json", seq.Add(1))
			w, err := bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/json", Size: int64(len(data))})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := w.Write(data); err != nil {
				b.Error(err)
				return
			}
			if err := w.Close(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
