package fileblob_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/blobtest"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

// fakeClock is real time plus an offset that tests advance.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) Now() time.Time                        { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) Advance(_ *testing.T, d time.Duration) { c.offset.Add(int64(d)) }

func openTemp(t *testing.T, clock *fakeClock) *fileblob.Bucket {
	t.Helper()
	b, err := fileblob.OpenOptions(t.TempDir(), &fileblob.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	clock := &fakeClock{}
	blobtest.Run(t, blobtest.Harness{
		NewBucket:         func(t *testing.T) blob.Bucket { return openTemp(t, clock) },
		AdvanceLeaseClock: clock.Advance,
	})
}

func TestWriterHasSetMetadata(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	// A streamed blob (a file) and a small one (the database).
	for _, opts := range []*blob.WriterOptions{nil, {Size: 10}} {
		w, err := b.NewWriter(t.Context(), "k", opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := w.(blobtest.MetadataSetter); !ok {
			t.Errorf("fileblob's %T lacks SetMetadata, which the worker uses to store checksums", w)
		}
		_ = w.Abort()
	}
}
