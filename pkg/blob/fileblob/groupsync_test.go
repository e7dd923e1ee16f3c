package fileblob

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// TestGroupSyncStartsAfterCall checks the promise callers rely on: wait
// returns only after a sync that started after the call, so a write made
// before the call is covered even when a sync was already running.
func TestGroupSyncStartsAfterCall(t *testing.T) {
	var written, covered atomic.Int64 // writes made so far; writes the last finished sync covered
	entered := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int64
	g := newGroupSync(func() error {
		n := calls.Add(1)
		snapshot := written.Load() // the sync covers what was written before it started
		if n == 1 {
			close(entered)
			<-release
		}
		covered.Store(snapshot)
		return nil
	})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.wait(); err != nil {
			t.Error(err)
		}
	})
	<-entered // the first sync is running, started before the write below
	written.Store(1)
	done := make(chan error, 1)
	go func() { done <- g.wait() }()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if covered.Load() != 1 {
		t.Fatalf("wait returned after a sync that started before the write (covered %d writes)", covered.Load())
	}
	wg.Wait()
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d syncs, want 2", n)
	}
}

// TestGroupSyncShares checks that concurrent waiters share syncs: many
// waiters, far fewer syncs, and never two syncs at once.
func TestGroupSyncShares(t *testing.T) {
	var running, calls atomic.Int64
	g := newGroupSync(func() error {
		if running.Add(1) != 1 {
			t.Error("two syncs at once")
		}
		calls.Add(1)
		for range 1000 {
			_ = calls.Load() // a little time for waiters to gather
		}
		running.Add(-1)
		return nil
	})
	const waiters = 200
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range waiters {
		wg.Go(func() {
			<-start
			if err := g.wait(); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := calls.Load(); n < 1 || n > waiters {
		t.Fatalf("%d syncs for %d waiters", n, waiters)
	}
	t.Logf("%d syncs for %d waiters", calls.Load(), waiters)
}

// TestGroupSyncError checks that a failed sync fails the waiters it
// concerns, with the cause, and that later syncs recover.
func TestGroupSyncError(t *testing.T) {
	boom := errors.New("boom")
	fail := true
	g := newGroupSync(func() error {
		if fail {
			return boom
		}
		return nil
	})
	if err := g.wait(); !errors.Is(err, boom) {
		t.Fatalf("wait = %v, want %v", err, boom)
	}
	fail = false
	if err := g.wait(); err != nil {
		t.Fatalf("wait after recovery = %v", err)
	}
}
