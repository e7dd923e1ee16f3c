package fileblob_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

// ackSize is the size of blob acks/I: small ones like manifests, and
// every seventh one larger than what NewReader verifies whole.
func ackSize(i int) int {
	if i%7 == 0 {
		return 1<<20 + 4096 + i
	}
	return 1000 + i%100
}

// childAcks writes blobs acks/I from 8 goroutines until killed, printing
// "ok I" once each commit has returned.
func childAcks(ctx context.Context, b *fileblob.Bucket, seedArg string) error {
	seed, _ := strconv.Atoi(seedArg)
	var (
		mu   sync.Mutex
		next int
	)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				data := seeded(byte(seed+i), ackSize(i))
				opts := &blob.WriterOptions{ContentType: "application/json"}
				if i%2 == 0 {
					opts.Size = int64(len(data))
				}
				w, err := b.NewWriter(ctx, fmt.Sprintf("acks/%d", i), opts)
				if err == nil {
					// Two writes, so that a kill can land between them.
					if _, err = w.Write(data[:len(data)/2]); err == nil {
						if _, err = w.Write(data[len(data)/2:]); err == nil {
							err = w.Close()
						}
					}
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				fmt.Println("ok", i)
				mu.Unlock()
			}
		}()
	}
	return <-errs
}

// readAll reads the blob under key whole through NewReader.
func readAll(b blob.Bucket, key string) ([]byte, error) {
	r, _, err := b.NewReader(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// TestKilledWriterLosesNoAcknowledgedBlob kills a process committing
// blobs with SIGKILL and checks, in a new process's view: every blob whose
// commit was acknowledged is there with its content; every blob that is
// visible at all is complete (no partial blob); the killed writer's
// temporary files are gone after the next Open; and a byte flipped in a
// stored blob afterwards is reported naming the file and the key.
func TestKilledWriterLosesNoAcknowledgedBlob(t *testing.T) {
	dir := t.TempDir()
	const seed = 3
	cmd, out := startChild(t, "acks "+dir+" "+strconv.Itoa(seed))
	acked := map[int]bool{}
	for len(acked) < 150 && out.Scan() {
		i, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "ok "))
		if err != nil {
			t.Fatalf("child: %q", out.Text())
		}
		acked[i] = true
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for out.Scan() { // acknowledgements printed before the kill landed
		if i, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "ok ")); err == nil {
			acked[i] = true
		}
	}
	_ = cmd.Wait()
	if len(acked) < 150 {
		t.Fatalf("child acknowledged only %d blobs", len(acked))
	}
	if tempFiles(t, dir) == 0 {
		t.Log("the kill left no temporary file this time; the removal is not exercised")
	}
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n := tempFiles(t, dir); n != 0 {
		t.Errorf("%d temporary files of the killed writer left after Open", n)
	}
	list, err := b.List(context.Background(), "acks/")
	if err != nil {
		t.Fatal(err)
	}
	visible := map[int]bool{}
	for _, a := range list {
		i, err := strconv.Atoi(strings.TrimPrefix(a.Key, "acks/"))
		if err != nil {
			t.Fatalf("unexpected key %q", a.Key)
		}
		visible[i] = true
		got, err := readAll(b, a.Key)
		if err != nil {
			t.Errorf("%s: %v", a.Key, err)
			continue
		}
		if want := seeded(byte(seed+i), ackSize(i)); string(got) != string(want) {
			t.Errorf("%s holds %d bytes, not the %d its writer wrote", a.Key, len(got), len(want))
		}
	}
	for i := range acked {
		if !visible[i] {
			t.Errorf("acks/%d was acknowledged but is lost", i)
		}
	}
	t.Logf("%d acknowledged, %d visible", len(acked), len(visible))

	// A byte flipped on disk in a small (manifest-sized) and a large blob.
	for _, key := range []string{"acks/1", "acks/7"} {
		flip(t, b.Path(key), 100)
		_, err := readAll(b, key)
		var ce *blob.CorruptError
		if !errors.As(err, &ce) || ce.Key != key || ce.Path != b.Path(key) {
			t.Errorf("reading %s after a flipped byte = %v, want a *blob.CorruptError naming %s", key, err, b.Path(key))
		} else if !strings.Contains(err.Error(), b.Path(key)) || !strings.Contains(err.Error(), key) {
			t.Errorf("error %q names neither the file nor the key", err)
		}
	}

	// The bucket is usable after the kill.
	w, err := b.NewWriter(context.Background(), "after", &blob.WriterOptions{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("x"))
	if err := w.Close(); err != nil {
		t.Errorf("commit after the kill: %v", err)
	}
}

// overSize is the size of version V of the overwritten blob.
func overSize(v int) int { return 2000 + (v%5)*150_000 }

// childOverwrites overwrites the blob "over/k" with version 0, 1, 2, …
// until killed, printing "ok V" once each commit has returned.
func childOverwrites(ctx context.Context, b *fileblob.Bucket) error {
	for v := 0; ; v++ {
		data := seeded(byte(v), overSize(v))
		w, err := b.NewWriter(ctx, "over/k", &blob.WriterOptions{Overwrite: true, Metadata: map[string]string{"version": strconv.Itoa(v)}})
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		fmt.Println("ok", v)
	}
}

// TestKilledOverwriterLeavesOneWholeVersion kills a process overwriting
// one blob: afterwards the blob is one whole version, no older than the
// last acknowledged one, with that version's metadata, and exactly one
// attribute file remains once the directory is opened alone.
func TestKilledOverwriterLeavesOneWholeVersion(t *testing.T) {
	dir := t.TempDir()
	cmd, out := startChild(t, "over "+dir+" -")
	last := -1
	for last < 60 && out.Scan() {
		v, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "ok "))
		if err != nil {
			t.Fatalf("child: %q", out.Text())
		}
		last = v
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for out.Scan() {
		if v, err := strconv.Atoi(strings.TrimPrefix(out.Text(), "ok ")); err == nil {
			last = v
		}
	}
	_ = cmd.Wait()
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r, attrs, err := b.NewReader(context.Background(), "over/k")
	if err != nil {
		t.Fatalf("after the kill: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatalf("reading after the kill: %v", err)
	}
	v, err := strconv.Atoi(attrs.Metadata["version"])
	if err != nil || v < last || v > last+1 {
		t.Fatalf("version %q after the kill, want %d or %d", attrs.Metadata["version"], last, last+1)
	}
	if want := seeded(byte(v), overSize(v)); string(got) != string(want) {
		t.Errorf("content is not version %d whole (%d bytes, want %d)", v, len(got), len(want))
	}
	if n := len(attrFiles(t, dir)); n != 1 {
		t.Errorf("%d attribute files after a lone Open, want 1", n)
	}
}
