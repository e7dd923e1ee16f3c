package fileblob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

func TestForeignAndCorruptFiles(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(b.Dir(), "raw.txt"), []byte("dropped here by a person"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := mustPut(t, b, "good", "content", &blob.WriterOptions{Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if err := mustPut(t, b, "flipped", "manifest", nil); err != nil {
		t.Fatal(err)
	}
	flip(t, b.Path("flipped"), 3)
	for _, key := range []string{"raw.txt", "flipped"} {
		r, _, err := b.NewReader(ctx, key)
		if err == nil {
			r.Close()
		}
		var ce *blob.CorruptError
		if !errors.As(err, &ce) || ce.Key != key || ce.Path != b.Path(key) {
			t.Errorf("NewReader(%q) = %v, want a *blob.CorruptError naming the key and %s", key, err, b.Path(key))
		}
		if !errors.Is(err, blob.ErrCorrupt) {
			t.Errorf("NewReader(%q) = %v, does not match blob.ErrCorrupt", key, err)
		}
	}
	if _, err := b.Attributes(ctx, "raw.txt"); !errors.Is(err, blob.ErrCorrupt) {
		t.Errorf("Attributes of a file without attributes = %v, want ErrCorrupt", err)
	}
	// Damaged and foreign files are listed, not dropped: reading them
	// reports the damage.
	list, err := b.List(ctx, "")
	var keys []string
	for _, a := range list {
		keys = append(keys, a.Key)
	}
	if want := []string{"flipped", "good", "raw.txt"}; err != nil || !slices.Equal(keys, want) {
		t.Errorf("List = %q, %v; want %q", keys, err, want)
	}
	// A damaged attribute file is reported too.
	sides, _ := filepath.Glob(filepath.Join(b.Dir(), ".dumpflow", "attrs", "*", "*"))
	for _, s := range sides {
		flip(t, s, 20)
	}
	if _, err := b.Attributes(ctx, "good"); !errors.Is(err, blob.ErrCorrupt) {
		t.Errorf("Attributes with a damaged attribute file = %v, want ErrCorrupt", err)
	}
}

// flip inverts one byte of a file, as a bad disk sector might.
func flip(t *testing.T, fn string, at int) {
	t.Helper()
	raw, err := os.ReadFile(fn)
	if err != nil {
		t.Fatal(err)
	}
	raw[at] ^= 0x20
	if err := os.WriteFile(fn, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// attrFiles lists the attribute files under DIR/.dumpflow/attrs.
func attrFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(dir, ".dumpflow", "attrs"), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAttributeFilesFollowVersions(t *testing.T) {
	b := openTemp(t, &fakeClock{})
	ctx := context.Background()
	over := &blob.WriterOptions{Overwrite: true}
	for i := range 3 {
		if err := mustPut(t, b, "reports/i/index.html", fmt.Sprintf("render %d", i), over); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(attrFiles(t, b.Dir())); n != 1 {
		t.Errorf("%d attribute files after three overwrites, want 1", n)
	}
	if err := b.Delete(ctx, "reports/i/index.html"); err != nil {
		t.Fatal(err)
	}
	if n := len(attrFiles(t, b.Dir())); n != 0 {
		t.Errorf("%d attribute files after Delete, want 0", n)
	}

	// A commit stopped by a crash after writing its attribute file, before
	// its rename, leaves one that names no content file: after a dead
	// writer was found, Open removes it when no other process uses the
	// directory, and only then.
	if err := mustPut(t, b, "kept", "x", nil); err != nil {
		t.Fatal(err)
	}
	keep := attrFiles(t, b.Dir())[0]
	orphan := filepath.Join(filepath.Dir(keep), filepath.Base(keep)+"0")
	raw, err := os.ReadFile(keep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orphan, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	// The crashed writer's process also left its temporary directory.
	if err := os.MkdirAll(filepath.Join(b.Dir(), ".dumpflow", "tmp", "w-dead"), 0o700); err != nil {
		t.Fatal(err)
	}
	b2, err := fileblob.Open(b.Dir()) // b is still open
	if err != nil {
		t.Fatal(err)
	}
	b2.Close()
	if _, err := os.Stat(orphan); err != nil {
		t.Error("Open removed an attribute file while another bucket had the directory open")
	}
	b.Close()
	b3, err := fileblob.Open(b.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer b3.Close()
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Error("Open alone kept an attribute file that names no content file")
	}
	wantContentOf(t, b3, "kept", "x")
}

func wantContentOf(t *testing.T, b blob.Bucket, key, want string) {
	t.Helper()
	r, _, err := b.NewReader(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != want {
		t.Errorf("%s = %q, %v; want %q", key, got, err, want)
	}
}
