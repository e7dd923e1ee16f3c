package ingest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

const schedConfig = `{
  "allow": {"subscriptions": ["` + sub + `"]},
  "policies": [],
  "schedules": [{"name": "sweep", "cron": "@every 1s", "jitter": "200ms", "targets": {"apps": ["` + appID + `"]}, "action": "collect"}]
}`

// TestScheduleReplicasFireOnce runs two replicas on one bucket and queue:
// every slot makes one incident with one job.
func TestScheduleReplicasFireOnce(t *testing.T) {
	b, q := ingesttest.NewBucket(), ingesttest.NewQueue()
	auth, _ := NewTokenAuth(testToken)
	var replicas []*Service
	for range 2 {
		pc, err := policy.Parse([]byte(schedConfig))
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{Policies: pc, Queue: q, Bucket: b, Auth: auth, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	done := make(chan error, 2)
	for _, s := range replicas {
		go func() { done <- s.RunSchedules(ctx) }()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	msgs := q.Messages()
	manifests := 0
	for _, k := range b.Keys() {
		if len(k) > 10 && k[len(k)-13:] == "manifest.json" {
			manifests++
		}
	}
	if len(msgs) < 1 || len(msgs) != manifests {
		t.Fatalf("%d jobs for %d incidents, want one job per incident and at least one", len(msgs), manifests)
	}
	// Firing one slot again (a restart) is a duplicate.
	sc := &replicas[0].cfg.Policies.Schedules[0]
	slot := time.Now().Truncate(time.Second)
	a1, err := replicas[0].FireSchedule(context.Background(), sc, slot)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := replicas[1].FireSchedule(context.Background(), sc, slot)
	if err != nil || !a2.Duplicate || a2.IncidentID != a1.IncidentID {
		t.Fatalf("second fire: %+v, %v", a2, err)
	}
}

func TestJitter(t *testing.T) {
	slot := time.Date(2024, 1, 1, 3, 0, 0, 0, time.UTC)
	j := Jitter("nightly", slot, time.Minute)
	if j < 0 || j >= time.Minute || j != Jitter("nightly", slot, time.Minute) {
		t.Fatalf("jitter %v", j)
	}
	if Jitter("nightly", slot, 0) != 0 {
		t.Fatal("zero max must give zero jitter")
	}
}
