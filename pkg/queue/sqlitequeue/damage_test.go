package sqlitequeue

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

func TestNotAQueueFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/junk.sqlite", []byte(strings.Repeat("not a queue file at all, just text\n", 200)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, "junk", Options{BusyTimeout: time.Second})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), dir+"/junk.sqlite") || !strings.Contains(err.Error(), ".recover") {
		t.Errorf("Open of a junk file: err = %v, want ErrCorrupt naming the file and the recovery", err)
	}
	t.Log(err)

	other, err := sql.Open("sqlite", "file:"+dir+"/other.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec("CREATE TABLE notes (text TEXT)"); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if _, err := Open(dir, "other", Options{}); err == nil || !strings.Contains(err.Error(), "not a dumpflow queue") {
		t.Errorf("Open of another application's database: %v", err)
	}
}

// TestBusyFile holds SQLite's write lock from another connection, as
// another process would, and checks that Send waits the busy timeout,
// fails with ErrBusy, and succeeds once the lock is released.
func TestBusyFile(t *testing.T) {
	q, err := Open(t.TempDir(), "q", Options{BusyTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	other, err := sql.Open("sqlite", dsn(q.Path(), 1000))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin() // BEGIN IMMEDIATE: takes the write lock
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = q.Send(context.Background(), queue.Message{ID: "a"})
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("Send on a locked file: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("gave up after %v, before the busy timeout", d)
	}
	t.Log(err)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := q.Send(context.Background(), queue.Message{ID: "b"}); err != nil {
		t.Fatalf("Send once the lock was released: %v", err)
	}
}

// TestVerifyWAL checks the log checker on a live log that was restarted
// (frames of the earlier generation remain after the new ones and are no
// damage), then with one flipped byte in a committed frame.
func TestVerifyWAL(t *testing.T) {
	q, err := Open(t.TempDir(), "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	for i := range 40 {
		if err := q.Send(ctx, queue.Message{ID: "a-" + strconv.Itoa(i), Body: []byte("first generation")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.file.db.Exec("PRAGMA wal_checkpoint(RESTART)"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := q.Send(ctx, queue.Message{ID: "b-" + strconv.Itoa(i), Body: []byte("second generation")}); err != nil {
			t.Fatal(err)
		}
	}
	wal, err := os.ReadFile(q.Path() + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(wal, []byte("first generation")) {
		t.Fatal("the restarted log holds no earlier frames; the test proves nothing")
	}
	if werr, err := verifyWAL(bytes.NewReader(wal), "q.sqlite-wal"); werr != nil || err != nil {
		t.Fatalf("sound log reported %v, %v", werr, err)
	}
	i := bytes.LastIndex(wal, []byte("second generation"))
	wal[i] ^= 0x20
	werr, err := verifyWAL(bytes.NewReader(wal), "q.sqlite-wal")
	if err != nil || werr == nil || werr.Committed < 1 {
		t.Fatalf("damaged log: %v, %v; want a WALError", werr, err)
	}
	t.Log(werr)
	// Cut short anywhere, a log never fails to parse or panics.
	for _, n := range []int{0, 10, 32, 100, len(wal) - 1} {
		if _, err := verifyWAL(bytes.NewReader(wal[:n]), "q.sqlite-wal"); err != nil {
			t.Errorf("log cut at %d: %v", n, err)
		}
	}
}

// FuzzVerifyWAL: any bytes as a log give a verdict, never a panic.
func FuzzVerifyWAL(f *testing.F) {
	hdr := []byte{0x37, 0x7f, 0x06, 0x82, 0, 0x2d, 0xe2, 0x18, 0, 0, 2, 0}
	f.Add(append(hdr, make([]byte, 20+24+512)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = verifyWAL(bytes.NewReader(b), "fuzz-wal")
	})
}

// TestFailedOpChangesNothing: an operation that fails halfway (here a
// resubmission whose insert breaks a constraint after its delete) leaves
// no trace, alone in its transaction or sharing it with others.
func TestFailedOpChangesNothing(t *testing.T) {
	q, err := Open(t.TempDir(), "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	if err := q.Send(ctx, queue.Message{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	half := func(b *batch) error {
		if _, err := b.tx.ExecContext(b.ctx, `DELETE FROM messages`); err != nil {
			return err
		}
		return errors.New("failed after its first change")
	}
	if err := q.file.do(ctx, half); err == nil {
		t.Fatal("failing op succeeded")
	}
	// The same inside a shared transaction.
	done := make(chan error, 2)
	q.file.ops <- &op{ctx: ctx, fn: half, done: done}
	q.file.ops <- &op{ctx: ctx, fn: func(b *batch) error { return nil }, done: done}
	<-done
	<-done
	var n int
	if err := q.file.db.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d messages left (%v), want the 1 sent", n, err)
	}
}
