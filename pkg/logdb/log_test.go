package logdb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/logdb"
)

// otherProcess returns a path naming the same database file through a
// symlinked directory: a DB opened on it has its own state (the registry
// is keyed by path) and takes the same lock file, as another process
// would.
func otherProcess(t *testing.T, path string) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(filepath.Dir(path), link); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(link, filepath.Base(path))
}

func big(i int) string { return strings.Repeat(fmt.Sprint(i, "-"), 40) } // > 64 bytes: read from the file

func mustUpdate(t *testing.T, db *logdb.DB, fn func(*logdb.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// contents lists a bucket as "k=v" lines, and its sequence.
func contents(t *testing.T, db *logdb.DB) (string, uint64) {
	t.Helper()
	var sb strings.Builder
	var seq uint64
	err := db.View(context.Background(), func(tx *logdb.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			fmt.Fprintf(&sb, "%s=%s\n", k, v)
		}
		var err error
		// A read-only transaction cannot move the sequence.
		if _, err = b.NextSequence(); !errors.Is(err, logdb.ErrTxNotWritable) {
			return fmt.Errorf("NextSequence in View: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *logdb.Tx) error {
		s, err := tx.Bucket(bucket).NextSequence()
		seq = s - 1
		return errors.Join(err, logdb.ErrNoChange) // undone
	})
	return sb.String(), seq
}

// Writes survive closing and reopening, and another process sees them,
// small and large values alike, with deletes and sequences.
func TestReopenAndOtherProcessSeeTheSameData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := logdb.Open(path, logdb.Options{})
	for i := range 50 {
		mustUpdate(t, db, func(tx *logdb.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucket)
			if err != nil {
				return err
			}
			if _, err := b.NextSequence(); err != nil {
				return err
			}
			v := fmt.Sprint(i)
			if i%2 == 0 {
				v = big(i)
			}
			if err := b.Put(fmt.Appendf(nil, "k%02d", i), []byte(v)); err != nil {
				return err
			}
			if i%5 == 4 {
				return b.Delete(fmt.Appendf(nil, "k%02d", i-1))
			}
			return nil
		})
	}
	want, wantSeq := contents(t, db)
	if wantSeq != 50 || strings.Count(want, "\n") != 40 {
		t.Fatalf("sequence %d, %d keys; want 50 and 40", wantSeq, strings.Count(want, "\n"))
	}
	other := logdb.Open(otherProcess(t, path), logdb.Options{})
	defer other.Close()
	if got, seq := contents(t, other); got != want || seq != wantSeq {
		t.Errorf("other process sees seq %d:\n%s\nwant seq %d:\n%s", seq, got, wantSeq, want)
	}
	// The other process writes; the first catches up.
	mustUpdate(t, other, put("k00", "changed"))
	if v, _ := get(t, db, "k00"); v != "changed" {
		t.Errorf("k00 = %q after another process changed it", v)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	want, _ = contents(t, other)
	db = logdb.Open(path, logdb.Options{})
	defer db.Close()
	if got, _ := contents(t, db); got != want {
		t.Errorf("after reopening:\n%s\nwant:\n%s", got, want)
	}
	r, err := logdb.Check(path)
	if err != nil || r.Keys != 40 || r.TornBytes != 0 {
		t.Errorf("Check = %+v, %v", r, err)
	}
}

// A call that fails in a batch leaves no trace: its bucket, puts, deletes
// and sequence changes are undone, and the other calls commit.
func TestFailedCallIsUndone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := logdb.Open(path, logdb.Options{})
	defer db.Close()
	mustUpdate(t, db, put("keep", big(1)))
	errBad := errors.New("bad")
	err := db.Update(context.Background(), func(tx *logdb.Tx) error {
		b := tx.Bucket(bucket)
		_, _ = b.NextSequence()
		_ = b.Put([]byte("keep"), []byte("overwritten"))
		_ = b.Put([]byte("new"), []byte(big(2)))
		_ = b.Delete([]byte("keep"))
		nb, _ := tx.CreateBucketIfNotExists([]byte("other"))
		_ = nb.Put([]byte("x"), []byte("y"))
		return errBad
	})
	if !errors.Is(err, errBad) {
		t.Fatalf("Update = %v, want errBad", err)
	}
	check := func(db *logdb.DB) {
		t.Helper()
		got, seq := contents(t, db)
		if got != "keep="+big(1)+"\n" || seq != 0 {
			t.Errorf("after a failed call: seq %d,\n%s", seq, got)
		}
		_ = db.View(context.Background(), func(tx *logdb.Tx) error {
			if tx.Bucket([]byte("other")) != nil {
				t.Error("bucket created by a failed call exists")
			}
			return nil
		})
	}
	check(db)
	other := logdb.Open(otherProcess(t, path), logdb.Options{})
	defer other.Close()
	check(other)
}

// Deleting keys while iterating with a cursor visits every key once.
func TestCursorWithDeletes(t *testing.T) {
	db := logdb.Open(filepath.Join(t.TempDir(), "db"), logdb.Options{})
	defer db.Close()
	for i := range 20 {
		mustUpdate(t, db, put(fmt.Sprintf("k%02d", i), "v"))
	}
	var seen []string
	mustUpdate(t, db, func(tx *logdb.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, _ := c.Seek([]byte("k05")); k != nil; k, _ = c.Next() {
			seen = append(seen, string(k))
			if err := tx.Bucket(bucket).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if len(seen) != 15 || seen[0] != "k05" || seen[14] != "k19" {
		t.Errorf("visited %v", seen)
	}
	if got, _ := contents(t, db); strings.Count(got, "\n") != 5 {
		t.Errorf("left:\n%s", got)
	}
}

// A torn last record (a writer killed mid-append) is cut off by the next
// process, whether the file was cut short or the record lies half written
// in preallocated space; damage before the last record is ErrCorrupt.
func TestTornTailIsCutAndDamageIsReported(t *testing.T) {
	for _, cutShort := range []bool{true, false} {
		t.Run(fmt.Sprint("cut short ", cutShort), func(t *testing.T) { testTornTail(t, cutShort) })
	}
}

func testTornTail(t *testing.T, cutShort bool) {
	path := filepath.Join(t.TempDir(), "db")
	db := logdb.Open(path, logdb.Options{})
	mustUpdate(t, db, put("a", big(1)))
	mustUpdate(t, db, put("b", "2"))
	r, err := logdb.Check(path)
	if err != nil {
		t.Fatal(err)
	}
	third := r.Size
	mustUpdate(t, db, put("c", big(3)))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if r, err = logdb.Check(path); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mid := (third + r.Size) / 2
	torn := full[:mid]
	if !cutShort {
		torn = append(full[:mid:mid], make([]byte, len(full)-int(mid))...)
	}
	if err := os.WriteFile(path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := logdb.Check(path); err != nil || r.Size != third || r.TornBytes != int64(len(torn))-third {
		t.Errorf("Check of a torn file = %+v, %v; want size %d and the rest torn", r, err, third)
	}
	db = logdb.Open(path, logdb.Options{})
	if got, _ := contents(t, db); got != "a="+big(1)+"\nb=2\n" {
		t.Errorf("after a torn append:\n%s", got)
	}
	mustUpdate(t, db, put("d", "4"))
	if got, _ := contents(t, db); got != "a="+big(1)+"\nb=2\nd=4\n" {
		t.Errorf("appending after the cut:\n%s", got)
	}
	_ = db.Close()

	// A flipped byte in the first record, with records after it.
	damaged, _ := os.ReadFile(path)
	damaged[20] ^= 0xff
	if err := os.WriteFile(path, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := logdb.Check(path); !errors.Is(err, logdb.ErrCorrupt) {
		t.Errorf("Check of a damaged file = %v, want ErrCorrupt", err)
	}
	db = logdb.Open(path, logdb.Options{})
	defer db.Close()
	err = db.View(context.Background(), func(*logdb.Tx) error { return nil })
	if !errors.Is(err, logdb.ErrCorrupt) {
		t.Errorf("View of a damaged file = %v, want ErrCorrupt", err)
	} else {
		t.Log(err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, damaged) {
		t.Error("a damaged file was changed")
	}
}

// When most of the log is dead, it is compacted: the file shrinks, and
// both this process and another one keep seeing the same data, large
// values included.
func TestCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := logdb.Open(path, logdb.Options{})
	defer db.Close()
	other := logdb.Open(otherProcess(t, path), logdb.Options{})
	defer other.Close()
	value := bytes.Repeat([]byte("x"), 8<<10)
	maxSize := int64(0)
	for i := range 2000 {
		mustUpdate(t, db, func(tx *logdb.Tx) error {
			b, err := tx.CreateBucketIfNotExists(bucket)
			if err != nil {
				return err
			}
			if err := b.Put(fmt.Appendf(nil, "k%04d", i), append(fmt.Appendf(nil, "%04d", i), value...)); err != nil {
				return err
			}
			if i%10 != 0 { // keep every tenth
				return b.Delete(fmt.Appendf(nil, "k%04d", i-1))
			}
			return nil
		})
		if i == 1000 { // the other process loads the log before compactions
			if got, _ := contents(t, other); got == "" {
				t.Fatal("other process sees nothing")
			}
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		maxSize = max(maxSize, st.Size())
	}
	st, _ := os.Stat(path)
	if maxSize > 12<<20 || st.Size() > 8<<20 {
		t.Errorf("log reached %d bytes and is %d: not compacted (live data ≈ 1.6 MiB)", maxSize, st.Size())
	}
	want, _ := contents(t, db)
	if n := strings.Count(want, "\n"); n != 200 {
		t.Errorf("%d keys, want 200", n)
	}
	if got, _ := contents(t, other); got != want {
		t.Error("the other process sees different data after compaction")
	}
	if _, err := os.Stat(path + ".compact"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("compaction file left behind: %v", err)
	}
}

func TestNotALogFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(path, []byte("just some text, long enough for a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := logdb.Open(path, logdb.Options{})
	defer db.Close()
	if err := db.Update(context.Background(), put("a", "1")); !errors.Is(err, logdb.ErrCorrupt) {
		t.Errorf("Update of a text file = %v, want ErrCorrupt", err)
	}
}

// A record header zeroed in the middle of the log is damage, not the end of
// the log: the records after it are not silently dropped.
func TestZeroedHeaderIsDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db := logdb.Open(path, logdb.Options{})
	mustUpdate(t, db, put("a", "1"))
	mustUpdate(t, db, put("b", "2"))
	_ = db.Close()
	data, _ := os.ReadFile(path)
	clear(data[16:24])
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db = logdb.Open(path, logdb.Options{})
	defer db.Close()
	if err := db.Update(context.Background(), put("c", "3")); !errors.Is(err, logdb.ErrCorrupt) {
		t.Errorf("Update over a zeroed header = %v, want ErrCorrupt", err)
	}
}
