package worker

import (
	"context"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// The attack of issue 22 point 7: a worker SIGKILLed right after a kill
// left its job to be redelivered, and the redelivery dumped and killed the
// w3wp that had replaced the killed one. A kill is now recorded before it
// is sent; a redelivery neither dumps nor kills a process started after
// this job's kill on that instance, and never sends a recorded kill again.
func TestRedeliveredKillJobNeverKillsTheReplacement(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 1)
	b := newMemBucket()
	cfg := fastConfig()
	cfg.KillBudget.Max = 10
	job := testJob("app", messages.Action{Kill: true}, messages.Selector{})
	first := newTestEngine(t, k, b, &memPublisher{}, cfg)
	res, err := first.Capture(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if kl := res.Completed.Targets[0].Kill; kl == nil || !kl.Done || kl.NewPID == 0 {
		t.Fatalf("first delivery: kill %+v", kl)
	}
	// The worker dies here; another one gets the same job again.
	second := newTestEngine(t, k, b, &memPublisher{}, cfg)
	res, err = second.Capture(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Completed.Targets[0]
	if tr.Outcome != messages.OutcomeSkipped || !strings.Contains(tr.Reason, "earlier delivery of this job killed") {
		t.Fatalf("redelivery: %s (%s), want the replacement skipped", tr.Outcome, tr.Reason)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.killCalls) != 1 || len(k.dumpCalls) != 1 {
		t.Fatalf("kills %v, dumps %v; want one of each", k.killCalls, k.dumpCalls)
	}
}
