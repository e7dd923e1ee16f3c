package report

import (
	"bytes"
	"encoding/json"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// thread is a thread whose frame 0 is at pc, inside ntdll.dll when pc is
// at or above 0x7ffd00000000.
func thread(id uint32, pc uint64, fn string) dumpfacts.Thread {
	f := dumpfacts.StackFrame{Address: dumpfacts.Hex(pc), Trust: dumpfacts.TrustContext}
	frame := f.Address.String()
	if pc >= 0x7ffd00000000 {
		f.Module, f.Offset = "ntdll.dll", dumpfacts.Hex(pc-0x7ffd00000000)
		frame = "ntdll.dll+" + f.Offset.String()
	}
	if fn != "" {
		f.Function, f.FunctionOffset = fn, 0x14
	}
	return dumpfacts.Thread{ID: id, Frames: []string{frame}, Stack: []dumpfacts.StackFrame{f}}
}

func analysis(ts ...dumpfacts.Thread) *dumpfacts.Analysis {
	return &dumpfacts.Analysis{Threads: ts, Dump: dumpfacts.Dump{Type: "mini"}}
}

// seriesIncident is an incident with one series of three dumps of pid
// 4120, 10 s apart, analyzed as given (nil: not analyzed yet).
func seriesIncident(as ...*dumpfacts.Analysis) (*messages.Manifest, []*messages.JobCompleted, []*DumpReport) {
	t0 := time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)
	inc := "20260304t101500-0123456789abcdef"
	site := messages.Site{ResourceID: "/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Web/sites/shop-web",
		SubscriptionID: "0000", ResourceGroup: "shop", Name: "shop-web"}
	series := &messages.Series{Count: 3, IntervalSeconds: 10}
	m := &messages.Manifest{Version: 1, IncidentID: inc, CreatedAt: t0,
		Trigger: messages.Trigger{Kind: "manual", Source: "oncall", FiredAt: t0},
		Action:  messages.Action{DumpType: messages.DumpMini, Analyze: true, Kill: true, Series: series},
		Jobs:    []messages.ManifestJob{{JobID: messages.JobID(inc, site), Site: site}}}
	jobID := messages.JobID(inc, site)
	id := messages.SeriesID(jobID, "inst-a", 4120)
	job := &messages.JobCompleted{IncidentID: inc, JobID: jobID, Site: site, StartedAt: t0, FinishedAt: t0.Add(25 * time.Second),
		Instances: []string{"inst-a"}}
	var dumps []*DumpReport
	for i := 1; i <= 3; i++ {
		ref := &messages.SeriesRef{ID: id, Index: i, Count: 3, IntervalSeconds: 10}
		key := layout.SeriesDumpKey(t0, inc, site.Segment(), "inst-a", "w3wp", 4120, i)
		tr := messages.TargetResult{Instance: "inst-a", MachineName: "RD0001", PID: 4120, Process: "w3wp", Outcome: messages.OutcomeCaptured,
			DumpKey: key, Bytes: 1 << 20, Attempts: 1, Series: ref}
		if i == 3 {
			tr.Kill = &messages.Kill{Done: true}
		}
		job.Targets = append(job.Targets, tr)
		if i > len(as) || as[i-1] == nil {
			continue
		}
		at := t0.Add(time.Duration(i-1) * 10 * time.Second)
		dumps = append(dumps, &DumpReport{Capture: &messages.DumpCaptured{IncidentID: inc, JobID: jobID, Site: site, Instance: "inst-a",
			MachineName: "RD0001", PID: 4120, Process: "w3wp", DumpType: messages.DumpMini, DumpKey: key, Bytes: 1 << 20,
			SHA256: strings.Repeat("ab", 32), Attempts: 1, DurationMS: int64(800 + 100*i), CapturedAt: at, Analyze: true, Series: ref},
			Analysis: as[i-1], AnalyzedAt: at.Add(time.Second)})
	}
	return m, []*messages.JobCompleted{job}, dumps
}

