package autoheal

import "testing"

func TestSourceNotes(t *testing.T) {
	f, err := ParseFile([]byte(`{"rules":[{"name":"r","triggers":{
		"privateBytesInKB":1000,
		"slowRequestsWithPath":[{"timeTaken":"00:00:10","path":"/api/*","count":5,"timeInterval":"00:01:00"}],
		"statusCodes":[{"status":500,"count":1,"timeInterval":"00:01:00"},{"status":503,"count":1,"timeInterval":"00:01:00"},
		               {"status":500,"subStatus":13,"count":1,"timeInterval":"00:01:00"}],
		"statusCodesRange":[{"statusCodes":"500-599","count":1,"timeInterval":"00:01:00"},{"statusCodes":"502-504","count":1,"timeInterval":"00:01:00"},
		                    {"statusCodes":"400-500","count":1,"timeInterval":"00:01:00"}]},
		"action":{"kind":"log"}}],
		"cpuRules":[{"name":"c","mode":"Collect","cpuThreshold":90,"thresholdSeconds":30,"monitorDuration":10}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		source string
		never  bool
	}{
		"privateBytesInKB":        {SourceMemoryWatch, false},
		"slowRequestsWithPath[0]": {SourceMetrics, true},
		"statusCodes[0]":          {SourceMetrics, false},
		"statusCodes[1]":          {SourceMetrics, true},
		"statusCodes[2]":          {SourceMetrics, true},
		"statusCodesRange[0]":     {SourceMetrics, false},
		"statusCodesRange[1]":     {SourceMetrics, true},
		"statusCodesRange[2]":     {SourceMetrics, false},
		"cpu":                     {SourceCPUWatch, false},
	}
	notes := f.SourceNotes()
	// Every request trigger is read from web server logs first, and falls
	// back to metrics: one more note each.
	if len(notes) != len(want)+7 {
		t.Fatalf("%d notes, want %d: %+v", len(notes), len(want)+7, notes)
	}
	for i, n := range notes {
		w, ok := want[n.Trigger]
		if n.Source == SourceWebLogs {
			if n.Never || n.Fallback || i+1 == len(notes) || notes[i+1].Trigger != n.Trigger || !notes[i+1].Fallback {
				t.Errorf("%s: web logs note %+v not followed by its fallback", n.Trigger, n)
			}
			continue
		}
		if !ok || n.Source != w.source || n.Never != w.never || n.Fallback != (w.source == SourceMetrics) {
			t.Errorf("%s: got %+v, want source %q never %v", n.Trigger, n, w.source, w.never)
		}
		if n.Never && n.Note == "" {
			t.Errorf("%s never fires without saying why", n.Trigger)
		}
	}
}
