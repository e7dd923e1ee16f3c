package fileblob_test

import (
	"testing"

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
