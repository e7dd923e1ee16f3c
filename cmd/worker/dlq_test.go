package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

func TestDLQListAndResubmit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "q")
	ctx := context.Background()
	q, err := sqlitequeue.Open(dir, "captures", sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Send(ctx, queue.Message{ID: "job:x", Body: []byte(`{"type":"capture_job"}`)}); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	got, err := q.Receive(rctx, 1)
	cancel()
	if err != nil || len(got) != 1 {
		t.Fatalf("receive: %v %v", got, err)
	}
	if err := q.DeadLetter(ctx, got[0], "HandlerPermanentError", "app outside the allowlist"); err != nil {
		t.Fatal(err)
	}
	q.Close()

	url := backend.FileURL(dir)
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"dlq", "list", "--queue", url}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var v deadLetterView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if v.ID != "job:x" || v.Reason != "HandlerPermanentError" || v.Description != "app outside the allowlist" || string(v.Body) != `{"type":"capture_job"}` {
		t.Fatalf("listed %+v", v)
	}
	out.Reset()
	if err := run(ctx, []string{"dlq", "resubmit", "--queue", url, "job:x"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	q, err = sqlitequeue.Open(dir, "captures", sqlitequeue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	rctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	again, err := q.Receive(rctx, 1)
	if err != nil || len(again) != 1 || again[0].ID != "job:x" || again[0].DeliveryCount != 1 {
		t.Fatalf("after resubmit: %+v %v", again, err)
	}
	if err := run(ctx, []string{"dlq", "resubmit", "--queue", url, "job:nope"}, &out, &errOut); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("resubmit of an unknown id: %v", err)
	}
	if err := run(ctx, []string{"dlq", "resubmit", "--queue", url}, &out, &errOut); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "ids") {
		t.Fatalf("resubmit without ids: %v", err)
	}
}

// TestDLQReadOnly: listing dead letters of a queue that does not exist
// says so and creates nothing; dlq --help exits 0.
func TestDLQReadOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nothing-here")
	err := run(context.Background(), []string{"dlq", "list", "--queue", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no local queue at "+dir) {
		t.Fatalf("err = %v", err)
	}
	if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
		t.Fatalf("dlq list created %s", dir)
	}
	for _, args := range [][]string{{"dlq", "--help"}, {"dlq", "list", "--help"}} {
		if code := cli.ExitCode(run(context.Background(), args, io.Discard, io.Discard), io.Discard); code != 0 {
			t.Errorf("%v: exit %d, want 0", args, code)
		}
	}
}