// hungSeries: threads 1 and 2 stay put, 3 moves, 4 is missing from the
// second dump, 5 moves and comes back (same in dumps 1 and 3 only).
func hungSeries() []*dumpfacts.Analysis {
	return []*dumpfacts.Analysis{
		analysis(thread(1, 0x7ffd0009f3a4, "NtWaitForSingleObject"), thread(2, 0x7ffd00011000, ""), thread(3, 0x7ffd00020000, ""),
			thread(4, 0x7ffd00030000, ""), thread(5, 0x7ffd00040000, "")),
		analysis(thread(2, 0x7ffd00011000, ""), thread(1, 0x7ffd0009f3a4, "NtWaitForSingleObject"), thread(3, 0x7ffd00020100, ""),
			thread(5, 0x7ffd00040800, "")),
		analysis(thread(1, 0x7ffd0009f3a4, "NtWaitForSingleObject"), thread(2, 0x7ffd00011000, ""), thread(3, 0x7ffd00020200, ""),
			thread(4, 0x7ffd00030000, ""), thread(5, 0x7ffd00040000, "")),
	}
}

func hungIDs(hs []HungThread) []uint32 {
	var ids []uint32
	for _, h := range hs {
		ids = append(ids, h.ThreadID)
	}
	return ids
}

func TestPossiblyHungNeedsTheSameFrame0InEveryDump(t *testing.T) {
	got := PossiblyHung(hungSeries())
	if ids := hungIDs(got); len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
		t.Fatalf("possibly hung %v, want threads 1 and 2 (3 and 5 moved, 4 is missing from dump 2)", ids)
	}
	if got[0].Frame != "ntdll.dll+0x9f3a4" || got[0].Function != "NtWaitForSingleObject + 0x14" || got[1].Frame != "ntdll.dll+0x11000" || got[1].Function != "" {
		t.Errorf("named %+v", got)
	}
	if got[0].SameFrame != 1 || got[1].SameFrame != 1 {
		t.Errorf("same_frame %d and %d, want 1 each", got[0].SameFrame, got[1].SameFrame)
	}
	// Two threads parked at one frame count each other.
	pool := hungSeries()
	for _, a := range pool {
		a.Threads = append(a.Threads, thread(6, 0x7ffd0009f3a4, "NtWaitForSingleObject"))
	}
	if got := PossiblyHung(pool); len(got) != 3 || got[0].SameFrame != 2 || got[1].SameFrame != 1 || got[2].SameFrame != 2 {
		t.Errorf("with a second thread at thread 1's frame: %+v", got)
	}
	// A thread missing from the first dump is not listed either.
	as := hungSeries()
	as[0].Threads = as[0].Threads[1:]
	if ids := hungIDs(PossiblyHung(as)); len(ids) != 1 || ids[0] != 2 {
		t.Errorf("possibly hung %v without thread 1 in dump 1, want [2]", ids)
	}
	// One dump compares nothing.
	if got := PossiblyHung(hungSeries()[:1]); len(got) != 0 {
		t.Errorf("one dump gave %v", got)
	}
	// A thread without frame 0 (its walk failed) is not listed.
	as = hungSeries()
	as[1].Threads[0].Stack = nil
	if ids := hungIDs(PossiblyHung(as)); len(ids) != 1 || ids[0] != 1 {
		t.Errorf("possibly hung %v with thread 2 unwalked in dump 2, want [1]", ids)
	}
}

