package filequeue

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// A queue file written by an earlier version (bbolt) is converted when
// opened: its pending message is delivered, its sequence continues, and
// its duplicate history still drops a resent ID.
func TestBboltQueueFileIsMigrated(t *testing.T) {
	dir := t.TempDir()
	old, err := bolt.Open(filepath.Join(dir, "q.queue"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixNano()
	err = old.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		msgs := tx.Bucket(bucketMsgs)
		if err := msgs.SetSequence(7); err != nil {
			return err
		}
		rec := &record{ID: "old", Body: []byte("pending before the upgrade"), EnqueuedAt: now, VisibleAt: now}
		if err := msgs.Put(u64(7), rec.encode()); err != nil {
			return err
		}
		if err := tx.Bucket(bucketReady).Put(readyKey(now, 7), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bucketIDs).Put([]byte("old"), u64(uint64(now))); err != nil {
			return err
		}
		return tx.Bucket(bucketIDTime).Put(idTimeKey(now, "old"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	q, err := Open(dir, "q", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	if err := q.Send(ctx, queue.Message{ID: "old", Body: []byte("resent")}); err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, queue.Message{ID: "new"}); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ms, err := q.Receive(rctx, 10)
	if err != nil || len(ms) != 2 {
		t.Fatalf("Receive = %d messages, %v; want the migrated one and the new one", len(ms), err)
	}
	if ms[0].ID != "old" || string(ms[0].Body) != "pending before the upgrade" || ms[1].ID != "new" {
		t.Errorf("received %s %q, %s", ms[0].ID, ms[0].Body, ms[1].ID)
	}
	if seq, _ := parseLockToken(ms[1].LockToken); seq != 8 {
		t.Errorf("new message has sequence %d, want 8 (after the migrated 7)", seq)
	}
	if _, err := os.Stat(filepath.Join(dir, "q.queue.bbolt")); err != nil {
		t.Errorf("original file not kept: %v", err)
	}
}
