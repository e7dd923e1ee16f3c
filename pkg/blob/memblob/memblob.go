// Package memblob is an in-memory blob.Bucket for unit tests, examples and
// single-process demos. It keeps the port's promises — create-if-absent,
// nothing visible before Close, ranged reads, leases with expiry — and passes
// the blobtest conformance suite, except that it holds every blob in memory
// by design, so it is not for large dumps. It is a blob.Driver under
// blob.Store, which applies the rules every backend shares.
package memblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
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
	*blob.Store
}

// driver holds the blobs.
type driver struct {
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

var (
	_ blob.Bucket = (*Bucket)(nil)
	_ blob.Driver = (*driver)(nil)
)

// New returns an empty bucket.
func New() *Bucket { return NewOptions(nil) }

// NewOptions returns an empty bucket with options; nil opts means the
// defaults.
func NewOptions(opts *Options) *Bucket {
	d := &driver{now: time.Now, blobs: map[string]*stored{}, leases: map[string]leaseRec{}}
	if opts != nil && opts.Now != nil {
		d.now = opts.Now
	}
	return &Bucket{Store: blob.NewStore(d)}
}

// Close implements blob.Driver; it does nothing.
func (d *driver) Close() error { return nil }

// get returns the blob under key.
func (d *driver) get(key string) (*stored, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.blobs[key]
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

// Attributes implements blob.Driver.
func (d *driver) Attributes(_ context.Context, key string) (blob.Attributes, error) {
	s, err := d.get(key)
	if err != nil {
		return blob.Attributes{}, err
	}
	return copyAttrs(s.attrs), nil
}

// NewReader implements blob.Driver.
func (d *driver) NewReader(_ context.Context, key string) (io.ReadCloser, blob.Attributes, error) {
	s, err := d.get(key)
	if err != nil {
		return nil, blob.Attributes{}, err
	}
	return io.NopCloser(bytes.NewReader(s.data)), copyAttrs(s.attrs), nil
}

// NewReaderAt implements blob.Driver.
func (d *driver) NewReaderAt(_ context.Context, key string) (blob.DriverReaderAt, error) {
	s, err := d.get(key)
	if err != nil {
		return nil, err
	}
	return readerAt(s.data), nil
}

// readerAt reads one committed version; blob.Store clamps the ranges.
type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) { return copy(p, r[off:]), nil }
func (r readerAt) Size() int64                             { return int64(len(r)) }
func (r readerAt) Close() error                            { return nil }

// List implements blob.Driver.
func (d *driver) List(_ context.Context, prefix string) ([]blob.Attributes, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []blob.Attributes
	for k, s := range d.blobs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, copyAttrs(s.attrs))
		}
	}
	return out, nil
}

// Delete implements blob.Driver.
func (d *driver) Delete(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.blobs[key]; !ok {
		return fmt.Errorf("%w: %q", blob.ErrNotFound, key)
	}
	delete(d.blobs, key)
	return nil
}

// commit stores data under key unless create-if-absent finds it taken.
func (d *driver) commit(key string, data []byte, ct string, md map[string]string, overwrite bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.blobs[key]; ok && !overwrite {
		return fmt.Errorf("%w: %q", blob.ErrExists, key)
	}
	d.seq++
	if md == nil {
		md = map[string]string{}
	}
	d.blobs[key] = &stored{data: data, attrs: blob.Attributes{
		Key: key, Size: int64(len(data)), ContentType: ct, Metadata: maps.Clone(md),
		ModTime: d.now(), ETag: strconv.Quote(strconv.FormatInt(d.seq, 36)),
	}}
	return nil
}

// AcquireLease implements blob.Driver.
func (d *driver) AcquireLease(_ context.Context, key string, ttl time.Duration) (blob.Lease, error) {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	l := &lease{d: d, key: key, ttl: ttl, holder: hex.EncodeToString(rnd[:])}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if r, ok := d.leases[key]; ok && now.Before(r.expires) {
		return nil, fmt.Errorf("%w: %q", blob.ErrLeaseHeld, key)
	}
	d.leases[key] = leaseRec{holder: l.holder, expires: now.Add(ttl)}
	return l, nil
}

type lease struct {
	d      *driver
	key    string
	ttl    time.Duration
	holder string
}

// Renew implements blob.Lease; like Azure, it succeeds past expiry while no
// one else has taken the lease.
func (l *lease) Renew(context.Context) error {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	if r, ok := l.d.leases[l.key]; !ok || r.holder != l.holder {
		return fmt.Errorf("%w: %q", blob.ErrLeaseLost, l.key)
	}
	l.d.leases[l.key] = leaseRec{holder: l.holder, expires: l.d.now().Add(l.ttl)}
	return nil
}

// Release implements blob.Lease.
func (l *lease) Release(context.Context) error {
	l.d.mu.Lock()
	defer l.d.mu.Unlock()
	if r, ok := l.d.leases[l.key]; ok && r.holder == l.holder {
		delete(l.d.leases, l.key)
	}
	return nil
}
