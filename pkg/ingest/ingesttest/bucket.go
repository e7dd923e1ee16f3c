package ingesttest

import (
	"context"
	"errors"
	"io"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/memblob"
)

// Bucket is an in-memory blob.Bucket (pkg/blob/memblob) with helpers for
// tests and a switch to make writes fail.
type Bucket struct {
	*memblob.Bucket
	// Fail, when set, is returned by every NewWriter (to test storage
	// failures).
	Fail error
}

var _ blob.Bucket = (*Bucket)(nil)

// NewBucket returns an empty Bucket.
func NewBucket() *Bucket { return &Bucket{Bucket: memblob.New()} }

// NewWriter is memblob's, or fails with b.Fail when that is set.
func (b *Bucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	if b.Fail != nil {
		return nil, b.Fail
	}
	return b.Bucket.NewWriter(ctx, key, opts)
}

// Put stores data under key, replacing what was there. It panics on an
// invalid key: test data is the test's own.
func (b *Bucket) Put(key string, data []byte) {
	w, err := b.Bucket.NewWriter(context.Background(), key, &blob.WriterOptions{Overwrite: true})
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		panic("ingesttest: Put " + key + ": " + err.Error())
	}
}

// Get returns the blob under key and whether it exists.
func (b *Bucket) Get(key string) ([]byte, bool) {
	r, _, err := b.NewReader(context.Background(), key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, false
	}
	if err != nil {
		panic("ingesttest: Get " + key + ": " + err.Error())
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		panic("ingesttest: Get " + key + ": " + err.Error())
	}
	return data, true
}

// Keys returns every key, sorted.
func (b *Bucket) Keys() []string {
	as, err := b.List(context.Background(), "")
	if err != nil {
		panic("ingesttest: Keys: " + err.Error())
	}
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Key)
	}
	return out
}
