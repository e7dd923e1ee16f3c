// Package blobtest is the conformance suite every blob.Bucket backend must
// pass, in the manner of go-cloud's drivertest: a backend's test calls
// Run(t, harness) and gets one subtest per promise of the port.
//
// The suite covers round-trips with metadata and content type,
// create-if-absent (including N writers racing for one key), overwrite,
// abort and context cancellation, invisibility of unfinished writes, size
// checks, ranged reads at the edges, listing by prefix, deletion, not-found
// everywhere, leases (exclusion, renewal, release, expiry, contention), bad
// inputs, and — unless testing.Short() — a ≥ 1 GiB streaming put whose heap
// growth must stay flat. Blobs of different sizes, with and without a known
// WriterOptions.Size, are written under the same keys (create, race,
// overwrite, delete), since backends may store them differently by size.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// Harness adapts one backend to the suite.
type Harness struct {
	// NewBucket returns an empty bucket for one subtest. The harness
	// closes it and removes its storage, e.g. with t.Cleanup. Required.
	NewBucket func(t *testing.T) blob.Bucket

	// NewLargeBucket, when non-nil, replaces NewBucket for the large
	// streaming put, so that it runs with the backend's production settings
	// while the other tests use settings that exercise more code paths.
	NewLargeBucket func(t *testing.T) blob.Bucket

	// AdvanceLeaseClock, when non-nil, moves the clock that buckets made by
	// NewBucket use for lease expiry forward by d. When nil, the suite
	// waits in real time for leases to expire (about MinLeaseTTL).
	AdvanceLeaseClock func(t *testing.T, d time.Duration)

	// LargeSize is the size of the streaming put that checks for flat
	// memory; zero means 1 GiB. It runs only when testing.Short() is false.
	LargeSize int64

	// SkipLarge, when not empty, skips the large streaming put and says
	// why: only for in-memory backends, which hold every blob by design.
	SkipLarge string

	// MaxHeapGrowth bounds the heap growth allowed during the large put;
	// zero means 64 MiB.
	MaxHeapGrowth uint64
}

// Run runs the conformance suite against the backend h adapts.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewBucket == nil {
		t.Fatal("blobtest: Harness.NewBucket is nil")
	}
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"RoundTrip", testRoundTrip},
		{"EmptyBlob", testEmptyBlob},
		{"DefaultContentType", testDefaultContentType},
		{"CreateIfAbsent", testCreateIfAbsent},
		{"CreateIfAbsentRace", testCreateIfAbsentRace},
		{"Overwrite", testOverwrite},
		{"Abort", testAbort},
		{"ContextCancel", testContextCancel},
		{"NoPartialVisible", testNoPartialVisible},
		{"SizeMismatch", testSizeMismatch},
		{"WriteAfterClose", testWriteAfterClose},
		{"SetMetadata", testSetMetadata},
		{"RangedReads", testRangedReads},
		{"ParallelReadAt", testParallelReadAt},
		{"List", testList},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"InvalidMetadata", testInvalidMetadata},
		{"Lease", testLease},
		{"LeaseInvalidTTL", testLeaseInvalidTTL},
		{"LeaseIndependentOfBlob", testLeaseIndependentOfBlob},
		{"LeaseContention", testLeaseContention},
		{"SmallBlob", testSmallBlob},
		{"CreateAcrossSizes", testCreateAcrossSizes},
		{"OverwriteAcrossSizes", testOverwriteAcrossSizes},
		{"DeleteEachSize", testDeleteEachSize},
		{"CreateRaceAcrossSizes", testCreateRaceAcrossSizes},
		{"LargeStreamingPut", testLargeStreamingPut},
	}
	if h.AdvanceLeaseClock != nil {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
		}
		t.Run("LeaseExpiry", func(t *testing.T) { testLeaseExpiry(t, h) })
		return
	}
	// Waiting for a real lease to expire takes MinLeaseTTL: let the other
	// tests run meanwhile. (A harness clock would instead move under them.)
	t.Run("Parallel", func(t *testing.T) {
		t.Run("LeaseExpiry", func(t *testing.T) {
			t.Parallel()
			testLeaseExpiry(t, h)
		})
		t.Run("Others", func(t *testing.T) {
			t.Parallel()
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
			}
		})
	})
}

// testCtx is a context for one subtest, cancelled when it ends.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// put writes data under key and fails the test on error.
func put(t *testing.T, b blob.Bucket, key string, data []byte, opts *blob.WriterOptions) {
	t.Helper()
	if err := tryPut(testCtx(t), b, key, data, opts); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

// tryPut writes data under key and returns Close's error.
func tryPut(ctx context.Context, b blob.Bucket, key string, data []byte, opts *blob.WriterOptions) error {
	return blob.WriteAll(ctx, b, key, data, opts)
}

// get reads the whole blob under key and fails the test on error.
func get(t *testing.T, b blob.Bucket, key string) ([]byte, blob.Attributes) {
	t.Helper()
	r, attrs, err := b.NewReader(testCtx(t), key)
	if err != nil {
		t.Fatalf("NewReader %q: %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return data, attrs
}

// wantContent fails the test unless key holds exactly want.
func wantContent(t *testing.T, b blob.Bucket, key string, want []byte) {
	t.Helper()
	got, attrs := get(t, b, key)
	if !bytes.Equal(got, want) {
		t.Fatalf("%q holds %d bytes %.16q…, want %d bytes %.16q…", key, len(got), got, len(want), want)
	}
	if attrs.Size != int64(len(want)) {
		t.Fatalf("%q: Attributes.Size = %d, want %d", key, attrs.Size, len(want))
	}
}

// wantNotFound fails the test unless every read path reports ErrNotFound.
func wantNotFound(t *testing.T, b blob.Bucket, key string) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := b.Attributes(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Attributes(%q) = %v, want ErrNotFound", key, err)
	}
	if r, _, err := b.NewReader(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("NewReader(%q) = %v, want ErrNotFound", key, err)
		if err == nil {
			r.Close()
		}
	}
	if r, err := b.NewReaderAt(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("NewReaderAt(%q) = %v, want ErrNotFound", key, err)
		if err == nil {
			r.Close()
		}
	}
	list, err := b.List(ctx, key)
	if err != nil {
		t.Errorf("List(%q): %v", key, err)
	}
	for _, a := range list {
		if a.Key == key {
			t.Errorf("List(%q) lists %q, want it absent", key, key)
		}
	}
}

// pattern returns n bytes that depend on seed and position (with period
// 64 KiB, built by doubling copies, which the race detector checks cheaply).
func pattern(seed byte, n int) []byte {
	p := make([]byte, n)
	for i := range p[:min(n, 1<<16)] {
		p[i] = byte(i*31+i>>8) ^ seed
	}
	for done := min(n, 1<<16); done < n; done *= 2 {
		copy(p[done:], p[:done])
	}
	return p
}
