package ingesttest

import (
	"bytes"
	"context"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// Bucket is an in-memory blob.Bucket.
type Bucket struct {
	mu     sync.Mutex
	blobs  map[string]stored
	leases map[string]*lease
	// Fail, when set, is returned by every NewWriter (to test storage
	// failures).
	Fail error
}

type stored struct {
	data  []byte
	attrs blob.Attributes
}

var _ blob.Bucket = (*Bucket)(nil)

// NewBucket returns an empty Bucket.
func NewBucket() *Bucket { return &Bucket{blobs: map[string]stored{}, leases: map[string]*lease{}} }

// Put stores data under key, replacing what was there.
func (b *Bucket) Put(key string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.blobs[key] = stored{data: bytes.Clone(data), attrs: blob.Attributes{Key: key, Size: int64(len(data)), ModTime: time.Now()}}
}

// Get returns the blob under key and whether it exists.
func (b *Bucket) Get(key string) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.blobs[key]
	return bytes.Clone(s.data), ok
}

// Keys returns every key, sorted.
func (b *Bucket) Keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.blobs))
	for k := range b.blobs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type writer struct {
	b    *Bucket
	ctx  context.Context
	key  string
	opts blob.WriterOptions
	buf  bytes.Buffer
	done bool
}

func (b *Bucket) NewWriter(ctx context.Context, key string, opts *blob.WriterOptions) (blob.Writer, error) {
	if key == "" || strings.Contains(key, "..") {
		return nil, blob.ErrInvalidKey
	}
	if b.Fail != nil {
		return nil, b.Fail
	}
	w := &writer{b: b, ctx: ctx, key: key}
	if opts != nil {
		w.opts = *opts
	}
	return w, nil
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, blob.ErrExists
	}
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.buf.Write(p)
}

func (w *writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if _, ok := w.b.blobs[w.key]; ok && !w.opts.Overwrite {
		return blob.ErrExists
	}
	w.b.blobs[w.key] = stored{data: w.buf.Bytes(), attrs: blob.Attributes{
		Key: w.key, Size: int64(w.buf.Len()), ContentType: w.opts.ContentType, Metadata: w.opts.Metadata, ModTime: time.Now(),
	}}
	return nil
}

func (w *writer) Abort() error { w.done = true; return nil }

func (b *Bucket) NewReader(_ context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.blobs[key]
	if !ok {
		return nil, blob.Attributes{}, blob.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(s.data)), s.attrs, nil
}

type readerAt struct{ *bytes.Reader }

func (r readerAt) Close() error { return nil }

func (b *Bucket) NewReaderAt(_ context.Context, key string) (blob.ReaderAt, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.blobs[key]
	if !ok {
		return nil, blob.ErrNotFound
	}
	return readerAt{bytes.NewReader(s.data)}, nil
}

func (b *Bucket) Attributes(_ context.Context, key string) (blob.Attributes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.blobs[key]
	if !ok {
		return blob.Attributes{}, blob.ErrNotFound
	}
	return s.attrs, nil
}

func (b *Bucket) List(_ context.Context, prefix string) ([]blob.Attributes, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []blob.Attributes
	for k, s := range b.blobs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, s.attrs)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (b *Bucket) Delete(_ context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.blobs[key]; !ok {
		return blob.ErrNotFound
	}
	delete(b.blobs, key)
	return nil
}

type lease struct {
	b       *Bucket
	key     string
	until   time.Time
	ttl     time.Duration
	release bool
}

func (b *Bucket) AcquireLease(_ context.Context, key string, ttl time.Duration) (blob.Lease, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l, ok := b.leases[key]; ok && !l.release && time.Now().Before(l.until) {
		return nil, blob.ErrLeaseHeld
	}
	l := &lease{b: b, key: key, ttl: ttl, until: time.Now().Add(ttl)}
	b.leases[key] = l
	return l, nil
}

func (l *lease) Renew(context.Context) error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if l.release || l.b.leases[l.key] != l || time.Now().After(l.until) {
		return blob.ErrLeaseLost
	}
	l.until = time.Now().Add(l.ttl)
	return nil
}

func (l *lease) Release(context.Context) error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	l.release = true
	return nil
}

func (b *Bucket) Close() error { return nil }
