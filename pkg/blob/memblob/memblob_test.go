package memblob_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
)

func TestConformance(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	blobtest.Run(t, blobtest.Harness{
		NewBucket:         func(*testing.T) blob.Bucket { return memblob.NewOptions(&memblob.Options{Now: now}) },
		AdvanceLeaseClock: func(_ *testing.T, d time.Duration) { offset.Add(int64(d)) },
		SkipLarge:         "memblob holds every blob in memory by design",
	})
}
