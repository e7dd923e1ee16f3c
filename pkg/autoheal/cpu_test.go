package autoheal

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/policy"
)

// fakeCPU is a CPUReader whose processes run at scripted rates: each
// instance has processes whose CPU time grows by rate × cores × elapsed
// between polls, so a test states percentages directly.
type fakeCPU struct {
	mu    sync.Mutex
	cores int
	inst  map[string][]*fakeProc // instance → processes
	fail  map[string]bool
}

type fakeProc struct {
	pid     int
	name    string
	start   time.Time
	percent float64 // current CPU percent of the instance
	cpu     time.Duration
	scm     bool
	webjob  bool
}

func (f *fakeCPU) Instances(context.Context, string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id := range f.inst {
		ids = append(ids, id)
	}
	return ids, nil
}

func (f *fakeCPU) CPUProcesses(_ context.Context, _, instance string, want func(string) bool) ([]CPUSample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[instance] {
		return nil, errors.New("kudu: 502 from the front end")
	}
	var out []CPUSample
	for _, p := range f.inst[instance] {
		if want(p.name) {
			out = append(out, CPUSample{PID: p.pid, Process: p.name, Start: p.start, TotalCPU: p.cpu, Cores: f.cores,
				SCM: p.scm, WebJob: p.webjob, MachineName: "RD" + strings.ToUpper(instance)})
		}
	}
	return out, nil
}

// advance moves every process's CPU time on by d of wall time at its rate.
func (f *fakeCPU) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ps := range f.inst {
		for _, p := range ps {
			p.cpu += time.Duration(p.percent / 100 * float64(f.cores) * float64(d))
		}
	}
}

func (f *fakeCPU) set(instance string, pid int, percent float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.inst[instance] {
		if p.pid == pid {
			p.percent = percent
		}
	}
}

type cpuHarness struct {
	t      *testing.T
	now    time.Time
	src    *fakeCPU
	watch  *CPUWatch
	fired  []Firing
	polled bool
}

func newCPUHarness(t *testing.T, r CPURule, src *fakeCPU, st policy.Store) *cpuHarness {
	t.Helper()
	if r.Name == "" {
		r.Name = "cpu"
	}
	if r.Mode == "" {
		r.Mode = CPUModeCollect
	}
	if len(r.Sites) == 0 {
		r.Sites = []string{"/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/a"}
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &cpuHarness{t: t, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), src: src}
	var mu sync.Mutex
	h.watch = &CPUWatch{Rule: r, Reader: src, State: st, Now: func() time.Time { return h.now },
		Act: func(_ context.Context, f Firing) error {
			mu.Lock()
			defer mu.Unlock()
			h.fired = append(h.fired, f)
			return nil
		}}
	return h
}

// polls takes n samples, MonitorDuration apart, and returns the firings.
func (h *cpuHarness) polls(n int) []Firing {
	h.t.Helper()
	every := time.Duration(h.watch.Rule.MonitorDuration) * time.Second
	before := len(h.fired)
	for i := 0; i < n; i++ {
		// The wall time and CPU time of the interval before each poll
		// (but the first) pass at the rates set now.
		if h.polled {
			h.now = h.now.Add(every)
			h.src.advance(every)
		}
		h.polled = true
		h.watch.Poll(context.Background())
	}
	return h.fired[before:]
}

func oneProc(percent float64) *fakeCPU {
	return &fakeCPU{cores: 2, inst: map[string][]*fakeProc{"i1": {{pid: 100, name: "w3wp", percent: percent,
		start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}}}}
}

// cpuBase is 80 % for 15 s sampled every 5 s: three high samples after the
// baseline.
var cpuBase = CPURule{CpuThreshold: 80, ThresholdSeconds: 15, MonitorDuration: 5}

