package fileblob_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

func mustPut(t *testing.T, b blob.Bucket, key string, data string, opts *blob.WriterOptions) error {
	t.Helper()
	w, err := b.NewWriter(context.Background(), key, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	return w.Close()
}

func TestFileIsContentThenTrailer(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	if err := mustPut(t, b, "a/b.dmp", "MDMP-content", nil); err != nil {
		t.Fatal(err)
	}
	fn := filepath.Join(b.Dir(), "a", "b.dmp")
	raw, err := os.ReadFile(fn)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw[:12]) != "MDMP-content" {
		t.Errorf("file starts %q, want the blob's content", raw[:12])
	}
	fi, err := os.Stat(fn)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("blob file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestSymlinkCannotEscape(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	outside := t.TempDir()
	victim, err := fileblob.Open(outside)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	if err := mustPut(t, victim, "secret", "s3cr3t", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(b.Dir(), "evil")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if a, err := b.Attributes(ctx, "evil/secret"); err == nil {
		t.Fatalf("read a blob outside the bucket through a symlink: %+v", a)
	}
	w, err := b.NewWriter(ctx, "evil/planted", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Error("committed a blob through a symlink")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); err == nil {
		t.Error("a file appeared outside the bucket")
	}
}

func TestKeyPrefixConflicts(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	if err := mustPut(t, b, "a", "file", nil); err != nil {
		t.Fatal(err)
	}
	if err := mustPut(t, b, "a/b", "x", nil); !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("put under a blob's key = %v, want ErrInvalidKey", err)
	}
	if err := mustPut(t, b, "c/d", "x", nil); err != nil {
		t.Fatal(err)
	}
	for _, over := range []bool{false, true} {
		if err := mustPut(t, b, "c", "x", &blob.WriterOptions{Overwrite: over}); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("put (overwrite %v) at a prefix of other keys = %v, want ErrInvalidKey", over, err)
		}
	}
	// Small blobs are no files: a key may name one and prefix others.
	small := &blob.WriterOptions{Size: 1}
	if err := mustPut(t, b, "c", "x", small); err != nil {
		t.Errorf("small blob at a prefix of other keys: %v", err)
	}
	if err := mustPut(t, b, "s", "x", small); err != nil {
		t.Fatal(err)
	}
	if err := mustPut(t, b, "s/t", "x", nil); err != nil {
		t.Errorf("blob file under a small blob's key: %v", err)
	}
	list, err := b.List(context.Background(), "")
	var keys []string
	for _, a := range list {
		keys = append(keys, a.Key)
	}
	if want := []string{"a", "c", "c/d", "s", "s/t"}; err != nil || !slices.Equal(keys, want) {
		t.Errorf("List = %q, %v; want %q", keys, err, want)
	}
}

func TestTemporaryFiles(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	tmp := filepath.Join(b.Dir(), ".dumpflow", "tmp")
	count := func() int {
		entries, err := os.ReadDir(tmp)
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	w, err := b.NewWriter(context.Background(), "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if count() != 1 {
		t.Errorf("%d temporary files during a write, want 1", count())
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if count() != 0 {
		t.Errorf("%d temporary files after Abort", count())
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err = b.NewWriter(ctx, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	cancel() // removes the file without any further call
	deadline := time.Now().Add(5 * time.Second)
	for count() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if count() != 0 {
		t.Errorf("temporary file kept after the context was cancelled")
	}
	_ = w.Abort()

	// A crashed writer's file is removed by Open once stale.
	stale := filepath.Join(tmp, "dead.tmp")
	fresh := filepath.Join(tmp, "live.tmp")
	for _, fn := range []string{stale, fresh} {
		if err := os.WriteFile(fn, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	b2, err := fileblob.Open(b.Dir())
	if err != nil {
		t.Fatal(err)
	}
	b2.Close()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary file kept by Open")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("Open removed a recent temporary file, which may belong to a live writer")
	}
}

func TestForeignAndCorruptFiles(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(b.Dir(), "raw.txt"), []byte("dropped here by a person"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := mustPut(t, b, "good", "content", &blob.WriterOptions{Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(b.Dir(), "good")
	raw, _ := os.ReadFile(good)
	raw[len("content")+3] ^= 0xff // damage the attributes JSON
	if err := os.WriteFile(filepath.Join(b.Dir(), "damaged"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"raw.txt", "damaged"} {
		if _, err := b.Attributes(ctx, key); !errors.Is(err, fileblob.ErrCorrupt) {
			t.Errorf("Attributes(%q) = %v, want ErrCorrupt", key, err)
		}
	}
	list, err := b.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Key != "good" {
		t.Errorf("List = %v, want only the good blob", list)
	}
}

func TestTornLeaseRecordIsFree(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	ctx := context.Background()
	l, err := b.AcquireLease(ctx, "k", blob.MinLeaseTTL)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(b.Dir(), ".dumpflow", "leases"))
	if err != nil || len(entries) != 1 {
		t.Fatalf("lease records: %v, %v", entries, err)
	}
	rec := filepath.Join(b.Dir(), ".dumpflow", "leases", entries[0].Name())
	if err := os.WriteFile(rec, []byte(`{"key":"k","hold`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcquireLease(ctx, "k", blob.MinLeaseTTL); err != nil {
		t.Errorf("AcquireLease over a torn record: %v", err)
	}
	if err := l.Renew(ctx); !errors.Is(err, blob.ErrLeaseLost) {
		t.Errorf("Renew after the record was torn and retaken = %v, want ErrLeaseLost", err)
	}
}

func TestOpenURL(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, raw := range []string{"file://" + dir, "file://localhost" + dir} {
		u, _ := url.Parse(raw)
		b, err := fileblob.OpenURL(ctx, u)
		if err != nil {
			t.Errorf("OpenURL(%s): %v", raw, err)
			continue
		}
		if b.Dir() != dir {
			t.Errorf("OpenURL(%s).Dir() = %q", raw, b.Dir())
		}
		b.Close()
	}
	for _, raw := range []string{"file:relative/dir", "file://host" + dir, "file://" + dir + "?x=1", "s3://bucket/x", "file://"} {
		u, _ := url.Parse(raw)
		if b, err := fileblob.OpenURL(ctx, u); err == nil {
			b.Close()
			t.Errorf("OpenURL(%s) succeeded", raw)
		}
	}
	if _, err := fileblob.OpenURL(ctx, nil); err == nil {
		t.Error("OpenURL(nil) succeeded")
	}
}

func TestSmallBlobMaxBounds(t *testing.T) {
	dir := t.TempDir()
	if b, err := fileblob.OpenOptions(dir, &fileblob.Options{SmallBlobMax: fileblob.MaxSmallBlobMax + 1}); err == nil {
		b.Close()
		t.Error("OpenOptions accepted a SmallBlobMax above MaxSmallBlobMax")
	}
	// With the small store off, a small blob is a file; with it on, not.
	for _, tc := range []struct {
		max      int64
		wantFile bool
	}{{-1, true}, {0, false}, {100, false}, {99, true}} {
		b, err := fileblob.OpenOptions(dir, &fileblob.Options{SmallBlobMax: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("max%d", tc.max)
		if err := mustPut(t, b, key, strings.Repeat("x", 100), &blob.WriterOptions{Size: 100}); err != nil {
			t.Fatal(err)
		}
		b.Close()
		_, err = os.Stat(filepath.Join(dir, key))
		if isFile := err == nil; isFile != tc.wantFile {
			t.Errorf("SmallBlobMax %d: 100-byte blob stored as a file: %v, want %v", tc.max, isFile, tc.wantFile)
		}
	}
}
