package worker

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// ageKillState moves a site's stored kill budget state d into the past, as
// if d had passed on the storage's clock.
func ageKillState(t *testing.T, dir, site string, d time.Duration) {
	t.Helper()
	b := openBucket(t, dir)
	ctx := context.Background()
	key := KillStateKey(site)
	r, _, err := b.NewReader(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var st killState
	err = json.NewDecoder(r).Decode(&st)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := range st.Kills {
		st.Kills[i] = st.Kills[i].Add(-d)
	}
	if !st.CoolOffUntil.IsZero() {
		st.CoolOffUntil = st.CoolOffUntil.Add(-d)
	}
	data, _ := json.Marshal(st)
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// The attack of issue 22 point 7: kill budgets compared timestamps from
// each worker's own clock, so a worker whose clock ran 2 h ahead saw the
// other workers' kills as outside the 1 h window and killed again. Budgets
// now run on the storage's clock.
func TestKillBudgetUsesTheStoragesClock(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 3)
	b := newMemBucket()
	var mu sync.Mutex
	engine := func(skew time.Duration) *Engine {
		cfg := fastConfig()
		cfg.KillBudget = KillBudget{Max: 2, Window: time.Hour, CoolOff: 3 * time.Hour}
		cfg.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(skew) }
		return newTestEngine(t, k, b, &memPublisher{}, cfg)
	}
	ok, ahead := engine(0), engine(2*time.Hour)
	inst := k.instances["app"]
	kill := func(e *Engine, i int, incident string) *messages.Kill {
		job := testJob("app", messages.Action{Kill: true}, messages.Selector{Instances: []string{inst[i]}})
		job.IncidentID = incident
		job.JobID = messages.JobID(incident, job.Site)
		res, err := e.Capture(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		return res.Completed.Targets[0].Kill
	}
	for i, inc := range []string{"20260301t101500-0000000000000001", "20260301t101500-0000000000000002"} {
		if kl := kill(ok, i, inc); kl == nil || !kl.Done {
			t.Fatalf("kill %d within the budget: %+v", i, kl)
		}
	}
	if kl := kill(ahead, 2, "20260301t101500-0000000000000003"); kl == nil || kl.Done {
		t.Fatalf("a worker whose clock runs 2 h ahead killed a third time within the hour: %+v", kl)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.killCalls) != 2 {
		t.Fatalf("%d kills, budget 2 per hour", len(k.killCalls))
	}
}