func TestCPUExactlyAtThresholdFires(t *testing.T) {
	h := newCPUHarness(t, cpuBase, oneProc(80), nil)
	// Poll 1 sets the baseline; polls 2-4 are three samples at exactly
	// 80 %: 3 × 5 s = 15 s = thresholdSeconds.
	if got := h.polls(3); len(got) != 0 {
		t.Fatalf("fired after two high samples: %+v", got)
	}
	got := h.polls(1)
	if len(got) != 1 || got[0].PID != 100 || got[0].Trigger != "cpu" || got[0].MachineName != "RDI1" {
		t.Fatalf("want one firing on pid 100 at the third sample at exactly the threshold, got %+v", got)
	}
	if !strings.Contains(got[0].Reason, "80.0 %") || !strings.Contains(got[0].Reason, "15 s") {
		t.Errorf("reason %q does not give the figures", got[0].Reason)
	}
	// The run restarts after an action: three more samples to the next.
	if got := h.polls(2); len(got) != 0 {
		t.Fatalf("fired again before a new run covered thresholdSeconds: %+v", got)
	}
	if got := h.polls(1); len(got) != 1 {
		t.Fatalf("want the second action after a new full run, got %d", len(got))
	}
}

func TestCPUJustBelowThresholdNeverCounts(t *testing.T) {
	h := newCPUHarness(t, cpuBase, oneProc(79.9), nil)
	if got := h.polls(20); len(got) != 0 {
		t.Fatalf("79.9 %% against an 80 %% threshold fired: %+v", got)
	}
}

func TestCPUOneSampleShort(t *testing.T) {
	r := cpuBase
	r.ThresholdSeconds = 16 // 3 samples cover 15 s: one short; the 4th covers 20 s
	h := newCPUHarness(t, r, oneProc(95), nil)
	if got := h.polls(4); len(got) != 0 {
		t.Fatalf("fired at 15 s covered against thresholdSeconds 16: %+v", got)
	}
	if got := h.polls(1); len(got) != 1 {
		t.Fatalf("want a firing at the 4th high sample (20 s), got %d", len(got))
	}
}

func TestCPUDipRestartsTheRun(t *testing.T) {
	src := oneProc(95)
	h := newCPUHarness(t, cpuBase, src, nil)
	h.polls(3) // baseline + 2 high samples
	src.set("i1", 100, 10)
	if got := h.polls(1); len(got) != 0 { // the dip
		t.Fatalf("fired on a low sample: %+v", got)
	}
	src.set("i1", 100, 95)
	if got := h.polls(2); len(got) != 0 {
		t.Fatalf("the run did not restart after the dip (fired after 2+2 high samples): %+v", got)
	}
	if got := h.polls(1); len(got) != 1 {
		t.Fatalf("want a firing at the third high sample after the dip, got %d", len(got))
	}
}

func TestCPUNewPIDStartsOver(t *testing.T) {
	src := oneProc(95)
	h := newCPUHarness(t, cpuBase, src, nil)
	h.polls(3) // baseline + 2 high samples of pid 100
	// The worker recycles: pid 100 is gone, pid 200 spins.
	src.mu.Lock()
	src.inst["i1"] = []*fakeProc{{pid: 200, name: "w3wp", percent: 95, cpu: 0}}
	src.mu.Unlock()
	if got := h.polls(3); len(got) != 0 { // baseline of 200 + 2 high
		t.Fatalf("a new pid inherited the old pid's run: %+v", got)
	}
	got := h.polls(1)
	if len(got) != 1 || got[0].PID != 200 {
		t.Fatalf("want pid 200 after its own full run, got %+v", got)
	}
}

func TestCPUMaxActionsAcrossInstances(t *testing.T) {
	src := &fakeCPU{cores: 2, inst: map[string][]*fakeProc{
		"i1": {{pid: 100, name: "w3wp", percent: 95}},
		"i2": {{pid: 300, name: "w3wp", percent: 95}},
	}}
	r := cpuBase
	r.MaxActions = 3
	st := policy.NewMemStore()
	h := newCPUHarness(t, r, src, st)
	got := h.polls(40)
	if len(got) != 3 {
		t.Fatalf("want exactly maxActions=3 actions across both instances, got %d", len(got))
	}
	per := map[string]int{}
	for _, f := range got {
		per[f.Instance]++
	}
	if per["RDI1"] == 0 || per["RDI2"] == 0 {
		t.Errorf("both instances spin; want actions on both, got %v", per)
	}
	// A second watch on the same store (a replica, or ingest after a
	// restart) sees the count and acts no more.
	h2 := newCPUHarness(t, r, src, st)
	if got := h2.polls(20); len(got) != 0 {
		t.Fatalf("a replica sharing the state acted beyond maxActions: %d", len(got))
	}
}

