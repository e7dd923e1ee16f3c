package worker

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// The attack of issue 22 point 4: an alert rule named "High memory " (a
// trailing space). Its trigger_rule metadata was refused at commit, after
// Kudu had frozen each process and written its dump: 2 of 2 targets failed.
// Now the value is normalized first and both dumps are kept.
func TestRuleWithSurroundingSpacesStillKeepsTheDumps(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 2)
	b := newMemBucket()
	e := newTestEngine(t, k, b, &memPublisher{}, fastConfig())
	job := testJob("app", messages.Action{}, messages.Selector{})
	job.Trigger.Rule = " High memory "
	res, err := e.Capture(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Completed.Targets) != 2 {
		t.Fatalf("%d targets, want 2", len(res.Completed.Targets))
	}
	for _, tr := range res.Completed.Targets {
		if tr.Outcome != messages.OutcomeCaptured {
			t.Fatalf("target %d: %s (%s), want captured", tr.PID, tr.Outcome, tr.Reason)
		}
		_, attrs, err := b.Bucket.NewReader(context.Background(), tr.DumpKey)
		if err != nil {
			t.Fatal(err)
		}
		if got := attrs.Metadata[MetaTriggerRule]; got != "High memory" {
			t.Errorf("trigger_rule %q, want %q", got, "High memory")
		}
	}
}

// A dump that could not be stored is never asked of Kudu (docs/worker.md:
// no process is frozen for a dump that cannot be kept).
func TestUnkeepableDumpIsNotTaken(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 1)
	e := newTestEngine(t, k, newMemBucket(), &memPublisher{}, fastConfig())
	job := testJob("app", messages.Action{}, messages.Selector{})
	inst := k.instances["app"][0]
	tg := target{Instance: inst, Process: Process{PID: k.appPID("app", inst), Name: "w3wp"}}
	_, err := e.dumpLocked(context.Background(), job, messages.StrategyDirect, tg, "dumps//bad/key.dmp", slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "could not be stored") {
		t.Fatalf("err %v, want a refusal naming the storage rule", err)
	}
	if n := k.calls("app", inst, tg.PID); n != 0 {
		t.Fatalf("Kudu was asked %d times for a dump that could not be kept", n)
	}
}
