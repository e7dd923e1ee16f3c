package azureblob

import (
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
)

// BenchmarkPut1GiB measures a 1 GiB streaming put through the adapter with
// its default block size and concurrency, on Azurite (or the account in
// DUMPFLOW_TEST_AZURITE): go test -run '^$' -bench Put1GiB -benchtime 1x
func BenchmarkPut1GiB(b *testing.B) {
	blobtest.BenchmarkPut(b, openTestBucket(b, nil), 1<<30)
}