func TestCPUWarmupHoldsBackYoungProcesses(t *testing.T) {
	r := cpuBase
	r.ProcessWarmupTime = TimeSpan(time.Minute)
	src := oneProc(95)
	h := newCPUHarness(t, r, src, nil)
	src.inst["i1"][0].start = h.now.Add(-30 * time.Second) // 30 s old at the first poll
	got := h.polls(4)                                      // due at 45 s of age: held back
	if len(got) != 0 {
		t.Fatalf("acted on a process younger than processWarmupTime: %+v", got)
	}
	// At 60 s of age exactly it is still within warm-up ("has crossed"
	// means older than); the next due run is at 60 s, the one after at 75 s.
	if got := h.polls(3); len(got) != 0 {
		t.Fatalf("acted at exactly processWarmupTime: %+v", got)
	}
	if got := h.polls(3); len(got) != 1 {
		t.Fatalf("want an action once the process is older than processWarmupTime, got %d", len(got))
	}
}

func TestCPUSessionEndsAfterMaximumNumberOfHours(t *testing.T) {
	r := cpuBase
	r.MaximumNumberOfHours = 1
	// The session starts at the first poll. After a jump of the clock the
	// first interval reads low (its CPU grew for 5 s of a long wall time),
	// then three high samples make an action due 15 s later.
	for _, c := range []struct {
		jump time.Duration
		want int
	}{
		{time.Hour - 25*time.Second, 1}, // due 5 s before the end
		{time.Hour - 20*time.Second, 0}, // due exactly at the end
	} {
		h := newCPUHarness(t, r, oneProc(95), nil)
		h.polls(1)
		h.now = h.now.Add(c.jump)
		if got := h.polls(4); len(got) != c.want {
			t.Errorf("jump %v: want %d actions, got %d", c.jump, c.want, len(got))
		}
	}
}

func TestCPUSkipsKuduUnlessAsked(t *testing.T) {
	src := &fakeCPU{cores: 1, inst: map[string][]*fakeProc{"i1": {
		{pid: 1, name: "w3wp", percent: 99, scm: true},
		{pid: 2, name: "dotnet", percent: 99, webjob: true},
		{pid: 3, name: "procdump64", percent: 99},
	}}}
	h := newCPUHarness(t, cpuBase, src, nil)
	if got := h.polls(10); len(got) != 0 {
		t.Fatalf("acted on Kudu, a WebJob or a DaaS tool: %+v", got)
	}
	r := cpuBase
	r.MonitorScmProcesses = true
	r.Name = "cpu-scm"
	h = newCPUHarness(t, r, src, nil)
	got := h.polls(4)
	if len(got) != 1 || got[0].PID != 2 {
		t.Fatalf("with monitorScmProcesses want the WebJob only (never Kudu's w3wp), got %+v", got)
	}
}

func TestCPUFailedReadKeepsTheRun(t *testing.T) {
	src := oneProc(95)
	h := newCPUHarness(t, cpuBase, src, nil)
	h.polls(3) // baseline + 2 high
	src.fail = map[string]bool{"i1": true}
	h.polls(1) // skipped
	src.fail = nil
	if got := h.polls(1); len(got) != 1 {
		t.Fatalf("a failed read broke the run: want the third high sample to fire, got %d", len(got))
	}
}

func TestCPUPercent(t *testing.T) {
	for _, c := range []struct {
		cpu, wall time.Duration
		cores     int
		want      float64
	}{
		{8 * time.Second, 5 * time.Second, 2, 80},
		{5 * time.Second, 5 * time.Second, 1, 100},
		{-time.Second, 5 * time.Second, 2, 0},
		{time.Second, 0, 2, 0},
		{time.Second, time.Second, 0, 100}, // unknown cores count as one
	} {
		if got := cpuPercent(c.cpu, c.wall, c.cores); got != c.want {
			t.Errorf("cpuPercent(%v, %v, %d) = %v, want %v", c.cpu, c.wall, c.cores, got, c.want)
		}
	}
}

