package logdb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/logdb"
)

var bucket = []byte("b")

func put(k, v string) func(*logdb.Tx) error {
	return func(tx *logdb.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(k), []byte(v))
	}
}

func get(t *testing.T, f *logdb.DB, k string) (string, bool) {
	t.Helper()
	var v []byte
	err := f.View(context.Background(), func(tx *logdb.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			v = bytes.Clone(b.Get([]byte(k)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(v), v != nil
}

func TestConcurrentUpdatesCommitAndFailuresStayApart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	f := logdb.Open(path, logdb.Options{})
	defer f.Close()
	ctx := context.Background()
	errBad := errors.New("bad")
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Go(func() {
			k := fmt.Sprint("k", i)
			errs[i] = f.Update(ctx, func(tx *logdb.Tx) error {
				if err := put(k, "v")(tx); err != nil {
					return err
				}
				if i%10 == 3 {
					return errBad // rolled back, others retried
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		_, ok := get(t, f, fmt.Sprint("k", i))
		if i%10 == 3 {
			if !errors.Is(err, errBad) || ok {
				t.Errorf("update %d: err %v, stored %v; want errBad and nothing stored", i, err, ok)
			}
			continue
		}
		if err != nil || !ok {
			t.Errorf("update %d: err %v, stored %v; want committed", i, err, ok)
		}
	}
	if err := f.Update(ctx, func(*logdb.Tx) error { return logdb.ErrNoChange }); err != nil {
		t.Errorf("ErrNoChange: %v, want nil", err)
	}
}

// An idle DB holds no lock: once every update has returned, another
// process (one that does not announce itself) gets the lock at once, also
// after bursts of concurrent updates (whose callers mostly return without
// taking the gate).
func TestIdleFileIsReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	f := logdb.Open(path, logdb.Options{})
	defer f.Close()
	for round := range 30 {
		var wg sync.WaitGroup
		for i := range 1 + round%16 {
			wg.Go(func() {
				if err := f.Update(context.Background(), put(fmt.Sprint(round, "-", i), "1")); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if err := tryLock(path); err != nil {
			t.Fatalf("round %d: file still locked after every update returned: %v", round, err)
		}
	}
}

func TestBusyFileTimesOutOrFollowsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	defer holdLock(t, path)() // another holder of the lock
	f := logdb.Open(path, logdb.Options{BusyTimeout: 50 * time.Millisecond})
	defer f.Close()
	if err := f.Update(context.Background(), put("a", "1")); !errors.Is(err, logdb.ErrBusy) {
		t.Errorf("update of a locked file: %v, want ErrBusy", err)
	}
	g := logdb.Open(filepath.Join(t.TempDir(), "x"), logdb.Options{})
	defer g.Close()
	defer holdLock(t, g.Path())()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := g.View(ctx, func(*logdb.Tx) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("view of a locked file with a deadline: %v, want DeadlineExceeded", err)
	}
}

func TestExclusiveSeesCommittedUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	f := logdb.Open(path, logdb.Options{})
	g := logdb.Open(path, logdb.Options{}) // same process, same state
	defer f.Close()
	defer g.Close()
	ctx := context.Background()
	if err := f.Update(ctx, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	err := g.Exclusive(ctx, func(db *logdb.Locked) error {
		return db.Update(put("b", "2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, f, "b"); v != "2" {
		t.Errorf("b = %q after Exclusive, want 2", v)
	}
}

// tryLock takes and releases the lock of the database at path the way
// another process would, failing if it is held.
func tryLock(path string) error {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// holdLock holds the lock of the database at path until the returned
// function is called, as another process would.
func holdLock(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return func() { _ = f.Close() }
}
