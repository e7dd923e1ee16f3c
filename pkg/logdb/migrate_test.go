package logdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/dumpflow/dumpflow/pkg/logdb"
)

// A database in the bbolt format of earlier versions is converted on first
// use, with its buckets, values and sequences; the original is kept.
func TestBboltFileIsMigrated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	old, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = old.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucket)
		if err != nil {
			return err
		}
		if err := b.SetSequence(41); err != nil {
			return err
		}
		if err := b.Put([]byte("small"), []byte("1")); err != nil {
			return err
		}
		if err := b.Put([]byte("large"), []byte(big(7))); err != nil {
			return err
		}
		_, err = tx.CreateBucket([]byte("empty"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db := logdb.Open(path, logdb.Options{})
	defer db.Close()
	got, seq := contents(t, db)
	if want := "large=" + big(7) + "\nsmall=1\n"; got != want || seq != 41 {
		t.Errorf("migrated: seq %d\n%s\nwant seq 41\n%s", seq, got, want)
	}
	_ = db.View(context.Background(), func(tx *logdb.Tx) error {
		if tx.Bucket([]byte("empty")) == nil {
			t.Error("empty bucket not migrated")
		}
		return nil
	})
	if r, err := logdb.Check(path); err != nil || r.Keys != 2 {
		t.Errorf("Check after migration = %+v, %v", r, err)
	}
	if _, err := os.Stat(path + ".bbolt"); err != nil {
		t.Errorf("original not kept: %v", err)
	}
}
