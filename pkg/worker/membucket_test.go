package worker

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
)

// memBucket is pkg/blob/memblob for unit tests, counting committed writes.
// noMeta makes its writers hide SetMetadata (a backend without
// blob.MetadataSetter).
type memBucket struct {
	*memblob.Bucket
	noMeta  bool
	commits atomic.Int64
}

func newMemBucket() *memBucket { return &memBucket{Bucket: memblob.New()} }

func (b *memBucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	w, err := b.Bucket.NewWriter(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	cw := &countingWriter{Writer: w, b: b}
	if b.noMeta {
		return cw, nil
	}
	return metaWriter{cw}, nil
}

// countingWriter counts its successful Close in its bucket.
type countingWriter struct {
	blob.Writer
	b *memBucket
}

func (w *countingWriter) Close() error {
	err := w.Writer.Close()
	if err == nil {
		w.b.commits.Add(1)
	}
	return err
}

// metaWriter adds back the memblob writer's SetMetadata.
type metaWriter struct{ *countingWriter }

func (w metaWriter) SetMetadata(md map[string]string) error {
	return w.Writer.(MetadataSetter).SetMetadata(md)
}

// data returns the blob under key (nil if absent).
func (b *memBucket) data(key string) []byte {
	r, _, err := b.NewReader(context.Background(), key)
	if err != nil {
		return nil
	}
	defer r.Close()
	d, _ := io.ReadAll(r)
	return d
}

func (b *memBucket) keys(prefix string) []string {
	as, _ := b.List(context.Background(), prefix)
	var ks []string
	for _, a := range as {
		ks = append(ks, a.Key)
	}
	return ks
}