func TestCPURuleLimitsNameTheField(t *testing.T) {
	ok := CPURule{Name: "c", Mode: CPUModeCollect, CpuThreshold: 50, ThresholdSeconds: 15, MonitorDuration: 5, MaxActions: 20}
	if err := ok.Validate(); err != nil {
		t.Fatalf("DaaS's limits exactly are accepted: %v", err)
	}
	for _, c := range []struct {
		edit  func(*CPURule)
		field string
	}{
		{func(r *CPURule) { r.CpuThreshold = 49 }, "cpuThreshold"},
		{func(r *CPURule) { r.MaxActions = 21 }, "maxActions"},
		{func(r *CPURule) { r.MonitorDuration = 4 }, "monitorDuration"},
		{func(r *CPURule) { r.ThresholdSeconds = 14 }, "thresholdSeconds"},
		{func(r *CPURule) { r.MaximumNumberOfHours = 8761 }, "maximumNumberOfHours"},
		{func(r *CPURule) { r.Mode = "Dump" }, "mode"},
		{func(r *CPURule) { r.DumpType = "huge" }, "dump_type"},
	} {
		r := ok
		c.edit(&r)
		err := r.Validate()
		var ie *ImportError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("want an error naming %s, got %v", c.field, err)
		}
	}
	_, err := ParseFile([]byte(`{"rules":[],"cpuRules":[{"name":"hot","sites":["/s"],"mode":"Collect","cpuThreshold":40,"thresholdSeconds":30,"monitorDuration":10}]}`))
	if err == nil || !strings.Contains(err.Error(), "cpuRules[0] (hot)") || !strings.Contains(err.Error(), "cpuThreshold") {
		t.Errorf("rules file error must name the rule and the field, got %v", err)
	}
}

func TestCPUModesMapToActions(t *testing.T) {
	for _, c := range []struct {
		mode    string
		kind    string
		dump    string
		analyze bool
	}{
		{CPUModeCollect, ActionCollect, "full", false},
		{CPUModeCollectAndKill, ActionCollectKill, "full", false},
		{CPUModeCollectKillAndAnalyze, ActionCollectKill, "full", true},
		{CPUModeKill, ActionCollectKill, "mini", false},
	} {
		r := CPURule{Mode: c.mode}
		a, an := r.Action()
		if a.Kind != c.kind || a.DumpType != c.dump || an != c.analyze {
			t.Errorf("%s: got %+v analyze=%v", c.mode, a, an)
		}
		f := Firing{Action: a, NoAnalyze: !an, PID: 7, MachineName: "RD1"}
		_, ma, sel, ok := f.Capture()
		if !ok || ma.Analyze != c.analyze || ma.Kill != (c.kind == ActionCollectKill) || len(sel.PIDs) != 1 || sel.PIDs[0] != 7 {
			t.Errorf("%s: capture %+v %+v %v", c.mode, ma, sel, ok)
		}
	}
}

// TestCPUReplicasActOncePerRun: two ingest replicas run the same CPU rule
// on one store, sampling the same process out of phase; each run of high
// samples makes one action, not one per replica.
func TestCPUReplicasActOncePerRun(t *testing.T) {
	src := oneProc(95)
	st := policy.NewMemStore()
	r := cpuBase
	a := newCPUHarness(t, r, src, st)
	b := newCPUHarness(t, r, src, st)
	// b samples 2 s after a; both read the same CPU counter.
	fired := 0
	for i := 0; i < 13; i++ { // a: baseline + 12 samples = 4 runs
		a.now = a.now.Add(time.Duration(min(i, 1)) * 5 * time.Second)
		b.now = a.now.Add(2 * time.Second)
		a.watch.Poll(context.Background())
		src.advance(2 * time.Second)
		b.watch.Poll(context.Background())
		src.advance(3 * time.Second)
	}
	fired = len(a.fired) + len(b.fired)
	if fired != 4 {
		t.Fatalf("two replicas made %d actions over 4 runs (a %d, b %d), want 4", fired, len(a.fired), len(b.fired))
	}
}
