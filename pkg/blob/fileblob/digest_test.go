package fileblob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// TestCallerDigest: a writer whose caller gives the content's SHA-256
// stores that digest (no second hash of every byte), and the digest is the
// one whole reads check — a wrong one is caught there, a malformed one at
// commit.
func TestCallerDigest(t *testing.T) {
	ctx := context.Background()
	b, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	content := strings.Repeat("MDMP dump bytes ", 1000)
	good := sha256.Sum256([]byte(content))
	put := func(key, digest string) error {
		w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentSHA256: func() string { return digest }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
		return w.Close()
	}
	read := func(key string) error {
		r, _, err := b.NewReader(ctx, key)
		if err != nil {
			return err
		}
		defer r.Close()
		_, err = io.ReadAll(r)
		return err
	}
	if err := put("a", strings.ToUpper(hex.EncodeToString(good[:]))); err != nil {
		t.Fatalf("commit with the right digest: %v", err)
	}
	if err := read("a"); err != nil {
		t.Fatalf("whole read with the right digest: %v", err)
	}
	wrong := sha256.Sum256([]byte("something else"))
	if err := put("b", hex.EncodeToString(wrong[:])); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := read("b"); !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("whole read with a wrong caller digest: %v, want ErrCorrupt", err)
	}
	if err := put("c", "not-a-digest"); err == nil || !strings.Contains(err.Error(), "not a hex SHA-256") {
		t.Fatalf("malformed digest: %v", err)
	}
	if _, err := b.Attributes(ctx, "c"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("a refused commit left a blob: %v", err)
	}
	// The stored file is exactly the content.
	data, err := os.ReadFile(b.Path("a"))
	if err != nil || string(data) != content {
		t.Fatalf("plain file: %v", err)
	}
}
