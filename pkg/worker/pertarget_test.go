package worker

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// The attack of issue 22 point 6: 2,000 matching w3wp processes on one
// instance all became targets (DaaS dumps at most 5). By default at most 5
// are dumped per instance; the rest are reported as skipped, ten by name
// and the others in one summary entry.
func TestTargetsPerInstanceAreCapped(t *testing.T) {
	for _, tc := range []struct {
		name string
		cap  int
		want int
	}{{"default", 0, 5}, {"configured", 2, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			k := newFakeKudu()
			k.addSite("app", 1)
			inst := k.instances["app"][0]
			k.mu.Lock()
			m := k.procs["app/"+inst]
			for range 2000 {
				pid := k.pid()
				m[pid] = &Process{PID: pid, Name: "w3wp", MachineName: "M", Detailed: true, StartTime: time.Now().Add(-time.Hour)}
			}
			k.mu.Unlock()
			cfg := fastConfig()
			cfg.MaxTargetsPerInstance = tc.cap
			e := newTestEngine(t, k, newMemBucket(), &memPublisher{}, cfg)
			res, err := e.Capture(context.Background(), testJob("app", messages.Action{}, messages.Selector{Names: []string{"w3wp"}}))
			if err != nil {
				t.Fatal(err)
			}
			captured, skipped, summary := 0, 0, ""
			for _, tr := range res.Completed.Targets {
				switch {
				case tr.Outcome == messages.OutcomeCaptured:
					captured++
				case strings.Contains(tr.Reason, "per instance"):
					skipped++
					if tr.PID == 0 {
						summary = tr.Reason
					}
				}
			}
			if captured != tc.want {
				t.Fatalf("%d dumps on one instance, want %d", captured, tc.want)
			}
			if skipped != maxSkippedListed+1 || !strings.Contains(summary, "more matching processes") {
				t.Fatalf("%d skipped entries (summary %q), want %d by name and one summary", skipped, summary, maxSkippedListed)
			}
			k.mu.Lock()
			defer k.mu.Unlock()
			if n := len(k.dumpCalls); n != tc.want {
				t.Fatalf("Kudu asked for %d dumps", n)
			}
		})
	}
}

// Candidates filtered out only after their detail call (here webjobs) or
// compared with `largest` cost one Kudu request each: at most
// maxDetailsPerInstance per instance.
func TestDetailCallsPerInstanceAreBounded(t *testing.T) {
	k := newFakeKudu()
	k.addSite("app", 1)
	inst := k.instances["app"][0]
	k.mu.Lock()
	m := k.procs["app/"+inst]
	for range 500 {
		pid := k.pid()
		m[pid] = &Process{PID: pid, Name: "w3wp", MachineName: "M", Detailed: true, PrivateMemory: int64(pid), StartTime: time.Now().Add(-time.Hour)}
	}
	k.mu.Unlock()
	counting := &detailCounter{fakeKudu: k}
	e, err := New(counting, newMemBucket(), &memPublisher{}, nil, fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Capture(context.Background(), testJob("app", messages.Action{}, messages.Selector{Names: []string{"w3wp"}, Largest: true}))
	if err != nil {
		t.Fatal(err)
	}
	if n := counting.n.Load(); n > maxDetailsPerInstance+1 {
		t.Fatalf("%d detail calls on one instance", n)
	}
	captured := 0
	for _, tr := range res.Completed.Targets {
		if tr.Outcome == messages.OutcomeCaptured {
			captured++
		}
	}
	if captured != 1 {
		t.Fatalf("%d captured with largest, want 1", captured)
	}
}

type detailCounter struct {
	*fakeKudu
	n atomic.Int64
}

func (d *detailCounter) Process(ctx context.Context, site messages.Site, inst string, pid int) (Process, error) {
	d.n.Add(1)
	return d.fakeKudu.Process(ctx, site, inst, pid)
}
