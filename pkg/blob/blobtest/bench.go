package blobtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// BenchmarkPut streams size bytes into b per iteration through MeasurePut
// and reports throughput (MB/s, from b.SetBytes) and the highest heap
// growth seen in any iteration as peak-heap-MiB.
func BenchmarkPut(bb *testing.B, b blob.Bucket, size int64) {
	bb.SetBytes(size)
	bb.ReportAllocs()
	var peak uint64
	for i := 0; bb.Loop(); i++ {
		stats, err := MeasurePut(context.Background(), b, fmt.Sprintf("bench/%d.dmp", i), size, &blob.WriterOptions{Size: size})
		if err != nil {
			bb.Fatal(err)
		}
		peak = max(peak, stats.HeapGrowth())
	}
	bb.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
