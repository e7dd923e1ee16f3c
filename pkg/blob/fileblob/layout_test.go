package fileblob_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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

func TestFileIsExactlyContent(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	content := "MDMP-content"
	md := map[string]string{"sha256": fmt.Sprintf("%x", sha256.Sum256([]byte(content)))}
	if err := mustPut(t, b, "a/b.dmp", content, &blob.WriterOptions{ContentType: "application/x-dmp", Metadata: md}); err != nil {
		t.Fatal(err)
	}
	fn := filepath.Join(b.Dir(), "a", "b.dmp")
	if b.Path("a/b.dmp") != fn {
		t.Errorf("Path = %q, want %q", b.Path("a/b.dmp"), fn)
	}
	raw, err := os.ReadFile(fn)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != content {
		t.Errorf("file holds %q, want exactly the blob's content %q", raw, content)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(raw)); got != md["sha256"] {
		t.Errorf("sha256 of the file %s, want the recorded %s", got, md["sha256"])
	}
	fi, err := os.Stat(fn)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("blob file mode %v, want 0600", fi.Mode().Perm())
	}
	// Nothing else is beside it, and the attributes are in one sidecar.
	entries, _ := os.ReadDir(filepath.Join(b.Dir(), "a"))
	if len(entries) != 1 {
		t.Errorf("directory a holds %d entries, want only b.dmp", len(entries))
	}
	var sidecars []string
	_ = filepath.WalkDir(filepath.Join(b.Dir(), ".dumpflow", "attrs"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			sidecars = append(sidecars, p)
		}
		return nil
	})
	if len(sidecars) != 1 {
		t.Fatalf("attribute files %q, want one", sidecars)
	}
	side, _ := os.ReadFile(sidecars[0])
	for _, want := range []string{`"key":"a/b.dmp"`, `"content_type":"application/x-dmp"`, `"sha256":"` + md["sha256"] + `"`} {
		if !strings.Contains(string(side), want) {
			t.Errorf("attribute file %s lacks %s", side, want)
		}
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
	list, err := b.List(context.Background(), "")
	var keys []string
	for _, a := range list {
		keys = append(keys, a.Key)
	}
	if want := []string{"a", "c/d"}; err != nil || !slices.Equal(keys, want) {
		t.Errorf("List = %q, %v; want %q", keys, err, want)
	}
}

// tempFiles counts the files (not directories) under DIR/.dumpflow/tmp.
func tempFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dir, ".dumpflow", "tmp"), func(_ string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTemporaryFiles(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	count := func() int { return tempFiles(t, b.Dir()) }
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
}

func TestOpenRemovesOnlyDeadWritersFiles(t *testing.T) {
	dir := t.TempDir()
	live := openTemp(t, &fakeClock{})
	dir = live.Dir()
	w, err := live.NewWriter(context.Background(), "live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write([]byte("still being written")); err != nil {
		t.Fatal(err)
	}
	// What a writer that died leaves: its directory, unlocked, with a
	// fresh temporary file (no age threshold applies).
	dead := filepath.Join(dir, ".dumpflow", "tmp", "w-dead")
	if err := os.MkdirAll(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, "0123.tmp"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	b2, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("Open kept the temporary files of a dead writer")
	}
	if n := tempFiles(t, dir); n != 1 {
		t.Errorf("%d temporary files after Open, want the live writer's 1", n)
	}
	if _, err := w.Write([]byte(", and committed")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("the live writer's commit after another Open: %v", err)
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

func TestPlantedFIFODoesNotBlock(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	if err := syscall.Mkfifo(b.Path("pipe"), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx := context.Background()
	if _, err := b.Attributes(ctx, "pipe"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Attributes of a FIFO = %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, "pipe"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Delete of a FIFO = %v, want ErrNotFound", err)
	}
	if err := mustPut(t, b, "pipe", "x", &blob.WriterOptions{Overwrite: true}); err != nil {
		t.Errorf("overwrite of a FIFO: %v", err)
	}
}
