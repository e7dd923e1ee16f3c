package autoheal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

func hotEvaluator(st policy.Store) *Evaluator {
	e := NewEvaluator(&File{Rules: []Rule{{Name: "leak", Triggers: ARMTriggers{PrivateBytesInKB: 1000},
		Action: Action{Kind: ActionCollect, DumpType: "mini"}, Limits: Limits{Cooldown: ts("00:10:00"), DailyCap: 2}}}})
	e.KeepLimitsIn(st)
	for _, inst := range []string{"i1", "i2"} {
		e.ObserveProcess(site, inst, ProcessSample{At: base, PID: 7, Start: base.Add(-time.Hour), PrivateBytes: 2000 * 1024})
	}
	return e
}

// TestLimitStateSharedAndRestarted: the limits of one evaluator are seen
// by another on the same store (a replica, or ingest after a restart), in
// a real blob store: cooldown per instance, then the daily cap per site.
func TestLimitStateSharedAndRestarted(t *testing.T) {
	b, err := fileblob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a := hotEvaluator(policy.NewBlobStore(b))
	fs := a.Evaluate(base)
	if got := fired(fs); len(got) != 2 {
		t.Fatalf("first evaluation: %+v, want both instances acted on", fs)
	}
	// A second evaluator (restarted process) sees both cooldowns.
	r := hotEvaluator(policy.NewBlobStore(b))
	for _, f := range r.Evaluate(base.Add(5 * time.Minute)) {
		if !strings.Contains(f.Suppressed, "cooldown") {
			t.Fatalf("after a restart, within the cooldown: %+v, want suppressed by cooldown", f)
		}
	}
	// After the cooldown the daily cap of 2 (already spent) holds.
	for _, f := range r.Evaluate(base.Add(11 * time.Minute)) {
		if !strings.Contains(f.Suppressed, "daily cap") {
			t.Fatalf("after the cooldown: %+v, want suppressed by the daily cap spent before the restart", f)
		}
	}
	// Without the shared store a fresh evaluator would act: the test can fail.
	if got := fired(hotEvaluator(policy.NewMemStore()).Evaluate(base.Add(5 * time.Minute))); len(got) != 2 {
		t.Fatalf("control: fresh state should act, got %v", got)
	}
}

type failingStore struct{}

func (failingStore) Get(context.Context, string) ([]byte, error) { return nil, errors.New("blob: 503") }
func (failingStore) Update(context.Context, string, func([]byte) ([]byte, error)) error {
	return errors.New("blob: 503")
}

func TestLimitStateFailsClosed(t *testing.T) {
	fs := hotEvaluator(failingStore{}).Evaluate(base)
	if len(fs) != 2 {
		t.Fatalf("want two firings, got %+v", fs)
	}
	for _, f := range fs {
		if !strings.Contains(f.Suppressed, "limit state unavailable") || !strings.Contains(f.Suppressed, "503") {
			t.Fatalf("a failing store must hold the action back with the cause: %+v", f)
		}
	}
}
