package boltfile_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dumpflow/dumpflow/pkg/boltfile"
)

var bucket = []byte("b")

func put(k, v string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(k), []byte(v))
	}
}

func get(t *testing.T, f *boltfile.File, k string) (string, bool) {
	t.Helper()
	var v []byte
	err := f.View(context.Background(), func(tx *bolt.Tx) error {
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
	f := boltfile.Open(path, boltfile.Options{})
	defer f.Close()
	ctx := context.Background()
	errBad := errors.New("bad")
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Go(func() {
			k := fmt.Sprint("k", i)
			errs[i] = f.Update(ctx, func(tx *bolt.Tx) error {
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
	if err := f.Update(ctx, func(*bolt.Tx) error { return boltfile.ErrNoChange }); err != nil {
		t.Errorf("ErrNoChange: %v, want nil", err)
	}
}

// An idle File holds no lock for long: once every update has returned,
// another opener (one that does not announce itself) gets the file within
// bbolt's first lock retries, also after bursts of concurrent updates
// (whose callers mostly return without taking the gate).
func TestIdleFileIsReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	f := boltfile.Open(path, boltfile.Options{})
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
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("round %d: file still locked after every update returned: %v", round, err)
		}
		_ = db.Close()
	}
}

func TestBusyFileTimesOutOrFollowsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	other, err := bolt.Open(path, 0o600, nil) // another holder of the lock
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f := boltfile.Open(path, boltfile.Options{BusyTimeout: 50 * time.Millisecond})
	defer f.Close()
	if err := f.Update(context.Background(), put("a", "1")); !errors.Is(err, boltfile.ErrBusy) {
		t.Errorf("update of a locked file: %v, want ErrBusy", err)
	}
	g := boltfile.Open(filepath.Join(t.TempDir(), "x"), boltfile.Options{})
	defer g.Close()
	h, err := bolt.Open(g.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := g.View(ctx, func(*bolt.Tx) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("view of a locked file with a deadline: %v, want DeadlineExceeded", err)
	}
}

func TestExclusiveSeesCommittedUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	f := boltfile.Open(path, boltfile.Options{})
	g := boltfile.Open(path, boltfile.Options{}) // same process, same state
	defer f.Close()
	defer g.Close()
	ctx := context.Background()
	if err := f.Update(ctx, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	err := g.Exclusive(ctx, func(db *bolt.DB) error {
		return db.Update(put("b", "2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, f, "b"); v != "2" {
		t.Errorf("b = %q after Exclusive, want 2", v)
	}
}
