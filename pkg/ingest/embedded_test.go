package ingest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/policy"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// TestReplicasOnEmbeddedBackends runs two replicas on the real embedded
// backends (one fileblob directory, one sqlitequeue file): the same alert
// delivered to both makes one incident and one queued job, and a second
// alert within the cooldown is refused by the limit state they share.
func TestReplicasOnEmbeddedBackends(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var replicas []*Service
	for range 2 {
		b, err := fileblob.Open(dir + "/blobs")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		q, err := sqlitequeue.Open(dir+"/queue", "captures", sqlitequeue.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		pc, err := policy.Parse([]byte(testPolicies))
		if err != nil {
			t.Fatal(err)
		}
		auth, _ := NewTokenAuth(testToken)
		s, err := New(Config{Policies: pc, Queue: q, Bucket: b, Auth: auth, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, s)
	}
	body := []byte(commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/e1", "High memory", appID, "Fired"))
	type res struct {
		r   *AlertResult
		err error
	}
	out := make(chan res, 2)
	for _, s := range replicas {
		go func() {
			r, err := s.Alert(ctx, body, AlertOptions{})
			out <- res{r, err}
		}()
	}
	var ids []string
	for range 2 {
		r := <-out
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.r.Events[0].Accepted == nil {
			t.Fatalf("not accepted: %+v", r.r.Events[0])
		}
		ids = append(ids, r.r.Events[0].Accepted.IncidentID)
	}
	if ids[0] != ids[1] {
		t.Fatalf("incident ids %v", ids)
	}
	other := []byte(commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/e2", "High memory", appID, "Fired"))
	r, err := replicas[1].Alert(ctx, other, AlertOptions{})
	if err != nil || r.Events[0].Outcome != OutcomeSkipped || r.Events[0].Sites[0].Verdict.Limit != "cooldown" {
		t.Fatalf("second alert within cooldown: %+v, %v", r, err)
	}
	// Exactly one job was queued.
	q := replicas[0].cfg.Queue
	rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	msgs, err := q.Receive(rctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].ID != "job:"+ids[0]+".shop" {
		t.Fatalf("queued %d messages", len(msgs))
	}
	rctx2, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel2()
	if more, err := q.Receive(rctx2, 10); len(more) != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second job was queued: %d, %v", len(more), err)
	}
}
