package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// Store keeps small state records by key.
type Store interface {
	// Get returns the record under key, or nil and no error when absent.
	Get(ctx context.Context, key string) ([]byte, error)
	// Update calls fn with the record under key (nil when absent) and
	// stores what fn returns, atomically with respect to other Updates of
	// the same key. When fn returns an error, or a nil record, nothing is
	// written; fn's error is returned.
	Update(ctx context.Context, key string, fn func(old []byte) ([]byte, error)) error
}

// MemStore is an in-memory Store: state is lost on restart and not shared
// between processes (for tests, dry runs and single-shot use).
type MemStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string][]byte{}} }

func (s *MemStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.m[key]), nil
}

func (s *MemStore) Update(_ context.Context, key string, fn func([]byte) ([]byte, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := fn(bytes.Clone(s.m[key]))
	if err != nil || v == nil {
		return err
	}
	s.m[key] = v
	return nil
}

// BlobStore keeps records as small blobs (under the keys it is given, e.g.
// "state/limits/…") so that they survive restarts and are shared by every
// replica. Updates hold the blob port's lease on the key while they read
// and overwrite it; within one process a striped mutex saves the lease
// polling.
type BlobStore struct {
	b blob.Bucket
	// Wait is how long Update polls for a lease held by another process
	// (default 5 s); Poll is the interval (default 10 ms).
	Wait, Poll time.Duration
	stripes    [64]sync.Mutex
}

// NewBlobStore returns a Store on b.
func NewBlobStore(b blob.Bucket) *BlobStore { return &BlobStore{b: b} }

// ErrStateBusy is wrapped when another process held a state lease for
// longer than BlobStore.Wait.
var ErrStateBusy = errors.New("policy: state record busy")

func (s *BlobStore) Get(ctx context.Context, key string) ([]byte, error) {
	r, _, err := s.b.NewReader(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, 1<<20))
}

func (s *BlobStore) Update(ctx context.Context, key string, fn func([]byte) ([]byte, error)) error {
	h := fnv.New32a()
	h.Write([]byte(key))
	mu := &s.stripes[h.Sum32()%uint32(len(s.stripes))]
	mu.Lock()
	defer mu.Unlock()

	lease, err := s.acquire(ctx, key)
	if err != nil {
		return err
	}
	defer lease.Release(context.WithoutCancel(ctx))

	old, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	v, err := fn(old)
	if err != nil || v == nil {
		return err
	}
	w, err := s.b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/json", Overwrite: true})
	if err != nil {
		return err
	}
	if _, err := w.Write(v); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

func (s *BlobStore) acquire(ctx context.Context, key string) (blob.Lease, error) {
	wait, poll := s.Wait, s.Poll
	if wait <= 0 {
		wait = 5 * time.Second
	}
	if poll <= 0 {
		poll = 10 * time.Millisecond
	}
	deadline := time.Now().Add(wait)
	for {
		l, err := s.b.AcquireLease(ctx, key, blob.MinLeaseTTL)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, blob.ErrLeaseHeld) {
			return nil, fmt.Errorf("lease %s: %w", key, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s", ErrStateBusy, key)
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}
