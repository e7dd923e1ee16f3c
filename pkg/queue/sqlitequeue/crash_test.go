package sqlitequeue_test

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
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// TestSIGKILLedSettler kills a process that receives and completes a
// stream of messages, and checks that no completed message comes back and
// that every other one is still delivered: a settlement is either done or
// not, and nothing acknowledged is lost.
func TestSIGKILLedSettler(t *testing.T) {
	const n = 200
	dir := t.TempDir()
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	for i := range n {
		if err := q.Send(ctx, queue.Message{ID: "m-" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	cmd, out := startChild(t, "settle", dir, 0)
	var lines []string
	for len(lines) < 30 && out.Scan() {
		lines = append(lines, out.Text())
	}
	lines = append(lines, kill9Lines(t, cmd, out)...)
	if len(lines) < 30 {
		t.Fatalf("child completed only %d messages", len(lines))
	}
	completed := map[string]bool{}
	for _, l := range lines {
		completed[strings.TrimPrefix(l, "completed ")] = true
	}
	if err := q.Verify(ctx); err != nil {
		t.Fatalf("queue file after kill -9: %v", err)
	}
	got := drain(t, q, 2*childOpts.LockDuration)
	missing := 0
	for i := range n {
		id := "m-" + strconv.Itoa(i)
		switch {
		case completed[id] && len(got[id]) > 0:
			t.Errorf("%s was completed, then delivered again %v", id, got[id])
		case !completed[id] && len(got[id]) == 0:
			missing++ // completed by the child, killed before it said so
		case len(got[id]) > 1:
			t.Errorf("%s delivered %d times after the kill", id, len(got[id]))
		}
	}
	// Only a Complete in flight at the kill (one batch of 5) may have
	// been committed without being reported.
	if missing > 5 {
		t.Errorf("%d messages neither reported completed nor delivered again", missing)
	}
	t.Logf("child completed %d (+%d unreported) of %d before SIGKILL", len(completed), missing, n)
}

// TestFlippedByteInLastMessageInLog: a producer is killed after its
// sends were acknowledged, so the last ones are only in the write-ahead
// log; one byte of the last message there is flipped. SQLite would drop
// that committed transaction silently when it rebuilds the log's index;
// Open must refuse the file instead, naming it, and the documented way to
// accept the loss must keep every other message.
func TestFlippedByteInLastMessageInLog(t *testing.T) {
	const n = 30
	dir := t.TempDir()
	cmd, out := startChild(t, "produce", dir, n, envHold+"=1")
	acked := 0
	for acked < n && out.Scan() {
		acked++
	}
	kill9(t, cmd, out)
	if acked != n {
		t.Fatalf("child acknowledged %d of %d sends", acked, n)
	}
	path := dir + "/captures.sqlite"
	last := "p-" + strconv.Itoa(n-1)
	if !flipLast(t, path+"-wal", bodyOf(last)) {
		t.Fatalf("the last message is not in the write-ahead log")
	}
	_, err := sqlitequeue.Open(dir, "captures", childOpts)
	var werr *sqlitequeue.WALError
	if !errors.As(err, &werr) || !errors.Is(err, sqlitequeue.ErrCorrupt) {
		t.Fatalf("Open after a damaged committed log frame: err = %v, want a *WALError", err)
	}
	if !strings.Contains(err.Error(), path+"-wal") || werr.Committed != 1 {
		t.Errorf("error does not name the log or miscounts the transactions (%d): %v", werr.Committed, err)
	}
	t.Log(err)

	// The operator accepts the loss, as docs/operations.md says:
	// sqlite3 FILE 'PRAGMA wal_checkpoint(TRUNCATE)'.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		t.Fatalf("Open after the checkpoint: %v", err)
	}
	defer q.Close()
	if err := q.Verify(context.Background()); err != nil {
		t.Fatalf("after the checkpoint: %v", err)
	}
	got := drain(t, q, 2*time.Second)
	for i := range n - 1 {
		if id := "p-" + strconv.Itoa(i); len(got[id]) != 1 {
			t.Errorf("%s delivered %v times, want once", id, got[id])
		}
	}
	if len(got[last]) != 0 {
		t.Errorf("the damaged message %s was delivered", last)
	}
}

// TestFlippedByteInLastMessageInFile: the producer exits cleanly (its
// log is checkpointed into the database file), then one byte of the last
// message's body in the file is flipped. SQLite reads the row without
// complaint; the row's checksum must catch it: the message is never
// delivered, Receive reports it by file, row and ID, it is dead-lettered
// with its bytes, and every other message is delivered intact.
func TestFlippedByteInLastMessageInFile(t *testing.T) {
	const n = 30
	dir := t.TempDir()
	cmd, out := startChild(t, "produce", dir, n)
	acked := 0
	for out.Scan() {
		acked++
	}
	if err := cmd.Wait(); err != nil || acked != n {
		t.Fatalf("producer: %d of %d sends, %v", acked, n, err)
	}
	path := dir + "/captures.sqlite"
	if _, err := os.Stat(path + "-wal"); err == nil {
		if st, _ := os.Stat(path + "-wal"); st.Size() > 0 {
			t.Fatalf("log not checkpointed on close (%d bytes)", st.Size())
		}
	}
	last := "p-" + strconv.Itoa(n-1)
	if !flipLast(t, path, bodyOf(last)) {
		t.Fatalf("the last message is not in the database file")
	}
	q, err := sqlitequeue.Open(dir, "captures", childOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	got := map[string]string{}
	var reported []*sqlitequeue.CorruptMessageError
	for {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ms, err := q.Receive(rctx, 7)
		cancel()
		var cerr *sqlitequeue.CorruptMessageError
		if errors.As(err, &cerr) {
			reported = append(reported, cerr)
			t.Log(err)
			continue
		}
		if err != nil {
			break
		}
		for _, m := range ms {
			got[m.ID] = string(m.Body)
			if err := q.Complete(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range n - 1 {
		id := "p-" + strconv.Itoa(i)
		if got[id] != string(bodyOf(id)) {
			t.Errorf("%s delivered with body %q", id, got[id])
		}
	}
	if b, ok := got[last]; ok {
		t.Errorf("the damaged message was delivered, body %q", b)
	}
	if len(reported) != 1 || reported[0].ID != last || reported[0].File != path || !reported[0].DeadLettered {
		t.Fatalf("reported %+v, want one error for %s in %s", reported, last, path)
	}
	if msg := reported[0].Error(); !strings.Contains(msg, path) || !strings.Contains(msg, strconv.Quote(last)) {
		t.Errorf("error does not name the file and the message: %s", msg)
	}
	dls, err := q.DeadLetters(ctx, 10)
	if err != nil || len(dls) != 1 {
		t.Fatalf("DeadLetters = %v, %v", dls, err)
	}
	if dls[0].ID != last || dls[0].Reason != sqlitequeue.ReasonCorruptMessage || len(dls[0].Body) != len(bodyOf(last)) {
		t.Errorf("dead letter %s %q, body %q", dls[0].ID, dls[0].Reason, dls[0].Body)
	}
	if err := q.Resubmit(ctx, last); !errors.Is(err, sqlitequeue.ErrCorrupt) {
		t.Errorf("Resubmit of the damaged message: %v, want ErrCorrupt", err)
	}
	if err := q.Verify(ctx); !errors.Is(err, sqlitequeue.ErrCorrupt) {
		t.Errorf("Verify: %v, want the damaged dead letter reported", err)
	}
}

// flipLast inverts one byte inside the last occurrence of pattern in the
// file, as a bad sector or a stray write would, and reports whether the
// pattern was there.
func flipLast(t *testing.T, file string, pattern []byte) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(b, pattern)
	if i < 0 {
		return false
	}
	at := int64(i + len(pattern) - 5)
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte{b[at] ^ 0x01}, at); err != nil {
		t.Fatal(err)
	}
	return true
}
