package azureblob

import (
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
)

func TestConformance(t *testing.T) {
	requireAzurite(t)
	blobtest.Run(t, blobtest.Harness{
		// The smallest blocks, so that the suite's multi-MiB writes stage
		// several blocks before they commit.
		NewBucket: func(t *testing.T) blob.Bucket {
			return openTestBucket(t, &Options{BlockSize: minBlockSize, Concurrency: 2})
		},
		NewLargeBucket: func(t *testing.T) blob.Bucket { return openTestBucket(t, nil) },
	})
}
