// Package memblob is an in-memory blob.Bucket for unit tests, examples and
// single-process demos. It keeps the port's promises — create-if-absent,
// nothing visible before Close, ranged reads, leases with expiry — and passes
// the blobtest conformance suite, except that it holds every blob in memory
// by design, so it is not for large dumps.
package memblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// Options tune NewOptions. A nil *Options means the defaults.
type Options struct {
	// Now is the clock for lease expiry and ModTime; nil means time.Now.
	Now func() time.Time
}

// Bucket is an in-memory blob.Bucket, safe for concurrent use.
type Bucket struct {
	now func() time.Time

	mu     sync.Mutex
	blobs  map[string]*stored
	leases map[string]leaseRec
	seq    int64 // version counter for ETags
}

// stored is one committed blob; it is never modified once committed.
type stored struct {
	data  []byte
	attrs blob.Attributes
}

type leaseRec struct {
	holder  string
	expires time.Time
}

var _ blob.Bucket = (*Bucket)(nil)

// New returns an empty bucket.
func New() *Bucket { return NewOptions(nil) }

// NewOptions returns an empty bucket with options; nil opts means the
// defaults.
func NewOptions(opts *Options) *Bucket {
	b := &Bucket{now: time.Now, blobs: map[string]*stored{}, leases: map[string]leaseRec{}}
	if opts != nil && opts.Now != nil {
		b.now = opts.Now
	}
	return b
}

// Close implements blob.Bucket; it does nothing.
func (b *Bucket) Close() error { return nil }

// get returns the blob under key.
func (b *Bucket) get(ctx context.Context, key string) (*stored, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.blobs[key]
	if !ok {
		return nil, fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	return s, nil
}

// copyAttrs returns a's copy that callers may modify.
func copyAttrs(a blob.Attributes) blob.Attributes {
	a.Metadata = maps.Clone(a.Metadata)
	return a
}

// Attributes implements blob.Bucket.
func (b *Bucket) Attributes(ctx context.Context, key string) (blob.Attributes, error) {
	s, err := b.get(ctx, key)
	if err != nil {
		return blob.Attributes{}, err
	}
	return copyAttrs(s.attrs), nil
}

// NewReader implements blob.Bucket.
func (b *Bucket) NewReader(ctx context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	s, err := b.get(ctx, key)
	if err != nil {
		return nil, blob.Attributes{}, err
	}
	return io.NopCloser(bytes.NewReader(s.data)), copyAttrs(s.attrs), nil
}

// NewReaderAt implements blob.Bucket.
func (b *Bucket) NewReaderAt(ctx context.Context, key string) (blob.ReaderAt, error) {
	s, err := b.get(ctx, key)
	if err != nil {
		return nil, err
	}
	return readerAt(s.data), nil
}

// readerAt reads one committed version.
type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case off < 0:
		return 0, errors.New("memblob: negative offset")
	case len(p) == 0:
		return 0, nil
	case off >= int64(len(r)):
		return 0, io.EOF
	}
	n := copy(p, r[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r readerAt) Size() int64  { return int64(len(r)) }
func (r readerAt) Close() error { return nil }

// List implements blob.Bucket.
func (b *Bucket) List(ctx context.Context, prefix string) ([]blob.Attributes, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []blob.Attributes
	for k, s := range b.blobs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, copyAttrs(s.attrs))
		}
	}
	slices.SortFunc(out, func(x, y blob.Attributes) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// Delete implements blob.Bucket.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if _, err := b.get(ctx, key); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.blobs[key]; !ok {
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	delete(b.blobs, key)
	return nil
}

// commit stores data under key unless create-if-absent finds it taken.
func (b *Bucket) commit(key string, data []byte, ct string, md map[string]string, overwrite bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.blobs[key]; ok && !overwrite {
		return fmt.Errorf("%w: %q", blob.ErrExists, key)
	}
	b.seq++
	if md == nil {
		md = map[string]string{}
	}
	b.blobs[key] = &stored{data: data, attrs: blob.Attributes{
		Key: key, Size: int64(len(data)), ContentType: ct, Metadata: md,
		ModTime: b.now(), ETag: strconv.Quote(strconv.FormatInt(b.seq, 36)),
	}}
	return nil
}

// AcquireLease implements blob.Bucket.
func (b *Bucket) AcquireLease(ctx context.Context, key string, ttl time.Duration) (blob.Lease, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, err
	}
	if err := blob.ValidateLeaseTTL(ttl); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	l := &lease{b: b, key: key, ttl: ttl, holder: hex.EncodeToString(rnd[:])}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if r, ok := b.leases[key]; ok && now.Before(r.expires) {
		return nil, fmt.Errorf("%w: %q", blob.ErrLeaseHeld, key)
	}
	b.leases[key] = leaseRec{holder: l.holder, expires: now.Add(ttl)}
	return l, nil
}

type lease struct {
	b      *Bucket
	key    string
	ttl    time.Duration
	holder string
}

// Renew implements blob.Lease; like Azure, it succeeds past expiry while no
// one else has taken the lease.
func (l *lease) Renew(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if r, ok := l.b.leases[l.key]; !ok || r.holder != l.holder {
		return fmt.Errorf("%w: %q", blob.ErrLeaseLost, l.key)
	}
	l.b.leases[l.key] = leaseRec{holder: l.holder, expires: l.b.now().Add(l.ttl)}
	return nil
}

// Release implements blob.Lease.
func (l *lease) Release(ctx context.Context) error {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if r, ok := l.b.leases[l.key]; ok && r.holder == l.holder {
		delete(l.b.leases, l.key)
	}
	return nil
}
