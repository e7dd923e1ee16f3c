package autoheal

import (
	"strings"
	"testing"
	"time"
)

var (
	base = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	site = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/contoso"
)

func ts(s string) TimeSpan {
	v, err := ParseTimeSpan(s)
	if err != nil {
		panic(err)
	}
	return v
}

func evaluator(r Rule) *Evaluator {
	if r.Name == "" {
		r.Name = "r"
	}
	if r.Action.Kind == "" {
		r.Action = Action{Kind: ActionCollect, DumpType: "mini"}
	}
	// Limits out of the way unless a test sets them.
	if r.Limits == (Limits{}) {
		r.Limits = Limits{Cooldown: TimeSpan(time.Nanosecond), MaxActions: 1000, DailyCap: 1000}
	}
	return NewEvaluator(&File{Rules: []Rule{r}})
}

func oldProcess(e *Evaluator) {
	e.ObserveProcess(site, "i1", ProcessSample{At: base, PID: 100, Process: "w3wp", Start: base.Add(-time.Hour)})
}

func fired(fs []Firing) []string {
	var out []string
	for _, f := range fs {
		if f.Suppressed == "" {
			out = append(out, f.Trigger)
		}
	}
	return out
}

func TestWindowBoundaries(t *testing.T) {
	minute := ts("00:01:00")
	for _, tc := range []struct {
		name     string
		triggers ARMTriggers
		reqs     []Request
		at       time.Time
		want     string // trigger name, or "" for no firing
	}{
		{"requests exactly at threshold fires",
			ARMTriggers{Requests: &RequestsTrigger{Count: 3, TimeInterval: minute}},
			[]Request{{At: base.Add(10 * time.Second)}, {At: base.Add(20 * time.Second)}, {At: base.Add(30 * time.Second)}},
			base.Add(30 * time.Second), "requests"},
		{"one below threshold does not fire",
			ARMTriggers{Requests: &RequestsTrigger{Count: 4, TimeInterval: minute}},
			[]Request{{At: base.Add(10 * time.Second)}, {At: base.Add(20 * time.Second)}, {At: base.Add(30 * time.Second)}},
			base.Add(30 * time.Second), ""},
		{"event exactly interval ago is outside the window",
			ARMTriggers{Requests: &RequestsTrigger{Count: 2, TimeInterval: minute}},
			[]Request{{At: base}, {At: base.Add(30 * time.Second)}},
			base.Add(time.Minute), ""},
		{"event just inside the window counts",
			ARMTriggers{Requests: &RequestsTrigger{Count: 2, TimeInterval: minute}},
			[]Request{{At: base.Add(time.Nanosecond)}, {At: base.Add(30 * time.Second)}},
			base.Add(time.Minute), "requests"},
		{"aggregated counts add up",
			ARMTriggers{Requests: &RequestsTrigger{Count: 100, TimeInterval: minute}},
			[]Request{{At: base.Add(time.Second), Count: 60}, {At: base.Add(2 * time.Second), Count: 40}},
			base.Add(5 * time.Second), "requests"},
		{"status code with substatus any",
			ARMTriggers{StatusCodes: []StatusCodesTrigger{{Status: 503, Count: 2, TimeInterval: minute}}},
			[]Request{{At: base.Add(time.Second), Status: 503, SubStatus: 2}, {At: base.Add(2 * time.Second), Status: 503}},
			base.Add(3 * time.Second), "statusCodes[0]"},
		{"status code substatus must match when set",
			ARMTriggers{StatusCodes: []StatusCodesTrigger{{Status: 503, SubStatus: 2, Count: 2, TimeInterval: minute}}},
			[]Request{{At: base.Add(time.Second), Status: 503, SubStatus: 2}, {At: base.Add(2 * time.Second), Status: 503}},
			base.Add(3 * time.Second), ""},
		{"status range and path wildcard",
			ARMTriggers{StatusCodesRange: []StatusCodesRangeTrigger{{StatusCodes: "500-599", Path: "/api/*", Count: 2, TimeInterval: minute}}},
			[]Request{{At: base.Add(time.Second), Status: 500, Path: "/api/orders/1"}, {At: base.Add(2 * time.Second), Status: 599, Path: "/API/x"}, {At: base.Add(2 * time.Second), Status: 502, Path: "/health"}},
			base.Add(3 * time.Second), "statusCodesRange[0]"},
		{"status range excludes 600 and 499",
			ARMTriggers{StatusCodesRange: []StatusCodesRangeTrigger{{StatusCodes: "500-599", Count: 1, TimeInterval: minute}}},
			[]Request{{At: base.Add(time.Second), Status: 499}},
			base.Add(3 * time.Second), ""},
		{"slow request strictly longer than timeTaken",
			ARMTriggers{SlowRequests: &SlowRequestsTrigger{TimeTaken: ts("00:00:30"), Count: 2, TimeInterval: minute}},
			[]Request{{At: base.Add(time.Second), TimeTaken: 30 * time.Second}, {At: base.Add(2 * time.Second), TimeTaken: 31 * time.Second}},
			base.Add(3 * time.Second), ""},
		{"slow requests with path, second entry",
			ARMTriggers{SlowRequestsWithPath: []SlowRequestsTrigger{
				{Path: "/a", TimeTaken: ts("00:00:01"), Count: 5, TimeInterval: minute},
				{Path: "/b", TimeTaken: ts("00:00:01"), Count: 1, TimeInterval: minute}}},
			[]Request{{At: base.Add(time.Second), Path: "/b", TimeTaken: 2 * time.Second}},
			base.Add(3 * time.Second), "slowRequestsWithPath[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := evaluator(Rule{Triggers: tc.triggers})
			oldProcess(e)
			e.ObserveRequests(site, "i1", tc.reqs...)
			got := strings.Join(fired(e.Evaluate(tc.at)), ",")
			if got != tc.want {
				t.Fatalf("fired %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPrivateBytesAndWarmUp(t *testing.T) {
	r := Rule{Triggers: ARMTriggers{PrivateBytesInKB: 1000}, MinProcessExecutionTime: ts("00:10:00")}
	e := evaluator(r)
	start := base
	e.ObserveProcess(site, "i1", ProcessSample{At: base.Add(time.Minute), PID: 7, Start: start, PrivateBytes: 1000 * 1024})
	if got := fired(e.Evaluate(base.Add(time.Minute))); len(got) != 0 {
		t.Fatalf("exactly at threshold must not fire (it must exceed): %v", got)
	}
	e.ObserveProcess(site, "i1", ProcessSample{At: base.Add(2 * time.Minute), PID: 7, Start: start, PrivateBytes: 1001 * 1024})
	fs := e.Evaluate(base.Add(2 * time.Minute))
	if len(fs) != 1 || !strings.Contains(fs[0].Suppressed, "minProcessExecutionTime") {
		t.Fatalf("young process: %+v, want suppressed by warm-up", fs)
	}
	e.ObserveProcess(site, "i1", ProcessSample{At: base.Add(10 * time.Minute), PID: 7, Start: start, PrivateBytes: 1001 * 1024})
	if got := fired(e.Evaluate(base.Add(10 * time.Minute))); len(got) != 1 || got[0] != "privateBytesInKB" {
		t.Fatalf("at exactly the grace period: %v, want privateBytesInKB", got)
	}
}

func TestNewPIDResetsWindows(t *testing.T) {
	e := evaluator(Rule{Triggers: ARMTriggers{Requests: &RequestsTrigger{Count: 2, TimeInterval: ts("00:01:00")}}})
	oldProcess(e)
	e.ObserveRequests(site, "i1", Request{At: base.Add(time.Second)})
	e.ObserveProcess(site, "i1", ProcessSample{At: base.Add(2 * time.Second), PID: 200, Start: base.Add(-time.Hour)})
	e.ObserveRequests(site, "i1", Request{At: base.Add(3 * time.Second)})
	if got := fired(e.Evaluate(base.Add(4 * time.Second))); len(got) != 0 {
		t.Fatalf("requests of the old worker process counted: %v", got)
	}
}

func TestProactiveMemorySustained(t *testing.T) {
	limit := int64(4 << 30)
	e := NewEvaluator(&File{Proactive: &Proactive{Enabled: true, MemoryLimitBytes: limit, Action: Action{Kind: ActionCollect, DumpType: "full"}}})
	over := int64(float64(limit)*0.9) + 1
	for i, pb := range []int64{over, over, over} {
		e.ObserveProcess(site, "i1", ProcessSample{At: base.Add(time.Duration(i) * 15 * time.Second), PID: 1, Start: base.Add(-time.Hour), PrivateBytes: pb})
	}
	if got := fired(e.Evaluate(base.Add(30 * time.Second))); len(got) != 0 {
		t.Fatalf("30 s exactly is not more than 30 s: %v", got)
	}
	if got := fired(e.Evaluate(base.Add(31 * time.Second))); len(got) != 1 || got[0] != "proactive.memory" {
		t.Fatalf("after 31 s above 90%%: %v", got)
	}
	// A dip below the limit restarts the 30 s.
	e2 := NewEvaluator(&File{Proactive: &Proactive{Enabled: true, MemoryLimitBytes: limit, Action: Action{Kind: ActionLog}}})
	for i, pb := range []int64{over, 1, over, over} {
		e2.ObserveProcess(site, "i1", ProcessSample{At: base.Add(time.Duration(i) * 15 * time.Second), PID: 1, Start: base.Add(-time.Hour), PrivateBytes: pb})
	}
	if got := fired(e2.Evaluate(base.Add(60 * time.Second))); len(got) != 0 {
		t.Fatalf("run restarted at 30 s is 30 s old at 60 s: %v", got)
	}
}

func TestProactiveRequests(t *testing.T) {
	mk := func(start time.Time, slow, fast int) []string {
		e := NewEvaluator(&File{Proactive: &Proactive{Enabled: true, Action: Action{Kind: ActionLog}}})
		e.ObserveProcess(site, "i1", ProcessSample{At: base, PID: 1, Start: start})
		for i := 0; i < slow; i++ {
			e.ObserveRequests(site, "i1", Request{At: base.Add(time.Second), TimeTaken: 200 * time.Second})
		}
		for i := 0; i < fast; i++ {
			e.ObserveRequests(site, "i1", Request{At: base.Add(time.Second), TimeTaken: time.Second})
		}
		return fired(e.Evaluate(base.Add(2 * time.Second)))
	}
	old := base.Add(-time.Hour)
	if got := mk(old, 4, 1); len(got) != 1 {
		t.Fatalf("4 of 5 (80%%) slow must fire: %v", got)
	}
	if got := mk(old, 3, 1); len(got) != 0 {
		t.Fatalf("only 4 requests must not fire: %v", got)
	}
	if got := mk(old, 7, 3); len(got) != 0 {
		t.Fatalf("70%% must not fire: %v", got)
	}
	if got := mk(base.Add(-time.Minute), 5, 0); len(got) != 0 {
		t.Fatalf("during warm-up must not fire: %v", got)
	}
}

func TestFlapProtection(t *testing.T) {
	r := Rule{Triggers: ARMTriggers{PrivateBytesInKB: 1}, Limits: Limits{
		Cooldown: ts("00:05:00"), MaxActions: 2, Window: ts("01:00:00"), Disable: ts("03:00:00"), DailyCap: 100}}
	e := evaluator(r)
	sample := func(inst string, at time.Time) {
		e.ObserveProcess(site, inst, ProcessSample{At: at, PID: 5, Start: base.Add(-time.Hour), PrivateBytes: 10 << 20})
	}
	act := func(at time.Time) (acted []string, why []string) {
		for _, f := range e.Evaluate(at) {
			if f.Suppressed == "" {
				acted = append(acted, f.Instance)
			} else {
				why = append(why, f.Suppressed)
			}
		}
		return
	}
	sample("i1", base)
	sample("i2", base)
	if a, _ := act(base); len(a) != 2 {
		t.Fatalf("first evaluation acted on %v, want both instances", a)
	}
	if a, why := act(base.Add(time.Minute)); len(a) != 0 || !strings.Contains(why[0], "cooldown") {
		t.Fatalf("within cooldown acted on %v (%v)", a, why)
	}
	if a, why := act(base.Add(6 * time.Minute)); len(a) != 0 || !strings.Contains(why[0], "flap guard") {
		t.Fatalf("third action within the window acted on %v (%v)", a, why)
	}
	if a, why := act(base.Add(2 * time.Hour)); len(a) != 0 || !strings.Contains(why[0], "disabled") {
		t.Fatalf("while disabled acted on %v (%v)", a, why)
	}
	if a, _ := act(base.Add(6*time.Minute + 3*time.Hour)); len(a) != 2 {
		t.Fatalf("after the disable period acted on %v, want both", a)
	}
}

func TestDailyCap(t *testing.T) {
	r := Rule{Triggers: ARMTriggers{PrivateBytesInKB: 1}, Limits: Limits{Cooldown: ts("00:00:01"), MaxActions: 100, Window: ts("00:00:01"), DailyCap: 2}}
	e := evaluator(r)
	e.ObserveProcess(site, "i1", ProcessSample{At: base, PID: 5, Start: base.Add(-time.Hour), PrivateBytes: 10 << 20})
	n := 0
	for i := 0; i < 5; i++ {
		n += len(fired(e.Evaluate(base.Add(time.Duration(i) * time.Minute))))
	}
	if n != 2 {
		t.Fatalf("acted %d times in a day, cap 2", n)
	}
	if got := fired(e.Evaluate(base.Add(24 * time.Hour))); len(got) != 1 {
		t.Fatalf("next day: %v", got)
	}
}
