package blobtest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

func testLease(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	l1, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL)
	if err != nil {
		t.Fatalf("AcquireLease: %v", err)
	}
	if _, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL); !errors.Is(err, blob.ErrLeaseHeld) {
		t.Fatalf("second AcquireLease = %v, want ErrLeaseHeld", err)
	}
	other, err := b.AcquireLease(ctx, "locks/sites/app2", blob.MaxLeaseTTL)
	if err != nil {
		t.Fatalf("AcquireLease on another key: %v", err)
	}
	if err := l1.Renew(ctx); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	if _, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL); !errors.Is(err, blob.ErrLeaseHeld) {
		t.Fatalf("AcquireLease after Renew = %v, want ErrLeaseHeld", err)
	}
	if err := l1.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := l1.Release(ctx); err != nil {
		t.Errorf("second Release = %v, want nil", err)
	}
	if err := l1.Renew(ctx); !errors.Is(err, blob.ErrLeaseLost) {
		t.Errorf("Renew after Release = %v, want ErrLeaseLost", err)
	}
	l2, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL)
	if err != nil {
		t.Fatalf("AcquireLease after Release: %v", err)
	}
	if err := l1.Renew(ctx); !errors.Is(err, blob.ErrLeaseLost) {
		t.Errorf("Renew of the released lease after another acquire = %v, want ErrLeaseLost", err)
	}
	if err := l1.Release(ctx); err != nil {
		t.Errorf("Release of a lost lease = %v, want nil", err)
	}
	if _, err := b.AcquireLease(ctx, "locks/sites/app1", blob.MinLeaseTTL); !errors.Is(err, blob.ErrLeaseHeld) {
		t.Errorf("releasing a lost lease freed the new holder's lease: AcquireLease = %v", err)
	}
	for _, l := range []blob.Lease{l2, other} {
		if err := l.Release(ctx); err != nil {
			t.Errorf("Release: %v", err)
		}
	}
}

func testLeaseInvalidTTL(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	for _, ttl := range []time.Duration{0, -time.Second, blob.MinLeaseTTL - time.Millisecond, blob.MaxLeaseTTL + time.Second} {
		if l, err := b.AcquireLease(testCtx(t), "k", ttl); !errors.Is(err, blob.ErrInvalidLeaseTTL) {
			t.Errorf("AcquireLease(ttl %v) = %v, want ErrInvalidLeaseTTL", ttl, err)
			if err == nil {
				_ = l.Release(testCtx(t))
			}
		}
	}
}

// testLeaseIndependentOfBlob checks that a lease on a key neither needs nor
// blocks a blob under the same key.
func testLeaseIndependentOfBlob(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	l, err := b.AcquireLease(ctx, "k", blob.MinLeaseTTL)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	wantNotFound(t, b, "k")
	put(t, b, "k", []byte("v"), nil)
	put(t, b, "k", []byte("v2"), &blob.WriterOptions{Overwrite: true})
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete under a leased key: %v", err)
	}
	if err := l.Renew(ctx); err != nil {
		t.Errorf("Renew after blob changes: %v", err)
	}
}

func testLeaseContention(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	const (
		workers = 6
		rounds  = 10
	)
	var (
		holders, maxHolders, acquired atomic.Int32
		wg                            sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range rounds {
				l, err := b.AcquireLease(ctx, "contended", blob.MinLeaseTTL)
				if errors.Is(err, blob.ErrLeaseHeld) {
					time.Sleep(time.Millisecond)
					continue
				}
				if err != nil {
					t.Errorf("AcquireLease: %v", err)
					return
				}
				acquired.Add(1)
				n := holders.Add(1)
				for m := maxHolders.Load(); n > m && !maxHolders.CompareAndSwap(m, n); m = maxHolders.Load() {
				}
				time.Sleep(2 * time.Millisecond)
				holders.Add(-1)
				if err := l.Release(ctx); err != nil {
					t.Errorf("Release: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if m := maxHolders.Load(); m > 1 {
		t.Errorf("%d holders at once, want at most 1", m)
	}
	if acquired.Load() == 0 {
		t.Error("no worker ever acquired the lease")
	}
	t.Logf("%d acquisitions by %d workers × %d rounds", acquired.Load(), workers, rounds)
}

func testLeaseExpiry(t *testing.T, h Harness) {
	b := h.NewBucket(t)
	ctx := testCtx(t)
	old, err := b.AcquireLease(ctx, "k", blob.MinLeaseTTL)
	if err != nil {
		t.Fatal(err)
	}
	// The holder "dies": it neither renews nor releases.
	wait := blob.MinLeaseTTL + time.Second
	if h.AdvanceLeaseClock != nil {
		h.AdvanceLeaseClock(t, wait)
	} else {
		t.Logf("waiting %v in real time for the lease to expire", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
	l, err := b.AcquireLease(ctx, "k", blob.MinLeaseTTL)
	if err != nil {
		t.Fatalf("AcquireLease after expiry: %v", err)
	}
	if err := old.Renew(ctx); !errors.Is(err, blob.ErrLeaseLost) {
		t.Errorf("Renew of the expired, retaken lease = %v, want ErrLeaseLost", err)
	}
	if err := old.Release(ctx); err != nil {
		t.Errorf("Release of the expired lease = %v, want nil", err)
	}
	if _, err := b.AcquireLease(ctx, "k", blob.MinLeaseTTL); !errors.Is(err, blob.ErrLeaseHeld) {
		t.Errorf("the old holder's Release freed the new lease: AcquireLease = %v", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Error(err)
	}
}