func TestBuildGroupsASeries(t *testing.T) {
	inc := Build(seriesIncident(hungSeries()...))
	if len(inc.Series) != 1 {
		t.Fatalf("%d series, want 1", len(inc.Series))
	}
	s := inc.Series[0]
	if s.Count != 3 || s.IntervalSeconds != 10 || s.PID != 4120 || s.Analyzed != 3 || len(s.Dumps) != 3 {
		t.Fatalf("series %+v", s)
	}
	for i, d := range s.Dumps {
		if d.Index != i+1 || !d.Analyzed || d.CapturedAt == nil || d.AnalysisLink == "" || !strings.HasSuffix(d.AnalysisLink, "w3wp-4120."+string(rune('1'+i))+".json") {
			t.Errorf("dump %d: %+v", i+1, d)
		}
		if i > 0 && d.CapturedAt.Sub(*s.Dumps[i-1].CapturedAt) != 10*time.Second {
			t.Errorf("dump %d taken %v after the one before", i+1, d.CapturedAt.Sub(*s.Dumps[i-1].CapturedAt))
		}
	}
	if ids := hungIDs(s.PossiblyHung); len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
		t.Errorf("possibly hung %v", ids)
	}
	if !strings.Contains(s.Note, "idle thread") {
		t.Errorf("note %q does not say that idle threads look the same", s.Note)
	}
	// The rows stay one per dump, in series order, the kill on the last.
	if len(inc.Targets) != 3 || inc.Targets[2].Series.Index != 3 || !inc.Targets[2].Killed || inc.Counts.Captured != 3 {
		t.Errorf("targets %+v", inc.Targets)
	}
	// A render does not depend on the order stored state is read in.
	m, jobs, dumps := seriesIncident(hungSeries()...)
	rev := []*DumpReport{dumps[2], dumps[0], dumps[1]}
	var a, b bytes.Buffer
	if err := Build(m, jobs, dumps).Write(&a, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if err := Build(m, jobs, rev).Write(&b, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("dump order changes the series report")
	}
}

func TestSeriesWithOneAnalyzedDumpListsNothing(t *testing.T) {
	as := hungSeries()
	inc := Build(seriesIncident(as[0], nil, nil))
	s := inc.Series[0]
	if s.Analyzed != 1 || len(s.PossiblyHung) != 0 || len(s.Dumps) != 3 || !strings.Contains(s.Note, "at least two") {
		t.Fatalf("series %+v", s)
	}
	var md bytes.Buffer
	if err := inc.Write(&md, FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "Possibly hung") {
		t.Error("markdown lists possibly hung threads from one dump")
	}
}

func TestNoSeriesNoSection(t *testing.T) {
	inc := Build(Sample())
	if inc.Series != nil {
		t.Fatalf("series %+v in an incident without one", inc.Series)
	}
	var j bytes.Buffer
	if err := inc.Write(&j, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(j.String(), `"series"`) {
		t.Error("JSON carries a series field without a series")
	}
}

// The three forms show the series and name the unmoved threads only.
func TestSeriesGolden(t *testing.T) {
	inc := Build(seriesIncident(hungSeries()...))
	for _, f := range []string{FormatJSON, FormatMarkdown, FormatHTML} {
		var buf bytes.Buffer
		if err := inc.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		out := html.UnescapeString(buf.String()) // html/template writes '+' as &#43;
		for _, want := range []string{"ntdll.dll+0x9f3a4", "NtWaitForSingleObject", "ntdll.dll+0x11000"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q", f, want)
			}
		}
		for _, moved := range []string{"ntdll.dll+0x20", "ntdll.dll+0x30000", "ntdll.dll+0x40"} {
			if strings.Contains(out, moved) {
				t.Errorf("%s report names %q, a thread that moved or went missing", f, moved)
			}
		}
		golden(t, "incident_series."+f, buf.Bytes())
	}
	var doc struct {
		Series []struct {
			ID           string `json:"id"`
			PossiblyHung []struct {
				ThreadID uint32 `json:"thread_id"`
				Frame    string `json:"frame"`
			} `json:"possibly_hung"`
		} `json:"series"`
	}
	var buf bytes.Buffer
	_ = inc.Write(&buf, FormatJSON)
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Series) != 1 || len(doc.Series[0].PossiblyHung) != 2 || doc.Series[0].PossiblyHung[0].ThreadID != 1 {
		t.Fatalf("JSON series %+v (%v)", doc.Series, err)
	}
}
