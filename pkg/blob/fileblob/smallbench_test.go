package fileblob_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

// BenchmarkSmallCreateParallel measures durable create-if-absent commits of
// ~1 KiB incident manifests (incidents/{n}/manifest.json, Size set) by 64
// goroutines, the shape of ingest's load. It reports commits per second of
// wall time and the process CPU time per commit (user+system, from
// getrusage), which bounds ingest's rate on a busy 2-core machine.
// Sub-benchmark db uses the small-blob database (the default); files
// forces every blob into a file (Options.SmallBlobMax < 0), as before the
// database existed; db-dup writes every key twice (redelivered alerts),
// half the commits ending in blob.ErrExists:
//
//	go test -run '^$' -bench SmallCreateParallel -benchtime 20000x ./pkg/blob/fileblob
func BenchmarkSmallCreateParallel(b *testing.B) {
	b.Run("db", func(b *testing.B) { benchSmallCreate(b, nil, 1) })
	b.Run("db-dup", func(b *testing.B) { benchSmallCreate(b, nil, 2) })
	b.Run("files", func(b *testing.B) { benchSmallCreate(b, &fileblob.Options{SmallBlobMax: -1}, 1) })
}

// benchSmallCreate writes b.N blobs, each key copies times.
func benchSmallCreate(b *testing.B, opts *fileblob.Options, copies int64) {
	bucket, err := fileblob.OpenOptions(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer bucket.Close()
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	const goroutines = 64
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		errs = make(chan error, goroutines)
	)
	ctx := context.Background()
	cpu0, t0 := cpuTime(), time.Now()
	b.ResetTimer()
	for range goroutines {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				key := fmt.Sprintf("incidents/%d/manifest.json", (n+copies-1)/copies)
				w, err := bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/json", Size: int64(len(data))})
				if err == nil {
					_, err = w.Write(data)
					if err == nil {
						err = w.Close()
					} else {
						_ = w.Abort()
					}
				}
				if err != nil && !(copies > 1 && errors.Is(err, blob.ErrExists)) {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	b.ReportMetric(float64(b.N)/wall.Seconds(), "ops/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
