package backend

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

func TestOpenFileBackends(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	q, err := OpenQueue(ctx, FileURL(filepath.Join(dir, "q")), CapturesQueue)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.Send(ctx, queue.Message{ID: "m1", Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	// A bare path is a directory too.
	b, err := OpenBucket(ctx, filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	w, err := b.NewWriter(ctx, "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "hello")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Attributes(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Attributes(ctx, "nope"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Attributes(nope) = %v", err)
	}
}

func TestOpenRejectsUnknownSchemesWithoutLeakingSecrets(t *testing.T) {
	ctx := context.Background()
	if q, err := OpenQueue(ctx, "amqp://user:secret@host/q?key=secret2", "captures"); err == nil || q != nil {
		t.Fatalf("OpenQueue(amqp) = %v, %v", q, err)
	} else if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error leaks credentials: %v", err)
	}
	if b, err := OpenBucket(ctx, "s3://bucket"); err == nil || b != nil {
		t.Fatalf("OpenBucket(s3) = %v, %v", b, err)
	}
	if q, err := OpenQueue(ctx, "", "captures"); err == nil || q != nil {
		t.Fatal("empty URL accepted")
	}
}
