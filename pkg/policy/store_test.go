package policy

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
)

// TestBlobStoreSharedByReplicas runs two "replicas" (two BlobStores, each
// with its own in-process locks) on one bucket: within one cooldown exactly
// one reservation wins, and the state survives a "restart".
func TestBlobStoreSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	b := ingesttest.NewBucket()
	replicas := []*Limiter{NewLimiter(NewBlobStore(b)), NewLimiter(NewBlobStore(b))}
	lim := Limits{Cooldown: Duration(time.Hour)}
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := replicas[i%2].Reserve(ctx, "p", lim, "/subscriptions/s/app", string(rune('a'+i)), now)
			if err != nil {
				t.Error(err)
				return
			}
			if v.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 1 {
		t.Fatalf("%d reservations allowed, want 1", allowed)
	}
	restarted := NewLimiter(NewBlobStore(b))
	v, err := restarted.Check(ctx, "p", lim, "/subscriptions/s/APP", "z", now.Add(time.Minute))
	if err != nil || v.Limit != "cooldown" {
		t.Fatalf("after restart: %+v, %v", v, err)
	}
	if _, ok := b.Get(StateKey("p", "/subscriptions/s/app")); !ok {
		t.Error("no state blob under state/limits/")
	}
}
