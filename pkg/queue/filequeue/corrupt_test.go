package filequeue

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/logdb"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// TestCorruptRecordIsDeadLettered damages a stored message and checks that
// Receive moves it aside (keeping its bytes) instead of failing forever.
func TestCorruptRecordIsDeadLettered(t *testing.T) {
	q, err := Open(t.TempDir(), "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	for _, id := range []string{"bad", "good"} {
		if err := q.Send(ctx, queue.Message{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	err = q.file.db.Update(ctx, func(tx *logdb.Tx) error {
		return tx.Bucket(bucketMsgs).Put(u64(1), []byte{recordVersion, 0xff})
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ms, err := q.Receive(rctx, 10)
	if err != nil || len(ms) != 1 || ms[0].ID != "good" {
		t.Fatalf("Receive = %v, %v; want only the good message", ms, err)
	}
	dls, err := q.DeadLetters(ctx, 10)
	if err != nil || len(dls) != 1 {
		t.Fatalf("DeadLetters = %v, %v", dls, err)
	}
	if dls[0].Reason != ReasonCorruptRecord || string(dls[0].Body) != "\x01\xff" {
		t.Errorf("dead letter %+v", dls[0])
	}
}

func TestNotAQueueFile(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(dir+"/junk.queue", []byte("not a queue file at all, just text")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "junk", Options{BusyTimeout: time.Second}); !errors.Is(err, logdb.ErrCorrupt) {
		t.Errorf("Open of a junk file: err = %v, want logdb.ErrCorrupt", err)
	} else {
		t.Log(err)
	}
}

func writeFile(name string, b []byte) error { return os.WriteFile(name, b, 0o600) }
