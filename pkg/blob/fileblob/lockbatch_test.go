package fileblob

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dumpflow/dumpflow/pkg/boltfile"
)

var errFn1 = errors.New("fn 1 failed")

func TestLockBatch(t *testing.T) {
	db := boltfile.Open(filepath.Join(t.TempDir(), "x.db"), boltfile.Options{})
	defer db.Close()
	l := newLockBatch(db)
	ctx := context.Background()

	// Hold the lock while calls pile up.
	held, release := make(chan struct{}), make(chan struct{})
	var holder sync.WaitGroup
	holder.Go(func() {
		_ = db.Exclusive(ctx, func(*bolt.DB) error {
			close(held)
			<-release
			return nil
		})
	})
	<-held
	var (
		ran     atomic.Int32
		inside  atomic.Int32
		overlap atomic.Bool
		wg      sync.WaitGroup
		errs    = make([]error, 10)
	)
	cctx, cancel := context.WithCancel(ctx)
	for i := range errs {
		callCtx := ctx
		if i == 0 {
			callCtx = cctx
		}
		wg.Go(func() {
			errs[i] = l.do(callCtx, func(*bolt.DB) error {
				if inside.Add(1) > 1 {
					overlap.Store(true)
				}
				defer inside.Add(-1)
				ran.Add(1)
				if i == 1 {
					return errFn1
				}
				return nil
			})
		})
	}
	time.Sleep(50 * time.Millisecond) // let the calls queue up
	cancel()
	close(release)
	wg.Wait()
	holder.Wait()
	if !errors.Is(errs[0], context.Canceled) {
		t.Errorf("call whose context ended first = %v, want context.Canceled", errs[0])
	}
	if !errors.Is(errs[1], errFn1) {
		t.Errorf("call 1 = %v, want its fn's error", errs[1])
	}
	for i, err := range errs[2:] {
		if err != nil {
			t.Errorf("call %d = %v", i+2, err)
		}
	}
	if ran.Load() != 9 {
		t.Errorf("%d fns ran, want 9 (all but the cancelled one)", ran.Load())
	}
	if overlap.Load() {
		t.Error("two fns ran at once")
	}
}
