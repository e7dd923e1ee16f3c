// Package series checks a dump series end to end: a capture policy asks
// for 3 dumps 10 s apart; ingest, worker and analyzer run in this process
// on the in-memory queue and blob backends against the Kudu simulator,
// whose app w3wp is "hung" (Script.Stuck: some threads keep their frame 0
// from dump to dump, the others move); the incident report must show one
// series naming exactly the threads that did not move.
package series

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/harness"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// fakeClock runs with the wall clock plus an offset; SleepUntil moves the
// offset instead of waiting, so the series takes milliseconds while the
// recorded capture times are 10 s apart.
type fakeClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *fakeClock) sleepUntil(ctx context.Context, until time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = max(c.off, time.Until(until))
	return ctx.Err()
}

// stuckThreads records what the simulator's script decided for each
// thread of the dumped w3wp.
type stuckThreads struct {
	mu    sync.Mutex
	stuck map[int]bool
}

func (s *stuckThreads) decide(app, instance string, pid, tid int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := (tid/4)%4 == 1 // about a quarter of the threads hang (ids are multiples of 4, as on Windows)
	if old, seen := s.stuck[tid]; seen && old != v {
		panic("the script changed its mind")
	}
	s.stuck[tid] = v
	return v
}

func (s *stuckThreads) split() (stuck, moved []uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tid, v := range s.stuck {
		if v {
			stuck = append(stuck, uint32(tid))
		} else {
			moved = append(moved, uint32(tid))
		}
	}
	slices.Sort(stuck)
	slices.Sort(moved)
	return stuck, moved
}

// report is the part of index.json this test reads.
type report struct {
	Counts struct {
		Captured int `json:"captured"`
		Analyzed int `json:"analyzed"`
	} `json:"counts"`
	Series []struct {
		ID              string `json:"id"`
		PID             int    `json:"pid"`
		Count           int    `json:"count"`
		IntervalSeconds int    `json:"interval_seconds"`
		Analyzed        int    `json:"analyzed"`
		Dumps           []struct {
			Index      int       `json:"index"`
			Outcome    string    `json:"outcome"`
			CapturedAt time.Time `json:"captured_at"`
			DurationMS int64     `json:"duration_ms"`
		} `json:"dumps"`
		PossiblyHung []struct {
			ThreadID uint32 `json:"thread_id"`
			Frame    string `json:"frame"`
		} `json:"possibly_hung"`
		Note string `json:"note"`
	} `json:"series"`
}

func TestHungProcessSeriesIsReportedWithItsUnmovedThreads(t *testing.T) {
	threads := &stuckThreads{stuck: map[int]bool{}}
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, Seed: 17, DumpWriteTime: 5 * time.Millisecond,
		Script: &sim.Script{Stuck: threads.decide}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p := harness.NewInProcess(t, srv.Info())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// ingest: a policy asking for a series of 3 dumps 10 s apart.
	incident := p.Alert(ctx, t, `{"production": true, "allow": {"subscriptions": ["`+p.Subscription()+`"]},
		"policies": [{"name": "hang", "action": "analyze", "series": {"count": 3, "interval_seconds": 10}}]}`,
		harness.MetricAlert{Rule: "Requests queued", SubscriptionID: p.Subscription(), RuleGroup: "rg-mon",
			AlertGUID: "5e1a7c3b-9d2f-4e8a-b6c4-1f3e5a7c9b2d", Targets: []string{p.Info.Apps[0].ResourceID}, FiredAt: time.Now()})
	// worker: the job takes the series on a fake clock.
	clock := &fakeClock{}
	p.Worker(ctx, t, worker.Config{Now: clock.now, SleepUntil: clock.sleepUntil}, 1)
	// analyzer: three DumpCaptured and one JobCompleted.
	p.Analyze(ctx, t, 4)

	var rep report
	if err := json.Unmarshal(p.Read(ctx, t, layout.ReportKey(incident, "json")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counts.Captured != 3 || rep.Counts.Analyzed != 3 {
		t.Fatalf("counts %+v, want 3 dumps captured and analyzed", rep.Counts)
	}
	if len(rep.Series) != 1 {
		t.Fatalf("%d series in the report, want 1", len(rep.Series))
	}
	s := rep.Series[0]
	if s.Count != 3 || s.IntervalSeconds != 10 || s.Analyzed != 3 || len(s.Dumps) != 3 {
		t.Fatalf("series %+v", s)
	}
	for i, d := range s.Dumps {
		if d.Index != i+1 || d.Outcome != "captured" {
			t.Fatalf("dump %d: %+v", i+1, d)
		}
		if i > 0 {
			// Start to start 10 s apart: the capture times differ by that
			// plus the difference of the dumps' durations.
			prev := s.Dumps[i-1]
			gap := d.CapturedAt.Sub(prev.CapturedAt) - time.Duration(d.DurationMS-prev.DurationMS)*time.Millisecond
			if gap < 10*time.Second-500*time.Millisecond || gap > 12*time.Second {
				t.Errorf("dump %d started %v after dump %d, want 10 s", i+1, gap, i)
			}
		}
	}

	stuck, moved := threads.split()
	if len(stuck) == 0 || len(moved) == 0 {
		t.Fatalf("%d stuck and %d moving threads: the simulated process needs both", len(stuck), len(moved))
	}
	var named []uint32
	for _, h := range s.PossiblyHung {
		named = append(named, h.ThreadID)
		if !strings.Contains(h.Frame, ".dll+0x") && !strings.Contains(h.Frame, ".exe+0x") {
			t.Errorf("thread %d: frame 0 %q is not module+offset", h.ThreadID, h.Frame)
		}
	}
	slices.Sort(named)
	if !slices.Equal(named, stuck) {
		t.Fatalf("report names threads %v as possibly hung, want exactly the stuck ones %v (moved: %v)", named, stuck, moved)
	}
	if !strings.Contains(s.Note, "idle") {
		t.Errorf("note %q does not warn that idle threads look hung too", s.Note)
	}

	// The Markdown and HTML forms name the same threads and no other.
	for _, format := range []string{"md", "html"} {
		out := string(p.Read(ctx, t, layout.ReportKey(incident, format)))
		section := out[strings.Index(out, "Dump series"):]
		section = section[:strings.Index(section, "Timeline")]
		if format == "md" && testing.Verbose() {
			t.Logf("%s", section)
		}
		for _, id := range stuck {
			if !strings.Contains(section, fmt.Sprintf("%d (%#x)", id, id)) {
				t.Errorf("%s report does not name stuck thread %d", format, id)
			}
		}
		for _, id := range moved {
			if strings.Contains(section, fmt.Sprintf("%d (%#x)", id, id)) {
				t.Errorf("%s report names thread %d, which moved", format, id)
			}
		}
	}
}
