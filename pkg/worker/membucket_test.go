package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// memBucket is a minimal in-memory blob.Bucket for unit tests: create-if-
// absent commits, metadata, leases with TTL. setMeta controls whether its
// writers implement MetadataSetter.
type memBucket struct {
	mu      sync.Mutex
	blobs   map[string]memBlob
	leases  map[string]*memLease
	noMeta  bool
	commits int
}

type memBlob struct {
	data []byte
	meta map[string]string
}

func newMemBucket() *memBucket {
	return &memBucket{blobs: map[string]memBlob{}, leases: map[string]*memLease{}}
}

type memWriter struct {
	b    *memBucket
	ctx  context.Context
	key  string
	opts blob.WriterOptions
	buf  bytes.Buffer
	done bool
}

type memWriterNoMeta struct{ *memWriter }

func (w *memWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.buf.Write(p)
}

func (w *memWriter) SetMetadata(m map[string]string) error {
	w.opts.Metadata = maps.Clone(m)
	return nil
}

func (w *memWriter) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.opts.Size > 0 && int64(w.buf.Len()) != w.opts.Size {
		return blob.ErrSizeMismatch
	}
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if _, ok := w.b.blobs[w.key]; ok && !w.opts.Overwrite {
		return blob.ErrExists
	}
	w.b.blobs[w.key] = memBlob{data: bytes.Clone(w.buf.Bytes()), meta: maps.Clone(w.opts.Metadata)}
	w.b.commits++
	return nil
}

func (w *memWriter) Abort() error { w.done = true; return nil }

func (b *memBucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	if key == "" || strings.Contains(key, "..") {
		return nil, blob.ErrInvalidKey
	}
	w := &memWriter{b: b, ctx: ctx, key: key}
	if opts != nil {
		w.opts = *opts
	}
	if b.noMeta {
		return memWriterNoMeta{w}, nil
	}
	return w, nil
}

func (b *memBucket) NewReader(ctx context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	x, ok := b.blobs[key]
	if !ok {
		return nil, blob.Attributes{}, blob.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(x.data)), blob.Attributes{Key: key, Size: int64(len(x.data)), Metadata: maps.Clone(x.meta)}, nil
}

func (b *memBucket) NewReaderAt(ctx context.Context, key string) (blob.ReaderAt, error) {
	return nil, fmt.Errorf("not implemented")
}

func (b *memBucket) Attributes(ctx context.Context, key string) (blob.Attributes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	x, ok := b.blobs[key]
	if !ok {
		return blob.Attributes{}, blob.ErrNotFound
	}
	return blob.Attributes{Key: key, Size: int64(len(x.data)), Metadata: maps.Clone(x.meta)}, nil
}

func (b *memBucket) List(ctx context.Context, prefix string) ([]blob.Attributes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []blob.Attributes
	for k, x := range b.blobs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, blob.Attributes{Key: k, Size: int64(len(x.data)), Metadata: maps.Clone(x.meta)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (b *memBucket) Delete(ctx context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.blobs[key]; !ok {
		return blob.ErrNotFound
	}
	delete(b.blobs, key)
	return nil
}

type memLease struct {
	b     *memBucket
	key   string
	until time.Time
	gone  bool
}

func (b *memBucket) AcquireLease(ctx context.Context, key string, ttl time.Duration) (blob.Lease, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.leases[key]; ok && !l.gone && time.Now().Before(l.until) {
		return nil, blob.ErrLeaseHeld
	}
	l := &memLease{b: b, key: key, until: time.Now().Add(ttl)}
	b.leases[key] = l
	return l, nil
}

func (l *memLease) Renew(ctx context.Context) error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if l.gone || l.b.leases[l.key] != l {
		return blob.ErrLeaseLost
	}
	l.until = time.Now().Add(30 * time.Second)
	return nil
}

func (l *memLease) Release(ctx context.Context) error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	l.gone = true
	if l.b.leases[l.key] == l {
		delete(l.b.leases, l.key)
	}
	return nil
}

func (b *memBucket) Close() error { return nil }

func (b *memBucket) keys(prefix string) []string {
	as, _ := b.List(context.Background(), prefix)
	var ks []string
	for _, a := range as {
		ks = append(ks, a.Key)
	}
	return ks
}
