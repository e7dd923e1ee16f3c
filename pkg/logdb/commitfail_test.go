package logdb

import (
	"context"
	"path/filepath"
	"testing"
)

// A commit that fails (here: the file descriptor is gone, as after an I/O
// error) fails its callers, keeps nothing of their writes, and the next
// operation starts again from the file, also inside Exclusive.
func TestFailedCommitStartsAgainFromTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := Open(path, Options{})
	defer db.Close()
	ctx := context.Background()
	put := func(k, v string) func(*Tx) error {
		return func(tx *Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put([]byte(k), []byte(v))
		}
	}
	get := func(l *Locked, k string) (v string) {
		t.Helper()
		if err := l.View(func(tx *Tx) error { v = string(tx.Bucket([]byte("b")).Get([]byte(k))); return nil }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := db.Update(ctx, put("a", "1")); err != nil {
		t.Fatal(err)
	}
	err := db.Exclusive(ctx, func(l *Locked) error {
		_ = db.s.st.f.Close() // the next write fails
		if err := l.Update(put("b", "2")); err == nil {
			t.Error("commit through a closed file succeeded")
		}
		if get(l, "a") != "1" || get(l, "b") != "" {
			t.Errorf("after the failed commit: a=%q b=%q, want 1 and nothing", get(l, "a"), get(l, "b"))
		}
		return l.Update(put("c", "3"))
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.s.st.f.Close()
	if err := db.Update(ctx, put("d", "4")); err == nil {
		t.Error("commit through a closed file succeeded")
	}
	if err := db.Update(ctx, put("e", "5")); err != nil {
		t.Fatal(err)
	}
	r, err := Check(path)
	if err != nil || r.Keys != 3 {
		t.Errorf("Check = %+v, %v; want a, c and e", r, err)
	}
}
