package fileblob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/logdb"
)

func putSmall(t *testing.T, b *Bucket, key, data string) {
	t.Helper()
	w, err := b.NewWriter(t.Context(), key, &blob.WriterOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(*smallWriter); !ok {
		t.Fatalf("a %d-byte blob with Size set got a %T, want a small-blob writer", len(data), w)
	}
	if _, err := w.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptSmallRecord(t *testing.T) {
	b, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	putSmall(t, b, "good", "content")
	putSmall(t, b, "bad", "content")
	err = b.db.Update(ctx, func(tx *logdb.Tx) error {
		return tx.Bucket(smallBucket).Put([]byte("bad"), []byte("\x01garbage that is no record"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Attributes(ctx, "bad"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Attributes of a damaged record = %v, want ErrCorrupt", err)
	} else {
		t.Log(err)
	}
	if _, _, err := b.NewReader(ctx, "bad"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("NewReader of a damaged record = %v, want ErrCorrupt", err)
	}
	if _, err := b.NewReaderAt(ctx, "bad"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("NewReaderAt of a damaged record = %v, want ErrCorrupt", err)
	}
	list, err := b.List(ctx, "")
	if err != nil || len(list) != 1 || list[0].Key != "good" {
		t.Errorf("List = %v, %v; want only the good blob", list, err)
	}
	// The key stays taken until deleted or overwritten.
	w, _ := b.NewWriter(ctx, "bad", &blob.WriterOptions{Size: 1})
	_, _ = w.Write([]byte("x"))
	if err := w.Close(); !errors.Is(err, blob.ErrExists) {
		t.Errorf("create-if-absent over a damaged record = %v, want ErrExists", err)
	}
	if err := b.Delete(ctx, "bad"); err != nil {
		t.Errorf("Delete of a damaged record: %v", err)
	}
	if _, err := b.Attributes(ctx, "bad"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Attributes after Delete = %v, want ErrNotFound", err)
	}
}

func TestGarbageDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := b.NewWriter(t.Context(), "large", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(smallDB)), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	w, err = b.NewWriter(ctx, "small", &blob.WriterOptions{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("x"))
	if err := w.Close(); err == nil || errors.Is(err, blob.ErrExists) {
		t.Errorf("small commit into a garbage database = %v, want an error", err)
	} else {
		t.Log(err)
	}
	if _, err := b.Attributes(ctx, "missing"); err == nil || errors.Is(err, blob.ErrNotFound) {
		t.Errorf("lookup through a garbage database = %v, want an error other than ErrNotFound", err)
	}
	// Blob files are still readable.
	if _, err := b.Attributes(ctx, "large"); err != nil {
		t.Errorf("Attributes of a blob file: %v", err)
	}
}
